package workflow

import (
	"dibao/internal/authz"
	"dibao/internal/region"
)

// The two profiles share almost everything: intake, investigation,
// publicity and the county decision are identical building blocks, and
// only the order of appraisal, publicity and the township opinion differs.
// So each profile is assembled from the blocks below with the few
// profile-specific states and transitions between them; a change to, say,
// the home-visit form is made once and reaches both.

// Seed is the default profile, in the source document's order (seed §8):
// investigation → democratic appraisal → publicity → township review
// opinion → county decision.
func Seed() Definition {
	d := Definition{
		Name:     ProfileSeed,
		Title:    "低保审核审批流程（培训制度规定流程）",
		Initial:  "draft",
		Defaults: DefaultParams(),
	}
	d.States = concat(
		intakeStates(),
		investigationStates(),
		[]State{
			{ID: "appraisal", Label: "待民主评议", Actor: authz.TownshipOfficer},
			publicityReadyState(),
			publicityState(authz.TownshipOfficer),
			{ID: "township_review", Label: "待乡镇审核", Actor: authz.TownshipReviewer},
		},
		decisionStates(),
	)
	d.Transitions = concat(
		intakeTransitions(),
		investigationTransitions(),
		// The first submit is the main path (appraisal always, the seed
		// default); the policy guard enables exactly one of the two.
		[]Transition{
			submitInvestigation("submit_to_appraisal", "提交调查报告（转民主评议）", "appraisal", "appraisal_required"),
			submitInvestigation("submit_to_publicity", "提交调查报告（直接公示）", "publicity_ready", "appraisal_not_required"),
			appraise("publicity_ready"),
		},
		publicityTransitions(),
		[]Transition{
			{
				ID: "close_publicity", Label: "公示期满无异议，报乡镇审核", From: []string{"publicity"}, To: "township_review",
				Roles: township, Level: region.Township,
				Guards: []string{"publicity_elapsed", "no_open_objection"},
				Stops:  []string{"publicity"},
			},
			{
				ID: "review_opinion", Label: "提出审核意见，报县级审批", From: []string{"township_review"}, To: "county_decision",
				Roles: reviewer, Level: region.Township,
				Records: []Field{
					{Name: "opinion", Label: "审核意见", Kind: KindSelect, Required: true, Options: agreeOptions},
					{Name: "comment", Label: "审核说明", Kind: KindText, Required: true},
				},
				Starts:        []string{"county_decision"},
				Certification: "review",
			},
			sendBack("review_send_back", "退回重新调查", []string{"township_review"}, "investigating", reviewer, region.Township),
		},
		countyTransitions("township_review", "退回乡镇重新审核"),
		closingTransitions(),
	)
	return d
}

