package benefit

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"dibao/internal/household"
	"dibao/internal/money"
)

// checkInvariants states what every result must satisfy, whatever the
// household. The eligibility ⇔ amount relation is:
//   - eligible ⇒ Amount ≥ MinPayment, and Amount = 0 only when MinPayment
//     is 0, no supplement is paid, the mode is gap, the rounding is a
//     half-up mode and the exact gap is below half a yuan (so the
//     truncated household income is within 0.50 of standard × members);
//   - single_person ⇒ Amount > 0 although Eligible is false;
//   - every other outcome ⇒ Amount = 0.
func checkInvariants(t *testing.T, h household.Household, p Params, r Result) {
	t.Helper()
	fail := func(msg string) { t.Helper(); t.Fatalf("%s\n%+v\n%s", msg, h, r.Explain()) }
	if r.Amount < 0 {
		fail("negative amount")
	}
	if r.Eligible != (r.Outcome == OutcomeEligible) {
		fail("Eligible disagrees with Outcome")
	}
	reasonCodes := func() []string {
		var c []string
		for _, x := range r.Reasons {
			c = append(c, x.Code)
		}
		return c
	}
	switch r.Outcome {
	case OutcomeEligible:
		if len(r.Reasons) != 0 || r.NearThreshold || r.Persons != r.Members || r.PerCapita >= r.Standard {
			fail("eligible with reasons, near flag, wrong persons or per-capita ≥ standard")
		}
		if r.Amount < p.MinPayment {
			fail("eligible amount below the minimum payment")
		}
		if r.Amount == 0 {
			if p.MinPayment != 0 || len(r.Categories) != 0 || p.Mode != ModeGap ||
				p.Rounding == money.JiaoUp || p.Rounding == money.YuanUp ||
				r.HouseholdIncome+50 < r.Standard*money.Fen(r.Members) {
				fail("eligible with amount 0 outside the defined case")
			}
		}
	case OutcomeSinglePerson:
		if r.Amount <= 0 || r.Amount < p.MinPayment || !r.NearThreshold || len(r.SinglePersons) == 0 ||
			r.Persons != len(r.SinglePersons) || !slices.Equal(reasonCodes(), []string{CodeIncome}) {
			fail("single_person result inconsistent")
		}
	case OutcomeNearThreshold:
		if r.Amount != 0 || !r.NearThreshold || !slices.Equal(reasonCodes(), []string{CodeIncome}) {
			fail("near_threshold result inconsistent")
		}
	case OutcomeIneligible, OutcomeInvalid:
		if r.Amount != 0 || r.NearThreshold || len(r.Reasons) == 0 || r.Persons != 0 {
			fail("ineligible or invalid result with an amount, near flag or no reason")
		}
	default:
		fail("unknown outcome")
	}
	if r.Amount > 0 || r.Eligible {
		last := r.Lines[len(r.Lines)-1]
		if last.Label != "月保障金" || last.Amount != r.Amount {
			fail("last line is not the amount")
		}
	}
	for n := range r.Versions {
		if !slices.Contains(r.Used, n) {
			fail("version recorded for an unused parameter " + n)
		}
	}
	if !strings.Contains(r.Explain(), r.Outcome.Label()) {
		fail("explanation lacks the outcome")
	}
}

var (
	incomeKinds   = enumCodes(household.IncomeKinds)
	propertyKinds = enumCodes(household.PropertyKinds)
)

func enumCodes(l []household.Enum) []string {
	var out []string
	for _, e := range l {
		out = append(out, e.Code)
	}
	return out
}

