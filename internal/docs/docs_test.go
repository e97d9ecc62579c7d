package docs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"dibao/internal/errs"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/region"
)

var (
	county   = region.Code("130199000000")
	issued   = time.Date(2026, 11, 27, 10, 30, 0, 0, china)
	headID   = idcard.Make("130199", time.Date(1968, 3, 14, 0, 0, 0, 0, time.UTC), 31)
	spouseID = idcard.Make("130199", time.Date(1970, 9, 2, 0, 0, 0, 0, time.UTC), 42)
	childID  = idcard.Make("130199", time.Date(2012, 5, 20, 0, 0, 0, 0, time.UTC), 17)
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, china) }

func header(kind string, serial int64, issuer string) Header {
	return Header{
		Number:       Number(kind, county, 2026, serial),
		IssuedOn:     issued,
		CountyName:   "平安县",
		TownshipName: "东湖镇",
		VillageName:  "柳树村",
		Issuer:       issuer,
	}
}

var theCase = Case{CaseNumber: CaseNumber(county, 2026, 123), HeadName: "张建明", HouseholdSize: 3}

// samples is one realistic document of every kind; the tests render them and
// TestWriteSamples writes them out for a look in a browser.
func samples() map[string]any {
	return map[string]any{
		KindReceipt: Receipt{
			Header: header(KindReceipt, 12, "东湖镇人民政府"), Case: theCase,
			AppliedOn: day(2026, 11, 20), AcceptedOn: day(2026, 11, 20),
			Materials: []Material{
				{Name: "最低生活保障申请书", Copies: 1},
				{Name: "户主及家庭成员居民身份证", Copies: 3, Note: "复印件，原件已核对退回"},
				{Name: "居民户口簿", Copies: 1, Note: "复印件"},
				{Name: "家庭收入及财产状况申报表", Copies: 1},
				{Name: "家庭经济状况核对授权书", Copies: 1, Note: "全体成年成员签字"},
				{Name: "承诺书", Copies: 1},
			},
			NextStep: "东湖镇人民政府将组织入户调查和家庭经济状况核对。",
			DueOn:    day(2026, 12, 4),
			Handler:  "李晓红", Contact: "0311-8123 4567",
		},
		KindDeficiencyNotice: DeficiencyNotice{
			Header: header(KindDeficiencyNotice, 7, "东湖镇人民政府"), Case: theCase,
			AppliedOn: day(2026, 11, 18),
			Items: []Deficiency{
				{Material: "居民户口簿", Problem: "缺少", Supply: "提供户口簿首页及全部家庭成员本人页复印件"},
				{Material: "家庭经济状况核对授权书", Problem: "配偶未签字", Supply: "由全体成年家庭成员本人签字"},
				{Material: "残疾人证", Problem: "复印件不清晰", Supply: "提供清晰复印件并携带原件核对"},
				{Material: "务工收入证明", Problem: "缺少", Supply: "提供用工单位出具的近12个月收入证明"},
			},
			ResubmitBy: day(2026, 12, 2),
			Handler:    "李晓红", Contact: "0311-8123 4567",
		},
		KindRefusalNotice: RefusalNotice{
			Header: header(KindRefusalNotice, 3, "东湖镇人民政府"), Case: theCase,
			AppliedOn: day(2026, 11, 18),
			Reasons: []string{
				"申请人户籍不在本乡镇，且未在本乡镇连续居住满规定期限。",
				"申请人拒绝签署家庭经济状况核对授权书。",
			},
			Basis:  "《社会救助暂行办法》第十一条",
			Appeal: Appeal{ReviewBody: "平安县人民政府", Court: "平安县人民法院"},
		},
		KindHomeVisitForm: HomeVisitForm{
			Header: header(KindHomeVisitForm, 45, "东湖镇人民政府"), Case: theCase,
			Address: "东湖镇柳树村三组18号", HouseholdType: "农村",
			VisitedOn:     time.Date(2026, 11, 24, 9, 30, 0, 0, china),
			Investigators: []string{"王志强", "赵丽"},
			Members: []VisitMember{
				{Name: "张建明", Relation: "户主", IDNumber: headID, Age: 58, Health: "慢性病", Disability: "无", Labour: "部分丧失劳动能力"},
				{Name: "刘秀英", Relation: "配偶", IDNumber: spouseID, Age: 56, Health: "重病", Disability: "二级", Labour: "无劳动能力"},
				{Name: "张小雨", Relation: "子女", IDNumber: childID, Age: 14, Health: "健康", Labour: "无劳动能力"},
			},
			Incomes: []IncomeRow{
				{Member: "张建明", Kind: "工资性收入", Description: "农闲季节零工", Amount: money.FromYuan(3600), Months: 12},
				{Kind: "经营净收入", Description: "种植玉米2亩", Amount: money.FromYuan(1800), Months: 12, Note: "已扣除种子化肥"},
				{Member: "刘秀英", Kind: "社会救助金", Description: "残疾人两项补贴", Amount: money.FromYuan(1200), Months: 12, Note: "不计入"},
			},
			Properties: []PropertyRow{
				{Kind: "房产", Description: "自建砖瓦房，约80平方米", Quantity: 1, Value: money.FromYuan(60000)},
				{Kind: "存款", Description: "农村信用社活期", Quantity: 1, Value: money.FromYuan(2300)},
			},
			LivingConditions: "居住自建砖瓦房，房屋老旧，室内陈设简单，无大件家电。\n配偶长期卧床，需人照料；子女在镇中学就读。",
			Neighbours:       "走访邻居张某、李某，反映该户生活确有困难，申报情况属实。",
			Opinion:          "经入户调查，该户家庭收入、财产状况与申报基本一致，建议纳入农村最低生活保障。",
		},
		KindAppraisalRecord: AppraisalRecord{
			Header: header(KindAppraisalRecord, 9, "东湖镇人民政府"), Case: theCase,
			HeldAt: time.Date(2026, 11, 25, 14, 30, 0, 0, china), Place: "柳树村村民委员会会议室",
			Host: "陈国华", Recorder: "孙萌", Expected: 9,
			Participants: []Participant{
				{"陈国华", "乡镇干部"}, {"孙萌", "乡镇干部"}, {"周建设", "驻村干部"},
				{"张德福", "村民代表"}, {"李桂兰", "村民代表"}, {"王有才", "村民代表"},
				{"赵春生", "村民代表"}, {"刘海", "村民代表"},
			},
			Discussion: "与会人员听取了入户调查情况介绍，对申请家庭的收入、财产和生活状况进行了评议。\n多数代表认为该户配偶重病卧床、户主部分丧失劳动能力，生活困难属实。",
			For:        5, Against: 0, Abstain: 0,
			Outcome: "同意纳入最低生活保障",
		},
		KindPublicityList: PublicityList{
			Header:      header(KindPublicityList, 31, "东湖镇人民政府"),
			PeriodStart: day(2026, 11, 26), PeriodEnd: day(2026, 12, 2),
			Rows: []PublicityRow{
				{HeadName: "张建明", HouseholdSize: 3, Amount: money.FromYuan(1950)},
				{HeadName: "李秀", HouseholdSize: 1, Amount: 65000},
				{HeadName: "欧阳春华", HouseholdSize: 4, Amount: 128050},
			},
			ObjectionTo:       "东湖镇人民政府社会救助服务站",
			ObjectionPhone:    "0311-8123 4567",
			ObjectionDeadline: day(2026, 12, 2),
			SupervisionPhone:  "平安县民政局 0311-8000 1234",
		},
		KindApprovalNotice: ApprovalNotice{
			Header: Header{Number: Number(KindApprovalNotice, county, 2026, 88), IssuedOn: issued,
				CountyName: "平安县", TownshipName: "东湖镇", VillageName: "柳树村", Issuer: "平安县民政局"},
			Case:      theCase,
			AppliedOn: day(2026, 11, 18), DecidedOn: day(2026, 11, 27),
			Category: "农村低保", Amount: money.FromYuan(1950), StartMonth: "2026-12", Members: 3,
			CertificateNo: "130199-DB-2026-0088",
			Lines: []ExplanationLine{
				{Label: "农村低保标准", Formula: "每人每月", Amount: money.FromYuan(650)},
				{Label: "家庭月收入", Formula: "(3600.00 + 1800.00) ÷ 12 = 450.00，社会救助金不计入", Amount: money.FromYuan(450)},
				{Label: "人均月收入", Formula: "450.00 ÷ 3", Amount: money.FromYuan(150)},
				{Label: "补差", Formula: "(650.00 − 150.00) × 3", Amount: money.FromYuan(1500)},
				{Label: "分类施保：重病", Formula: "650.00 × 20% × 1人", Amount: money.FromYuan(130)},
				{Label: "分类施保：未成年人", Formula: "650.00 × 10% × 1人", Amount: money.FromYuan(65)},
				{Label: "分类施保：老年人", Formula: "无", Amount: 0},
				{Label: "月保障金额", Formula: "1500.00 + 130.00 + 65.00，按规定取整", Amount: money.FromYuan(1950)},
			},
			Versions: []ParamVersion{
				{"standard.rural", "130199000000/2026-01-01/v3"},
				{"supplements", "130199000000/2026-01-01/v1"},
				{"rounding", "default/2021-01-01/v1"},
			},
		},
		KindRejectionNotice: RejectionNotice{
			Header: Header{Number: Number(KindRejectionNotice, county, 2026, 5), IssuedOn: issued,
				CountyName: "平安县", TownshipName: "东湖镇", VillageName: "柳树村", Issuer: "平安县民政局"},
			Case:      Case{CaseNumber: CaseNumber(county, 2026, 131), HeadName: "王大海", HouseholdSize: 2},
			AppliedOn: day(2026, 10, 30), DecidedOn: day(2026, 11, 27),
			Reasons: []string{
				"经家庭经济状况核对，家庭人均月收入 812.40 元，高于本县农村最低生活保障标准（650.00 元）。",
				"家庭成员名下有小型轿车一辆（评估价值 68,000.00 元），超过规定的豁免价值。",
			},
			DeliverBy: day(2026, 12, 4),
			Appeal:    Appeal{ReviewBody: "平安县人民政府", Court: "平安县人民法院"},
		},
		KindCheckReport: CheckReport{
			Header: Header{Number: Number(KindCheckReport, county, 2026, 64), IssuedOn: issued,
				CountyName: "平安县", TownshipName: "东湖镇", VillageName: "柳树村", Issuer: "平安县居民家庭经济状况核对中心"},
			Case:        theCase,
			RequestedOn: day(2026, 11, 21), CompletedOn: day(2026, 11, 24),
			Source:  "平安县居民家庭经济状况核对中心（批量文件交换）",
			Summary: "对该户3名成员的工商登记、车辆、不动产、住房公积金、社会保险和银行存款信息进行了核对。\n除银行存款与申报略有差异外，其余项目与申报一致。",
			Findings: []Finding{
				{Item: "工商登记", Subject: "全户", Declared: "无", Result: "无登记信息"},
				{Item: "机动车辆", Subject: "全户", Declared: "无", Result: "无登记车辆"},
				{Item: "不动产", Subject: "张建明", Declared: "自建房1处", Result: "农村宅基地房屋1处"},
				{Item: "银行存款", Subject: "张建明", Declared: "2,300.00 元", Result: "2,861.37 元", Mismatch: true, Note: "差额较小"},
			},
		},
		KindReviewNotice: ReviewNotice{
			Header: Header{Number: Number(KindReviewNotice, county, 2026, 3), IssuedOn: issued,
				CountyName: "平安县", TownshipName: "东湖镇", VillageName: "柳树村", Issuer: "平安县民政局"},
			HeadName: "张建明", HouseholdSize: 3, TaskRef: "定期复核 第12号", Outcome: "减发",
			OldAmount: 195000, NewAmount: 120000, EffectiveMonth: "2027-01", DecidedOn: day(2026, 11, 27),
			Reasons: []string{"家庭人均月收入由 0.00 元增至 250.00 元。"},
			Appeal:  Appeal{ReviewBody: "平安县人民政府", Court: "平安县人民法院"},
		},
	}
}

