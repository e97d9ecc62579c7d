package crosscheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"dibao/internal/errs"
	"dibao/internal/household"
)

// Defaults for HTTPAdapter.
const (
	// DefaultTimeout bounds one call when neither the context nor the
	// adapter sets a shorter limit; a platform that has not answered in
	// 30 seconds will not, and the caller's job retries later.
	DefaultTimeout = 30 * time.Second
	// MaxResponseBytes bounds a response body read into memory.
	MaxResponseBytes = 8 << 20
)

// HTTPAdapter talks to a platform that offers a JSON API:
//
//	POST BaseURL/requests           → 200/201/202 {"ticket": "…"}
//	GET  BaseURL/requests/{ticket}  → 200 the report · 202 not ready yet
//
// The request body is
//
//	{"request_id": "HD-…", "case_number": "…", "region_code": "130199101201",
//	 "requested_at": "2026-07-22T10:00:00+08:00",
//	 "persons": [{"name": "张三", "id_number": "…", "relation": "户主"}],
//	 "scope": ["social_insurance", "vehicle", …]}
//
// and a ready report
//
//	{"request_id": "HD-…", "status": "complete|partial|failed" (optional), "notes": "…",
//	 "results": [{"id_number": "…", "source": "vehicle", "category": "income|property|none|unchecked",
//	              "kind": "vehicle" (optional), "description": "…", "amount": "45000.00",
//	              "months": 12, "quantity": 1}]}
//
// with the same meaning and rules as the rows of a result file
// (ResultHeader); amounts are decimal strings in yuan, never floats.
//
// Token, if set, is sent as "Authorization: Bearer <token>"; it never
// appears in an error. BaseURL must be http(s) without user info, query or
// fragment, so that no credential can sit in a URL that an error might
// quote. The request id is sent as Idempotency-Key so a retried Submit does
// not create a second platform request. Bodies carry full ID numbers: use
// https outside a closed government network.
type HTTPAdapter struct {
	BaseURL string
	Client  *http.Client  // nil means http.DefaultClient
	Token   string        // bearer token issued by the platform
	Timeout time.Duration // per call; 0 means DefaultTimeout
}

var _ Adapter = HTTPAdapter{}

// wireRequest is the JSON body of POST /requests.
type wireRequest struct {
	RequestID   string       `json:"request_id"`
	CaseNumber  string       `json:"case_number"`
	RegionCode  string       `json:"region_code"`
	RequestedAt time.Time    `json:"requested_at"`
	Persons     []wirePerson `json:"persons"`
	Scope       []Source     `json:"scope"` // source codes
}

type wirePerson struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
	Relation string `json:"relation"`
}

// wireReport is the JSON body of a ready GET /requests/{ticket}. Results
// follow the rows of the result file: category is income, property, none
// (checked, nothing found) or unchecked (description says why); amount is
// a decimal string in yuan, never a float.
type wireReport struct {
	RequestID string       `json:"request_id"`
	Status    string       `json:"status"` // optional: the platform's own view, if worse it wins
	Results   []wireResult `json:"results"`
	Notes     string       `json:"notes"`
}

type wireResult struct {
	IDNumber    string `json:"id_number"`
	Source      string `json:"source"`
	Category    string `json:"category"`
	Kind        string `json:"kind,omitempty"` // household income/property kind code
	Description string `json:"description,omitempty"`
	Amount      string `json:"amount,omitempty"`
	Months      int    `json:"months,omitempty"`
	Quantity    int    `json:"quantity,omitempty"`
}

type wireTicket struct {
	Ticket string `json:"ticket"`
}

const maxNotesRunes = 2000

var ticketRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)

