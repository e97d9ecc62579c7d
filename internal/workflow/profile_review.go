package workflow

import (
	"dibao/internal/authz"
	"dibao/internal/region"
)

// ProfileRecipientReview names the recipient-review workflow.
const ProfileRecipientReview = "recipient-review"

// MsgProposer is the refusal when the person who proposed a review outcome
// tries to decide it too.
const MsgProposer = "复核意见的提出人不能同时作出决定，须由其他审批人办理"

// RecipientReview is the second workflow (SPEC §2.3, issue 4 items 3 and
// 5): a periodic review or spot check of a household already receiving the
// benefit. The township verifies income and property (updating the
// household file), the benefit engine recomputes, and the township
// proposes the outcome (no change, increase, decrease, category change,
// phase-out or stop); the county decides it or sends it back with a
// reason. A decision that lowers or ends the payment issues a notice with
// the reasons.
//
// It is not a case profile: Profiles() lists only the application
// workflows a county may select in policy.
func RecipientReview() Definition {
	return Definition{
		Name:     ProfileRecipientReview,
		Title:    "保障对象定期复核流程",
		Initial:  "open",
		Defaults: DefaultParams(),
		States: []State{
			{ID: "open", Label: "待乡镇复核", Actor: authz.TownshipOfficer},
			{ID: "proposed", Label: "待县级决定", Actor: authz.CountyApprover},
			{ID: "decided", Label: "已决定", Terminal: true},
		},
		Transitions: []Transition{
			{
				ID: "propose", Label: "提出复核意见，报县级决定", From: []string{"open"}, To: "proposed",
				Roles: township, Level: region.Township,
				Guards: []string{"benefit_computed"},
				Records: []Field{
					{Name: "verified_on", Label: "核查日期", Kind: KindDate, Required: true},
					{Name: "income_check", Label: "收入核查情况", Kind: KindText, Required: true},
					{Name: "property_check", Label: "财产核查情况", Kind: KindText, Required: true},
					{Name: "employment_income", Label: "收入增加来自务工就业（适用渐退）", Kind: KindBool},
					{Name: "category", Label: "调整保障类别（不调整则不选）", Kind: KindSelect, Options: []Choice{
						{"A", "A类（重点保障）"}, {"B", "B类"}, {"C", "C类"},
					}},
					{Name: "effective_month", Label: "生效月份（如 2027-01，不填为下月）", Kind: KindText},
				},
				Certification: "review",
			},
			{
				ID: "decide", Label: "同意复核意见，作出决定", From: []string{"proposed"}, To: "decided",
				Roles: approver, Level: region.County,
				Guards:        []string{"not_proposer"},
				Records:       []Field{{Name: "comment", Label: "决定意见", Kind: KindText}},
				Documents:     []string{"review_notice"}, // issued when the payment is lowered, phased out or stopped
				Certification: "approval",
			},
			{
				ID: "send_back", Label: "退回乡镇重新复核", From: []string{"proposed"}, To: "open",
				Roles: approver, Level: region.County,
				Guards:         []string{"not_proposer"},
				RequiresReason: true,
				Certification:  "approval",
			},
		},
	}
}
