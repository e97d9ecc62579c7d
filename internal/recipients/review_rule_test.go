package recipients

import (
	"slices"
	"testing"
	"time"

	"dibao/internal/household"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/review"
)

// The review cadence rule comes from the county's policy: which households
// count as variable (able-bodied members, listed income kinds) is set per
// county, not fixed in code.
func TestReviewRuleFromPolicy(t *testing.T) {
	county := region.Code("130199000000")
	on := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	def, err := policy.ResolveRows(county, on, nil)
	if err != nil {
		t.Fatal(err)
	}
	rule := reviewRule(def)
	if rule.StableMonths != 12 || rule.VariableMonths != 6 || !rule.VariableIfAbleBodied ||
		!slices.Equal(rule.VariableIfIncomeKinds, []household.IncomeKind{"business"}) {
		t.Fatalf("default rule %+v", rule)
	}
	set, err := policy.ResolveRows(county, on, []policy.Row{
		{ID: 1, Region: county, Name: policy.ReviewVariableAbleBodied, Value: "false", EffectiveFrom: "2027-01-01"},
		{ID: 2, Region: county, Name: policy.ReviewVariableIncomeKinds, Value: "wage,transfer", EffectiveFrom: "2027-01-01"},
		{ID: 3, Region: county, Name: policy.ReviewMonthsVariable, Value: "3", EffectiveFrom: "2027-01-01"},
	})
	if err != nil {
		t.Fatal(err)
	}
	rule = reviewRule(set)
	able := review.Recipient{AbleBodied: true, IncomeKinds: []household.IncomeKind{"business"}}
	wage := review.Recipient{IncomeKinds: []household.IncomeKind{"wage"}}
	if m, _ := review.Cadence(rule, able); m != 12 {
		t.Errorf("able-bodied with business income: every %d months, want 12 once neither makes a household variable", m)
	}
	if m, _ := review.Cadence(rule, wage); m != 3 {
		t.Errorf("wage income: every %d months, want the county's variable cycle of 3", m)
	}
}
