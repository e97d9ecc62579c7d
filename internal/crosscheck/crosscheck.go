// Package crosscheck exchanges information cross-check (信息核对) requests
// and results with the provincial checking platform (核对平台), SPEC §2.5.
//
// The platform is a government system out of reach, so an Adapter hides how
// a request travels: BatchAdapter exchanges CSV files through two
// directories (how most counties work), HTTPAdapter talks to a platform
// URL, and Simulator produces deterministic reports for demo and training.
// A Report attaches to the case as the check report (核对报告); ToItems turns
// its findings into income and property suggestions the investigator may
// adopt.
//
// Privacy: request and result files and HTTP bodies carry full ID numbers,
// because the platform matches on them. The caller must treat every export,
// import, submission and fetch as a sensitive operation: check the
// permission, write the audit record in the same transaction, keep the files
// on protected storage and remove them when the exchange is done. This
// package never logs, and every error message it builds shows ID numbers
// masked (idcard.Mask), including ID-like digits echoed from bad input.
package crosscheck

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/region"
)

// Source is one information source the platform checks.
type Source string

// The sources of a provincial checking platform.
const (
	SocialInsurance Source = "social_insurance"
	HousingFund     Source = "housing_fund"
	Business        Source = "business"
	Vehicle         Source = "vehicle"
	RealEstate      Source = "real_estate"
	Deposit         Source = "deposit"
	Securities      Source = "securities"
	Tax             Source = "tax"
)

// Sources lists every source with its Chinese label, in the order forms
// and reports show them.
var Sources = []household.Enum{
	{Code: string(SocialInsurance), Label: "社会保险/养老金"},
	{Code: string(HousingFund), Label: "住房公积金"},
	{Code: string(Business), Label: "市场主体登记"},
	{Code: string(Vehicle), Label: "机动车"},
	{Code: string(RealEstate), Label: "不动产"},
	{Code: string(Deposit), Label: "银行存款"},
	{Code: string(Securities), Label: "证券"},
	{Code: string(Tax), Label: "个人所得税"},
}

// AllSources is the full scope, the default for a new request.
func AllSources() []Source {
	out := make([]Source, len(Sources))
	for i, e := range Sources {
		out[i] = Source(e.Code)
	}
	return out
}

// Label returns the Chinese label, or the code itself if unknown.
func (s Source) Label() string { return household.LabelOf(Sources, string(s)) }

// Valid reports whether s is one of the known sources.
func (s Source) Valid() bool { return sourceIndex(s) >= 0 }

func sourceIndex(s Source) int {
	for i, e := range Sources {
		if e.Code == string(s) {
			return i
		}
	}
	return -1
}

// ParseSource reads a source code or its Chinese label, since platform
// files and people write either.
func ParseSource(s string) (Source, error) {
	s = strings.TrimSpace(s)
	for _, e := range Sources {
		if s == e.Code || s == e.Label {
			return Source(e.Code), nil
		}
	}
	if s == "" {
		return "", errs.Invalidf("", "请填写核对项目")
	}
	return "", errs.Invalidf("", "无法识别的核对项目“%s”", quote(s))
}

// Kind says whether a finding is income or property.
type Kind string

// The two kinds of finding.
const (
	KindIncome   Kind = "income"
	KindProperty Kind = "property"
)

// Label returns 收入 or 财产.
func (k Kind) Label() string {
	switch k {
	case KindIncome:
		return "收入"
	case KindProperty:
		return "财产"
	}
	return string(k)
}

// Status is how completely the platform answered a request.
type Status string

// Report statuses: complete when every requested person and source was
// checked, partial when some could not be, failed when none could.
const (
	StatusComplete Status = "complete"
	StatusPartial  Status = "partial"
	StatusFailed   Status = "failed"
)

// Label returns the Chinese name shown on the check report.
func (s Status) Label() string {
	switch s {
	case StatusComplete:
		return "核对完成"
	case StatusPartial:
		return "部分完成"
	case StatusFailed:
		return "核对失败"
	}
	return string(s)
}

// Person is one household member to be checked.
type Person struct {
	Name     string
	IDNumber idcard.ID
	Relation string // household.Relation code or its label; written as the label
}

// Request asks the platform to check a household.
type Request struct {
	ID          string // request number, e.g. "HD-130199-2026-000123-01"; also the batch file name
	CaseNumber  string // the case's application number (申请编号)
	Region      string // 12-digit region code of the household
	RequestedAt time.Time
	Persons     []Person
	Scope       []Source // which sources to check
}

// Finding is one item of income or property the platform found.
type Finding struct {
	IDNumber     idcard.ID
	Source       Source
	Kind         Kind
	IncomeKind   household.IncomeKind   // suggestion when Kind is income
	PropertyKind household.PropertyKind // suggestion when Kind is property
	Description  string
	Amount       money.Fen // income: total over Months; property: value
	Months       int       // income only, 1–12
	Quantity     int       // property only, ≥ 1
}

