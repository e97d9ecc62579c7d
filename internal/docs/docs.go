// Package docs prints the documents of a case (SPEC §2.1, issue 3 item 10):
// receipt, deficiency and refusal notices, home-visit form, appraisal record,
// publicity list, approval and rejection notices and the check report. Each is
// a self-contained HTML page laid out for A4 paper, numbered and dated, with a
// place for the office's seal.
//
// The package is pure: the caller fills one plain struct per kind from the case
// and keeps its JSON with the issued document, so that a reprint (RenderJSON)
// shows exactly what was issued, whatever has changed in the case since.
//
// Pages load nothing and run no script (the CSP is script-src 'self'); the only
// style is inline, which the CSP allows. Public documents are built from
// allow-listed fields only: PublicityRow has no field that could carry an ID
// number, phone, address, income, property or health.
package docs

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"dibao/internal/errs"
	"dibao/internal/idcard"
	"dibao/internal/mask"
	"dibao/internal/money"
	"dibao/internal/region"
)

// The document kinds; the values are the names workflow transitions list.
const (
	KindReceipt          = "receipt"           // 受理回执
	KindDeficiencyNotice = "deficiency_notice" // 补正材料一次性告知书
	KindRefusalNotice    = "refusal_notice"    // 不予受理告知书
	KindHomeVisitForm    = "home_visit_form"   // 家庭经济状况入户调查表
	KindAppraisalRecord  = "appraisal_record"  // 民主评议记录
	KindPublicityList    = "publicity_list"    // 公示名单
	KindApprovalNotice   = "approval_notice"   // 最低生活保障审批通知书
	KindRejectionNotice  = "rejection_notice"  // 不予批准通知书
	KindCheckReport      = "check_report"      // 家庭经济状况核对报告
)

// document is what every data struct provides to Render.
type document interface {
	check(*errs.List)
}

type kindInfo struct {
	kind   string
	title  string
	prefix string
	cast   func(any) (document, bool)
	zero   func() any
	tmpl   *template.Template
}

// cast accepts a T or a non-nil *T, so that callers may pass either.
func caster[T document]() func(any) (document, bool) {
	return func(v any) (document, bool) {
		switch x := v.(type) {
		case T:
			return x, true
		case *T:
			if x != nil {
				return *x, true
			}
		}
		return nil, false
	}
}

func zero[T any]() func() any { return func() any { return new(T) } }

// kinds is in the order a case produces them.
var kinds = []*kindInfo{
	{KindReceipt, "受理回执", "SL", caster[Receipt](), zero[Receipt](), nil},
	{KindDeficiencyNotice, "补正材料一次性告知书", "BZ", caster[DeficiencyNotice](), zero[DeficiencyNotice](), nil},
	{KindRefusalNotice, "不予受理告知书", "BY", caster[RefusalNotice](), zero[RefusalNotice](), nil},
	{KindHomeVisitForm, "家庭经济状况入户调查表", "DC", caster[HomeVisitForm](), zero[HomeVisitForm](), nil},
	{KindAppraisalRecord, "民主评议记录", "PY", caster[AppraisalRecord](), zero[AppraisalRecord](), nil},
	{KindPublicityList, "最低生活保障对象公示名单", "GS", caster[PublicityList](), zero[PublicityList](), nil},
	{KindApprovalNotice, "最低生活保障审批通知书", "SP", caster[ApprovalNotice](), zero[ApprovalNotice](), nil},
	{KindRejectionNotice, "不予批准通知书", "BP", caster[RejectionNotice](), zero[RejectionNotice](), nil},
	{KindCheckReport, "家庭经济状况核对报告", "HD", caster[CheckReport](), zero[CheckReport](), nil},
	{KindReviewNotice, "最低生活保障待遇变更（停发）告知书", "BG", caster[ReviewNotice](), zero[ReviewNotice](), nil},
}

var byKind = map[string]*kindInfo{}

//go:embed templates/*.html
var files embed.FS

// Templates are parsed once at start-up; they are embedded, so a parse error
// is a build defect that the tests catch, and panicking is right.
func init() {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html"))
	for _, k := range kinds {
		byKind[k.kind] = k
		k.tmpl = template.Must(template.Must(base.Clone()).ParseFS(files, "templates/"+k.kind+".html"))
	}
}

// Kinds lists every document kind in the order a case produces them.
func Kinds() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.kind
	}
	return out
}

// Title is the Chinese title of a kind, "" for an unknown kind.
func Title(kind string) string {
	if k, ok := byKind[kind]; ok {
		return k.title
	}
	return ""
}

// NewData returns a pointer to an empty data struct of the kind, for decoding
// a stored snapshot; nil for an unknown kind.
func NewData(kind string) any {
	if k, ok := byKind[kind]; ok {
		return k.zero()
	}
	return nil
}

// Number is the document number of the serial-th document of a kind issued in
// a county in a year: DB-<prefix>-<county 6 digits>-<year>-<serial, 6 digits>,
// e.g. DB-SL-130199-2026-000012. The prefix is per kind (SL 受理, BZ 补正,
// BY 不予受理, DC 调查, PY 评议, GS 公示, SP 审批, BP 不批, HD 核对). Numbers
// are plain ASCII so they can be typed into a search box and sort by serial
// within a kind, county and year. county may be any code in the county.
// It panics on an unknown kind or an invalid county code, which are
// programming errors: kinds are constants and codes come from the store.
func Number(kind string, county region.Code, year int, serial int64) string {
	k, ok := byKind[kind]
	if !ok {
		panic("docs: unknown document kind " + strconv.Quote(kind))
	}
	return "DB-" + k.prefix + "-" + CaseNumber(county, year, serial)
}