func render(t *testing.T, kind string, data any) string {
	t.Helper()
	out, err := Render(kind, data)
	if err != nil {
		t.Fatalf("Render(%s): %v", kind, err)
	}
	return string(out)
}

func TestEveryKindRenders(t *testing.T) {
	s := samples()
	if len(s) != len(Kinds()) {
		t.Fatalf("samples cover %d kinds, there are %d", len(s), len(Kinds()))
	}
	want := map[string][]string{
		KindReceipt: {"DB-SL-130199-2026-000012", "受理回执", "130199-2026-000123", "张建明：", "2026年11月20日",
			"家庭经济状况核对授权书", "2026年12月4日", "李晓红"},
		KindDeficiencyNotice: {"DB-BZ-130199-2026-000007", "补正材料一次性告知书", "共 4 项", "2026年12月2日"},
		KindRefusalNotice: {"DB-BY-130199-2026-000003", "不予受理告知书", "一、申请人户籍不在本乡镇", "二、申请人拒绝签署",
			"如对本决定不服，可依法申请行政复议或提起行政诉讼", "平安县人民政府申请行政复议", "《社会救助暂行办法》第十一条"},
		KindHomeVisitForm: {"DB-DC-130199-2026-000045", "家庭经济状况入户调查表", "2026年11月24日 9时30分",
			headID.Mask(), spouseID.Mask(), childID.Mask(), "部分丧失劳动能力", "3,600.00", "60,000.00",
			"王志强", "赵丽", "东湖镇柳树村三组18号"},
		KindAppraisalRecord: {"DB-PY-130199-2026-000009", "民主评议记录", "2026年11月25日 14时30分", "柳树村村民委员会会议室",
			"应到 9 人，实到 8 人", "同意纳入最低生活保障", "李桂兰"},
		KindPublicityList: {"DB-GS-130199-2026-000031", "柳树村最低生活保障对象公示名单", "2026年11月26日至2026年12月2日",
			"张*明", "李*", "欧**华", "1,950.00", "650.00", "1,280.50", "东湖镇人民政府社会救助服务站", "0311-8000 1234"},
		KindApprovalNotice: {"DB-SP-130199-2026-000088", "最低生活保障审批通知书", "￥1,950.00", "壹仟玖佰伍拾元整",
			"2026年12月", "农村低保", "3 人", "(650.00 − 150.00) × 3", "standard.rural 130199000000/2026-01-01/v3",
			"平安县民政局"},
		KindRejectionNotice: {"DB-BP-130199-2026-000005", "不予批准通知书", "王大海", "一、经家庭经济状况核对", "二、家庭成员名下有小型轿车",
			"如对本决定不服，可依法申请行政复议或提起行政诉讼", "应于 2026年12月4日 前送达", "送　达　回　证"},
		KindReviewNotice: {"DB-BG-130199-2026-000003", "最低生活保障待遇变更告知书", "1,950.00", "1,200.00", "2027年1月",
			"一、家庭人均月收入", "申请人对决定不服的，可以依法申请行政复议或者提起行政诉讼", "平安县人民法院"},
		KindCheckReport: {"DB-HD-130199-2026-000064", "家庭经济状况核对报告", "2026年11月24日", "不一致", "2,861.37 元",
			"除银行存款与申报略有差异外"},
	}
	common := []string{"@page { size: A4; margin: 20mm;", "（盖章）", "2026年11月27日", "请使用浏览器打印（Ctrl+P）",
		"@media print", `"SimSun"`, "平安县"}
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) {
			out := render(t, kind, s[kind])
			for _, w := range append(slices.Clone(common), want[kind]...) {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q", w)
				}
			}
			// No script of any kind and nothing loaded from elsewhere: the CSP
			// forbids inline script and county intranets have no internet.
			for _, bad := range []string{"<script", "javascript:", "onclick", "http://", "https://", "<link", "<img", "url("} {
				if strings.Contains(strings.ToLower(out), bad) {
					t.Errorf("output contains %q", bad)
				}
			}
		})
	}
}

