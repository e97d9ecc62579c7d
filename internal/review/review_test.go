package review

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"dibao/internal/benefit"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/money"
)

func d(y int, m time.Month, day int) time.Time { return calendar.Date(y, m, day) }

func TestCadence(t *testing.T) {
	def := DefaultRule()
	cases := []struct {
		name   string
		rule   Rule
		r      Recipient
		months int
		reason string
	}{
		{"stable", def, Recipient{}, 12, "相对稳定"},
		{"irregular income", def, Recipient{IrregularIncome: true}, 6, "收入不固定"},
		{"able-bodied", def, Recipient{AbleBodied: true}, 6, "有劳动能力"},
		{"able-bodied ignored by rule", Rule{StableMonths: 12, VariableMonths: 6}, Recipient{AbleBodied: true}, 12, "相对稳定"},
		{"business income", def, Recipient{IncomeKinds: []household.IncomeKind{"wage", "business"}}, 6, "经营净收入"},
		{"wage only", def, Recipient{IncomeKinds: []household.IncomeKind{"wage"}}, 12, "相对稳定"},
		{"rule above a year clamped", Rule{StableMonths: 24, VariableMonths: 6}, Recipient{}, 12, "每12个月"},
		{"zero rule clamped", Rule{}, Recipient{IrregularIncome: true}, 12, "每12个月"},
		{"custom variable", Rule{StableMonths: 12, VariableMonths: 3}, Recipient{IrregularIncome: true}, 3, "每3个月"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, why := Cadence(c.rule, c.r)
			if m != c.months || !strings.Contains(why, c.reason) {
				t.Errorf("Cadence = %d %q, want %d containing %q", m, why, c.months, c.reason)
			}
		})
	}
}

func TestRuleValidate(t *testing.T) {
	if err := DefaultRule().Validate(); err != nil {
		t.Fatal(err)
	}
	f := errs.Fields(Rule{StableMonths: 13, VariableMonths: 0}.Validate())
	if f["review_months_stable"] == "" || f["review_months_variable"] == "" {
		t.Errorf("fields = %v", f)
	}
	if (Rule{StableMonths: 6, VariableMonths: 12}).Validate() == nil {
		t.Error("variable longer than stable accepted")
	}
}

func TestDue(t *testing.T) {
	def := DefaultRule()
	cases := []struct {
		name    string
		r       Recipient
		today   time.Time
		horizon int
		next    time.Time
		due     bool
	}{
		{"from enrolment month", Recipient{Since: d(2026, 3, 20)}, d(2027, 3, 1), 0, d(2027, 3, 1), true},
		{"not yet", Recipient{Since: d(2026, 3, 1)}, d(2027, 2, 28), 0, d(2027, 3, 1), false},
		{"within horizon", Recipient{Since: d(2026, 3, 1)}, d(2027, 2, 1), 28, d(2027, 3, 1), true},
		{"just outside horizon", Recipient{Since: d(2026, 3, 1)}, d(2027, 2, 1), 27, d(2027, 3, 1), false},
		{"from last review", Recipient{Since: d(2020, 1, 1), LastReview: d(2026, 5, 10)}, d(2026, 6, 1), 0, d(2027, 5, 10), false},
		{"variable from last review", Recipient{Since: d(2020, 1, 1), LastReview: d(2026, 5, 10), AbleBodied: true}, d(2026, 11, 10), 0, d(2026, 11, 10), true},
		{"month end clamps", Recipient{Since: d(2020, 1, 1), LastReview: d(2026, 8, 31), IrregularIncome: true}, d(2027, 3, 1), 0, d(2027, 2, 28), true},
		{"leap year", Recipient{Since: d(2020, 1, 1), LastReview: d(2027, 8, 31), IrregularIncome: true}, d(2028, 1, 1), 0, d(2028, 2, 29), false},
		{"review before enrolment ignored", Recipient{Since: d(2026, 7, 1), LastReview: d(2026, 5, 1)}, d(2026, 8, 1), 0, d(2027, 7, 1), false},
		{"overdue", Recipient{Since: d(2024, 1, 1)}, d(2026, 8, 1), 0, d(2025, 1, 1), true},
		{"UTC instant late in the day is next Shanghai day", Recipient{Since: d(2026, 1, 1), LastReview: time.Date(2026, 6, 30, 20, 0, 0, 0, time.UTC)}, d(2027, 7, 1), 0, d(2027, 7, 1), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next, due := Due(def, c.r, c.today, c.horizon)
			if !next.Equal(c.next) || due != c.due {
				t.Errorf("Due = %s %v, want %s %v", next.Format(time.DateOnly), due, c.next.Format(time.DateOnly), c.due)
			}
		})
	}
}

