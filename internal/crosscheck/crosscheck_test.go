package crosscheck

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"dibao/internal/errs"
	"dibao/internal/idcard"
)

var (
	cst   = time.FixedZone("CST", 8*3600)
	today = time.Date(2026, 7, 22, 10, 0, 0, 0, cst)

	idHead     = idcard.Make("130199", date(1958, 3, 12), 11)  // 68 on today: pension age
	idWife     = idcard.Make("130199", date(1962, 7, 1), 22)   // 64
	idSon      = idcard.Make("130199", date(1990, 5, 20), 33)  // 36: working age
	idGirl     = idcard.Make("130199", date(2015, 1, 1), 44)   // 11
	idStranger = idcard.Make("110105", date(1980, 1, 1), 55)   // not in the household
	idNoRegion = idcard.Make("990000", date(1985, 6, 15), 101) // unknown region prefix, still valid
)

// badCheck returns id with a wrong check character.
func badCheck(id idcard.ID) string {
	last := byte('0')
	if id[17] == '0' {
		last = '1'
	}
	return string(id[:17]) + string(last)
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func sampleRequest() Request {
	return Request{
		ID:          "HD-130199-2026-000123-01",
		CaseNumber:  "SQ-130199-2026-000123",
		Region:      "130199101201",
		RequestedAt: today,
		Persons: []Person{
			{Name: "张三", IDNumber: idHead, Relation: "head"},
			{Name: "李四", IDNumber: idWife, Relation: "配偶"},
			{Name: "张小明", IDNumber: idSon, Relation: "child"},
		},
		Scope: AllSources(),
	}
}

// fullID matches an unmasked 18-character ID number.
var fullID = regexp.MustCompile(`[0-9]{17}[0-9X]`)

// messages returns every message of err (a List or a single error).
func messages(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	for _, e := range asList(err) {
		out = append(out, e.Message)
	}
	return out
}

// noFullIDs fails if any error message or the error string shows a full ID.
func noFullIDs(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, m := range append(messages(err), err.Error()) {
		if fullID.MatchString(m) {
			t.Errorf("message shows a full ID number: %q", m)
		}
	}
}

func TestSources(t *testing.T) {
	if got := len(AllSources()); got != 8 {
		t.Fatalf("AllSources has %d sources, want 8", got)
	}
	cases := []struct {
		name string
		in   string
		want Source
		msg  string
	}{
		{"code", "vehicle", Vehicle, ""},
		{"label", "社会保险/养老金", SocialInsurance, ""},
		{"label with spaces", " 个人所得税 ", Tax, ""},
		{"empty", "", "", "请填写核对项目"},
		{"unknown", "公积金", "", "无法识别的核对项目“公积金”"},
		{"ID in wrong column is masked", string(idHead), "", "无法识别的核对项目“" + idHead.Mask() + "”"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseSource(c.in)
			if c.msg == "" {
				if err != nil || got != c.want {
					t.Fatalf("ParseSource(%q) = %q, %v; want %q", c.in, got, err, c.want)
				}
				return
			}
			if err == nil || errs.As(err).Message != c.msg {
				t.Fatalf("ParseSource(%q) error = %v; want %q", c.in, err, c.msg)
			}
		})
	}
	for _, s := range AllSources() {
		if !s.Valid() || s.Label() == string(s) {
			t.Errorf("source %q has no label", s)
		}
		if _, ok := sourceRules[s]; !ok {
			t.Errorf("source %q has no rule", s)
		}
	}
}

func TestRequestValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(r *Request)
		want map[string]string // field → message; nil means valid
	}{
		{"valid", func(r *Request) {}, nil},
		{"unknown region prefix in ID is fine", func(r *Request) { r.Persons[2].IDNumber = idNoRegion }, nil},
		{"empty id", func(r *Request) { r.ID = "" }, map[string]string{"id": "请填写核对请求编号"}},
		{"path in id", func(r *Request) { r.ID = "../etc/passwd" }, map[string]string{"id": msgRequestID}},
		{"dot in id", func(r *Request) { r.ID = "HD.1" }, map[string]string{"id": msgRequestID}},
		{"long id", func(r *Request) { r.ID = strings.Repeat("A", 65) }, map[string]string{"id": msgRequestID}},
		{"no case number", func(r *Request) { r.CaseNumber = " " }, map[string]string{"case_number": "请填写申请编号"}},
		{"formula case number", func(r *Request) { r.CaseNumber = "=1+1" }, map[string]string{"case_number": "申请编号含有不允许的字符"}},
		{"bad region", func(r *Request) { r.Region = "1301" }, map[string]string{"region_code": "行政区划代码应为12位数字"}},
		{"no time", func(r *Request) { r.RequestedAt = time.Time{} }, map[string]string{"requested_at": "请填写请求时间"}},
		{"no persons", func(r *Request) { r.Persons = nil }, map[string]string{"persons": "请至少填写一名核对人员"}},
		{"too many persons", func(r *Request) {
			for i := 0; i < 31; i++ {
				r.Persons = append(r.Persons, Person{Name: "某", IDNumber: idcard.Make("130199", date(1970, 1, 1), i+100)})
			}
		}, map[string]string{"persons": "核对人员不能超过30人"}},
		{"no name", func(r *Request) { r.Persons[1].Name = "" }, map[string]string{"persons[1].name": "第2名人员：请填写姓名"}},
		{"formula name", func(r *Request) { r.Persons[1].Name = "=HYPERLINK(\"x\")" }, map[string]string{"persons[1].name": "第2名人员：姓名含有不允许的字符"}},
		{"long name", func(r *Request) { r.Persons[1].Name = strings.Repeat("张", 31) }, map[string]string{"persons[1].name": "第2名人员：姓名不能超过30个字"}},
		{"bad check digit, masked", func(r *Request) { r.Persons[0].IDNumber = idcard.ID(badCheck(idHead)) }, map[string]string{
			"persons[0].id_number": "第1名人员（" + idcard.Mask(badCheck(idHead)) + "）：" + idcard.MsgCheck}},
		{"duplicate person", func(r *Request) { r.Persons[2].IDNumber = idHead }, map[string]string{
			"persons[2].id_number": "第3名人员的身份证号（" + idHead.Mask() + "）与第1名人员重复"}},
		{"control char in relation", func(r *Request) { r.Persons[1].Relation = "配\n偶" }, map[string]string{
			"persons[1].relation": "第2名人员：与户主关系含有不允许的字符"}},
		{"no scope", func(r *Request) { r.Scope = nil }, map[string]string{"scope": "请至少选择一个核对项目"}},
		{"unknown scope", func(r *Request) { r.Scope = []Source{"lottery"} }, map[string]string{"scope": "核对项目“lottery”无效"}},
		{"duplicate scope", func(r *Request) { r.Scope = []Source{Vehicle, Vehicle} }, map[string]string{"scope": "核对项目“机动车”重复"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := sampleRequest()
			c.edit(&r)
			err := r.Validate()
			noFullIDs(t, err)
			if c.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", messages(err))
				}
				return
			}
			if got := errs.Fields(err); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("errors = %v; want %v", got, c.want)
			}
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("code = %s", errs.CodeOf(err))
			}
		})
	}
}

