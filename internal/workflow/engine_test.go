package workflow

import (
	"slices"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/money"
)

var (
	clerk    = authz.Principal{UserID: 1, Username: "clerk", Roles: []authz.Role{authz.VillageClerk}, Region: "130123101201"}
	officer  = authz.Principal{UserID: 2, Username: "officer", Roles: []authz.Role{authz.TownshipOfficer}, Region: "130123101000"}
	reviewP  = authz.Principal{UserID: 3, Username: "reviewer", Roles: []authz.Role{authz.TownshipReviewer}, Region: "130123101000"}
	approveP = authz.Principal{UserID: 4, Username: "approver", Roles: []authz.Role{authz.CountyApprover}, Region: "130123000000"}
	adminP   = authz.Principal{UserID: 5, Username: "county-admin", Roles: []authz.Role{authz.CountyAdmin}, Region: "130123000000"}
)

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, calendar.Location())
	if err != nil {
		panic(err)
	}
	return t
}

func vals(kv ...string) Input {
	in := Input{Values: map[string][]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		in.Values[kv[i]] = append(in.Values[kv[i]], kv[i+1])
	}
	return in
}

func withReason(in Input, r string) Input { in.Reason = r; return in }

func allCerts() []string {
	var out []string
	for c := range Certifications {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// step is one action in a scenario: facts change first (what the store
// would show by then), then who tries what.
type step struct {
	name    string
	who     authz.Principal
	id      string
	in      Input
	facts   func(f *Facts)
	wantErr string // substring of the refusal; empty: must succeed
	want    string // state after a successful step; empty: unchecked
}

func runScenario(t *testing.T, d Definition, f Facts, steps []step) {
	t.Helper()
	if err := Validate(d); err != nil {
		t.Fatal(err)
	}
	cal := calendar.New(nil)
	state := d.Initial
	for i, s := range steps {
		if s.facts != nil {
			s.facts(&f)
		}
		f.Input = s.in
		tr, err := Check(d, state, s.id, s.who, s.who.Region.Level(), f)
		if s.wantErr != "" {
			if err == nil || !strings.Contains(errText(err), s.wantErr) {
				t.Fatalf("step %d %s (%s in %s): err = %v, want %q", i, s.name, s.id, state, err, s.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("step %d %s (%s in %s): %v", i, s.name, s.id, state, errText(err))
		}
		// The button the user pressed must have been offered and enabled.
		opts := Available(d, state, s.who, s.who.Region.Level(), f)
		j := slices.IndexFunc(opts, func(o Option) bool { return o.Transition.ID == s.id })
		if j < 0 || !opts[j].Enabled {
			t.Fatalf("step %d %s: %s not offered as enabled in %s: %+v", i, s.name, s.id, state, opts)
		}
		if tr.ID == "start_publicity" {
			r, _ := Rule("publicity")
			f.PublicityEnd = DueDate(r, f.Today, cal, f.Params)
		}
		state = Next(tr, state)
		if s.want != "" && state != s.want {
			t.Fatalf("step %d %s: state = %s, want %s", i, s.name, state, s.want)
		}
	}
}

// errText joins every message of an error (a List has several).
func errText(err error) string {
	var l errs.List
	if e, ok := err.(errs.List); ok {
		l = e
	} else {
		l = errs.List{errs.As(err)}
	}
	var out []string
	for _, e := range l {
		out = append(out, e.Message)
	}
	return strings.Join(out, "；")
}

func baseFacts() Facts {
	return Facts{
		Today: day("2026-09-01"), Params: DefaultParams(), Certified: allCerts(),
		Members: 3, RelativesDeclared: true, MaterialsChecked: true,
	}
}

func visit(date string) Input {
	return vals("visit_date", date, "investigators", "11", "investigators", "12", "form_filled", "on", "findings", "两间平房，无车辆")
}

func report() Input {
	return vals("report", "家庭人均收入低于标准", "opinion", "eligible", "opinion_reason", "无劳动能力")
}

func investigationSteps() []step {
	return []step{
		{name: "start", who: officer, id: "start_investigation", want: "investigating", facts: func(f *Facts) { f.Today = day("2026-09-04") }},
		{name: "report before visits", who: officer, id: "submit_to_appraisal", wantErr: "尚未记录入户调查"},
		{name: "visit with one investigator", who: officer, id: "record_home_visit",
			in: vals("visit_date", "2026-09-03", "investigators", "11", "form_filled", "on", "findings", "x"), wantErr: "入户调查人员不足 2 人"},
		{name: "visit", who: officer, id: "record_home_visit", in: visit("2026-09-03"), want: "investigating"},
		{name: "interview", who: officer, id: "record_interview", in: vals("interview_date", "2026-09-03", "interviewees", "邻居王某", "content", "情况属实"),
			facts: func(f *Facts) { f.HomeVisits, f.Investigators = 1, 2 }},
		{name: "check result before request", who: officer, id: "record_check_result", in: vals("received_on", "2026-09-04", "summary", "无"), wantErr: "尚未发起信息核对"},
		{name: "request check", who: officer, id: "request_check", in: vals("requested_on", "2026-09-03")},
		{name: "check result", who: officer, id: "record_check_result", in: vals("received_on", "2026-09-04", "summary", "无车辆、无存款"),
			facts: func(f *Facts) { f.CheckRequested = true }},
		{name: "report", who: officer, id: "write_report", in: report(),
			facts: func(f *Facts) { f.CheckResultPresent = true }},
	}
}

func TestSeedHappyPath(t *testing.T) {
	steps := []step{
		{name: "intake", who: clerk, id: "intake", in: vals("application_date", "2026-09-01"), want: "submitted"},
		{name: "accept with a missing item", who: clerk, id: "accept", wantErr: "申请材料不齐全或不符合要求：户口簿、收入证明",
			facts: func(f *Facts) { f.Deficiencies = []string{"户口簿", "收入证明"} }},
		{name: "return", who: clerk, id: "return", want: "returned"},
		{name: "resubmit", who: clerk, id: "resubmit", in: vals("resubmitted_on", "2026-09-01"), want: "submitted",
			facts: func(f *Facts) { f.Deficiencies = nil }},
		{name: "return with nothing missing", who: clerk, id: "return", wantErr: "一次性告知"},
		{name: "accept", who: clerk, id: "accept", want: "accepted"},
		{name: "forward", who: clerk, id: "forward", want: "forwarded"},
	}
	steps = append(steps, investigationSteps()...)
	steps = append(steps, []step{
		{name: "straight to publicity under always", who: officer, id: "submit_to_publicity", wantErr: "按当前政策须先进行民主评议",
			facts: func(f *Facts) { f.ReportPresent, f.BenefitComputed, f.Eligible = true, true, true }},
		{name: "submit", who: officer, id: "submit_to_appraisal", want: "appraisal"},
		{name: "appraise", who: officer, id: "appraise", want: "publicity_ready",
			in:    vals("meeting_date", "2026-09-24", "participants", "村委会成员、居民代表", "attendance", "9", "outcome", "pass", "minutes", "一致通过"),
			facts: func(f *Facts) { f.Today = day("2026-09-24") }},
		{name: "publicity", who: officer, id: "start_publicity", in: vals("place", "村务公开栏"), want: "publicity",
			facts: func(f *Facts) { f.Today = day("2026-09-28") }},
		{name: "objection", who: officer, id: "record_objection", in: vals("received_on", "2026-09-30", "content", "家中有经营性收入"),
			facts: func(f *Facts) { f.Today = day("2026-09-30") }},
		{name: "close with objection, early", who: officer, id: "close_publicity", wantErr: "公示期未满，截止 2026年10月13日；尚有 1 条异议未处理完毕",
			facts: func(f *Facts) { f.Objections, f.OpenObjections = 1, 1 }},
		{name: "re-investigate without reason", who: officer, id: "objection_reinvestigate", wantErr: MsgReason},
		{name: "re-investigate", who: officer, id: "objection_reinvestigate", in: withReason(Input{}, "异议称有经营性收入，需重新调查"), want: "investigating",
			facts: func(f *Facts) { f.Today = day("2026-10-08") }},
		{name: "submit with the objection open", who: officer, id: "submit_to_appraisal", wantErr: "尚有 1 条异议未处理完毕",
			facts: func(f *Facts) { f.ReportPresent = false }},
		{name: "resolve", who: officer, id: "resolve_objection", in: vals("objection_no", "1", "finding", "经营已停止", "outcome", "dismissed")},
		{name: "submit without a new report", who: officer, id: "submit_to_appraisal", wantErr: "尚未填写调查报告和初步意见",
			facts: func(f *Facts) { f.OpenObjections = 0 }},
		{name: "new report", who: officer, id: "write_report", in: report()},
		{name: "submit again", who: officer, id: "submit_to_appraisal", want: "appraisal", facts: func(f *Facts) { f.ReportPresent = true }},
		{name: "appraise again", who: officer, id: "appraise", want: "publicity_ready",
			in:    vals("meeting_date", "2026-10-09", "participants", "村委会成员", "attendance", "7", "outcome", "pass", "minutes", "通过"),
			facts: func(f *Facts) { f.Today = day("2026-10-09") }},
		{name: "publicity again", who: officer, id: "start_publicity", in: vals("place", "村务公开栏"), want: "publicity",
			facts: func(f *Facts) { f.Today = day("2026-10-12") }},
		{name: "close on the last day", who: officer, id: "close_publicity", wantErr: "公示期未满，截止 2026年10月21日",
			facts: func(f *Facts) { f.Today = day("2026-10-21") }},
		{name: "close", who: officer, id: "close_publicity", want: "township_review",
			facts: func(f *Facts) { f.Today = day("2026-10-22") }},
		{name: "officer cannot review", who: officer, id: "review_opinion", wantErr: MsgRole},
		{name: "review", who: reviewP, id: "review_opinion", in: vals("opinion", "agree", "comment", "同意上报"), want: "county_decision"},
		{name: "approve", who: approveP, id: "approve", in: vals("category", "B"), want: "approved"},
	}...)
	runScenario(t, Seed(), baseFacts(), steps)
}

func TestNational2021HappyPath(t *testing.T) {
	d := National2021()
	f := baseFacts()
	f.Params = d.Defaults
	f.RelativeRegistered = true
	f.RelativeStaff = []int64{99}
	steps := []step{
		{name: "intake", who: clerk, id: "intake", in: vals("application_date", "2026-09-01"), want: "submitted"},
		{name: "accept", who: clerk, id: "accept", want: "accepted"},
		{name: "forward", who: clerk, id: "forward", want: "forwarded"},
	}
	steps = append(steps, investigationSteps()...)
	steps = append(steps, []step{
		{name: "no appraisal without objection", who: officer, id: "submit_to_appraisal", wantErr: "公示有异议时才开展民主评议",
			facts: func(f *Facts) { f.ReportPresent, f.BenefitComputed, f.Eligible = true, true, true }},
		{name: "submit", who: officer, id: "submit_to_review", want: "preliminary_review"},
		{name: "preliminary opinion", who: reviewP, id: "preliminary_opinion", in: vals("opinion", "eligible", "comment", "拟同意"), want: "publicity_ready"},
		{name: "publicity", who: officer, id: "start_publicity", in: vals("place", "社区公开栏"), want: "publicity",
			facts: func(f *Facts) { f.Today = day("2026-09-29") }},
		{name: "objection", who: officer, id: "record_objection", in: vals("received_on", "2026-09-30", "content", "有亲属在村委任职"),
			facts: func(f *Facts) { f.Today = day("2026-09-30") }},
		{name: "to appraisal", who: officer, id: "objection_to_appraisal", in: withReason(Input{}, "需听取群众意见"), want: "appraisal",
			facts: func(f *Facts) { f.Objections, f.OpenObjections = 1, 1 }},
		{name: "appraise with the objection open", who: officer, id: "appraise", wantErr: "尚有 1 条异议未处理完毕",
			in: vals("meeting_date", "2026-10-09", "participants", "居民代表", "attendance", "11", "outcome", "pass", "minutes", "通过")},
		{name: "resolve", who: officer, id: "resolve_objection", in: vals("objection_no", "1", "finding", "已备案，无违规", "outcome", "dismissed")},
		{name: "appraise", who: officer, id: "appraise", want: "preliminary_review",
			in:    vals("meeting_date", "2026-10-09", "participants", "居民代表", "attendance", "11", "outcome", "pass", "minutes", "通过"),
			facts: func(f *Facts) { f.OpenObjections = 0; f.Today = day("2026-10-09") }},
		{name: "opinion again", who: reviewP, id: "preliminary_opinion", in: vals("opinion", "eligible", "comment", "维持"), want: "publicity_ready"},
		{name: "publicity again", who: officer, id: "start_publicity", in: vals("place", "社区公开栏"), want: "publicity"},
		{name: "report early (make-up Saturday counted)", who: reviewP, id: "report_to_county", wantErr: "公示期未满，截止 2026年10月19日",
			facts: func(f *Facts) { f.Today = day("2026-10-19") }},
		{name: "officer cannot report", who: officer, id: "report_to_county", wantErr: MsgRole},
		{name: "report", who: reviewP, id: "report_to_county", want: "county_decision", facts: func(f *Facts) { f.Today = day("2026-10-20") }},
		{name: "approve before the county visit", who: approveP, id: "approve", in: vals("category", "A"), wantErr: "近亲属备案家庭须经县级入户核查后方可审批"},
		{name: "county visit with a relative as investigator", who: adminP, id: "county_home_visit", wantErr: "入户调查人员中有申请家庭的近亲属，须回避",
			in: vals("visit_date", "2026-10-20", "investigators", "31", "investigators", "99", "form_filled", "on", "findings", "属实")},
		{name: "county visit", who: adminP, id: "county_home_visit",
			in: vals("visit_date", "2026-10-20", "investigators", "31", "investigators", "32", "form_filled", "on", "findings", "属实")},
		{name: "approve", who: approveP, id: "approve", in: vals("category", "A"), want: "approved",
			facts: func(f *Facts) { f.CountyVisitDone = true }},
	}...)
	runScenario(t, d, f, steps)
}

func TestRejectionPath(t *testing.T) {
	f := baseFacts()
	f.Params.Appraisal = AppraisalNever
	steps := []step{
		{name: "intake", who: clerk, id: "intake", in: vals("application_date", "2026-09-01")},
		{name: "accept", who: clerk, id: "accept"},
		{name: "forward", who: clerk, id: "forward"},
	}
	steps = append(steps, investigationSteps()...)
	steps = append(steps, []step{
		{name: "never appraise", who: officer, id: "submit_to_appraisal", wantErr: "按当前政策不开展民主评议",
			facts: func(f *Facts) { f.ReportPresent, f.BenefitComputed = true, true }},
		{name: "straight to publicity", who: officer, id: "submit_to_publicity", want: "publicity_ready"},
		{name: "publicity", who: officer, id: "start_publicity", in: vals("place", "公开栏"), facts: func(f *Facts) { f.Today = day("2026-09-07") }},
		{name: "close", who: officer, id: "close_publicity", want: "township_review", facts: func(f *Facts) { f.Today = day("2026-09-17") }},
		{name: "review", who: reviewP, id: "review_opinion", in: vals("opinion", "disagree", "comment", "收入超标")},
		{name: "approve an ineligible household", who: approveP, id: "approve", in: vals("category", "A"), wantErr: "核算结果为不符合最低生活保障条件，不能批准"},
		{name: "send back", who: approveP, id: "county_send_back", in: withReason(Input{}, "审核意见与核算结果不一致"), want: "township_review"},
		{name: "review again", who: reviewP, id: "review_opinion", in: vals("opinion", "disagree", "comment", "收入超标，建议不予批准")},
		{name: "reject without reason", who: approveP, id: "reject", wantErr: MsgReason},
		{name: "reject", who: approveP, id: "reject", in: withReason(Input{}, "家庭人均收入高于当地低保标准"), want: "rejected"},
		{name: "no withdrawal after the decision", who: clerk, id: "withdraw", in: withReason(vals("request_date", "2026-09-18"), "不想要了"), wantErr: MsgState},
		{name: "deliver", who: officer, id: "deliver_rejection", in: vals("delivered_on", "2026-09-18", "method", "direct", "recipient", "申请人本人"), want: "rejection_delivered",
			facts: func(f *Facts) { f.Today = day("2026-09-18") }},
		{name: "nothing after the end", who: officer, id: "terminate", in: withReason(Input{}, "x"), wantErr: MsgState},
	}...)
	runScenario(t, Seed(), f, steps)
}

func TestWithdrawAndTerminate(t *testing.T) {
	d := Seed()
	f := baseFacts()
	cases := []struct {
		name    string
		state   string
		who     authz.Principal
		id      string
		in      Input
		wantErr string
	}{
		{"village withdraws a draft", "draft", clerk, "withdraw", withReason(vals("request_date", "2026-09-01"), "申请人书面撤回"), ""},
		{"township withdraws during investigation", "investigating", officer, "withdraw_at_township", withReason(vals("request_date", "2026-09-01"), "申请人书面撤回"), ""},
		{"withdraw without the request date", "investigating", officer, "withdraw_at_township", withReason(Input{}, "撤回"), "请填写申请人书面撤回日期"},
		{"village cannot use the township's button", "investigating", clerk, "withdraw_at_township", Input{}, MsgRole},
		{"terminate for refusal to cooperate", "publicity", officer, "terminate", withReason(Input{}, "拒绝入户调查"), ""},
		{"terminate without reason", "publicity", officer, "terminate", Input{}, MsgReason},
		{"terminate a settled case", "rejected", officer, "terminate", withReason(Input{}, "x"), MsgState},
		{"terminate a closed case", "approved", officer, "terminate", withReason(Input{}, "x"), MsgState},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.Input = c.in
			tr, err := Check(d, c.state, c.id, c.who, c.who.Region.Level(), f)
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(errText(err))
				}
				if s, _ := d.State(Next(tr, c.state)); !s.Terminal {
					t.Fatalf("ends in %s, not terminal", s.ID)
				}
				return
			}
			if err == nil || !strings.Contains(errText(err), c.wantErr) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
		})
	}
}