// Submit posts the request and returns the platform's ticket. A 409 that
// carries a ticket is the platform recognising a retry and counts as
// success.
func (a HTTPAdapter) Submit(ctx context.Context, req Request) (string, error) {
	if err := req.Validate(); err != nil {
		return "", err
	}
	base, err := a.base()
	if err != nil {
		return "", err
	}
	body := wireRequest{
		RequestID: req.ID, CaseNumber: strings.TrimSpace(req.CaseNumber), RegionCode: req.Region,
		RequestedAt: req.RequestedAt, Scope: req.Scope,
	}
	for _, p := range req.Persons {
		body.Persons = append(body.Persons, wirePerson{
			Name: strings.TrimSpace(p.Name), IDNumber: string(p.IDNumber),
			Relation: household.Relation(strings.TrimSpace(p.Relation)).Label(),
		})
	}
	b, err := json.Marshal(body)
	if err != nil {
		return "", errs.Wrap(err, "生成核对请求失败")
	}
	status, data, err := a.do(ctx, http.MethodPost, base+"/requests", b, req.ID)
	if err != nil {
		return "", err
	}
	switch {
	case status == http.StatusOK || status == http.StatusCreated || status == http.StatusAccepted || status == http.StatusConflict:
		var t wireTicket
		if jerr := json.Unmarshal(data, &t); jerr != nil || !ticketRe.MatchString(t.Ticket) {
			if status == http.StatusConflict {
				return "", errs.New(errs.Conflict, "", "核对平台报告该请求编号已提交过")
			}
			return "", platformError("核对平台返回的受理凭证无法识别", jerr)
		}
		return t.Ticket, nil
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		return "", errs.Invalidf("", "核对平台拒绝了核对请求：%s", platformMessage(data))
	}
	return "", statusError(status)
}

// Fetch asks for the report. 202 means not ready; 200 carries the report,
// validated with the same rules as a result file.
func (a HTTPAdapter) Fetch(ctx context.Context, ticket string) (Report, bool, error) {
	if !ticketRe.MatchString(ticket) {
		return Report{}, false, errs.Invalidf("ticket", "核对凭证号“%s”无效", quote(ticket))
	}
	base, err := a.base()
	if err != nil {
		return Report{}, false, err
	}
	status, data, err := a.do(ctx, http.MethodGet, base+"/requests/"+url.PathEscape(ticket), nil, "")
	if err != nil {
		return Report{}, false, err
	}
	switch status {
	case http.StatusOK:
		rep, err := decodeReport(data, time.Now())
		if err != nil {
			return Report{}, false, err
		}
		rep.ReceivedAt = time.Now()
		return rep, true, nil
	case http.StatusAccepted:
		return Report{}, false, nil
	case http.StatusNotFound:
		return Report{}, false, errs.New(errs.NotFound, "ticket", "核对平台找不到凭证号为“"+quote(ticket)+"”的核对请求")
	}
	return Report{}, false, statusError(status)
}

// base validates BaseURL; a bad one is a configuration error, and the
// message does not repeat it because it might hold a password.
func (a HTTPAdapter) base() (string, error) {
	u, err := url.Parse(strings.TrimSpace(a.BaseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", errs.New(errs.Internal, "", "核对平台地址配置无效：应为http或https地址，且不含用户名、密码和查询参数")
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// do performs one call with a deadline and a bounded body.
func (a HTTPAdapter) do(ctx context.Context, method, u string, body []byte, idemKey string) (int, []byte, error) {
	timeout := a.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, errs.Wrap(err, "生成核对请求失败")
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", "dibao-crosscheck/1")
	if body != nil {
		hr.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	if idemKey != "" {
		hr.Header.Set("Idempotency-Key", idemKey)
	}
	if a.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+a.Token)
	}
	client := a.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(hr)
	if err != nil {
		return 0, nil, transportError(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return 0, nil, transportError(ctx, err)
	}
	if len(data) > MaxResponseBytes {
		return 0, nil, platformError(fmt.Sprintf("核对平台返回的数据超过%dMB", MaxResponseBytes>>20), nil)
	}
	return resp.StatusCode, data, nil
}

// transportError says in Chinese why the platform could not be reached.
// The cause kept for the log is net/http's, which never contains the token
// (a header) and, since base() forbids them, no user info or query either.
func transportError(ctx context.Context, err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return &errs.Error{Code: errs.Internal, Message: "核对请求已取消", Err: err}
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()):
		return &errs.Error{Code: errs.Internal, Message: "连接核对平台超时，请稍后重试", Err: err}
	}
	return &errs.Error{Code: errs.Internal, Message: "无法连接核对平台，请检查网络和平台地址配置", Err: err}
}

func platformError(msg string, cause error) error {
	return &errs.Error{Code: errs.Internal, Message: msg, Err: cause}
}

// statusError maps an unexpected HTTP status to a clear message.
func statusError(status int) error {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return platformError(fmt.Sprintf("核对平台拒绝访问（HTTP %d），请检查接口令牌配置", status), nil)
	case status == http.StatusTooManyRequests:
		return platformError("核对平台请求过于频繁（HTTP 429），请稍后重试", nil)
	case status >= 500:
		return platformError(fmt.Sprintf("核对平台暂时不可用（HTTP %d），请稍后重试", status), nil)
	}
	return platformError(fmt.Sprintf("核对平台返回了意外的状态（HTTP %d）", status), nil)
}