func TestMatch(t *testing.T) {
	req := sampleRequest()
	good := Report{RequestID: req.ID, Status: StatusComplete,
		Findings: []Finding{{IDNumber: idHead, Source: SocialInsurance, Kind: KindIncome, IncomeKind: "pension", Amount: 240000, Months: 12}},
		Checked:  []Check{{idHead, SocialInsurance}, {idSon, Vehicle}},
		Gaps:     []Gap{{IDNumber: idWife, Source: RealEstate, Reason: "系统维护"}},
	}
	cases := []struct {
		name string
		edit func(r *Report, q *Request)
		want []string
	}{
		{"matches", func(r *Report, q *Request) {}, nil},
		{"other request", func(r *Report, q *Request) { r.RequestID = "HD-X" }, []string{
			"核对结果的请求编号“HD-X”与本次请求“HD-130199-2026-000123-01”不一致"}},
		{"foreign person reported once, masked", func(r *Report, q *Request) {
			r.Findings = append(r.Findings,
				Finding{IDNumber: idStranger, Source: Vehicle, Kind: KindProperty, PropertyKind: "vehicle", Amount: 1, Quantity: 1},
				Finding{IDNumber: idStranger, Source: Deposit, Kind: KindProperty, PropertyKind: "deposit", Amount: 1, Quantity: 1})
		}, []string{"核对结果中的" + idStranger.Mask() + "不是本次请求核对的人员"}},
		{"foreign person in checked", func(r *Report, q *Request) { r.Checked = append(r.Checked, Check{idGirl, Tax}) },
			[]string{"核对结果中的" + idGirl.Mask() + "不是本次请求核对的人员"}},
		{"narrower scope still covering the report", func(r *Report, q *Request) { q.Scope = []Source{SocialInsurance, Vehicle, RealEstate, Tax} },
			nil},
		{"source outside scope", func(r *Report, q *Request) { q.Scope = []Source{SocialInsurance, Vehicle} },
			[]string{"核对结果含有本次未请求的核对项目“不动产”"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, q := good, sampleRequest()
			r.Findings = append([]Finding(nil), good.Findings...)
			r.Checked = append([]Check(nil), good.Checked...)
			c.edit(&r, &q)
			err := Match(q, r)
			noFullIDs(t, err)
			if got := messages(err); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Match = %q; want %q", got, c.want)
			}
		})
	}
}

func TestFillGaps(t *testing.T) {
	req := sampleRequest()
	req.Scope = []Source{Vehicle, Deposit}
	all := func() []Check {
		var cs []Check
		for _, p := range req.Persons {
			for _, s := range req.Scope {
				cs = append(cs, Check{p.IDNumber, s})
			}
		}
		return cs
	}
	cases := []struct {
		name     string
		rep      Report
		status   Status
		gapCount int
	}{
		{"everything answered", Report{RequestID: req.ID, Status: StatusComplete, Checked: all()}, StatusComplete, 0},
		{"one pair missing", Report{RequestID: req.ID, Status: StatusComplete, Checked: all()[1:]}, StatusPartial, 1},
		{"a gap counts as answered", Report{RequestID: req.ID, Status: StatusPartial, Checked: all()[1:],
			Gaps: []Gap{{IDNumber: idHead, Source: Vehicle, Reason: "维护"}}}, StatusPartial, 1},
		{"nothing answered", Report{RequestID: req.ID, Status: StatusComplete}, StatusFailed, 6},
		{"platform said failed", Report{RequestID: req.ID, Status: StatusFailed, Checked: all()}, StatusFailed, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := FillGaps(req, c.rep)
			if got.Status != c.status || len(got.Gaps) != c.gapCount {
				t.Fatalf("status %s with %d gaps; want %s with %d", got.Status, len(got.Gaps), c.status, c.gapCount)
			}
			for _, g := range got.Gaps[len(c.rep.Gaps):] {
				if g.Reason != MsgNotReturned {
					t.Errorf("gap reason %q", g.Reason)
				}
			}
		})
	}
}

func TestQuoteMasksIDs(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "机动车", "机动车"},
		{"id", "户主" + string(idHead) + "名下", "户主" + idHead.Mask() + "名下"},
		{"lower x", "11010519491231002x", "110105********002x"},
		{"full-width digits", "１１０１０５１９４９１２３１００２Ｘ", idcard.Mask("１１０１０５１９４９１２３１００２Ｘ")},
		{"bank account", "6228480012345678901", "***************8901"},
		{"control chars dropped", "a\x00b\nc", "abc"},
		{"long is cut", strings.Repeat("长", 40), strings.Repeat("长", 30) + "…"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := quote(c.in); got != c.want {
				t.Fatalf("quote(%q) = %q; want %q", c.in, got, c.want)
			}
		})
	}
}

func TestStatusAndKindLabels(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{StatusComplete.Label(), "核对完成"}, {StatusPartial.Label(), "部分完成"}, {StatusFailed.Label(), "核对失败"},
		{KindIncome.Label(), "收入"}, {KindProperty.Label(), "财产"},
		{ScenarioAgree.Label(), "与申报一致"}, {ScenarioUndeclared.Label(), "存在未申报事项"}, {ScenarioRandom.Label(), "随机生成"},
	} {
		if c.got != c.want {
			t.Errorf("label %q; want %q", c.got, c.want)
		}
	}
}