func TestGenerateIdempotent(t *testing.T) {
	rule := DefaultRule()
	today := d(2027, 1, 10)
	rs := []Recipient{
		{HouseholdID: 3, Since: d(2025, 1, 1)},                   // overdue since 2026-01-01
		{HouseholdID: 1, Since: d(2026, 1, 1)},                   // due 2027-01-01, overdue
		{HouseholdID: 2, Since: d(2026, 6, 1)},                   // 2027-06-01: not due
		{HouseholdID: 4, Since: d(2026, 7, 1), AbleBodied: true}, // 2027-01-01
		{HouseholdID: 5, Since: d(2026, 2, 1)},                   // 2027-02-01: within 30 days
		{HouseholdID: 1, Since: d(2026, 1, 1)},                   // listed twice
		{HouseholdID: 6, Since: d(2025, 1, 1), Region: "x"},      // has an open task
	}
	existing := map[int64]time.Time{6: d(2026, 1, 1)}
	tasks := Generate(rule, rs, existing, today, 30)
	var ids []int64
	for _, tk := range tasks {
		ids = append(ids, tk.HouseholdID)
	}
	if want := []int64{3, 1, 4, 5}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("ids = %v, want %v", ids, want)
	}
	if !tasks[0].Overdue || tasks[3].Overdue || tasks[2].Months != 6 {
		t.Errorf("tasks = %+v", tasks)
	}
	for _, tk := range tasks {
		existing[tk.HouseholdID] = tk.DueDate
	}
	if again := Generate(rule, rs, existing, today, 30); len(again) != 0 {
		t.Errorf("second run created %+v", again)
	}
}

func recips(n int) []Recipient {
	rs := make([]Recipient, n)
	for i := range rs {
		rs[i] = Recipient{HouseholdID: int64(1000 + i)}
	}
	return rs
}

func TestSample(t *testing.T) {
	rs := recips(20)
	rs[3].RelativeFlag = true
	rs[7].Complaints = 2
	rs[9].RelativeFlag, rs[9].Complaints = true, 1

	chosen, reasons := Sample(rs, Rate{30, 100}, 42)
	random := 0
	for _, id := range chosen {
		if reasons[id] == ReasonRandom {
			random++
		}
	}
	if random != 6 { // ⌈0.3 × 20⌉
		t.Errorf("random = %d, want 6", random)
	}
	if len(chosen) != 9 || len(reasons) != 9 {
		t.Errorf("chosen = %v", chosen)
	}
	if reasons[1003] != ReasonRelative || reasons[1007] != ReasonComplaint || reasons[1009] != "近亲属备案、有投诉举报" {
		t.Errorf("reasons = %v", reasons)
	}
	for i := 1; i < len(chosen); i++ {
		if chosen[i-1] >= chosen[i] {
			t.Fatalf("not sorted: %v", chosen)
		}
	}

	// Reproducible whatever the input order and duplicates.
	rev := make([]Recipient, 0, len(rs)+1)
	for i := len(rs) - 1; i >= 0; i-- {
		rev = append(rev, rs[i])
	}
	rev = append(rev, rs[0])
	chosen2, reasons2 := Sample(rev, Rate{30, 100}, 42)
	if !reflect.DeepEqual(chosen, chosen2) || !reflect.DeepEqual(reasons, reasons2) {
		t.Errorf("not reproducible: %v vs %v", chosen, chosen2)
	}
	// Pinned: a recorded seed must reproduce the same sample in every release.
	if want := pinned; !reflect.DeepEqual(chosen, want) {
		t.Errorf("seed 42 sample = %#v, want pinned %#v", chosen, want)
	}
	other, _ := Sample(rs, Rate{30, 100}, 43)
	if reflect.DeepEqual(other, chosen) {
		t.Errorf("seed has no effect")
	}
}

var pinned = []int64{1003, 1004, 1006, 1007, 1008, 1009, 1012, 1016, 1017}

func TestSampleCounts(t *testing.T) {
	cases := []struct {
		name string
		n    int
		rate Rate
		want int
	}{
		{"30% of 10", 10, Rate{30, 100}, 3},
		{"30% of 11 rounds up", 11, Rate{30, 100}, 4},
		{"30% of 1", 1, Rate{30, 100}, 1},
		{"none", 0, Rate{30, 100}, 0},
		{"zero rate", 50, Rate{0, 100}, 0},
		{"full", 7, Rate{1, 1}, 7},
		{"invalid rate", 7, Rate{3, 0}, 0},
		{"above one", 7, Rate{3, 2}, 0},
		{"huge denominator", 10, Rate{1, 1 << 62}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			chosen, _ := Sample(recips(c.n), c.rate, 7)
			if len(chosen) != c.want {
				t.Errorf("got %d, want %d", len(chosen), c.want)
			}
		})
	}
}

func TestSampleForcedExceedPool(t *testing.T) {
	rs := recips(4)
	rs[0].Complaints, rs[1].Complaints, rs[2].Complaints = 1, 1, 1
	chosen, reasons := Sample(rs, Rate{1, 2}, 1) // wants 2 random, only 1 left
	if len(chosen) != 4 || reasons[1003] != ReasonRandom {
		t.Errorf("chosen %v %v", chosen, reasons)
	}
}

