package web

import (
	"net/url"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/benefit"
	"dibao/internal/calendar"
	"dibao/internal/casework"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/workflow"
)

// caseFixtures builds the case, application and workflow pages from
// realistic data for the template render test: a case under
// investigation whose home visit was just refused for too few
// investigators.
func caseFixtures(t *testing.T) (casePage, applyPage, workflowPage) {
	t.Helper()
	today := time.Date(2026, 9, 22, 0, 0, 0, 0, calendar.Location())
	at := today.Add(9 * time.Hour)
	def := workflow.Seed()
	st, _ := def.State("investigating")
	p := authz.Principal{UserID: 3, Username: "township", Roles: []authz.Role{authz.TownshipOfficer}, Region: testenv.TownA}
	facts := workflow.Facts{Today: today, Params: workflow.DefaultParams(), Members: 2, RelativesDeclared: true}
	total, _ := workflow.Rule("total")
	res := benefit.Result{Outcome: benefit.OutcomeEligible, Eligible: true, Members: 2, Persons: 2, Standard: money.FromYuan(800),
		Amount: money.FromYuan(1600), Mode: benefit.ModeGap,
		Lines:    []benefit.Line{{Label: "月保障金", Amount: money.FromYuan(1600), Formula: "(800.00 − 0.00) × 2 人"}},
		Checks:   []benefit.Check{{Code: "income", Passed: true, Text: "人均收入 0.00 元低于标准 800.00 元"}},
		Used:     []string{"standard_rural"},
		Versions: map[string]string{"standard_rural": "v2026-01"}}
	v := casework.View{
		Case: store.Case{ID: 5, Number: "130199-2026-000005", HouseholdID: 9, Region: testenv.VillageA, Profile: def.Name,
			State: "investigating", Version: 7, RelativeFlag: true, RelativeNote: "申报 1 条", Extended: true,
			ExtensionNote: "入户核查需补充材料", HeadName: "刘大山", CreatedAt: at, StateSince: at},
		Definition: def, State: st,
		Household: household.Household{ID: 9, Region: testenv.VillageA, Address: "李家庄村一组", Members: []household.Member{
			{ID: 1, Name: "刘大山", Relation: "head", IDNumber: idcard.ID("13019919491231002X"), Labour: "none", Health: "serious",
				HealthDetail: "肺癌", CoResident: true},
			{ID: 2, Name: "刘小禾", Relation: "child", IDNumber: idcard.ID("13019920150101005X"), Labour: "none", Health: "healthy",
				CoResident: true}}},
		Events: []store.Event{
			{Seq: 1, Transition: "open", To: "draft", ActorName: "测试village", At: at, Data: `{"profile":"seed","relatives":"申报 1 条"}`},
			{Seq: 2, Transition: "intake", From: "draft", To: "submitted", ActorName: "测试village", At: at,
				Data: `{"values":{"application_date":"2026-09-21"}}`},
			{Seq: 3, Transition: "accept", From: "submitted", To: "accepted", ActorName: "测试village", At: at,
				Data: `{"values":{}}`, Documents: "DB-SL-130199-2026-000001"},
			{Seq: 4, Transition: "start_investigation", From: "forwarded", To: "investigating", ActorName: "测试township", At: at,
				Data: `{"values":{},"certification_warning":"您的“调查”岗位认证缺失或已过期，请尽快参加培训"}`},
		},
		Documents: []store.Document{{ID: 1, CaseID: 5, Kind: "receipt", Number: "DB-SL-130199-2026-000001", IssuedAt: at}},
		Files: []store.CaseFile{{ID: 1, CaseID: 5, Token: "tok_123", Material: "income_proof", Name: "收入证明.pdf",
			ContentType: "application/pdf", Size: 23456, Checksum: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", UploadedAt: at}},
		Visits: []store.Visit{{ID: 1, CaseID: 5, Kind: "home", Date: "2026-09-22", Investigators: []int64{3, 4},
			Data: `{"visit_date":"2026-09-22","investigators":[3,4],"form_filled":true,"findings":"两间旧平房"}`, RecordedAt: at}},
		Objections: []store.Objection{{ID: 1, CaseID: 5, ReceivedOn: "2026-09-22", Content: "其子在外打工", Status: "dismissed",
			Resolution: "其子未成年"}},
		Materials: []store.Material{{Code: "income_proof", Status: "missing", Note: "缺工资流水"}},
		Relatives: []store.Relative{{MemberName: "刘大山", Relative: "测试reviewer", Relation: "兄弟姐妹", UserID: 6, Source: "declared"}},
		Options:   workflow.Available(def, "investigating", p, region.Township, facts),
		Benefit:   res, Frozen: &res,
		Schedule: workflow.Schedule{Total: &workflow.Clock{Rule: total, Start: today, Due: time.Date(2026, 10, 13, 0, 0, 0, 0, calendar.Location()),
			Days: 45, Extended: true, Running: true, Elapsed: 1}},
		Params:   workflow.DefaultParams(),
		Versions: map[string]string{"publicity_wd": "v1"},
	}
	staff := []casework.StaffMember{
		{ID: 3, Name: "测试township", Region: testenv.TownA, Roles: []authz.Role{authz.TownshipOfficer}, Active: true},
		{ID: 4, Name: "测试township2", Region: testenv.TownA, Roles: []authz.Role{authz.TownshipOfficer}, Active: true},
		{ID: 6, Name: "测试reviewer", Region: testenv.TownA, Roles: []authz.Role{authz.TownshipOfficer}, Active: true},
	}
	names := map[region.Code]string{testenv.TownA: "东湖镇", testenv.VillageA: "李家庄村"}
	fail := &caseFailure{Form: "act", Transition: "record_home_visit",
		Values: url.Values{"investigators": {"4"}, "visit_date": {"2026-09-22"}, "findings": {"两间旧平房"}},
		Err:    errs.List{errs.Invalidf("investigators", "入户调查人员不足 2 人")}}
	cp := buildCasePage(v, staff, names, p, today, fail)

	ap := applyPage{HouseholdID: 9, HeadName: "刘大山", Village: "东湖镇 / 李家庄村", Urban: "农村",
		Members:     []memberRowView{{Name: "刘大山", Relation: "户主", IDMasked: "130199********002X", Age: 76, Labour: "无劳动能力", Health: "重病", CoResident: true}},
		Answer:      "some",
		Rows:        []relativeRow{{Member: "刘大山", Err: "第1条近亲属登记不完整（成员、亲属姓名、关系均须填写）"}, {Index: 1}, {Index: 2}},
		MemberNames: []string{"刘大山", "刘小禾"}, Relations: relationChoices,
		Staff:   []staffChoice{{ID: 3, Name: "测试township", Where: "东湖镇 · 乡镇（街道）经办人"}},
		Summary: []string{"第1条近亲属登记不完整（成员、亲属姓名、关系均须填写）"}}
	var wp workflowPage
	for _, d := range workflow.Profiles() {
		wp.Profiles = append(wp.Profiles, profileViewOf(d))
	}
	return cp, ap, wp
}