// TestGuardMessages fails every guard once and checks its Chinese reason;
// it also insists every registered guard is covered and labelled.
func TestGuardMessages(t *testing.T) {
	p := DefaultParams()
	on := p
	on.Appraisal = AppraisalOnObjection
	never := p
	never.Appraisal = AppraisalNever
	cases := []struct {
		guard string
		f     Facts
		want  string
	}{
		{"household_recorded", Facts{}, "尚未登记申请家庭成员"},
		{"relatives_declared", Facts{}, "尚未填写与经办人员、村（社区）干部的近亲属关系申报"},
		{"materials_complete", Facts{}, "请先逐项核对申请材料清单"},
		{"materials_complete", Facts{MaterialsChecked: true, Deficiencies: []string{"身份证", "授权核对书"}}, "申请材料不齐全或不符合要求：身份证、授权核对书"},
		{"deficiencies_listed", Facts{}, "请先逐项核对申请材料清单"},
		{"deficiencies_listed", Facts{MaterialsChecked: true}, "请先在材料清单中标出全部缺少或不符合要求的材料，一次性告知"},
		{"investigators_enough", Facts{Params: p}, "尚未记录入户调查"},
		{"investigators_enough", Facts{Params: p, HomeVisits: 2, Investigators: 1}, "入户调查人员不足 2 人"},
		{"check_requested", Facts{}, "尚未发起信息核对"},
		{"check_result_present", Facts{}, "尚未发起信息核对"},
		{"check_result_present", Facts{CheckRequested: true}, "尚未取得信息核对结果"},
		{"report_present", Facts{}, "尚未填写调查报告和初步意见"},
		{"benefit_computed", Facts{}, "尚未按最新家庭信息核算收入和保障金额"},
		{"eligible_computed", Facts{}, "尚未按最新家庭信息核算收入和保障金额"},
		{"eligible_computed", Facts{BenefitComputed: true}, "核算结果为不符合最低生活保障条件，不能批准"},
		{"appraisal_required", Facts{Params: never}, "按当前政策不开展民主评议"},
		{"appraisal_required", Facts{Params: on}, "按当前政策，公示有异议时才开展民主评议"},
		{"appraisal_not_required", Facts{Params: p}, "按当前政策须先进行民主评议"},
		{"appraisal_not_required", Facts{Params: on, Objections: 1}, "公示曾有异议，须先进行民主评议"},
		{"publicity_elapsed", Facts{Today: day("2026-10-01")}, "尚未开始公示"},
		{"publicity_elapsed", Facts{Today: day("2026-10-14"), PublicityEnd: day("2026-10-14")}, "公示期未满，截止 2026年10月14日"},
		{"no_open_objection", Facts{OpenObjections: 2}, "尚有 2 条异议未处理完毕"},
		{"has_open_objection", Facts{}, "没有待处理的异议"},
		{"county_visit_done_if_flagged", Facts{RelativeRegistered: true}, "近亲属备案家庭须经县级入户核查后方可审批"},
		{"not_proposer", Facts{ActorProposed: true}, MsgProposer},
		{"extension_allowed", Facts{}, "办理时限未在计算中（尚未受理或已办结），无需延长"},
		{"extension_allowed", Facts{Params: p, TimeLimitRunning: true, TimeLimitExtended: true}, "办理时限已延长至 45 个工作日，不能再次延长"},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.guard] = true
		t.Run(c.guard+"/"+c.want, func(t *testing.T) {
			err := Guards[c.guard](c.f)
			e := errs.As(err)
			if err == nil || e.Code != errs.Invalid || e.Message != c.want {
				t.Fatalf("%s = %v, want invalid %q", c.guard, err, c.want)
			}
		})
	}
	for name := range Guards {
		if !covered[name] {
			t.Errorf("guard %s has no failure case", name)
		}
		if GuardLabels[name] == "" {
			t.Errorf("guard %s has no label", name)
		}
	}
	for name := range GuardLabels {
		if Guards[name] == nil {
			t.Errorf("label for unknown guard %s", name)
		}
	}
}