func TestSampleUniform(t *testing.T) {
	// Each household should be picked about rate of the time over many seeds.
	counts := make(map[int64]int)
	rs := recips(10)
	for seed := range uint64(2000) {
		chosen, _ := Sample(rs, Rate{3, 10}, seed)
		for _, id := range chosen {
			counts[id]++
		}
	}
	for id, c := range counts {
		if c < 500 || c > 700 { // expected 600
			t.Errorf("household %d picked %d times of 2000", id, c)
		}
	}
}

func TestNewSeed(t *testing.T) {
	if NewSeed() == NewSeed() {
		t.Error("two seeds equal")
	}
}

func res(o benefit.Outcome, amount money.Fen, cats []string, reasons ...string) benefit.Result {
	r := benefit.Result{Outcome: o, Eligible: o == benefit.OutcomeEligible, Amount: amount, Categories: cats}
	for _, c := range reasons {
		r.Reasons = append(r.Reasons, benefit.Reason{Code: c, Text: "原因:" + c})
	}
	return r
}

func TestDecide(t *testing.T) {
	el := benefit.OutcomeEligible
	base := res(el, 50000, []string{"elderly"})
	cases := []struct {
		name     string
		before   benefit.Result
		after    benefit.Result
		employed bool
		phaseout int
		want     Outcome
		newAmt   money.Fen
		reason   string
		notice   bool
	}{
		{"no change", base, res(el, 50000, []string{"elderly"}), false, 6, NoChange, 50000, "不变", false},
		{"increase", base, res(el, 60000, []string{"elderly"}), false, 6, Increase, 60000, "增至600.00", false},
		{"decrease", base, res(el, 40000, []string{"elderly"}), false, 6, Decrease, 40000, "减至400.00", true},
		{"category change", base, res(el, 45000, nil), false, 6, CategoryChange, 45000, "分类施保", true},
		{"to single person", base, res(benefit.OutcomeSinglePerson, 50000, []string{"elderly"}), false, 6, CategoryChange, 50000, "保障方式", false},
		{"tier change", benefit.Result{Outcome: el, Amount: 100, Tier: "一档"}, benefit.Result{Outcome: el, Amount: 200, Tier: "二档"}, false, 6, CategoryChange, 200, "一档调整为二档", false},
		{"employment → phase-out", base, res(benefit.OutcomeIneligible, 0, nil, benefit.CodeIncome), true, 6, PhaseOut, 50000, "6个月渐退期", true},
		{"employment near threshold → phase-out", base, res(benefit.OutcomeNearThreshold, 0, nil, benefit.CodeIncome), true, 3, PhaseOut, 50000, "3个月", true},
		{"employment, no phase-out configured → stop", base, res(benefit.OutcomeIneligible, 0, nil, benefit.CodeIncome), true, 0, Stop, 0, "未设渐退期", true},
		{"income not from employment → stop", base, res(benefit.OutcomeIneligible, 0, nil, benefit.CodeIncome), false, 6, Stop, 0, "原因:income", true},
		{"assets → stop", base, res(benefit.OutcomeIneligible, 0, nil, benefit.CodeFinancialAssets), true, 6, Stop, 0, "原因:financial_assets", true},
		{"income and vehicle → stop", base, res(benefit.OutcomeIneligible, 0, nil, benefit.CodeIncome, benefit.CodeVehicle), true, 6, Stop, 0, "原因:vehicle", true},
		{"no members → stop", base, res(benefit.OutcomeIneligible, 0, nil, benefit.CodeNoMembers), false, 6, Stop, 0, "原因:no_members", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Decide(c.before, c.after, c.employed, c.phaseout)
			if err != nil {
				t.Fatal(err)
			}
			if p.Outcome != c.want || p.NewAmount != c.newAmt || p.OldAmount != c.before.Amount ||
				!strings.Contains(strings.Join(p.Reasons, "|"), c.reason) || p.Notice() != c.notice {
				t.Errorf("got %+v (notice %v), want %s %d %q notice %v", p, p.Notice(), c.want, c.newAmt, c.reason, c.notice)
			}
			if p.Outcome.Label() == string(p.Outcome) {
				t.Errorf("no label for %s", p.Outcome)
			}
		})
	}
}

func TestDecideErrors(t *testing.T) {
	if _, err := Decide(res(benefit.OutcomeIneligible, 0, nil, benefit.CodeIncome), res(benefit.OutcomeEligible, 1, nil), false, 6); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("old not paying: %v", err)
	}
	_, err := Decide(res(benefit.OutcomeEligible, 1, nil), res(benefit.OutcomeInvalid, 0, nil, benefit.CodeInvalidData), false, 6)
	if errs.CodeOf(err) != errs.Invalid || !strings.Contains(err.Error(), "原因:invalid_data") {
		t.Errorf("invalid: %v", err)
	}
	for _, o := range Outcomes() {
		if o.Label() == "" || o.Label() == string(o) {
			t.Errorf("label %s", o)
		}
	}
}
