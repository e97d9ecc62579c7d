package workflow

import (
	"dibao/internal/authz"
	"dibao/internal/region"
)

// ProfileChangeReport names the change-report workflow. It is not a case
// profile (not in Profiles): a change report concerns a household already
// on the register, reported by its village, verified by the township and
// then either forwarded to a review or closed.
const ProfileChangeReport = "change-report"

// Findings of a change-report verification, as stored on the report.
const (
	FindingConfirmed    = "confirmed"     // 属实
	FindingNotConfirmed = "not_confirmed" // 不属实
)

// FindingLabel returns the Chinese label of a verification finding.
func FindingLabel(f string) string {
	switch f {
	case FindingConfirmed:
		return "属实"
	case FindingNotConfirmed:
		return "不属实"
	}
	return ""
}

// ChangeReportKinds are the kinds of change a village reports, in form order.
var ChangeReportKinds = []Choice{
	{"income_up", "收入增加"},
	{"member_added", "家庭成员增加"},
	{"member_died", "成员死亡"},
	{"member_moved", "成员迁出"},
	{"other", "其他"},
}

// ChangeReportKindLabel returns the Chinese label of a report kind.
func ChangeReportKindLabel(kind string) string {
	for _, c := range ChangeReportKinds {
		if c.Value == kind {
			return c.Label
		}
	}
	return kind
}

// verifyRecords is the verification record: how the township verified and
// what it found. The finding itself is the transition taken (属实 or 不属实),
// so a guard never has to read it back.
func verifyRecords() []Field {
	return []Field{
		{Name: "method", Label: "核实方式", Kind: KindSelect, Required: true, Options: []Choice{
			{"home_visit", "入户核查"}, {"interview", "走访邻里"}, {"data_check", "部门信息比对"},
			{"phone", "电话核实"}, {"other", "其他方式"}}},
		{Name: "verified_on", Label: "核实日期", Kind: KindDate, Required: true},
		{Name: "note", Label: "核实情况", Kind: KindText, Required: true},
	}
}

// ChangeReport is the workflow of a change reported by the village (SPEC
// §2.3 动态管理). The village clerk reports a change of a recipient
// household, which creates the report in "reported"; the township officer
// verifies it and records how and with which finding (属实 / 不属实; a
// second verification may change the finding); a confirmed change is
// forwarded to a review (the service creates a review task of kind
// change_report for the household), an unconfirmed one is closed with a
// reason. Until the township has verified, the village may withdraw it.
func ChangeReport() Definition {
	return Definition{
		Name:     ProfileChangeReport,
		Title:    "村级变化情况报告核实流程",
		Initial:  "reported",
		Defaults: DefaultParams(),
		States: []State{
			{ID: "reported", Label: "待乡镇核实", Actor: authz.TownshipOfficer},
			{ID: "confirmed", Label: "核实属实，待转入复核", Actor: authz.TownshipOfficer},
			{ID: "not_confirmed", Label: "核实不属实，待办结", Actor: authz.TownshipOfficer},
			{ID: "forwarded", Label: "已转入复核", Terminal: true},
			{ID: "closed", Label: "核实不属实，已办结", Terminal: true},
			{ID: "withdrawn", Label: "村级已撤回", Terminal: true},
		},
		Transitions: []Transition{
			{
				ID: "confirm", Label: "核实属实", From: []string{"reported", "not_confirmed"}, To: "confirmed",
				Roles: township, Level: region.Township, Records: verifyRecords(),
			},
			{
				ID: "refute", Label: "核实不属实", From: []string{"reported", "confirmed"}, To: "not_confirmed",
				Roles: township, Level: region.Township, Records: verifyRecords(),
			},
			{
				ID: "forward", Label: "转入复核", From: []string{"confirmed"}, To: "forwarded",
				Roles: township, Level: region.Township,
				Records: []Field{{Name: "comment", Label: "转复核说明", Kind: KindText}},
			},
			{
				ID: "close", Label: "不属实，办结", From: []string{"not_confirmed"}, To: "closed",
				Roles: township, Level: region.Township, RequiresReason: true,
			},
			{
				ID: "withdraw", Label: "撤回报告", From: []string{"reported"}, To: "withdrawn",
				Roles: village, Level: region.Village, RequiresReason: true,
			},
		},
	}
}
