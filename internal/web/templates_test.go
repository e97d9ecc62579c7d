package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"dibao/internal/access"
	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/roster"
	"dibao/internal/testenv"
	"dibao/internal/training"
)

// TestEveryTemplateRenders executes each page template with realistic data,
// including error states, so that a broken template fails here and not in
// front of a clerk.
func TestEveryTemplateRenders(t *testing.T) {
	db := testenv.SQLite(t)
	a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Demo = true
	s, err := newServer(a)
	if err != nil {
		t.Fatal(err)
	}
	p := authz.Principal{UserID: 7, Username: "village", DisplayName: "李村官",
		Roles: []authz.Role{authz.VillageClerk}, Region: villageA}
	groups := []villageGroup{{Township: "东湖镇", Villages: []villageOption{{Code: string(villageA), Name: "李家庄村"},
		{Code: string(villageC), Name: "幸福社区", Urban: true}}}}
	f := householdForm{Region: string(villageA), Address: "幸福路12号", Urban: "rural", BankName: "农村信用社",
		Version: "3", Members: []memberForm{
			{ID: "11", Name: "张三", Relation: "head", DisabilityGrade: "0", Labour: "full", Health: "healthy", CoResident: "1"},
			{ID: "", Name: "张小", Relation: "child", IDNumber: "13012320100101123", DisabilityGrade: "0", Labour: "none",
				Health: "serious", CoResident: "0"}}}
	ferr := errs.List{errs.Invalidf("members[1].id_number", "身份证号应为18位"),
		errs.Invalidf("members[1].health_detail", "重病成员请填写病情说明"), errs.Invalidf("address", "请填写家庭住址")}
	fp, err := s.buildForm(httptest.NewRequest("GET", "/", nil), p, f, nil, ferr)
	if err != nil {
		t.Fatal(err)
	}
	fp.Regions.Groups = groups
	fp.Edit, fp.HouseholdID, fp.HeadName, fp.PhonePlaceholder = true, 5, "张三", "138****5678（留空不修改）"
	fp.Rows[0].IDPlaceholder = "130123********123X（留空不修改）"

	ta := authz.Principal{UserID: 8, Username: "tadmin", Roles: []authz.Role{authz.TrainingAdmin}, Region: county}
	cp, ap, wp := caseFixtures(t)
	ca := authz.Principal{UserID: 9, Username: "capprover", Roles: []authz.Role{authz.CountyApprover}, Region: county}
	cases := []struct {
		name  string
		p     authz.Principal
		page  any
		wants []string
	}{
		{"login", authz.Principal{}, s.loginView("clerk", "/households",
			errs.New(errs.Forbidden, "username", "登录失败次数过多，账号已锁定至 15:04，请稍后再试或联系安全管理员")),
			[]string{"已锁定至 15:04", "township2", authz.Auditor.Label(), `name="next" value="/households"`}},
		{"login_totp", authz.Principal{}, secondPage{Next: "/audit", Error: "动态验证码错误或已使用"},
			[]string{`action="/login/totp"`, `name="next" value="/audit"`, "动态验证码错误或已使用", `autocomplete="one-time-code"`}},
		{"login_enrol", authz.Principal{}, secondPage{Next: "/", Enrol: &access.Enrolment{Username: "secadmin",
			Secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", Grouped: "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP",
			URI: "otpauth://totp/x:secadmin?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}},
			[]string{`action="/login/enrol"`, `<svg class="qr"`, `data-secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"`, "JBSW Y3DP", "otpauth://totp/x:secadmin", "审计管理员"}},
		{"account_security", p, securityPage{TOTP: access.TOTPState{Required: false, Pending: &access.Enrolment{Username: "clerk",
			Secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", Grouped: "JBSW", URI: "otpauth://totp/x:clerk"}},
			PasswordErr: map[string]string{"new_password": "密码至少12位"}},
			[]string{`action="/account/2fa/confirm"`, "绑定中", "密码至少12位", `id="current_password"`, `id="account-security"`}},
		{"standard_index", authz.Principal{Username: "approver", Roles: []authz.Role{authz.CountyApprover}, Region: county},
			standardFixtureIndex(), []string{`id="preview"`, `name="effective" value="2027-13"`, "生效月份格式应为", `id="standard-row-3"`, "执行中"}},
		{"standard_change", authz.Principal{Username: "approver", Roles: []authz.Role{authz.CountyApprover}, Region: county},
			standardFixtureChange(), []string{`id="progress"`, `data-done="120"`, `data-total="500"`, `id="town-130123100000"`, "张*三"}},
		{"dashboard", p, dashboardPage{Greeting: "上午好", Name: "李村官", RegionName: "李家庄村", Today: "2026年3月2日 星期一",
			ShowCounts: true, Households: 12, Members: 31, Links: []quickLink{{"新建家庭", "/households/new", "登记"}}},
			[]string{"上午好，李村官", `id="stat-households">12`, "新建家庭"}},
		{"households", p, listPage{Filter: listFilter{Name: "张", IDInput: "13012319650312123", IDError: "身份证号应为18位"},
			Regions: regionChoices{Groups: groups}, Total: 45, Page: 2, Pages: 3, CanEdit: true, Filtered: true,
			Rows: []listRow{{ID: 1, Head: "张三", HeadID: "130123********1234", Size: 3, Village: "东湖镇 / 李家庄村",
				Urban: "农村", Updated: "2026-03-01 09:30"}},
			Links: []pageLink{{Label: "1", Href: "/households"}, {Label: "2", Current: true}, {Label: "…", Gap: true}},
			Prev:  "/households", Next: "/households?page=3"},
			[]string{"身份证号应为18位", "130123********1234", `<optgroup label="东湖镇">`, "＋ 新建家庭"}},
		{"household_form", p, fp, []string{"请修正以下问题", "第2名成员（张小）：身份证号应为18位", "第2名成员（张小）：重病成员请填写病情说明",
			`id="member_id_number_1"`, "138****5678（留空不修改）", `<template id="member-template">`, "member_name___N__",
			`name="version" id="version" value="3"`}},
		{"household", p, detailPage{ID: 5, Version: 3, HeadName: "张三", Village: "东湖镇 / 李家庄村", Address: "幸福路12号",
			Urban: "农村", PhoneMasked: "138****5678", BankName: "农村信用社", BankMasked: "**** **** **** 8901",
			BankFull: "6228480012345678901", Revealed: true, CanEdit: true, CanReveal: true, CanAudit: true,
			Notice: "该家庭信息已被他人修改，请刷新页面后重新操作",
			Members: []memberView{{ID: 11, Name: "张三", Relation: "户主", IDMasked: "130123********123X", Sex: "男", Age: 60,
				Disability: "无残疾", Labour: "有劳动能力", Health: "健康", CoResident: true}},
			Incomes: []incomeView{{ID: 1, Kind: "工资性收入", Member: "张三", Amount: "12,000.00", Cost: "1,200.00", Months: 12,
				Monthly: "900.00"}}, IncomeTotal: "900.00",
			Properties:    []propertyView{{ID: 2, Kind: "存款", Value: "5,000.00", Quantity: 1}},
			MemberChoices: []household.Enum{{Code: "0", Label: "全户"}, {Code: "11", Label: "张三"}},
			IncomeKinds:   household.IncomeKinds, PropertyKinds: household.PropertyKinds,
			Income: itemForm{V: map[string]string{"amount": "abc"}, Err: map[string]string{"amount": "收入金额：格式不正确"},
				Summary: []string{"收入金额：格式不正确"}},
			Property: itemForm{V: map[string]string{}, Err: map[string]string{}}},
			[]string{"6228480012345678901", "已记录查看日志", `id="reveal-phone"`, "工资性收入", "900.00",
				"收入金额：格式不正确", `value="abc"`, "该家庭信息已被他人修改"}},
		{"audit", authz.Principal{Username: "auditor", Roles: []authz.Role{authz.Auditor}}, auditPage{Actor: "clerk",
			Rows: []auditRow{{Seq: 9, At: "2026-03-01 09:30:00", Actor: "clerk", Roles: "村（社区）经办人", Region: "李家庄村",
				Action: "查看敏感信息", Code: "sensitive.reveal", Object: "household:5", Result: "成功", ResultOK: true,
				RequestID: "abc123", Detail: "phone"}}, Older: "/audit?before=9", Paged: true, Newest: "/audit"},
			[]string{"查看敏感信息", "household:5", "更早的记录"}},
		{"users", authz.Principal{Username: "auditor", Roles: []authz.Role{authz.Auditor}}, usersPage{Rows: []userRow{
			{Username: "clerk", DisplayName: "李村官", Roles: "村（社区）经办人", Region: "东湖镇 / 李家庄村", Active: true,
				LockedUntil: "2026-03-01 10:00"}}},
			[]string{"李村官", "2026-03-01 10:00", "启用"}},
		{"user_form", authz.Principal{Username: "secadmin", Roles: []authz.Role{authz.SecurityAdmin}}, userFormPage{
			F: userForm{Username: "Zhang", DisplayName: "张三", Region: string(villageA), HireDate: "2024-03-01",
				Roles: []string{"auditor", "security_admin"}, Posts: []string{"受理"}},
			Err: map[string]string{"username": "用户名只能使用小写字母、数字以及 _ . - 三种符号",
				"roles": "三员分立：安全管理员、审计管理员不得由同一账号兼任，请只保留其中一个"},
			Summary:    []string{"用户名只能使用小写字母、数字以及 _ . - 三种符号"},
			Regions:    []regionOption{{Code: string(county), Label: "平安县"}, {Code: string(villageA), Label: "　　李家庄村", Selected: true}},
			RoleGroups: roleGroups([]string{"auditor", "security_admin"}), Posts: []postOption{{Name: "受理", Checked: true}, {Name: "调查"}},
			Today: "2026-03-02"},
			[]string{"新建账号", "三员分立：安全管理员、审计管理员", `value="130123100201" selected`, `id="role_auditor" value="auditor" checked`,
				`value="受理" checked`, `max="2026-03-02"`, `type="password"`}},
		{"user", authz.Principal{UserID: 1, Username: "secadmin", Roles: []authz.Role{authz.SecurityAdmin}}, userDetailPage{
			ID: 9, Version: 4, Username: "clerk", DisplayName: "李村官", Region: "东湖镇 / 李家庄村", Posts: "受理、调查",
			HireDate: "2020-05-01", Roles: "村（社区）经办人", Active: true, Locked: true, LockedUntil: "2026-03-01 10:00",
			FailedLogins: 0, Sessions: 2, CanManage: true, RoleGroups: roleGroups([]string{"village_clerk"}),
			Notice: "该账号已被他人修改，请刷新后重试", RolesErr: "请至少选择一个角色",
			PasswordErr: map[string]string{"new_password": "密码至少12位"}},
			[]string{"锁定至 2026-03-01 10:00", `id="unlock-user"`, `id="deactivate-user"`, `name="version" value="4"`,
				`id="role_village_clerk" value="village_clerk" checked`, "请至少选择一个角色", "密码至少12位", "该账号已被他人修改"}},
		{"error", p, errorPage{Status: 500, Heading: "系统内部错误", Message: "请稍后再试", RequestID: "req-42"},
			[]string{"系统内部错误", "req-42", "返回工作台"}},
		{"learning", p, learningListPage{Categories: categoryOptions("policy_law"), Category: "policy_law", CanUpload: true,
			Groups: []learningGroup{{Category: "政策法规", Key: "policy_law", Rows: []learningRow{
				{ID: 4, Title: "低保政策解读", Kind: "视频", Length: "12分30秒", Minutes: 30, Percent: 40}}}}},
			[]string{`id="learning-item-4"`, `href="/learning/4"`, "低保政策解读", "12分30秒", "40%", `id="learning-new"`,
				`value="policy_law" selected`}},
		{"learning_item", p, learningItemPage{ID: 4, Title: "低保政策解读", Category: "政策法规", Video: true, Length: "10分钟",
			Minutes: 30, Percent: 25, Size: "1.0 MB", Checksum: "0123456789abcdef0123"},
			[]string{`<video id="player" src="/learning/4/content" controls`, `data-heartbeat="/learning/4/heartbeat"`,
				`<strong id="progress-pct">25%</strong>`, `src="/static/learning.js?v=`}},
		{"learning_form", p, learningFormPage{Values: map[string][]string{"title": {"低保政策解读"}},
			Categories: categoryOptions(""), Plans: []planOption{{ID: 2, Title: "一季度常规培训", Selected: true}}, MaxMB: 200,
			Err: map[string]string{"file": "文件类型不支持"}, Summary: []string{"文件类型不支持"}},
			[]string{`enctype="multipart/form-data"`, `value="低保政策解读"`, `<option value="2" selected>一季度常规培训</option>`,
				`<div class="error-msg">文件类型不支持</div>`, `id="learning_file"`}},
		{"training_dashboard", ta, trainingDashboardPage{Quarter: "2026年第4季度", OnboardingOverdue: 1, NonCompliant: 1,
			Compliant: 1, EnrollResult: "新增 2 项，撤销 0 项", Rows: []complianceRow{
				{PersonID: 9, Name: "张新", Region: "李家庄村", OnboardingDue: "2026-10-19", OnboardingOverdue: true},
				{PersonID: 10, Name: "王老", Region: "东湖镇", RegularEnrolled: true, RegularMinutes: 120, RegularRequired: 120, Compliant: true}},
			Regions: []regionRow{{Region: "东湖镇", Staff: 2, Compliant: 1, OnboardingOverdue: 1}}},
			[]string{`id="person-9" class="row-overdue"`, "已逾期", "120 / 120 分钟", `id="enroll-result"`, `id="run-enrollment"`,
				`id="stat-onboarding-overdue">1<`}},
		{"training_plans", ta, trainingPlansPage{Rows: []planRow{{ID: 3, Kind: "岗前培训", Title: "岗前培训2026", Region: "平安县",
			Period: "2026-01-01 至 2026-12-31", Hours: "2学时", Categories: "政策法规"}}},
			[]string{`id="plan-3"`, "岗前培训2026", "2学时", `href="/training/sessions/new?plan=3"`}},
		{"training_plan_form", ta, planFormPage{F: planForm{Kind: "special", Title: "专项"},
			Err:     map[string]string{"special_start": "请填写专项工作开始日期", "audience.hired": "入职日期范围的结束日期不能早于开始日期"},
			Summary: []string{"请填写专项工作开始日期"}, Kinds: []option{{Value: "special", Label: "专项培训", Checked: true}},
			Posts: []option{{Value: "调查", Label: "调查", Checked: true}}, Categories: []option{{Value: "ethics", Label: "职业道德与廉政"}}},
			[]string{`<option value="special" selected>专项培训</option>`, `<div class="error-msg">请填写专项工作开始日期</div>`,
				"入职日期范围的结束日期不能早于开始日期", `id="audience_post_0" value="调查" checked`, `id="create-plan"`}},
		{"training_sessions", ta, trainingSessionsPage{All: true, Rows: []sessionRow{{ID: 5, Kind: "课堂培训", Title: "政策解读",
			Time: "2026-10-12 09:00 – 11:00", Minutes: 120}}}, []string{`id="session-5"`, "政策解读", "120 分钟"}},
		{"training_session_form", ta, sessionFormPage{F: sessionForm{Title: "政策解读"}, Err: map[string]string{"time": "请填写培训的开始和结束时间"},
			Plans: []option{{Value: "2", Label: "四季度", Checked: true}}, Kinds: sessionKinds,
			Trainers: []option{{Value: "4", Label: "讲师甲"}}},
			[]string{`<option value="2" selected>四季度</option>`, `id="session-trainer"`, "请填写培训的开始和结束时间", `value="政策解读"`}},
		{"training_session", ta, trainingSessionPage{S: sessionRow{ID: 5, Title: "政策解读"}, Code: "123456", Expires: "09:01:00",
			Refresh: 30, Attendees: []attendeeRow{{ID: 8, Name: "王老"}}, Candidates: []attendeeRow{{ID: 9, Name: "张新"}},
			ManualErr: map[string]string{"reason": "请填写手工签到的原因"},
			Feedback:  training.Summary{Count: 1, Content: 5, Method: 4, Trainer: 3, Comments: []string{"好"}}},
			[]string{`>123456</div>`, `id="checkin-code"`, `content="30"`, `id="attendee-8"`, `<option value="9">张新</option>`,
				"请填写手工签到的原因", `id="avg-method">4.0<`}},
		{"training_trainers", ta, trainersPage{Year: 2026, Invites: 1, Target: 2, TargetVersion: "default", Below: true,
			Trainers: []trainerRow{{UserID: 4, Name: "王培训", Years: 6, Criteria: "业务经验丰富", DevMinutes: "8学时",
				Development: []devRow{{On: "2026-05-10", Title: "师资培训", Hours: "8学时"}}}},
			Experts: []expertRow{{ID: 2, Name: "李教授", Organisation: "省民政学院", InvitesThisYear: 1,
				Invitations: []inviteRow{{On: "2026-04-01", Topic: "政策解读", SessionID: 5}}}},
			Criteria: []option{{Value: "policy", Label: "熟悉政策法规和业务流程"}}, Err: map[string]string{"approved_by": "请填写审批人"},
			Summary: []string{"请填写审批人"}},
			[]string{`id="expert-invites-below"`, `id="stat-expert-invites">1<small> / 2 次`, `id="trainer-4"`, "师资培训",
				`id="criterion_policy"`, `href="/training/sessions/5"`, `id="invite-form-2"`, "请填写审批人"}},
		{"training_my", p, trainingMyPage{Quarter: "2026年第4季度", Total: 60, CheckinErr: "签到码错误或已过期",
			Items:      []myItemRow{{Title: "岗前培训", Kind: "岗前培训", Due: "2026-10-19", Overdue: true, Required: 120}},
			Categories: []categoryMinutes{{Label: "政策法规", Minutes: 60}}, Ratings: ratingChoices,
			Open:     []sessionRow{{ID: 5, Title: "政策解读"}},
			Feedback: []feedbackRow{{Session: sessionRow{ID: 5, Title: "政策解读"}, Err: map[string]string{"method": "请为培训方式评分"}}}},
			[]string{`id="checkin-session"`, `id="checkin-code-input"`, `id="checkin-submit"`, "签到码错误或已过期", "已逾期",
				`id="feedback-form-5"`, "请为培训方式评分", `id="minutes-total">60<`}},
		{"cases", p, casesPage{State: "publicity", Open: "open", States: allStates(), CanOpen: true, Rows: []caseRow{
			{ID: 3, Number: "130199-2026-000003", Head: "刘大山", Village: "东湖镇 / 李家庄村", State: "公示中", Tone: "amber",
				Due: "2026-10-13", TotalDue: "2026-11-02", Extended: true, Flagged: true, Overdue: true, Amount: "1,040.00"}}},
			[]string{`id="case-row-3"`, "130199-2026-000003", `badge-overdue">逾期`, "已延长", `value="publicity" selected`,
				`value="open" selected`, "1,040.00"}},
		{"case", authz.Principal{UserID: 3, Username: "township", Roles: []authz.Role{authz.TownshipOfficer}, Region: "130199101000"}, cp,
			[]string{`id="case-state" data-state="investigating"`, `id="act-record_home_visit"`,
				`<div class="error-msg">入户调查人员不足 2 人</div>`, `value="4" checked`, "须回避", `id="reason-submit_to_appraisal"`,
				"尚未记录入户调查", `name="idempotency_key"`, `type="date" id="f-record_home_visit-visit_date"`,
				`<textarea id="f-record_home_visit-findings"`, "提交时计算结果", "130199********002X", "2026年10月13日", "已延长",
				"近亲属备案家庭", `href="/cases/5/documents/DB-SL-130199-2026-000001"`, "受理回执", `id="upload-form"`, "收入证明.pdf", `href="/files/tok_123"`, `src="/workflow/seed.svg?state=investigating"`, "测试township、测试township2", "异议不成立"}},
		{"case_apply", p, ap, []string{`id="rel-none"`, `id="rel-some" value="some" checked`, `id="rel_member_0"`,
			"第1条近亲属登记不完整", `value="刘大山" selected`, "130199********002X", `id="apply-submit"`}},
		{"policy", authz.Principal{Username: "admin", Roles: []authz.Role{authz.CountyAdmin}, Region: county}, policyListPage{
			Regions: []regionOption{{Code: string(county), Label: "平安县", Selected: true}, {Code: string(townA), Label: "　东湖镇"}},
			Region:  string(county), RegionName: "平安县", Date: "2026-04-01", Today: "2026-03-10", Future: true,
			Groups: []policyGroupView{{Name: "业务流程", Rows: []policyRow{
				{Name: "publicity_wd", Label: "公示期", Value: "10 工作日", Source: "制度文件[X]", Basis: "国家规定不少于7天",
					Version: "130123000000@2026-04-01#1", VersionLabel: "平安县 · 2026-04-01 起", Levels: "县/区",
					Href: "/policy/publicity_wd?region=130123000000", CanSet: true},
				{Name: "min_investigators", Label: "入户调查最少人数", Value: "2 人", Source: "制度文件[X]", VersionLabel: "默认值",
					Default: true, Levels: "县/区、乡镇/街道", Href: "/policy/min_investigators?region=130123000000"}}}}},
			[]string{`<tr id="param-publicity_wd">`, "10 工作日", "130123000000@2026-04-01#1", `<span class="tag tag-grey">默认值</span>`,
				`id="policy-future"`, `value="2026-04-01"`, ">调整<", ">查看<", `<option value="130123000000" selected>平安县</option>`}},
		{"policy_param", authz.Principal{Username: "admin", Roles: []authz.Role{authz.CountyAdmin}, Region: county}, policyDetailPage{
			Name: "appraisal", Label: "民主评议", Group: "业务流程", Basis: "制度文件要求评议", Source: "制度文件[X]", Kind: "select",
			Range: "可选：每户评议、有异议时评议、不评议", Levels: "县/区、乡镇/街道", Region: string(townA), RegionName: "东湖镇",
			Current: "每户评议", VersionLabel: "默认值", Today: "2026-03-10", CanSet: true,
			History: []policyHistRow{
				{ID: 3, Version: "130123100000@2026-04-01#3", Region: "东湖镇", Value: "有异议时评议", EffectiveFrom: "2026-04-01",
					Note: "更正", Who: "admin", When: "2026-03-10 10:00", Pending: true, Corrects: 2},
				{ID: 2, Version: "130123100000@2026-04-01#2", Region: "东湖镇", Value: "不评议", EffectiveFrom: "2026-04-01",
					Note: "录入错误", Who: "admin", When: "2026-03-09 10:00", Superseded: true}},
			F:       policyForm{Value: "never", EffectiveFrom: "2026-03-01", Note: ""},
			Options: []policyOption{{Code: "always", Label: "每户评议"}, {Code: "never", Label: "不评议", Selected: true}},
			Err:     map[string]string{"effective_from": "生效日期不能早于今天，已作出的决定不受影响", "note": msgPolicyNote},
			Summary: []string{"生效日期不能早于今天，已作出的决定不受影响", msgPolicyNote}},
			[]string{`<option value="never" selected>不评议</option>`, `<div class="error-msg">生效日期不能早于今天`,
				`min="2026-03-10"`, "待生效", "已被更正", "更正 #2", "<s>不评议</s>", `name="region_code" value="130123100000"`,
				`id="policy-form"`, "请修正以下问题"}},
		{"review_list", authz.Principal{Username: "admin", Roles: []authz.Role{authz.CountyAdmin}, Region: county}, reviewListPage{
			Filter: reviewFilter{Kind: "change_report"}, CanGenerate: true, Total: 1, Page: 1, Pages: 1, Error: "到期日期应写作“2027-01-31”的格式",
			Kinds:    []choice{{Value: "periodic", Label: "定期复核"}, {Value: "change_report", Label: "变化报告复核"}},
			Statuses: []choice{{Value: "undecided", Label: "未办结"}, {Value: "open", Label: "待乡镇复核"}},
			Rows: []reviewRow{{ID: 9, Kind: "change_report", HeadName: "张*", Village: "东湖镇 / 李家庄村", Due: "2026-12-01", Overdue: true,
				Status: "open", StatusLabel: "待乡镇复核", StatusTone: "amber", Amount: "650.00", DecisionRejected: true}}},
			[]string{"生成到期复核任务", `<option value="change_report" selected>变化报告复核</option>`, "review-row-9", "逾期", "县级退回",
				"到期日期应写作"}},
		{"review_task", authz.Principal{Username: "county", Roles: []authz.Role{authz.CountyApprover}, Region: county}, reviewTaskPage{
			ID: 9, HouseholdID: 5, Version: 2, Kind: "定期复核", StateLabel: "待县级决定", StateTone: "blue", Actor: "县级审批人",
			HeadName: "张*", Amount: "1000.00", NoticeNumber: "DB-BG-130199-2026-000001", NoticeHref: "/reviews/notices/9",
			Proposal: &proposalView{Outcome: "减发", OldAmount: "1000.00", NewAmount: "350.00", Reasons: []string{"月保障金由1000.00元减至350.00元"}},
			Options: []optionCard{{Action: "/reviews/9/act/decide", ID: "decide", Label: "同意复核意见，作出决定", Enabled: true, Version: 2,
				Style: "btn-primary"}, {ID: "send_back", Label: "退回乡镇重新复核", Reason: "复核意见的提出人不能同时作出决定"}},
			Timeline: []eventView{{Seq: 1, Label: "提出复核意见", To: "待县级决定", Values: []kv{{"收入核查情况", "无变化"}}}}},
			[]string{`action="/reviews/9/act/decide"`, "复核意见的提出人不能同时作出决定", "/reviews/notices/9", "减发", `href="/households/5"`,
				"无变化"}},
		{"workflow", p, wp, []string{`<img src="/workflow/seed.svg"`, `<img src="/workflow/national-2021.svg"`,
			"入户调查人数达到要求", "家庭经济状况入户调查表", "须写明原因"}},
		{"ledger_index", ledgerAdmin, ledgerIndexFixture(), []string{`id="ledger-error"`, "不是台账模板的表头", `id="ledger-batch-4"`}},
		{"ledger_batch", ledgerAdmin, ledgerBatchFixture(), []string{`确认导入有效记录（1条）`, `data-row="3"`, "户*1", "李家庄村"}},
		// Rosters (issue 4 item 6).
		{"roster_list", ca, rosterListPage{Counties: []regionOption{{Code: string(county), Label: "平安县", Selected: true}},
			County: string(county), CountyName: "平安县", Month: "2027-01", Err: map[string]string{"month": roster.MsgMonth},
			Summary: []string{roster.MsgMonth}, Months: []rosterMonthRow{{ID: 3, Month: "2026-12", Status: "已审批锁定", Tone: "green",
				Households: 12, Total: "9,600.00", Paid: 10, Failed: 2, Href: "/rosters/3", Approved: true}}},
			[]string{`id="build-roster"`, `name="county"`, `name="month"`, `value="2027-01"`, `id="roster-2026-12"`, "已审批锁定",
				`<span class="tag tag-red">2</span>`, roster.MsgMonth}},
		{"roster_detail", ca, rosterDetailPage{ID: 3, CountyName: "平安县", Month: "2027-01", Status: "草稿", Tone: "amber",
			Households: 2, Members: 3, Total: "1,700.00", CanApprove: true, XLSXHref: "/rosters/3/export.xlsx",
			BankHref: "/rosters/3/bank.csv", Summary: []string{"第3行（序号 2）：金额 900.00 元与名册 800.00 元不符"}, UploadError: true,
			Diff: rosterDiffView{HasPrev: true, PrevMonth: "2026-12", PrevHref: "/rosters/2", AddedN: 1, RemovedN: 1, ChangedN: 1,
				Added:   []rosterChangeView{{Head: "张*", Village: "东湖镇 / 李家庄村", New: "900.00"}},
				Removed: []rosterChangeView{{Head: "李*", Village: "南河镇 / 王家村", Old: "700.00"}},
				Changed: []rosterChangeView{{Head: "王*", Village: "东湖镇 / 李家庄村", Kind: "减少", Old: "1,000.00", New: "800.00", Delta: "−200.00"}}},
			Rows: []rosterRowView{{Seq: 1, Township: "东湖镇", Village: "李家庄村", Head: "张*", Members: 1, Urban: "农村", Amount: "900.00",
				Status: "待审批", Tone: "grey"}},
			FailedRows: []rosterRowView{{Seq: 2, Head: "王*", Amount: "800.00", Reason: "账户已销户"}},
			Page:       1, Pages: 2, Links: []pageLink{{Label: "1", Current: true}, {Label: "2", Href: "/rosters/3?page=2#rows"}}, Next: "/rosters/3?page=2#rows"},
			[]string{`id="approve-roster"`, `href="/rosters/3/export.xlsx" id="export-xlsx"`, "银行回盘文件未导入", "−200.00", `id="diff-removed-table"`,
				"账户已销户", `id="row-1"`, "第 1 / 2 页"}},
		{"reports", p, reportFixtures(), []string{`id="report-row-3"`, "请选择变化类型", `value="income_up" selected`, `id="report-form"`}},
		{"report", p, reportPageFixture(), []string{`data-state="reported"`, `action="/reviews/reports/3/act/confirm"`, "须回避", "请填写核实情况", `id="reason-refute"`}},
		{"spotchecks", p, spotCheckListFixture(), []string{`id="spot-row-2"`, "1 / 3", "随机种子应为正整数"}},
		{"spotcheck", p, spotCheckFixture(), []string{"刘*山", "近亲属备案", "请写明核查情况", `id="result-form-9"`}},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			s.render(w, httptest.NewRequest("GET", "/", nil), tc.p, http.StatusOK, tc.name, "标题", []crumb{{Label: "家庭档案", Href: "/households"}, {Label: "测试"}}, tc.page)
			body := w.Body.String()
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, body)
			}
			if !strings.Contains(body, `<html lang="zh-CN">`) {
				t.Error("no zh-CN html element")
			}
			for _, want := range tc.wants {
				if !strings.Contains(body, want) {
					t.Errorf("missing %q", want)
				}
			}
			if tc.p.Username != "" && !strings.Contains(body, SystemName) {
				t.Error("layout without system name")
			}
		})
	}
	for _, name := range renderTestedElsewhere {
		seen[name] = true
	}
	for _, name := range pages {
		if !seen[name] {
			t.Errorf("template %s has no render test", name)
		}
	}
}

// renderTestedElsewhere names page templates whose handler tests render
// them with real data, error states included (each feature's file adds its
// own in an init function).
var renderTestedElsewhere []string