// CaseNumber is the number of an application: county, year and a serial
// within them, e.g. 130199-2026-000123. It panics on an invalid county code.
func CaseNumber(county region.Code, year int, serial int64) string {
	c := county.County()
	if c == "" {
		panic("docs: invalid county code " + strconv.Quote(string(county)))
	}
	return fmt.Sprintf("%s-%04d-%06d", string(c)[:6], year, serial)
}

// china is fixed rather than loaded from tzdata so that printing never depends
// on the host; China has kept UTC+8 without daylight saving since 1991.
var china = time.FixedZone("CST", 8*3600)

// ChineseDate formats the calendar date of t in Asia/Shanghai the way official
// documents write it: 2026年11月27日, without leading zeros. The zero time
// gives "".
func ChineseDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	y, m, d := t.In(china).Date()
	return fmt.Sprintf("%d年%d月%d日", y, int(m), d)
}

// ChineseMonth formats a "2026-12" month as 2026年12月; anything else is
// returned unchanged so that a bad value still shows what it was.
func ChineseMonth(s string) string {
	t, ok := parseMonth(s)
	if !ok {
		return s
	}
	return fmt.Sprintf("%d年%d月", t.Year(), int(t.Month()))
}

func parseMonth(s string) (time.Time, bool) {
	t, err := time.Parse("2006-01", s)
	return t, err == nil
}

// Render prints a document of the kind from its data struct (a value or a
// pointer of the kind's type, e.g. Receipt or *Receipt for KindReceipt). It
// returns an errs Invalid error listing every missing item that the document
// cannot be issued without (number, date, issuer, written reasons, the
// deficiency items …), and an Internal error for an unknown kind or a data
// type that does not match it.
func Render(kind string, data any) ([]byte, error) {
	k, ok := byKind[kind]
	if !ok {
		return nil, errs.New(errs.Invalid, "kind", "未知的文书种类："+kind)
	}
	doc, ok := k.cast(data)
	if !ok {
		return nil, errs.Wrap(fmt.Errorf("docs: %s needs its own data struct, got %T", kind, data), "文书数据类型错误")
	}
	var l errs.List
	doc.check(&l)
	if err := l.Err(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := k.tmpl.ExecuteTemplate(&buf, "layout", page{Kind: kind, Title: k.title, Doc: doc}); err != nil {
		return nil, errs.Wrap(err, "文书生成失败")
	}
	return buf.Bytes(), nil
}

// RenderJSON prints a document from its stored snapshot, the JSON of its data
// struct, for a reprint that shows exactly what was issued. Unknown fields are
// an error, so a snapshot is never silently half-read.
func RenderJSON(kind string, snapshot []byte) ([]byte, error) {
	v := NewData(kind)
	if v == nil {
		return nil, errs.New(errs.Invalid, "kind", "未知的文书种类："+kind)
	}
	dec := json.NewDecoder(bytes.NewReader(snapshot))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, errs.Wrap(err, "文书存档数据无法读取")
	}
	return Render(kind, v)
}

// page is what the templates see.
type page struct {
	Kind  string
	Title string
	Doc   any
}

var funcs = template.FuncMap{
	"date":  ChineseDate,
	"month": ChineseMonth,
	// blankDate leaves room for a handwritten date.
	"blankDate": func(t time.Time) string {
		if t.IsZero() {
			return "　　　　年　　月　　日"
		}
		return ChineseDate(t)
	},
	// datetime adds the time of day when there is one.
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		lt := t.In(china)
		if lt.Hour() == 0 && lt.Minute() == 0 {
			return ChineseDate(t)
		}
		return ChineseDate(t) + fmt.Sprintf(" %d时%02d分", lt.Hour(), lt.Minute())
	},
	"yuan":     func(f money.Fen) string { return f.Yuan() },
	"upper":    money.Upper,
	"maskName": mask.Name,
	"maskID":   func(id idcard.ID) string { return id.Mask() },
	"seq":      func(i int) int { return i + 1 },
	"cnum":     cnum,
	// signLines pads names to at least n rows of signature lines.
	"signLines": func(names []string, n int) []string {
		out := append([]string(nil), names...)
		for len(out) < n {
			out = append(out, "")
		}
		return out
	},
	"nonEmpty": nonEmpty,
	// paras splits free text into paragraphs at line breaks, so that each
	// one gets the first-line indent of Chinese documents.
	"paras": func(s string) []string {
		return nonEmpty(strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n"))
	},
	// appeal pairs the appeal bodies with the document's own noun
	// (告知书, 通知书) for the shared appeal-rights paragraph.
	"appeal": func(a Appeal, noun string) any {
		return struct {
			Appeal
			Noun string
		}{a, noun}
	},
	"anyPeriod": func(rows []PublicityRow) bool {
		for _, r := range rows {
			if r.Period != "" {
				return true
			}
		}
		return false
	},
}

// cnum writes 1–99 as Chinese numerals for the 一、二、 of numbered reasons.
func cnum(i int) string {
	const d = "零一二三四五六七八九"
	digit := func(n int) string { return string([]rune(d)[n]) }
	switch {
	case i <= 0 || i >= 100:
		return strconv.Itoa(i)
	case i < 10:
		return digit(i)
	case i == 10:
		return "十"
	case i < 20:
		return "十" + digit(i%10)
	case i%10 == 0:
		return digit(i/10) + "十"
	}
	return digit(i/10) + "十" + digit(i%10)
}

// nonEmpty drops blank entries and trims the rest.
func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