func TestGuardsHold(t *testing.T) {
	p := DefaultParams()
	on := p
	on.Appraisal = AppraisalOnObjection
	cases := []struct {
		guard string
		f     Facts
	}{
		{"investigators_enough", Facts{Params: p, HomeVisits: 1, Investigators: 2}},
		{"appraisal_required", Facts{Params: on, Objections: 1}},
		{"appraisal_not_required", Facts{Params: on}},
		{"publicity_elapsed", Facts{Today: day("2026-10-15"), PublicityEnd: day("2026-10-14")}},
		{"county_visit_done_if_flagged", Facts{}},
		{"county_visit_done_if_flagged", Facts{RelativeRegistered: true, CountyVisitDone: true}},
		{"extension_allowed", Facts{TimeLimitRunning: true}},
	}
	for _, c := range cases {
		if err := Guards[c.guard](c.f); err != nil {
			t.Errorf("%s: %v", c.guard, err)
		}
	}
}

func TestRefusals(t *testing.T) {
	d := Seed()
	f := baseFacts()
	villageAtTownship := clerk
	villageAtTownship.Region = "130123101000"
	relative := officer
	relative.UserID = 77
	cases := []struct {
		name  string
		state string
		who   authz.Principal
		id    string
		f     func(*Facts)
		code  errs.Code
		msg   string
	}{
		{"unknown transition", "draft", clerk, "launch", nil, errs.Invalid, "未知的操作：launch"},
		{"wrong state", "draft", clerk, "accept", nil, errs.Conflict, MsgState},
		{"wrong role", "submitted", officer, "accept", nil, errs.Forbidden, MsgRole},
		{"system principal", "submitted", authz.System("import"), "accept", nil, errs.Forbidden, MsgRole},
		{"wrong level", "submitted", villageAtTownship, "accept", nil, errs.Forbidden, "此操作须由村/社区级工作人员办理"},
		{"county level for a county step", "county_decision", officer, "county_home_visit", nil, errs.Forbidden, MsgRole},
		{"recusal", "investigating", relative, "record_home_visit", func(f *Facts) { f.RelativeStaff = []int64{77} }, errs.Forbidden, MsgRecusal},
		{"recusal beats guards", "publicity", relative, "close_publicity", func(f *Facts) { f.RelativeStaff = []int64{77} }, errs.Forbidden, MsgRecusal},
		{"certification enforced", "investigating", officer, "record_home_visit",
			func(f *Facts) { f.Params.CertificationGate = GateEnforce; f.Certified = []string{"intake"} }, errs.Forbidden, "您未取得有效的“调查”岗位认证，不能办理此事项"},
		{"guard", "publicity", officer, "close_publicity", nil, errs.Invalid, "尚未开始公示"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ff := f
			if c.f != nil {
				c.f(&ff)
			}
			_, err := Check(d, c.state, c.id, c.who, c.who.Region.Level(), ff)
			e := errs.As(err)
			if err == nil || e.Code != c.code || e.Message != c.msg {
				t.Fatalf("err = %v, want %s %q", err, c.code, c.msg)
			}
		})
	}
}