// National2021 follows the 2021 national review-and-confirmation measures:
// the township's preliminary review opinion is what is publicised (7
// working days), a democratic appraisal is held only on objection, and the
// whole case must be decided within 30 working days of acceptance (45
// extended).
func National2021() Definition {
	p := DefaultParams()
	p.Appraisal = AppraisalOnObjection
	d := Definition{
		Name:     ProfileNational2021,
		Title:    "低保审核确认流程（2021年全国审核确认办法）",
		Initial:  "draft",
		Defaults: p,
	}
	d.States = concat(
		intakeStates(),
		investigationStates(),
		[]State{
			{ID: "appraisal", Label: "待民主评议（有异议）", Actor: authz.TownshipOfficer},
			{ID: "preliminary_review", Label: "待乡镇初审", Actor: authz.TownshipReviewer},
			publicityReadyState(),
			// After the period it is the reviewer who reports to the county.
			publicityState(authz.TownshipReviewer),
		},
		decisionStates(),
	)
	d.Transitions = concat(
		intakeTransitions(),
		investigationTransitions(),
		// Without an objection the report goes straight to the township's
		// preliminary opinion; listed first so the diagram's main path is
		// the usual one.
		[]Transition{
			submitInvestigation("submit_to_review", "提交调查报告，报乡镇初审", "preliminary_review", "appraisal_not_required"),
			submitInvestigation("submit_to_appraisal", "提交调查报告（转民主评议）", "appraisal", "appraisal_required"),
			appraise("preliminary_review"),
			{
				ID: "preliminary_opinion", Label: "提出初审意见并公示", From: []string{"preliminary_review"}, To: "publicity_ready",
				Roles: reviewer, Level: region.Township,
				Records: []Field{
					{Name: "opinion", Label: "初审意见", Kind: KindSelect, Required: true, Options: eligibleOptions},
					{Name: "comment", Label: "初审说明", Kind: KindText, Required: true},
				},
				Certification: "review",
			},
			sendBack("preliminary_send_back", "退回重新调查", []string{"preliminary_review"}, "investigating", reviewer, region.Township),
		},
		publicityTransitions(),
		[]Transition{
			{
				ID: "report_to_county", Label: "公示期满无异议，报县级审核确认", From: []string{"publicity"}, To: "county_decision",
				Roles: reviewer, Level: region.Township,
				Guards:        []string{"publicity_elapsed", "no_open_objection"},
				Records:       []Field{{Name: "comment", Label: "报送说明", Kind: KindText}},
				Stops:         []string{"publicity"},
				Starts:        []string{"county_decision"},
				Certification: "review",
			},
		},
		countyTransitions("preliminary_review", "退回乡镇重新初审"),
		closingTransitions(),
	)
	return d
}

var (
	village  = []authz.Role{authz.VillageClerk}
	township = []authz.Role{authz.TownshipOfficer}
	reviewer = []authz.Role{authz.TownshipReviewer}
	approver = []authz.Role{authz.CountyApprover}

	agreeOptions    = []Choice{{"agree", "同意"}, {"disagree", "不同意"}}
	eligibleOptions = []Choice{{"eligible", "符合条件"}, {"ineligible", "不符合条件"}}
)

func intakeStates() []State {
	return []State{
		{ID: "draft", Label: "申请登记", Editable: true, Actor: authz.VillageClerk},
		{ID: "submitted", Label: "待受理审查", Editable: true, Actor: authz.VillageClerk},
		{ID: "returned", Label: "退回补正（待申请人补齐）", Editable: true, Actor: authz.VillageClerk},
		{ID: "refused", Label: "不予受理", Terminal: true},
		{ID: "accepted", Label: "已受理，待转交乡镇", Actor: authz.VillageClerk, Deadline: rule("forward")},
	}
}

func investigationStates() []State {
	return []State{
		{ID: "forwarded", Label: "待乡镇启动调查", Actor: authz.TownshipOfficer, Deadline: rule("investigation_start")},
		// Investigators correct income and property as they find them, so
		// the application data stays editable here.
		{ID: "investigating", Label: "家庭经济状况调查", Editable: true, Actor: authz.TownshipOfficer},
	}
}

func publicityReadyState() State {
	return State{ID: "publicity_ready", Label: "待张榜公示", Actor: authz.TownshipOfficer}
}

func publicityState(actor authz.Role) State {
	return State{ID: "publicity", Label: "公示中", Actor: actor, Deadline: rule("publicity")}
}

func decisionStates() []State {
	return []State{
		{ID: "county_decision", Label: "待县级审批", Actor: authz.CountyApprover, Deadline: rule("county_decision")},
		{ID: "approved", Label: "已批准（纳入保障）", Terminal: true},
		{ID: "rejected", Label: "不予批准，待送达通知", Settled: true, Actor: authz.TownshipOfficer, Deadline: rule("rejection_notice")},
		{ID: "rejection_delivered", Label: "不予批准（已送达）", Terminal: true},
		{ID: "withdrawn", Label: "申请人撤回", Terminal: true},
		{ID: "terminated", Label: "终止办理", Terminal: true},
	}
}