// Check is a person and source the platform answered for, whether or not it
// found anything; the check report says "nothing found" only for these.
type Check struct {
	IDNumber idcard.ID
	Source   Source
}

// Gap is a person and source the platform could not check.
type Gap struct {
	IDNumber idcard.ID
	Source   Source
	Reason   string
}

// Report is the platform's answer to one request: the check report.
type Report struct {
	RequestID  string
	ReceivedAt time.Time
	Status     Status
	Findings   []Finding
	Checked    []Check // every answered person and source, in first-seen order
	Gaps       []Gap   // requested but not checked
	Notes      string
}

// Adapter submits requests to a checking platform and fetches the reports.
// The exchange is asynchronous: a batch result may come back days later, so
// Fetch returns ready=false until it does. The caller must Match the report
// against its request before attaching it to the case.
type Adapter interface {
	Submit(ctx context.Context, req Request) (ticket string, err error)
	Fetch(ctx context.Context, ticket string) (rep Report, ready bool, err error)
}

// Limits on a request.
const (
	MaxRequestIDLen  = 64
	MaxCaseNumberLen = 64
	MaxPersons       = household.MaxMembers
	maxNameRunes     = 30
	maxRelationRunes = 20
)

var requestIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// validRequestID restricts request numbers to characters that are safe in a
// file name on every system and in a URL, so that BatchAdapter can name its
// files after them without any escaping or path traversal.
func validRequestID(s string) bool { return len(s) <= MaxRequestIDLen && requestIDRe.MatchString(s) }

const msgRequestID = "核对请求编号只能由字母、数字、“-”和“_”组成，以字母或数字开头，最长64个字符"

// Validate checks a request before it leaves the system and returns every
// problem at once (errs.List).
func (r Request) Validate() error {
	var l errs.List
	switch {
	case r.ID == "":
		l.Add("id", "请填写核对请求编号")
	case !validRequestID(r.ID):
		l.Add("id", msgRequestID)
	}
	switch {
	case strings.TrimSpace(r.CaseNumber) == "":
		l.Add("case_number", "请填写申请编号")
	case utf8.RuneCountInString(r.CaseNumber) > MaxCaseNumberLen:
		l.Add("case_number", "申请编号不能超过%d个字符", MaxCaseNumberLen)
	case !cellSafe(r.CaseNumber):
		l.Add("case_number", "申请编号含有不允许的字符")
	}
	if _, err := region.Parse(r.Region); err != nil {
		l.Add("region_code", "%s", errs.As(err).Message)
	}
	today := r.RequestedAt
	if today.IsZero() {
		l.Add("requested_at", "请填写请求时间")
		today = time.Now()
	}
	switch {
	case len(r.Persons) == 0:
		l.Add("persons", "请至少填写一名核对人员")
	case len(r.Persons) > MaxPersons:
		l.Add("persons", "核对人员不能超过%d人", MaxPersons)
	}
	seen := map[idcard.ID]int{}
	for i, p := range r.Persons {
		if i >= MaxPersons {
			break
		}
		f := func(name string) string { return fmt.Sprintf("persons[%d].%s", i, name) }
		switch name := strings.TrimSpace(p.Name); {
		case name == "":
			l.Add(f("name"), "第%d名人员：请填写姓名", i+1)
		case utf8.RuneCountInString(name) > maxNameRunes:
			l.Add(f("name"), "第%d名人员：姓名不能超过%d个字", i+1, maxNameRunes)
		case !cellSafe(name):
			l.Add(f("name"), "第%d名人员：姓名含有不允许的字符", i+1)
		}
		if id, err := idcard.Parse(string(p.IDNumber), today); err != nil {
			l.Add(f("id_number"), "第%d名人员（%s）：%s", i+1, idcard.Mask(string(p.IDNumber)), errs.As(err).Message)
		} else if j, dup := seen[id]; dup {
			l.Add(f("id_number"), "第%d名人员的身份证号（%s）与第%d名人员重复", i+1, id.Mask(), j+1)
		} else {
			seen[id] = i
		}
		switch rel := strings.TrimSpace(p.Relation); {
		case utf8.RuneCountInString(rel) > maxRelationRunes:
			l.Add(f("relation"), "第%d名人员：与户主关系不能超过%d个字", i+1, maxRelationRunes)
		case !cellSafe(rel):
			l.Add(f("relation"), "第%d名人员：与户主关系含有不允许的字符", i+1)
		}
	}
	if len(r.Scope) == 0 {
		l.Add("scope", "请至少选择一个核对项目")
	}
	inScope := map[Source]bool{}
	for _, s := range r.Scope {
		switch {
		case !s.Valid():
			l.Add("scope", "核对项目“%s”无效", quote(string(s)))
		case inScope[s]:
			l.Add("scope", "核对项目“%s”重复", s.Label())
		}
		inScope[s] = true
	}
	return l.Err()
}