func TestRecordFields(t *testing.T) {
	d := Seed()
	f := baseFacts()
	visitT, _ := d.Transition("record_home_visit")
	cases := []struct {
		name string
		in   Input
		want map[string]string // field → message; nil: valid
	}{
		{"valid", visit("2026-09-01"), nil},
		{"everything missing at once", Input{}, map[string]string{
			"visit_date": "请填写入户日期", "investigators": "请填写入户调查人员",
			"form_filled": "请确认已填写家庭经济状况调查表", "findings": "请填写入户调查情况（收入、财产、居住状况）",
		}},
		{"blank values count as missing", vals("visit_date", "  ", "investigators", "", "form_filled", "on", "findings", "x"), map[string]string{
			"visit_date": "请填写入户日期", "investigators": "请填写入户调查人员",
		}},
		{"bad date, unticked box, too few", vals("visit_date", "2026-13-01", "investigators", "11", "investigators", "11", "form_filled", "false", "findings", "x"), map[string]string{
			"visit_date": "入户日期不是有效日期（格式如 2026-09-28）", "investigators": "入户调查人员不足 2 人",
			"form_filled": "请确认已填写家庭经济状况调查表",
		}},
		{"future date", vals("visit_date", "2026-09-02", "investigators", "11", "investigators", "12", "form_filled", "1", "findings", "x"), map[string]string{
			"visit_date": "入户日期不能晚于今天",
		}},
		{"bad staff id", vals("visit_date", "2026-09-01", "investigators", "11", "investigators", "abc", "form_filled", "on", "findings", "x"), map[string]string{
			"investigators": "入户调查人员中有无效的人员编号",
		}},
		{"two values for one field", vals("visit_date", "2026-09-01", "visit_date", "2026-08-31", "investigators", "11", "investigators", "12", "form_filled", "on", "findings", "x"), map[string]string{
			"visit_date": "入户日期只能填写一项",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ff := f
			ff.Input = c.in
			_, err := ParseRecord(visitT, ff)
			if got := errs.Fields(err); !mapsEqual(got, c.want) {
				t.Fatalf("fields = %v, want %v", got, c.want)
			}
		})
	}
	t.Run("typed values", func(t *testing.T) {
		ff := f
		ff.Input = vals("visit_date", "2026-09-01", "investigators", "12", "investigators", "11", "investigators", "12", "form_filled", "是", "findings", " 属实 ")
		got, err := ParseRecord(visitT, ff)
		if err != nil {
			t.Fatal(err)
		}
		if got["visit_date"] != "2026-09-01" || !slices.Equal(got["investigators"].([]int64), []int64{12, 11}) ||
			got["form_filled"] != true || got["findings"] != "属实" {
			t.Fatalf("values = %#v", got)
		}
	})
	t.Run("select, number and money", func(t *testing.T) {
		tr := Transition{Records: []Field{
			{Name: "outcome", Label: "评议结果", Kind: KindSelect, Required: true, Options: []Choice{{"pass", "通过"}}},
			{Name: "attendance", Label: "参加人数", Kind: KindNumber},
			{Name: "amount", Label: "金额", Kind: KindMoney},
			{Name: "flag", Label: "标记", Kind: KindBool},
		}}
		ff := f
		ff.Input = vals("outcome", "fail", "attendance", "-1", "amount", "12.345", "flag", "maybe")
		_, err := ParseRecord(tr, ff)
		want := map[string]string{"outcome": "评议结果的选项无效", "attendance": "参加人数应为非负整数", "amount": "金额：金额最多保留两位小数", "flag": "标记的取值无效"}
		if got := errs.Fields(err); !mapsEqual(got, want) {
			t.Fatalf("fields = %v, want %v", got, want)
		}
		ff.Input = vals("outcome", "pass", "attendance", "9", "amount", "1,234.5", "flag", "off")
		got, err := ParseRecord(tr, ff)
		if err != nil || got["attendance"] != int64(9) || got["amount"] != money.Fen(123450) || got["flag"] != false {
			t.Fatalf("values = %#v, %v", got, err)
		}
	})
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestAvailable(t *testing.T) {
	d := Seed()
	f := baseFacts()
	f.Deficiencies = []string{"户口簿"}
	ids := func(opts []Option) string {
		var out []string
		for _, o := range opts {
			s := o.Transition.ID
			if !o.Enabled {
				s += "(" + o.Reason + ")"
			}
			out = append(out, s)
		}
		return strings.Join(out, " ")
	}
	cases := []struct {
		name  string
		state string
		who   authz.Principal
		f     func(*Facts)
		want  string
	}{
		{"clerk at the counter", "submitted", clerk, nil,
			"accept(申请材料不齐全或不符合要求：户口簿) return refuse withdraw"},
		{"township sees only its any-state steps", "submitted", officer, nil, "withdraw_at_township terminate"},
		{"approver before acceptance", "submitted", approveP, nil, "extend_time_limit(办理时限未在计算中（尚未受理或已办结），无需延长)"},
		{"publicity with an objection", "publicity", officer, func(f *Facts) {
			f.Today, f.PublicityEnd, f.OpenObjections, f.Objections = day("2026-10-13"), day("2026-10-13"), 1, 1
		}, "record_objection resolve_objection objection_reinvestigate objection_to_appraisal " +
			"close_publicity(公示期未满，截止 2026年10月13日；尚有 1 条异议未处理完毕) withdraw_at_township terminate"},
		{"recused officer sees greyed buttons", "publicity", officer, func(f *Facts) { f.RelativeStaff = []int64{officer.UserID} },
			"record_objection(" + MsgRecusal + ") resolve_objection(" + MsgRecusal + "；没有待处理的异议) objection_reinvestigate(" + MsgRecusal + "；没有待处理的异议) " +
				"objection_to_appraisal(" + MsgRecusal + "；没有待处理的异议) close_publicity(" + MsgRecusal + "；尚未开始公示) " +
				"withdraw_at_township(" + MsgRecusal + ") terminate(" + MsgRecusal + ")"},
		{"county decision for the admin", "county_decision", adminP, nil, "county_home_visit"},
		{"nothing in a terminal state", "approved", approveP, nil, ""},
		{"rejected: only delivery", "rejected", officer, nil, "deliver_rejection"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ff := f
			if c.f != nil {
				c.f(&ff)
			}
			if got := ids(Available(d, c.state, c.who, c.who.Region.Level(), ff)); got != c.want {
				t.Fatalf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestCertificationGate(t *testing.T) {
	d := Seed()
	cases := []struct {
		gate      string
		certified []string
		enabled   bool
		warning   string
	}{
		{GateEnforce, nil, false, ""},
		{GateEnforce, []string{"intake"}, true, ""},
		{GateWarn, nil, true, "您的“受理”岗位认证缺失或已过期，请尽快参加培训"},
		{GateOff, nil, true, ""},
	}
	for _, c := range cases {
		t.Run(c.gate+"/"+strings.Join(c.certified, ","), func(t *testing.T) {
			f := baseFacts()
			f.Params.CertificationGate = c.gate
			f.Certified = c.certified
			opts := Available(d, "submitted", clerk, clerk.Region.Level(), f)
			o := opts[slices.IndexFunc(opts, func(o Option) bool { return o.Transition.ID == "accept" })]
			if o.Enabled != c.enabled || o.Warning != c.warning {
				t.Fatalf("option = %+v", o)
			}
			_, err := Check(d, "submitted", "accept", clerk, clerk.Region.Level(), f)
			if (err == nil) != c.enabled {
				t.Fatalf("Check err = %v, enabled %v", err, c.enabled)
			}
		})
	}
}