func intakeTransitions() []Transition {
	return []Transition{
		{
			ID: "intake", Label: "登记完成，提交受理审查", From: []string{"draft"}, To: "submitted",
			Roles: village, Level: region.Village,
			Guards:        []string{"household_recorded", "relatives_declared"},
			Records:       []Field{{Name: "application_date", Label: "申请日期", Kind: KindDate, Required: true}},
			Certification: "intake",
		},
		{
			ID: "accept", Label: "受理（出具回执）", From: []string{"submitted"}, To: "accepted",
			Roles: village, Level: region.Village,
			Guards:        []string{"materials_complete"},
			Documents:     []string{"receipt"},
			Starts:        []string{"forward", "total"},
			Certification: "intake",
		},
		{
			ID: "return", Label: "退回补正（一次性告知）", From: []string{"submitted"}, To: "returned",
			Roles: village, Level: region.Village,
			Guards:        []string{"deficiencies_listed"},
			Records:       []Field{{Name: "note", Label: "补充说明", Kind: KindText}},
			Documents:     []string{"deficiency_notice"},
			Certification: "intake",
		},
		{
			ID: "refuse", Label: "不予受理", From: []string{"submitted"}, To: "refused",
			Roles: village, Level: region.Village,
			Records: []Field{{Name: "ground", Label: "不予受理情形", Kind: KindSelect, Required: true, Options: []Choice{
				{"jurisdiction", "不属于本村（社区）受理范围"},
				{"not_applicable", "申请事项不属于最低生活保障"},
				{"other", "其他"},
			}}},
			Documents:      []string{"refusal_notice"},
			RequiresReason: true,
			Certification:  "intake",
		},
		{
			ID: "resubmit", Label: "补正后重新提交", From: []string{"returned"}, To: "submitted",
			Roles: village, Level: region.Village,
			Records: []Field{{Name: "resubmitted_on", Label: "补正日期", Kind: KindDate, Required: true}},
		},
		{
			ID: "forward", Label: "转交乡镇（街道）", From: []string{"accepted"}, To: "forwarded",
			Roles: village, Level: region.Village,
			Stops:  []string{"forward"},
			Starts: []string{"investigation_start"},
		},
	}
}

func investigationTransitions() []Transition {
	in := []string{"investigating"}
	return []Transition{
		{
			ID: "start_investigation", Label: "启动家庭经济状况调查", From: []string{"forwarded"}, To: "investigating",
			Roles: township, Level: region.Township,
			Stops:         []string{"investigation_start"},
			Certification: "investigation",
		},
		{
			ID: "record_home_visit", Label: "记录入户调查", From: in, To: Stay,
			Roles: township, Level: region.Township,
			Records:       homeVisitFields(),
			Documents:     []string{"home_visit_form"},
			Certification: "investigation",
		},
		{
			ID: "record_interview", Label: "记录邻里访问", From: in, To: Stay,
			Roles: township, Level: region.Township,
			Records: []Field{
				{Name: "interview_date", Label: "访问日期", Kind: KindDate, Required: true},
				{Name: "interviewees", Label: "访问对象", Kind: KindText, Required: true},
				{Name: "content", Label: "访问情况", Kind: KindText, Required: true},
			},
			Certification: "investigation",
		},
		{
			ID: "request_check", Label: "发起信息核对", From: in, To: Stay,
			Roles: township, Level: region.Township,
			Records: []Field{{Name: "requested_on", Label: "核对申请日期", Kind: KindDate, Required: true}},
		},
		{
			ID: "record_check_result", Label: "登记核对结果", From: in, To: Stay,
			Roles: township, Level: region.Township,
			Guards: []string{"check_requested"},
			Records: []Field{
				{Name: "received_on", Label: "核对结果日期", Kind: KindDate, Required: true},
				{Name: "summary", Label: "核对结果摘要", Kind: KindText, Required: true},
			},
		},
		{
			ID: "write_report", Label: "填写调查报告和初步意见", From: in, To: Stay,
			Roles: township, Level: region.Township,
			Records: []Field{
				{Name: "report", Label: "调查报告", Kind: KindText, Required: true},
				{Name: "opinion", Label: "初步意见", Kind: KindSelect, Required: true, Options: eligibleOptions},
				{Name: "opinion_reason", Label: "意见理由", Kind: KindText, Required: true},
			},
			Certification: "investigation",
		},
	}
}