// Match checks that a report answers req and nothing else: the request
// number agrees, and every finding, check and gap is about a requested
// person and a requested source. A platform that returns someone else's
// data must never have it attached to this case. Each foreign person is
// reported once, with the ID number masked.
func Match(req Request, rep Report) error {
	var l errs.List
	if rep.RequestID != req.ID {
		l.Add("request_id", "核对结果的请求编号“%s”与本次请求“%s”不一致", quote(rep.RequestID), quote(req.ID))
	}
	persons := map[idcard.ID]bool{}
	for _, p := range req.Persons {
		persons[p.IDNumber] = true
	}
	scope := map[Source]bool{}
	for _, s := range req.Scope {
		scope[s] = true
	}
	badID := map[idcard.ID]bool{}
	badSource := map[Source]bool{}
	check := func(id idcard.ID, s Source) {
		if !persons[id] && !badID[id] {
			badID[id] = true
			l.Add("id_number", "核对结果中的%s不是本次请求核对的人员", idcard.Mask(string(id)))
		}
		if !scope[s] && !badSource[s] {
			badSource[s] = true
			l.Add("source", "核对结果含有本次未请求的核对项目“%s”", quote(s.Label()))
		}
	}
	for _, f := range rep.Findings {
		check(f.IDNumber, f.Source)
	}
	for _, c := range rep.Checked {
		check(c.IDNumber, c.Source)
	}
	for _, g := range rep.Gaps {
		check(g.IDNumber, g.Source)
	}
	return l.Err()
}

// MsgNotReturned is the gap reason FillGaps records.
const MsgNotReturned = "核对平台未返回该项结果"

// FillGaps records every requested person and source that the report
// neither checked nor listed as a gap, and recomputes the status, so that a
// silently incomplete answer reads as partial instead of "nothing found".
// Call it after Match succeeds.
func FillGaps(req Request, rep Report) Report {
	answered := map[Check]bool{}
	for _, c := range rep.Checked {
		answered[c] = true
	}
	for _, f := range rep.Findings {
		answered[Check{f.IDNumber, f.Source}] = true
	}
	for _, g := range rep.Gaps {
		answered[Check{g.IDNumber, g.Source}] = true
	}
	gaps := append([]Gap(nil), rep.Gaps...)
	for _, p := range req.Persons {
		for _, s := range req.Scope {
			if !answered[Check{p.IDNumber, s}] {
				gaps = append(gaps, Gap{IDNumber: p.IDNumber, Source: s, Reason: MsgNotReturned})
			}
		}
	}
	rep.Gaps = gaps
	rep.Status = worse(rep.Status, statusOf(len(rep.Checked) > 0 || len(rep.Findings) > 0, len(gaps) > 0))
	return rep
}

// statusOf derives the status from what was answered.
func statusOf(anyChecked, anyGap bool) Status {
	switch {
	case anyGap && !anyChecked:
		return StatusFailed
	case anyGap:
		return StatusPartial
	}
	return StatusComplete
}

// worse returns the less complete of two statuses; an unknown or empty
// status counts as complete so that the derived one wins.
func worse(a, b Status) Status {
	rank := func(s Status) int {
		switch s {
		case StatusFailed:
			return 2
		case StatusPartial:
			return 1
		}
		return 0
	}
	if rank(a) >= rank(b) && rank(a) > 0 {
		return a
	}
	if rank(b) > 0 {
		return b
	}
	return StatusComplete
}

// idLike finds runs of digits long enough to be an ID number or a bank
// account, in any text that may be echoed in a message.
var idLike = regexp.MustCompile(`[0-9０-９]{15,}[0-9０-９XxＸｘ]?`)

// maskIDs masks every ID-like run in free text (platform messages,
// descriptions, a mis-placed column echoed in an error).
func maskIDs(s string) string {
	return idLike.ReplaceAllStringFunc(s, idcard.Mask)
}

// quote prepares untrusted input for echoing inside a message: ID-like
// digits masked, control characters dropped, and cut to a readable length.
func quote(s string) string { return quoteN(s, 30) }

// quoteN is quote with a length limit of n runes.
func quoteN(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, maskIDs(s))
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// cellSafe rejects control characters and a leading formula character, so
// that a value written to CSV cannot run as a formula when opened in Excel
// (CSV injection) nor break the file.
func cellSafe(s string) bool {
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return false
	}
	return !hasControl(s)
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return true
		}
	}
	return false
}