func TestPointerAccepted(t *testing.T) {
	r := samples()[KindReceipt].(Receipt)
	if _, err := Render(KindReceipt, &r); err != nil {
		t.Fatal(err)
	}
	var nilp *Receipt
	if _, err := Render(KindReceipt, nilp); errs.CodeOf(err) != errs.Internal {
		t.Fatalf("nil pointer: got %v", err)
	}
}

func TestWrongKindOrType(t *testing.T) {
	s := samples()
	if _, err := Render("certificate", s[KindReceipt]); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := Render(KindRefusalNotice, s[KindRejectionNotice]); errs.CodeOf(err) != errs.Internal {
		t.Errorf("mismatched type: %v", err)
	}
}

func TestEscapesUserText(t *testing.T) {
	r := samples()[KindReceipt].(Receipt)
	r.HeadName = `<script>alert("x")</script>`
	r.Materials[0].Note = `"><img src=x onerror=alert(1)>`
	out := render(t, KindReceipt, r)
	if strings.Contains(out, "<script>") || strings.Contains(out, "<img") {
		t.Fatalf("user text not escaped:\n%s", out)
	}
	if !strings.Contains(out, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Error("escaped name not shown")
	}

	p := samples()[KindPublicityList].(PublicityList)
	p.Rows[0].HeadName = "<b>x</b>"
	p.ObjectionTo = "<script>"
	out = render(t, KindPublicityList, p)
	if strings.Contains(out, "<b>x") || strings.Contains(out, "<script>") {
		t.Fatal("publicity list not escaped")
	}
}

