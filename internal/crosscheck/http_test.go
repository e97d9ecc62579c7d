package crosscheck

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"dibao/internal/errs"
)

const testToken = "s3cr3t-token-0123456789"

// reportJSON is a ready report as a platform would send it.
func reportJSON() string {
	return `{"request_id":"HD-130199-2026-000123-01","status":"complete","notes":"按期核对",
"results":[
 {"id_number":"` + string(idHead) + `","source":"social_insurance","category":"income","description":"城乡居民基本养老保险待遇","amount":"2400.00","months":12},
 {"id_number":"` + string(idHead) + `","source":"vehicle","category":"none"},
 {"id_number":"` + string(idSon) + `","source":"vehicle","category":"property","kind":"vehicle","description":"小型普通客车","amount":"45000","quantity":1},
 {"id_number":"` + string(idSon) + `","source":"deposit","category":"unchecked","description":"银行系统维护"}],
"extra_field_from_a_newer_platform":true}`
}

func adapterFor(srv *httptest.Server) HTTPAdapter {
	return HTTPAdapter{BaseURL: srv.URL + "/api/", Client: srv.Client(), Token: testToken}
}

// checkSafe fails if an error shows the token or a full ID number.
func checkSafe(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), testToken) {
		t.Fatalf("error shows the token: %v", err)
	}
	noFullIDs(t, err)
}