func homeVisitFields() []Field {
	return []Field{
		{Name: "visit_date", Label: "入户日期", Kind: KindDate, Required: true},
		{Name: "investigators", Label: "入户调查人员", Kind: KindStaffList, Required: true, MinParam: "min_investigators"},
		{Name: "form_filled", Label: "已填写家庭经济状况调查表", Kind: KindBool, Required: true},
		{Name: "findings", Label: "入户调查情况（收入、财产、居住状况）", Kind: KindText, Required: true},
	}
}

// submitInvestigation ends the investigation; each profile has one per
// possible next step, told apart by the appraisal-policy guard.
func submitInvestigation(id, label, to, policyGuard string) Transition {
	return Transition{
		ID: id, Label: label, From: []string{"investigating"}, To: to,
		Roles: township, Level: region.Township,
		Guards: []string{"investigators_enough", "check_result_present", "report_present",
			"benefit_computed", "no_open_objection", policyGuard},
		Certification: "investigation",
	}
}

func appraise(to string) Transition {
	return Transition{
		ID: "appraise", Label: "记录民主评议", From: []string{"appraisal"}, To: to,
		Roles: township, Level: region.Township,
		Guards: []string{"no_open_objection"},
		Records: []Field{
			{Name: "meeting_date", Label: "评议日期", Kind: KindDate, Required: true},
			{Name: "participants", Label: "参加人员", Kind: KindText, Required: true},
			{Name: "attendance", Label: "参加人数", Kind: KindNumber, Required: true},
			{Name: "outcome", Label: "评议结果", Kind: KindSelect, Required: true, Options: []Choice{{"pass", "通过"}, {"fail", "未通过"}}},
			{Name: "minutes", Label: "评议情况", Kind: KindText, Required: true},
		},
		Documents: []string{"appraisal_record"},
	}
}

func publicityTransitions() []Transition {
	return []Transition{
		{
			ID: "start_publicity", Label: "张榜公示", From: []string{"publicity_ready"}, To: "publicity",
			Roles: township, Level: region.Township,
			Records:   []Field{{Name: "place", Label: "公示地点", Kind: KindText, Required: true}},
			Documents: []string{"publicity_list"},
			Starts:    []string{"publicity"},
		},
		{
			ID: "record_objection", Label: "登记异议", From: []string{"publicity"}, To: Stay,
			Roles: township, Level: region.Township,
			Records: []Field{
				{Name: "received_on", Label: "收到日期", Kind: KindDate, Required: true},
				{Name: "objector", Label: "异议人（可匿名）", Kind: KindText},
				{Name: "content", Label: "异议内容", Kind: KindText, Required: true},
			},
		},
		{
			// An objection may be settled on the spot during publicity, or
			// after the re-investigation or appraisal it was sent to.
			ID: "resolve_objection", Label: "办结异议", From: []string{"publicity", "investigating", "appraisal"}, To: Stay,
			Roles: township, Level: region.Township,
			Guards: []string{"has_open_objection"},
			Records: []Field{
				{Name: "objection_no", Label: "异议编号", Kind: KindNumber, Required: true},
				{Name: "finding", Label: "核查情况", Kind: KindText, Required: true},
				{Name: "outcome", Label: "异议是否成立", Kind: KindSelect, Required: true, Options: []Choice{{"upheld", "成立"}, {"dismissed", "不成立"}}},
			},
		},
		{
			ID: "objection_reinvestigate", Label: "因异议重新调查", From: []string{"publicity"}, To: "investigating",
			Roles: township, Level: region.Township,
			Guards:         []string{"has_open_objection"},
			Stops:          []string{"publicity"},
			RequiresReason: true,
		},
		{
			ID: "objection_to_appraisal", Label: "因异议提交民主评议", From: []string{"publicity"}, To: "appraisal",
			Roles: township, Level: region.Township,
			Guards:         []string{"has_open_objection", "appraisal_required"},
			Stops:          []string{"publicity"},
			RequiresReason: true,
		},
	}
}