func TestHomeVisitMasksIDs(t *testing.T) {
	d := samples()[KindHomeVisitForm].(HomeVisitForm)
	// A malformed number must not leak either.
	d.Members[2].IDNumber = "13019920120520017"
	out := render(t, KindHomeVisitForm, d)
	for _, id := range []string{headID.String(), spouseID.String(), "13019920120520017", "19680314", "19700902"} {
		if strings.Contains(out, id) {
			t.Errorf("form shows %s", id)
		}
	}
	if !strings.Contains(out, "130199********") {
		t.Error("masked number not shown")
	}
	// The stored snapshot holds masked numbers only, and reprints the same.
	snap, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(snap), headID.String()) || strings.Contains(string(snap), "13019920120520017") {
		t.Errorf("snapshot holds a full ID number: %s", snap)
	}
	again, err := RenderJSON(KindHomeVisitForm, snap)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != out {
		t.Error("reprint from the snapshot differs from the original")
	}
}

func TestHomeVisitTwoSignatureLines(t *testing.T) {
	d := samples()[KindHomeVisitForm].(HomeVisitForm)
	d.Investigators = nil
	out := render(t, KindHomeVisitForm, d)
	sig := out[strings.Index(out, "调查人员（签字）"):]
	sig = sig[:strings.Index(sig, "</div>")]
	if n := strings.Count(sig, `class="line"`); n != 2 {
		t.Errorf("%d investigator signature lines, want 2", n)
	}
	d.Investigators = []string{"甲", "乙", "丙"}
	out = render(t, KindHomeVisitForm, d)
	sig = out[strings.Index(out, "调查人员（签字）"):]
	sig = sig[:strings.Index(sig, "</div>")]
	if n := strings.Count(sig, `class="line"`); n != 3 {
		t.Errorf("%d investigator signature lines, want 3", n)
	}
}