// randomHousehold draws households around the standards, so that every
// outcome occurs often.
func randomHousehold(rng *rand.Rand) household.Household {
	n := 1 + rng.IntN(5)
	h := household.Household{Urban: rng.IntN(2) == 0}
	rels := []household.Relation{"head", "spouse", "child", "parent", "grandchild"}
	for i := 0; i < n; i++ {
		m := member(int64(i+1), rels[i])
		m.IDNumber = idMake(born(1930+rng.IntN(96), time.Month(1+rng.IntN(12)), 1+rng.IntN(28)), i+1)
		m.CoResident = rng.IntN(8) != 0
		if rng.IntN(6) == 0 {
			m.DisabilityGrade = 1 + rng.IntN(4)
		}
		if rng.IntN(6) == 0 {
			m.Health = "serious"
		}
		h.Members = append(h.Members, m)
	}
	for range rng.IntN(5) {
		in := household.Income{
			MemberID: int64(rng.IntN(n + 1)),
			Kind:     household.IncomeKind(incomeKinds[rng.IntN(len(incomeKinds))]),
			Amount:   money.Fen(rng.Int64N(20000_00)),
			Months:   rng.IntN(13),
		}
		if rng.IntN(3) == 0 {
			in.Cost = money.Fen(rng.Int64N(int64(in.Amount)/2 + 1))
		}
		h.Incomes = append(h.Incomes, in)
	}
	for range rng.IntN(3) {
		h.Properties = append(h.Properties, household.Property{
			Kind:     household.PropertyKind(propertyKinds[rng.IntN(len(propertyKinds))]),
			Value:    money.Fen(rng.Int64N(60000_00)),
			Quantity: 1 + rng.IntN(2),
			Exempt:   rng.IntN(3) == 0,
		})
	}
	return h
}

func randomParams(rng *rand.Rand) Params {
	p := DefaultParams()
	p.Mode = []Mode{ModeGap, ModeTiers}[rng.IntN(2)]
	p.Rounding = money.Rounding(rng.IntN(5))
	if rng.IntN(2) == 0 {
		p.MinPayment = money.Fen(rng.Int64N(20_00))
	}
	p.StackSupplements = rng.IntN(2) == 0
	p.SinglePerson = []SinglePersonRule{SingleNone, SingleStandard, SingleShare}[rng.IntN(3)]
	p.SinglePersonShare = Permille(1 + rng.IntN(1000))
	return p
}

// checkMonotone adds income and requires the amount not to rise. The one
// exception is policy, not arithmetic: a household that crosses the standard
// stops receiving the gap but may then enroll a sick or disabled member
// individually at the full one-person standard (the 单人保 cliff).
func checkMonotone(t *testing.T, h household.Household, p Params, r1 Result, extra household.Income) {
	t.Helper()
	h2 := withIncome(h, extra)
	r2 := Compute(h2, p, on)
	checkInvariants(t, h2, p, r2)
	cliff := p.SinglePerson != SingleNone && r1.Outcome == OutcomeEligible && r2.Outcome == OutcomeSinglePerson
	if r2.Amount > r1.Amount && !cliff {
		t.Fatalf("more income, more money: %s → %s\n%s\n%s", r1.Amount, r2.Amount, r1.Explain(), r2.Explain())
	}
	if r2.Eligible && !r1.Eligible {
		t.Fatalf("more income made the household eligible\n%s\n%s", r1.Explain(), r2.Explain())
	}
	if r1.Outcome != OutcomeInvalid && r2.HouseholdIncome < r1.HouseholdIncome {
		t.Fatalf("household income fell from %s to %s", r1.HouseholdIncome, r2.HouseholdIncome)
	}
}

func TestProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(20260701, 1))
	seen := map[Outcome]int{}
	for range 5000 {
		h, p := randomHousehold(rng), randomParams(rng)
		r := Compute(h, p, on)
		seen[r.Outcome]++
		checkInvariants(t, h, p, r)
		extra := household.Income{MemberID: 0, Kind: "wage", Amount: money.Fen(1 + rng.Int64N(3000_00)), Months: 1 + rng.IntN(12)}
		checkMonotone(t, h, p, r, extra)
		// Without 单人保 there is no cliff at all.
		p.SinglePerson = SingleNone
		checkMonotone(t, h, p, Compute(h, p, on), extra)
	}
	t.Logf("outcomes: %v", seen)
	// The generator must exercise every outcome, or the test proves little.
	for _, o := range []Outcome{OutcomeEligible, OutcomeIneligible, OutcomeSinglePerson, OutcomeNearThreshold, OutcomeInvalid} {
		if seen[o] < 20 {
			t.Errorf("outcome %s drawn only %d times: %v", o, seen[o], seen)
		}
	}
}