// platformMessage extracts a short reason from an error body
// ({"error":{"message":…}}, {"message":…} or {"error":"…"}), with ID-like
// numbers masked, since a platform may echo the request back.
func platformMessage(data []byte) string {
	var v struct {
		Message string          `json:"message"`
		Error   json.RawMessage `json:"error"`
	}
	msg := ""
	if json.Unmarshal(data, &v) == nil {
		msg = v.Message
		var inner struct {
			Message string `json:"message"`
		}
		var s string
		switch {
		case json.Unmarshal(v.Error, &inner) == nil && inner.Message != "":
			msg = inner.Message
		case json.Unmarshal(v.Error, &s) == nil && s != "":
			msg = s
		}
	}
	if msg = strings.TrimSpace(msg); msg == "" {
		return "平台未说明原因"
	}
	return quoteN(msg, 100)
}

// decodeReport parses and validates a report body.
func decodeReport(data []byte, today time.Time) (Report, error) {
	var w wireReport
	if err := json.Unmarshal(data, &w); err != nil {
		return Report{}, platformError("核对平台返回的核对结果格式不正确（不是有效的JSON）", err)
	}
	var l errs.List
	if !validRequestID(w.RequestID) {
		l.Add("request_id", "核对结果的请求编号“%s”格式不正确", quote(w.RequestID))
	}
	platformStatus := Status(w.Status)
	switch platformStatus {
	case "", StatusComplete, StatusPartial, StatusFailed:
	default:
		l.Add("status", "核对结果的状态“%s”无法识别", quote(w.Status))
	}
	if len(w.Results) > MaxResultRows {
		l.Add("results", "核对结果超过%d条", MaxResultRows)
		w.Results = nil
	}
	notes := strings.TrimSpace(w.Notes)
	if len([]rune(notes)) > maxNotesRunes || hasControlExceptNewline(notes) {
		l.Add("notes", "核对结果的说明过长或含有不允许的字符")
	}
	asm := newAssembler(func(i int) string { return fmt.Sprintf("第%d条结果", i) })
	for i, r := range w.Results {
		if len(l) >= maxReportedErrors {
			break
		}
		n := i + 1
		loc := func(col string) (string, string) {
			if col == "" {
				return fmt.Sprintf("results[%d]", i), fmt.Sprintf("第%d条结果：", n)
			}
			return fmt.Sprintf("results[%d].%s", i, col), fmt.Sprintf("第%d条结果“%s”：", n, colNames[col])
		}
		raw := rawResult{
			requestID: w.RequestID, idNumber: r.IDNumber, source: r.Source, category: r.Category,
			kind: r.Kind, description: r.Description, amount: r.Amount,
			months: itoaOrEmpty(r.Months), quantity: itoaOrEmpty(r.Quantity),
		}
		if p, ok := validateResult(raw, loc, &l, today); ok {
			asm.add(p, n, loc, &l)
		}
	}
	if err := l.Err(); err != nil {
		return Report{}, err
	}
	rep := Report{RequestID: w.RequestID, Status: StatusFailed}
	if reps := asm.finish(); len(reps) == 1 {
		rep = reps[0]
	}
	rep.Status = worse(rep.Status, platformStatus)
	rep.Notes = notes
	return rep, nil
}

func itoaOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

func hasControlExceptNewline(s string) bool {
	return hasControl(strings.NewReplacer("\r\n", "", "\n", "").Replace(s))
}