// TestPublicFieldsAllowListed pins the fields a public list can carry
// (SPEC §2.4), so that adding one is a deliberate change to this test.
func TestPublicFieldsAllowListed(t *testing.T) {
	fields := func(v any) []string {
		var out []string
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			out = append(out, rt.Field(i).Name)
		}
		return out
	}
	if got, want := fields(PublicityRow{}), []string{"HeadName", "HouseholdSize", "Amount", "Period"}; !slices.Equal(got, want) {
		t.Errorf("PublicityRow fields %v, want exactly %v", got, want)
	}
	if got, want := fields(PublicityList{}), []string{"Header", "PeriodStart", "PeriodEnd", "Rows", "ObjectionTo",
		"ObjectionPhone", "ObjectionDeadline", "SupervisionPhone"}; !slices.Equal(got, want) {
		t.Errorf("PublicityList fields %v, want exactly %v", got, want)
	}

	out := render(t, KindPublicityList, samples()[KindPublicityList])
	for _, leak := range []string{"张建明", "李秀<", "欧阳春华", headID.String(), "三组18号", "身份证", "收入", "财产", "病"} {
		if strings.Contains(out, leak) {
			t.Errorf("publicity list shows %q", leak)
		}
	}
}

func TestDeficiencyListsEveryItem(t *testing.T) {
	d := samples()[KindDeficiencyNotice].(DeficiencyNotice)
	out := render(t, KindDeficiencyNotice, d)
	for _, it := range d.Items {
		for _, s := range []string{it.Material, it.Problem, it.Supply} {
			if !strings.Contains(out, s) {
				t.Errorf("item text %q missing", s)
			}
		}
	}
	if n := strings.Count(out, "<tr><td class=\"c\">"); n != len(d.Items) {
		t.Errorf("%d item rows, want %d", n, len(d.Items))
	}
}

