package practical

import (
	"testing"

	"dibao/internal/money"
)

func TestTimePoints(t *testing.T) {
	for _, c := range []struct{ min, target, w, want int }{
		{5, 10, 20, 20}, {10, 10, 20, 20}, {11, 10, 20, 18}, {15, 10, 20, 10}, {19, 10, 20, 2}, {20, 10, 20, 0},
		{90, 10, 20, 0}, {45, 30, 15, 7},
	} {
		if got := TimePoints(c.min, c.target, c.w); got != c.want {
			t.Errorf("TimePoints(%d, %d, %d) = %d, want %d", c.min, c.target, c.w, got, c.want)
		}
	}
}

func TestDeficiencyPoints(t *testing.T) {
	exp := []string{"income_proof", "property_declaration"}
	for _, c := range []struct {
		listed []string
		want   int
	}{
		{[]string{"income_proof", "property_declaration"}, 30},
		{[]string{"property_declaration", "income_proof", "income_proof"}, 30},
		{[]string{"income_proof"}, 15},
		{[]string{"income_proof", "promise"}, 0},
		{[]string{"income_proof", "property_declaration", "promise"}, 15},
		{nil, 0},
	} {
		if got := DeficiencyPoints(exp, c.listed, 30); got != c.want {
			t.Errorf("DeficiencyPoints(%v) = %d, want %d", c.listed, got, c.want)
		}
	}
}

func TestAmountWithin(t *testing.T) {
	if !AmountWithin(money.FromYuan(1195), money.FromYuan(1196)) || AmountWithin(money.FromYuan(1195), money.Fen(119601)) ||
		!AmountWithin(money.FromYuan(1195), money.Fen(119401)) || AmountWithin(money.FromYuan(1195), money.FromYuan(1000)) {
		t.Fatal("tolerance is one yuan either way")
	}
}

// A hand-worked breakdown for each scenario: the item points and total.
func TestAutoBreakdowns(t *testing.T) {
	inc, _ := ScenarioByID("incomplete")
	veh, _ := ScenarioByID("vehicle")
	sup, _ := ScenarioByID("supplement")
	for _, sc := range Scenarios {
		if sc.AutoMax()+sc.RubricMax() != 100 {
			t.Fatalf("%s: automatic %d + rubric %d != 100", sc.ID, sc.AutoMax(), sc.RubricMax())
		}
	}
	cases := []struct {
		name string
		sc   Scenario
		perf Performance
		want map[string]int
	}{
		{"incomplete right, on time", inc, Performance{FinalState: "returned", NoticeIssued: true,
			Deficiencies: []string{"income_proof", "property_declaration"}, Minutes: 8},
			map[string]int{ItemOutcome: 30, ItemDeficiency: 30, ItemTime: 20}},
		{"incomplete, one material missed, 15 min", inc, Performance{FinalState: "returned", NoticeIssued: true,
			Deficiencies: []string{"income_proof"}, Minutes: 15},
			map[string]int{ItemOutcome: 30, ItemDeficiency: 15, ItemTime: 10}},
		{"incomplete accepted instead", inc, Performance{FinalState: "accepted", Minutes: 3},
			map[string]int{ItemOutcome: 0, ItemDeficiency: 0, ItemTime: 0}},
		{"vehicle right", veh, Performance{FinalState: "rejected", Reason: "家庭拥有小型轿车一辆", Investigators: 2,
			MinInvestigators: 2, PublicityStart: "2026-11-02", PublicityEnd: "2026-11-10", PublicityClosed: true, Minutes: 30},
			map[string]int{ItemOutcome: 25, ItemReason: 15, ItemInvestigator: 15, ItemPublicity: 10, ItemTime: 15}},
		{"vehicle, one investigator, wrong reason, slow", veh, Performance{FinalState: "rejection_delivered",
			Reason: "收入超标", Investigators: 1, MinInvestigators: 2, PublicityStart: "2026-11-02",
			PublicityEnd: "2026-11-10", PublicityClosed: true, Minutes: 40},
			map[string]int{ItemOutcome: 25, ItemReason: 0, ItemInvestigator: 0, ItemPublicity: 10, ItemTime: 10}},
		{"supplement right", sup, Performance{FinalState: "approved", Investigators: 3, MinInvestigators: 2,
			PublicityStart: "a", PublicityEnd: "b", PublicityClosed: true, Expected: money.FromYuan(1195),
			Declared: money.FromYuan(1195), CaseAmount: money.FromYuan(1195), Minutes: 20},
			map[string]int{ItemOutcome: 20, ItemAmount: 20, ItemInvestigator: 15, ItemPublicity: 10, ItemTime: 15}},
		{"supplement, amount without supplements, never publicised", sup, Performance{FinalState: "county_decision",
			Investigators: 2, MinInvestigators: 2, Expected: money.FromYuan(1195), Declared: money.FromYuan(1000), Minutes: 20},
			map[string]int{ItemOutcome: 0, ItemAmount: 0, ItemInvestigator: 15, ItemPublicity: 0, ItemTime: 0}},
	}
	for _, c := range cases {
		items := Auto(c.sc, c.perf)
		if len(items) != len(c.want) {
			t.Fatalf("%s: %d items, want %d", c.name, len(items), len(c.want))
		}
		sum := 0
		for _, it := range items {
			if it.Points != c.want[it.Code] {
				t.Errorf("%s: %s = %d, want %d (%+v)", c.name, it.Code, it.Points, c.want[it.Code], it)
			}
			if it.Expected == "" || it.Done == "" || it.Label == "" {
				t.Errorf("%s: %s lacks expected/done/label: %+v", c.name, it.Code, it)
			}
			sum += c.want[it.Code]
		}
		if Total(items) != sum {
			t.Errorf("%s: total %d, want %d", c.name, Total(items), sum)
		}
	}
	if !Passed(60, 60) || Passed(59, 60) {
		t.Fatal("pass is at or above the mark")
	}
}