// TestAmountNonIncreasingStepwise walks one household's income up fen by
// fen-ish steps across the standard and the near-threshold line.
func TestAmountNonIncreasingStepwise(t *testing.T) {
	p := DefaultParams()
	p.SinglePerson = SingleNone
	for _, mode := range []Mode{ModeGap, ModeTiers} {
		p.Mode = mode
		prev := money.Fen(1 << 62)
		for a := money.Fen(0); a <= 3000_00*12; a += 137_77 {
			h := withIncome(family(), household.Income{Kind: "transfer", Amount: a, Months: 12})
			r := Compute(h, p, on)
			checkInvariants(t, h, p, r)
			if r.Amount > prev {
				t.Fatalf("%s: income %s raised the amount to %s from %s", mode, a, r.Amount, prev)
			}
			prev = r.Amount
		}
	}
}

func TestHugeValuesSaturate(t *testing.T) {
	// 2000 items of 100 million yuan a month overflow int64 in exact units
	// (2000 × 1e10 × 693000 > 9.2e18); the sum saturates and the household
	// is plainly ineligible, without a panic.
	h := adults(2, false)
	for range 2000 {
		h.Incomes = append(h.Incomes, household.Income{Kind: "wage", Amount: maxItem, Months: 1})
		h.Properties = append(h.Properties, household.Property{Kind: "deposit", Value: maxItem, Quantity: 1})
	}
	p := DefaultParams()
	r := Compute(h, p, on)
	checkInvariants(t, h, p, r)
	if r.Outcome != OutcomeIneligible || r.Reasons[0].Code != CodeIncome {
		t.Fatalf("got %s %v", r.Outcome, r.Reasons)
	}
}

func FuzzCompute(f *testing.F) {
	f.Add(uint64(1), int64(650_00), int64(0), 12, int64(0), 1)
	f.Add(uint64(2), int64(-1), int64(5), 13, int64(-7), -1)
	f.Add(uint64(3), int64(maxItem), int64(maxItem+1), 0, int64(1<<62), 1000)
	f.Fuzz(func(t *testing.T, seed uint64, amount, cost int64, months int, value int64, qty int) {
		rng := rand.New(rand.NewPCG(seed, seed>>1))
		h, p := randomHousehold(rng), randomParams(rng)
		// The fuzzed item and property reach every range, including the
		// invalid ones that must give OutcomeInvalid and never a panic.
		h = withIncome(h, household.Income{Kind: "business", Amount: money.Fen(amount), Cost: money.Fen(cost), Months: months})
		h = withProperty(h, household.Property{Kind: "deposit", Value: money.Fen(value), Quantity: qty})
		r := Compute(h, p, on)
		checkInvariants(t, h, p, r)
		checkMonotone(t, h, p, r, household.Income{Kind: "wage", Amount: money.Fen(1 + rng.Int64N(3000_00)), Months: 1 + rng.IntN(12)})
	})
}

func BenchmarkCompute(b *testing.B) {
	h := withProperty(withIncome(family(),
		household.Income{MemberID: 1, Kind: "pension", Amount: 2400_00, Months: 12},
		household.Income{MemberID: 2, Kind: "business", Amount: 3000_00, Cost: 500_00, Months: 7},
		household.Income{Kind: "veteran", Amount: 1200_00, Months: 12}),
		prop("deposit", "8000.00", 1, false), prop("house", "90000.00", 1, false))
	p := DefaultParams()
	b.ReportAllocs()
	for b.Loop() {
		r := Compute(h, p, on)
		if !r.Eligible {
			b.Fatal("benchmark household must be eligible")
		}
	}
}

func BenchmarkExplain(b *testing.B) {
	r := Compute(family(), DefaultParams(), on)
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Explain()
	}
}