func TestRequiredContent(t *testing.T) {
	s := samples()
	tests := []struct {
		name  string
		kind  string
		edit  func(any) any
		field string
	}{
		{"no number", KindReceipt, func(v any) any { d := v.(Receipt); d.Number = " "; return d }, "number"},
		{"no date", KindApprovalNotice, func(v any) any { d := v.(ApprovalNotice); d.IssuedOn = time.Time{}; return d }, "issued_on"},
		{"no issuer", KindCheckReport, func(v any) any { d := v.(CheckReport); d.Issuer = ""; return d }, "issuer"},
		{"no case number", KindRejectionNotice, func(v any) any { d := v.(RejectionNotice); d.CaseNumber = ""; return d }, "case_number"},
		{"no deficiency items", KindDeficiencyNotice, func(v any) any { d := v.(DeficiencyNotice); d.Items = nil; return d }, "items"},
		{"item without supply", KindDeficiencyNotice, func(v any) any {
			d := v.(DeficiencyNotice)
			d.Items = append(slices.Clone(d.Items), Deficiency{Material: "承诺书"})
			return d
		}, "items"},
		{"refusal without reasons", KindRefusalNotice, func(v any) any { d := v.(RefusalNotice); d.Reasons = []string{" "}; return d }, "reasons"},
		{"rejection without reasons", KindRejectionNotice, func(v any) any { d := v.(RejectionNotice); d.Reasons = nil; return d }, "reasons"},
		{"rejection without delivery deadline", KindRejectionNotice, func(v any) any { d := v.(RejectionNotice); d.DeliverBy = time.Time{}; return d }, "deliver_by"},
		{"bad start month", KindApprovalNotice, func(v any) any { d := v.(ApprovalNotice); d.StartMonth = "2026/12"; return d }, "start_month"},
		{"negative amount", KindApprovalNotice, func(v any) any { d := v.(ApprovalNotice); d.Amount = -1; return d }, "amount"},
		{"publicity period reversed", KindPublicityList, func(v any) any {
			d := v.(PublicityList)
			d.PeriodEnd = d.PeriodStart.AddDate(0, 0, -1)
			return d
		}, "period_end"},
		{"publicity without objection office", KindPublicityList, func(v any) any { d := v.(PublicityList); d.ObjectionTo = ""; return d }, "objection_to"},
		{"appraisal without participants", KindAppraisalRecord, func(v any) any { d := v.(AppraisalRecord); d.Participants = nil; return d }, "participants"},
		{"visit without date", KindHomeVisitForm, func(v any) any { d := v.(HomeVisitForm); d.VisitedOn = time.Time{}; return d }, "visited_on"},
		{"receipt without materials", KindReceipt, func(v any) any { d := v.(Receipt); d.Materials = nil; return d }, "materials"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Render(tc.kind, tc.edit(s[tc.kind]))
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("got %v, want invalid", err)
			}
			if _, ok := errs.Fields(err)[tc.field]; !ok {
				t.Errorf("fields %v, want %s", errs.Fields(err), tc.field)
			}
		})
	}
}

func TestReprintFromSnapshot(t *testing.T) {
	for kind, data := range samples() {
		t.Run(kind, func(t *testing.T) {
			first := render(t, kind, data)
			snap, err := json.Marshal(data)
			if err != nil {
				t.Fatal(err)
			}
			again, err := RenderJSON(kind, snap)
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != first {
				t.Error("reprint differs")
			}
		})
	}
	if _, err := RenderJSON(KindReceipt, []byte(`{"number":"x","surprise":1}`)); err == nil {
		t.Error("unknown snapshot field accepted")
	}
	if _, err := RenderJSON("nope", []byte(`{}`)); errs.CodeOf(err) != errs.Invalid {
		t.Error("unknown kind accepted")
	}
}