func countyTransitions(backTo, backLabel string) []Transition {
	return []Transition{
		{
			// Relative-registered cases need it before approval (SPEC
			// §2.4); the county may also visit any other case.
			ID: "county_home_visit", Label: "记录县级入户核查", From: []string{"county_decision"}, To: Stay,
			Roles: []authz.Role{authz.CountyApprover, authz.CountyAdmin}, Level: region.County,
			Records:   homeVisitFields(),
			Documents: []string{"home_visit_form"},
		},
		{
			ID: "approve", Label: "批准", From: []string{"county_decision"}, To: "approved",
			Roles: approver, Level: region.County,
			Guards: []string{"county_visit_done_if_flagged", "eligible_computed"},
			Records: []Field{
				{Name: "category", Label: "保障类别", Kind: KindSelect, Required: true, Options: []Choice{
					{"A", "A类（重点保障）"}, {"B", "B类"}, {"C", "C类"},
				}},
				{Name: "comment", Label: "审批意见", Kind: KindText},
			},
			Documents:     []string{"approval_notice"},
			Stops:         []string{"county_decision", "total"},
			Certification: "approval",
		},
		{
			ID: "reject", Label: "不予批准", From: []string{"county_decision"}, To: "rejected",
			Roles: approver, Level: region.County,
			Documents:      []string{"rejection_notice"},
			Starts:         []string{"rejection_notice"},
			Stops:          []string{"county_decision", "total"},
			RequiresReason: true,
			Certification:  "approval",
		},
		sendBack("county_send_back", backLabel, []string{"county_decision"}, backTo, approver, region.County),
		sendBack("county_send_back_investigation", "退回乡镇重新调查", []string{"county_decision"}, "investigating", approver, region.County),
		{
			// The notice goes through the township (SPEC §2.1 step 6).
			ID: "deliver_rejection", Label: "登记送达不予批准通知", From: []string{"rejected"}, To: "rejection_delivered",
			Roles: township, Level: region.Township,
			Records: []Field{
				{Name: "delivered_on", Label: "送达日期", Kind: KindDate, Required: true},
				{Name: "method", Label: "送达方式", Kind: KindSelect, Required: true, Options: []Choice{
					{"direct", "直接送达"}, {"mail", "邮寄送达"}, {"left", "留置送达"},
				}},
				{Name: "recipient", Label: "签收人", Kind: KindText, Required: true},
			},
			Stops: []string{"rejection_notice"},
		},
	}
}

func sendBack(id, label string, from []string, to string, roles []authz.Role, level region.Level) Transition {
	return Transition{
		ID: id, Label: label, From: from, To: to, Roles: roles, Level: level,
		// A send-back ends the current step, so its limit stops with it; the
		// next submission restarts it.
		Stops:          []string{"county_decision"},
		RequiresReason: true,
	}
}

// closingTransitions apply in every open state. Withdrawal is the
// applicant's act, recorded by whoever holds the case: a Transition has one
// region level, so the village and the township each get their own.
func closingTransitions() []Transition {
	withdraw := func(id string, roles []authz.Role, level region.Level) Transition {
		return Transition{
			ID: id, Label: "登记申请人撤回申请", From: []string{AnyOpen}, To: "withdrawn",
			Roles: roles, Level: level,
			Records:        []Field{{Name: "request_date", Label: "申请人书面撤回日期", Kind: KindDate, Required: true}},
			RequiresReason: true,
		}
	}
	return []Transition{
		withdraw("withdraw", village, region.Village),
		withdraw("withdraw_at_township", township, region.Township),
		{
			ID: "terminate", Label: "终止办理（拒不配合调查等）", From: []string{AnyOpen}, To: "terminated",
			Roles: township, Level: region.Township,
			RequiresReason: true,
		},
		{
			ID: "extend_time_limit", Label: "延长办理时限", From: []string{AnyOpen}, To: Stay,
			Roles: approver, Level: region.County,
			Guards:         []string{"extension_allowed"},
			Extends:        []string{"total"},
			RequiresReason: true,
		},
	}
}

func concat[T any](parts ...[]T) []T {
	var out []T
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