func TestHTTPSubmit(t *testing.T) {
	var got wireRequest
	var hdr http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/requests" {
			http.Error(w, "wrong route", http.StatusTeapot)
			return
		}
		hdr = r.Header.Clone()
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"ticket":"T-2026-0001"}`)
	}))
	defer srv.Close()

	req := sampleRequest()
	ticket, err := adapterFor(srv).Submit(context.Background(), req)
	if err != nil || ticket != "T-2026-0001" {
		t.Fatalf("Submit = %q, %v", ticket, err)
	}
	for k, v := range map[string]string{
		"Authorization":   "Bearer " + testToken,
		"Idempotency-Key": req.ID,
		"Content-Type":    "application/json; charset=utf-8",
	} {
		if hdr.Get(k) != v {
			t.Errorf("header %s = %q; want %q", k, hdr.Get(k), v)
		}
	}
	want := wireRequest{
		RequestID: req.ID, CaseNumber: req.CaseNumber, RegionCode: req.Region, Scope: req.Scope,
		Persons: []wirePerson{
			{Name: "张三", IDNumber: string(idHead), Relation: "户主"},
			{Name: "李四", IDNumber: string(idWife), Relation: "配偶"},
			{Name: "张小明", IDNumber: string(idSon), Relation: "子女"},
		},
	}
	if !got.RequestedAt.Equal(req.RequestedAt) {
		t.Errorf("requested_at %v", got.RequestedAt)
	}
	got.RequestedAt = time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("body\n%+v\nwant\n%+v", got, want)
	}
}

func TestHTTPPendingThenReady(t *testing.T) {
	var gets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/api/requests/T-1" || r.Header.Get("Authorization") != "Bearer "+testToken {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		if gets.Add(1) <= 2 {
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"status":"processing"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, reportJSON())
	}))
	defer srv.Close()
	a := adapterFor(srv)
	ctx := context.Background()
	for i := range 2 {
		if _, ready, err := a.Fetch(ctx, "T-1"); ready || err != nil {
			t.Fatalf("fetch %d: ready %v, %v", i+1, ready, err)
		}
	}
	rep, ready, err := a.Fetch(ctx, "T-1")
	if err != nil || !ready {
		t.Fatalf("third fetch: ready %v, %q", ready, messages(err))
	}
	if rep.ReceivedAt.IsZero() {
		t.Error("ReceivedAt not set")
	}
	rep.ReceivedAt = time.Time{}
	want := Report{
		RequestID: "HD-130199-2026-000123-01",
		Status:    StatusPartial, // the platform said complete, but a source was not checked
		Notes:     "按期核对",
		Findings: []Finding{
			{IDNumber: idHead, Source: SocialInsurance, Kind: KindIncome, IncomeKind: "pension", Description: "城乡居民基本养老保险待遇", Amount: 240000, Months: 12},
			{IDNumber: idSon, Source: Vehicle, Kind: KindProperty, PropertyKind: "vehicle", Description: "小型普通客车", Amount: 4500000, Quantity: 1},
		},
		Checked: []Check{{idHead, SocialInsurance}, {idHead, Vehicle}, {idSon, Vehicle}},
		Gaps:    []Gap{{IDNumber: idSon, Source: Deposit, Reason: "银行系统维护"}},
	}
	if !reflect.DeepEqual(rep, want) {
		t.Fatalf("report\n%+v\nwant\n%+v", rep, want)
	}
	if err := Match(sampleRequest(), rep); err != nil {
		t.Fatalf("Match: %q", messages(err))
	}
}

func TestHTTPErrors(t *testing.T) {
	big := strings.Repeat(" ", MaxResponseBytes+1)
	type op int
	const (
		submit op = iota
		fetch
	)
	reply := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			io.WriteString(w, body)
		}
	}
	cases := []struct {
		name    string
		op      op
		handler http.HandlerFunc
		ctx     func() (context.Context, context.CancelFunc)
		timeout time.Duration
		code    errs.Code // "" means success
		msg     string
		status  Status // for successful fetches
	}{
		{name: "500 on fetch", op: fetch, handler: reply(500, "boom"), code: errs.Internal, msg: "核对平台暂时不可用（HTTP 500），请稍后重试"},
		{name: "503 on submit", op: submit, handler: reply(503, ""), code: errs.Internal, msg: "核对平台暂时不可用（HTTP 503），请稍后重试"},
		{name: "401", op: fetch, handler: reply(401, `{"error":"invalid token `+testToken+`"}`), code: errs.Internal, msg: "核对平台拒绝访问（HTTP 401），请检查接口令牌配置"},
		{name: "403 on submit", op: submit, handler: reply(403, ""), code: errs.Internal, msg: "核对平台拒绝访问（HTTP 403），请检查接口令牌配置"},
		{name: "429", op: fetch, handler: reply(429, ""), code: errs.Internal, msg: "核对平台请求过于频繁（HTTP 429），请稍后重试"},
		{name: "404", op: fetch, handler: reply(404, ""), code: errs.NotFound, msg: "核对平台找不到凭证号为“T-1”的核对请求"},
		{name: "unexpected status", op: fetch, handler: reply(302, ""), code: errs.Internal, msg: "核对平台返回了意外的状态（HTTP 302）"},
		{name: "malformed JSON report", op: fetch, handler: reply(200, `{"request_id":`), code: errs.Internal, msg: "核对平台返回的核对结果格式不正确（不是有效的JSON）"},
		{name: "HTML instead of JSON", op: fetch, handler: reply(200, `<html>维护中</html>`), code: errs.Internal, msg: "核对平台返回的核对结果格式不正确（不是有效的JSON）"},
		{name: "malformed ticket", op: submit, handler: reply(201, `{"ticket":"../../x"}`), code: errs.Internal, msg: "核对平台返回的受理凭证无法识别"},
		{name: "no ticket", op: submit, handler: reply(200, `[]`), code: errs.Internal, msg: "核对平台返回的受理凭证无法识别"},
		{name: "400 echoing an ID is masked", op: submit,
			handler: reply(400, `{"error":{"code":"E12","message":"身份证号`+string(idWife)+`不在本省户籍库"}}`),
			code:    errs.Invalid, msg: "核对平台拒绝了核对请求：身份证号" + idWife.Mask() + "不在本省户籍库"},
		{name: "400 without reason", op: submit, handler: reply(400, "bad"), code: errs.Invalid, msg: "核对平台拒绝了核对请求：平台未说明原因"},
		{name: "409 with ticket is a retry", op: submit, handler: reply(409, `{"ticket":"T-9"}`)},
		{name: "409 without ticket", op: submit, handler: reply(409, `{"message":"duplicate"}`), code: errs.Conflict, msg: "核对平台报告该请求编号已提交过"},
		{name: "oversized response", op: fetch, handler: reply(200, big), code: errs.Internal, msg: "核对平台返回的数据超过8MB"},
		{name: "invalid amount in report", op: fetch,
			handler: reply(200, `{"request_id":"HD-1","results":[{"id_number":"`+string(idSon)+`","source":"vehicle","category":"property","amount":"1.234"}]}`),
			code:    errs.Invalid, msg: "第1条结果“金额”：金额最多保留两位小数"},
		{name: "foreign-looking ID in report is masked", op: fetch,
			handler: reply(200, `{"request_id":"HD-1","results":[{"id_number":"`+badCheck(idSon)+`","source":"vehicle","category":"none"}]}`),
			code:    errs.Invalid, msg: "第1条结果“公民身份号码”：身份证号校验位错误，请核对最后一位"},
		{name: "unknown status", op: fetch, handler: reply(200, `{"request_id":"HD-1","status":"done","results":[]}`),
			code: errs.Invalid, msg: "核对结果的状态“done”无法识别"},
		{name: "bad request id in report", op: fetch, handler: reply(200, `{"request_id":"","results":[]}`),
			code: errs.Invalid, msg: "核对结果的请求编号“”格式不正确"},
		{name: "control characters in notes", op: fetch, handler: reply(200, `{"request_id":"HD-1","notes":"a\u0001b"}`),
			code: errs.Invalid, msg: "核对结果的说明过长或含有不允许的字符"},
		{name: "platform reports failure", op: fetch, handler: reply(200, `{"request_id":"HD-1","status":"failed","notes":"户籍库维护"}`),
			status: StatusFailed},
		{name: "platform reports partial", op: fetch,
			handler: reply(200, `{"request_id":"HD-1","status":"partial","results":[{"id_number":"`+string(idSon)+`","source":"vehicle","category":"none"}]}`),
			status:  StatusPartial},
		{name: "slow server, context deadline", op: fetch, handler: slow,
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 50*time.Millisecond)
			},
			code: errs.Internal, msg: "连接核对平台超时，请稍后重试"},
		{name: "slow server, adapter timeout", op: submit, handler: slow, timeout: 50 * time.Millisecond,
			code: errs.Internal, msg: "连接核对平台超时，请稍后重试"},
		{name: "cancelled", op: fetch, handler: slow,
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(30*time.Millisecond, cancel)
				return ctx, cancel
			},
			code: errs.Internal, msg: "核对请求已取消"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			a := adapterFor(srv)
			a.Timeout = c.timeout
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if c.ctx != nil {
				ctx, cancel = c.ctx()
			}
			defer cancel()
			var err error
			var rep Report
			switch c.op {
			case submit:
				_, err = a.Submit(ctx, sampleRequest())
			case fetch:
				var ready bool
				rep, ready, err = a.Fetch(ctx, "T-1")
				if err == nil && !ready {
					t.Fatal("not ready")
				}
			}
			checkSafe(t, err)
			if c.code == "" {
				if err != nil {
					t.Fatalf("error %q", messages(err))
				}
				if c.status != "" && rep.Status != c.status {
					t.Fatalf("status %s; want %s", rep.Status, c.status)
				}
				return
			}
			if err == nil || errs.CodeOf(err) != c.code || errs.As(err).Message != c.msg {
				t.Fatalf("error %v (code %s); want %s %q", err, errs.CodeOf(err), c.code, c.msg)
			}
		})
	}
}

// slow never answers before the client gives up. It reads the body first:
// only then can the server notice the client hanging up.
func slow(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

func TestHTTPUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	a := adapterFor(srv)
	srv.Close()
	_, _, err := a.Fetch(context.Background(), "T-1")
	checkSafe(t, err)
	if err == nil || errs.As(err).Message != "无法连接核对平台，请检查网络和平台地址配置" {
		t.Fatalf("error %v", err)
	}
}

func TestHTTPConfiguration(t *testing.T) {
	const msg = "核对平台地址配置无效：应为http或https地址，且不含用户名、密码和查询参数"
	cases := []struct{ name, base string }{
		{"empty", ""},
		{"not http", "ftp://127.0.0.1/x"},
		{"no host", "http:///x"},
		{"password in URL", "http://admin:hunter2@127.0.0.1/api"},
		{"token in query", "http://127.0.0.1/api?token=hunter2"},
		{"fragment", "http://127.0.0.1/api#hunter2"},
		{"relative", "/api"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := HTTPAdapter{BaseURL: c.base, Token: testToken}
			_, err := a.Submit(context.Background(), sampleRequest())
			if err == nil || errs.As(err).Message != msg || strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("Submit error %v", err)
			}
			_, _, err = a.Fetch(context.Background(), "T-1")
			if err == nil || errs.As(err).Message != msg {
				t.Fatalf("Fetch error %v", err)
			}
		})
	}
	t.Run("bad ticket is refused before any call", func(t *testing.T) {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
		defer srv.Close()
		for _, ticket := range []string{"", "../admin", "a/b", "T 1", strings.Repeat("T", 129)} {
			_, _, err := adapterFor(srv).Fetch(context.Background(), ticket)
			if errs.CodeOf(err) != errs.Invalid {
				t.Errorf("ticket %q: %v", ticket, err)
			}
		}
		if calls.Load() != 0 {
			t.Fatal("a bad ticket reached the platform")
		}
	})
	t.Run("invalid request is not sent", func(t *testing.T) {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
		defer srv.Close()
		r := sampleRequest()
		r.Persons = nil
		if _, err := adapterFor(srv).Submit(context.Background(), r); errs.CodeOf(err) != errs.Invalid || calls.Load() != 0 {
			t.Fatalf("error %v, %d calls", err, calls.Load())
		}
	})
}

func FuzzDecodeReport(f *testing.F) {
	f.Add(reportJSON())
	f.Add(`{"request_id":"HD-1","status":"failed"}`)
	f.Add(`{"request_id":"HD-1","results":[{"id_number":"x","months":-1,"quantity":99999}]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, data string) {
		rep, err := decodeReport([]byte(data), today)
		if err != nil {
			noFullIDs(t, err)
			return
		}
		switch rep.Status {
		case StatusComplete, StatusPartial, StatusFailed:
		default:
			t.Fatalf("status %q", rep.Status)
		}
		for _, f := range rep.Findings {
			if f.Amount < 0 || f.Amount > MaxItemAmount {
				t.Fatalf("amount %d", f.Amount)
			}
		}
	})
}