func TestNumber(t *testing.T) {
	tests := []struct {
		kind   string
		code   region.Code
		year   int
		serial int64
		want   string
	}{
		{KindReceipt, "130199000000", 2026, 12, "DB-SL-130199-2026-000012"},
		{KindDeficiencyNotice, "130199101201", 2026, 1, "DB-BZ-130199-2026-000001"},
		{KindRefusalNotice, "130199101000", 2027, 999999, "DB-BY-130199-2027-999999"},
		{KindHomeVisitForm, "130199000000", 2026, 1234567, "DB-DC-130199-2026-1234567"},
		{KindAppraisalRecord, "130199000000", 2026, 2, "DB-PY-130199-2026-000002"},
		{KindPublicityList, "130199000000", 2026, 3, "DB-GS-130199-2026-000003"},
		{KindApprovalNotice, "130199000000", 2026, 4, "DB-SP-130199-2026-000004"},
		{KindRejectionNotice, "130199000000", 2026, 5, "DB-BP-130199-2026-000005"},
		{KindCheckReport, "130199000000", 2026, 6, "DB-HD-130199-2026-000006"},
	}
	for _, tc := range tests {
		if got := Number(tc.kind, tc.code, tc.year, tc.serial); got != tc.want {
			t.Errorf("Number(%s, %s, %d, %d) = %s, want %s", tc.kind, tc.code, tc.year, tc.serial, got, tc.want)
		}
	}
	if got := CaseNumber("130199101201", 2026, 123); got != "130199-2026-000123" {
		t.Errorf("CaseNumber = %s", got)
	}
	for name, f := range map[string]func(){
		"unknown kind": func() { Number("certificate", county, 2026, 1) },
		"bad county":   func() { CaseNumber("13019", 2026, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestKindsAndTitles(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Kinds() {
		if Title(k) == "" || NewData(k) == nil {
			t.Errorf("%s has no title or data", k)
		}
		p := byKind[k].prefix
		if seen[p] {
			t.Errorf("prefix %s used twice", p)
		}
		seen[p] = true
	}
	if Title("x") != "" || NewData("x") != nil {
		t.Error("unknown kind has a title or data")
	}
}

func TestChineseDate(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 11, 27, 0, 0, 0, 0, china), "2026年11月27日"},
		{time.Date(2026, 11, 26, 16, 30, 0, 0, time.UTC), "2026年11月27日"}, // already the 27th in Shanghai
		{time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC), "2026年1月5日"},
		{time.Date(2026, 12, 31, 15, 59, 0, 0, time.UTC), "2026年12月31日"},
		{time.Time{}, ""},
	}
	for _, tc := range tests {
		if got := ChineseDate(tc.in); got != tc.want {
			t.Errorf("ChineseDate(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestChineseMonth(t *testing.T) {
	for in, want := range map[string]string{
		"2026-12": "2026年12月", "2027-01": "2027年1月", "2026-13": "2026-13", "": "", "2026年12月": "2026年12月",
	} {
		if got := ChineseMonth(in); got != want {
			t.Errorf("ChineseMonth(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCnum(t *testing.T) {
	for in, want := range map[int]string{1: "一", 9: "九", 10: "十", 11: "十一", 20: "二十", 21: "二十一", 99: "九十九", 100: "100"} {
		if got := cnum(in); got != want {
			t.Errorf("cnum(%d) = %q, want %q", in, got, want)
		}
	}
}

// TestWriteSamples writes every sample to $DOCS_OUT/doc-KIND.html for a look
// in a browser or a headless screenshot.
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("DOCS_OUT")
	if dir == "" {
		t.Skip("set DOCS_OUT to write the sample documents")
	}
	for kind, data := range samples() {
		out := render(t, kind, data)
		if err := os.WriteFile(filepath.Join(dir, "doc-"+kind+".html"), []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
