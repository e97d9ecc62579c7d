package benefit

import (
	"slices"
	"strings"
	"testing"

	"dibao/internal/household"
	"dibao/internal/money"
)

type want struct {
	outcome   Outcome
	amount    money.Fen
	members   int
	income    money.Fen // monthly household income, truncated to the fen
	perCapita money.Fen // truncated to the fen
	reasons   []string  // reason codes in order; nil = none
	cats      []string  // supplement categories; nil = none
	singles   []int     // 单人保 positions
}

type testCase struct {
	name string
	h    household.Household
	edit func(p *Params) // changes to DefaultParams; nil = none
	want want
}

func run(t *testing.T, cases []testCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := DefaultParams()
			if c.edit != nil {
				c.edit(&p)
			}
			r := Compute(c.h, p, on)
			w := c.want
			var codes []string
			for _, x := range r.Reasons {
				codes = append(codes, x.Code)
			}
			if r.Outcome != w.outcome || r.Amount != w.amount || r.Members != w.members ||
				r.HouseholdIncome != w.income || r.PerCapita != w.perCapita ||
				!slices.Equal(codes, w.reasons) || !slices.Equal(r.Categories, w.cats) ||
				!slices.Equal(r.SinglePersons, w.singles) {
				t.Fatalf("got outcome %s amount %s members %d income %s per-capita %s reasons %v cats %v singles %v\n"+
					"want outcome %s amount %s members %d income %s per-capita %s reasons %v cats %v singles %v\n%s",
					r.Outcome, r.Amount, r.Members, r.HouseholdIncome, r.PerCapita, codes, r.Categories, r.SinglePersons,
					w.outcome, w.amount, w.members, w.income, w.perCapita, w.reasons, w.cats, w.singles, r.Explain())
			}
			checkInvariants(t, c.h, p, r)
		})
	}
}

func TestComputeIncome(t *testing.T) {
	run(t, []testCase{
		// Rural standard 650.00; 3 members, no income:
		// (650.00 − 0) × 3 = 1950.00, already whole yuan.
		{"zero income rural household of 3", adults(3, false), nil,
			want{outcome: OutcomeEligible, amount: yuan("1950.00"), members: 3}},
		// Urban standard 900.00; 2 members: 900.00 × 2 = 1800.00.
		{"zero income urban household of 2", adults(2, true), nil,
			want{outcome: OutcomeEligible, amount: yuan("1800.00"), members: 2}},
		// 23400.00 ÷ 12 = 1950.00 a month; ÷ 3 = 650.00 per person, equal
		// to the standard, so not below it: ineligible. 650.00 < 1.5 × 650.00
		// = 975.00, so near-threshold; nobody qualifies for 单人保.
		{"income exactly at the standard", withIncome(adults(3, false), wage(1, "23400.00", 12)), nil,
			want{outcome: OutcomeNearThreshold, members: 3, income: yuan("1950.00"), perCapita: yuan("650.00"),
				reasons: []string{CodeIncome}}},
		// One person, 7799.88 ÷ 12 = 649.99 < 650.00: eligible; gap 0.01,
		// which rounds to 0.00 under yuan half-up. Eligible with amount 0
		// (min payment 0); see TestRoundingModes for the other modes.
		{"one fen below the standard, one person", withIncome(adults(1, false), wage(1, "7799.88", 12)), nil,
			want{outcome: OutcomeEligible, amount: 0, members: 1, income: yuan("649.99"), perCapita: yuan("649.99")}},
		// Three people, 23399.64 ÷ 12 = 1949.97; ÷ 3 = 649.99 per person:
		// eligible; gap (650.00 − 649.99) × 3 = 0.03, kept to the fen.
		{"one fen below the standard per capita, fen rounding", withIncome(adults(3, false), wage(1, "23399.64", 12)),
			func(p *Params) { p.Rounding = money.FenExact },
			want{outcome: OutcomeEligible, amount: yuan("0.03"), members: 3, income: yuan("1949.97"), perCapita: yuan("649.99")}},
		// Three people, 23399.99 ÷ 12 = 1949.999166…; per capita
		// 649.999722… < 650.00 exactly, eligible although both figures
		// show as 649.99 after truncation; gap 0.000833… rounds to 0.00.
		{"sub-fen below the standard is still eligible", withIncome(adults(3, false), wage(1, "23399.99", 12)),
			func(p *Params) { p.Rounding = money.FenExact },
			want{outcome: OutcomeEligible, amount: 0, members: 3, income: yuan("1949.99"), perCapita: yuan("649.99")}},
		// Wage 6000.00 ÷ 12 = 500.00 counted; veteran allowance 12000.00
		// is on the not-counted list. 1950.00 − 500.00 = 1450.00.
		// Per capita 500.00 ÷ 3 = 166.666… → shown 166.66.
		{"veteran allowance not counted", withIncome(adults(3, false), wage(1, "6000.00", 12),
			household.Income{MemberID: 2, Kind: "veteran", Amount: yuan("12000.00"), Months: 12}), nil,
			want{outcome: OutcomeEligible, amount: yuan("1450.00"), members: 3, income: yuan("500.00"), perCapita: yuan("166.66")}},
		// The same allowance counts when a county takes it off the list:
		// 500.00 + 1000.00 = 1500.00; 1950.00 − 1500.00 = 450.00.
		{"veteran allowance counted when not excluded", withIncome(adults(3, false), wage(1, "6000.00", 12),
			household.Income{MemberID: 2, Kind: "veteran", Amount: yuan("12000.00"), Months: 12}),
			func(p *Params) { p.ExcludedIncome = nil },
			want{outcome: OutcomeEligible, amount: yuan("450.00"), members: 3, income: yuan("1500.00"), perCapita: yuan("500.00")}},
		// Wage 9000.00 minus commuting and tools 1800.00 = 7200.00 ÷ 12 =
		// 600.00; 1950.00 − 600.00 = 1350.00; per capita 200.00.
		{"employment cost deducted", withIncome(adults(3, false),
			household.Income{MemberID: 1, Kind: "wage", Amount: yuan("9000.00"), Cost: yuan("1800.00"), Months: 12}), nil,
			want{outcome: OutcomeEligible, amount: yuan("1350.00"), members: 3, income: yuan("600.00"), perCapita: yuan("200.00")}},
		// Seasonal work 3000.00 over 6 months = 500.00 a month;
		// 1950.00 − 500.00 = 1450.00.
		{"income over 6 months normalised", withIncome(adults(3, false), wage(1, "3000.00", 6)), nil,
			want{outcome: OutcomeEligible, amount: yuan("1450.00"), members: 3, income: yuan("500.00"), perCapita: yuan("166.66")}},
		// 1000.00 over 7 months = 142.857142… exactly (never rounded);
		// gap 1950.00 − 142.857142… = 1807.142857… → yuan half-up 1807.00.
		// Shown: income 142.85, per capita 47.619… → 47.61.
		{"income over 7 months kept exact", withIncome(adults(3, false), wage(2, "1000.00", 7)), nil,
			want{outcome: OutcomeEligible, amount: yuan("1807.00"), members: 3, income: yuan("142.85"), perCapita: yuan("47.61")}},
		// Months 0 (not filled in) means the 12-month window: 6000.00 ÷ 12
		// = 500.00; 1950.00 − 500.00 = 1450.00.
		{"missing months use the income window", withIncome(adults(3, false), wage(1, "6000.00", 0)), nil,
			want{outcome: OutcomeEligible, amount: yuan("1450.00"), members: 3, income: yuan("500.00"), perCapita: yuan("166.66")}},
		// Business 1000.00 with costs 3000.00 is a loss of 2000.00, counted
		// as 0 and not set off against the wage 7200.00 ÷ 12 = 600.00;
		// 1950.00 − 600.00 = 1350.00.
		{"business loss does not reduce other income", withIncome(adults(3, false), wage(1, "7200.00", 12),
			household.Income{MemberID: 2, Kind: "business", Amount: yuan("1000.00"), Cost: yuan("3000.00"), Months: 12}), nil,
			want{outcome: OutcomeEligible, amount: yuan("1350.00"), members: 3, income: yuan("600.00"), perCapita: yuan("200.00")}},
		// Member 4 works away (not co-resident): not counted, and the
		// 36000.00 wage recorded against that member is left out. The
		// household-level transfer 1200.00 ÷ 12 = 100.00 counts.
		// 3 members: 1950.00 − 100.00 = 1850.00; per capita 33.333… → 33.33.
		{"non-co-resident member excluded from count and income", func() household.Household {
			h := adults(4, false)
			h.Members[3].CoResident = false
			return withIncome(h, wage(4, "36000.00", 12),
				household.Income{Kind: "transfer", Amount: yuan("1200.00"), Months: 12})
		}(), nil,
			want{outcome: OutcomeEligible, amount: yuan("1850.00"), members: 3, income: yuan("100.00"), perCapita: yuan("33.33")}},
	})
}

func TestComputeAssets(t *testing.T) {
	// The limit for a rural household of 3: 24 × 650.00 × 3 = 46800.00.
	run(t, []testCase{
		// A car worth 30000.00 > vehicle_exempt_value 0.00: disqualified,
		// and, failing an asset test, not near-threshold either.
		{"disqualifying vehicle", withProperty(adults(3, false), prop("vehicle", "30000.00", 1, false)), nil,
			want{outcome: OutcomeIneligible, members: 3, reasons: []string{CodeVehicle}}},
		// A disability vehicle marked exempt does not count: 1950.00.
		{"exempt disability vehicle", withProperty(adults(3, false), prop("vehicle", "8000.00", 1, true)), nil,
			want{outcome: OutcomeEligible, amount: yuan("1950.00"), members: 3}},
		// A county exempting vehicles up to 5000.00: a tricycle worth
		// exactly 5000.00 passes (≤), one worth 5000.01 does not.
		{"vehicle at the exempt value", withProperty(adults(3, false), prop("vehicle", "5000.00", 1, false)),
			func(p *Params) { p.VehicleExemptValue = yuan("5000.00") },
			want{outcome: OutcomeEligible, amount: yuan("1950.00"), members: 3}},
		{"vehicle one fen over the exempt value", withProperty(adults(3, false), prop("vehicle", "5000.01", 1, false)),
			func(p *Params) { p.VehicleExemptValue = yuan("5000.00") },
			want{outcome: OutcomeIneligible, members: 3, reasons: []string{CodeVehicle}}},
		// Two houses (quantity 2) > max_homes 1.
		{"two houses in one item", withProperty(adults(3, false), prop("house", "200000.00", 2, false)), nil,
			want{outcome: OutcomeIneligible, members: 3, reasons: []string{CodeHomes}}},
		{"two houses in two items", withProperty(adults(3, false),
			prop("house", "120000.00", 1, false), prop("house", "80000.00", 1, false)), nil,
			want{outcome: OutcomeIneligible, members: 3, reasons: []string{CodeHomes}}},
		// One house plus one exempt (a dilapidated old house) = 1 ≤ 1.
		{"second house exempt", withProperty(adults(3, false),
			prop("house", "120000.00", 1, false), prop("house", "5000.00", 1, true)), nil,
			want{outcome: OutcomeEligible, amount: yuan("1950.00"), members: 3}},
		// Deposit 40000.00 + insurance 6800.00 = 46800.00 = limit: passes.
		{"financial assets exactly at the limit", withProperty(adults(3, false),
			prop("deposit", "40000.00", 1, false), prop("insurance", "6800.00", 1, false)), nil,
			want{outcome: OutcomeEligible, amount: yuan("1950.00"), members: 3}},
		// 40000.00 + 6800.01 = 46800.01 > 46800.00: disqualified.
		{"financial assets one fen over the limit", withProperty(adults(3, false),
			prop("deposit", "40000.00", 1, false), prop("securities", "6800.01", 1, false)), nil,
			want{outcome: OutcomeIneligible, members: 3, reasons: []string{CodeFinancialAssets}}},
		// An earmarked (exempt) deposit of 100000.00 is not counted; the
		// other 1000.00 is within the limit.
		{"exempt deposit not counted", withProperty(adults(3, false),
			prop("deposit", "100000.00", 1, true), prop("deposit", "1000.00", 1, false)), nil,
			want{outcome: OutcomeEligible, amount: yuan("1950.00"), members: 3}},
		{"registered business disqualifies", withProperty(adults(3, false), prop("business", "20000.00", 1, false)), nil,
			want{outcome: OutcomeIneligible, members: 3, reasons: []string{CodeBusiness}}},
		{"exempt business passes", withProperty(adults(3, false), prop("business", "20000.00", 1, true)), nil,
			want{outcome: OutcomeEligible, amount: yuan("1950.00"), members: 3}},
		{"business allowed by local rule", withProperty(adults(3, false), prop("business", "20000.00", 1, false)),
			func(p *Params) { p.BusinessDisqualifies = false },
			want{outcome: OutcomeEligible, amount: yuan("1950.00"), members: 3}},
		// Every failed test is listed: income 36000.00 ÷ 12 = 3000.00, per
		// capita 1000.00 ≥ 650.00; a car; a business; deposits 50000.00 >
		// 46800.00; two houses. Order: income, then items as recorded, then
		// the totals.
		{"every failed test listed", withProperty(withIncome(adults(3, false), wage(1, "36000.00", 12)),
			prop("vehicle", "30000.00", 1, false), prop("house", "1.00", 2, false),
			prop("deposit", "50000.00", 1, false), prop("business", "1.00", 1, false)), nil,
			want{outcome: OutcomeIneligible, members: 3, income: yuan("3000.00"), perCapita: yuan("1000.00"),
				reasons: []string{CodeIncome, CodeVehicle, CodeBusiness, CodeFinancialAssets, CodeHomes}}},
	})
}

// family is a rural household of a 72-year-old head, a 46-year-old son
// earning 12000.00 a year, and a 10-year-old grandchild with a grade-1
// disability.
func family() household.Household {
	head := member(1, "head")
	head.IDNumber = idMake(born(1954, 3, 1), 1)
	child := member(3, "grandchild")
	child.IDNumber = idMake(born(2016, 3, 1), 3)
	child.DisabilityGrade, child.DisabilityDetail, child.Labour = 1, "智力残疾", "none"
	h := household.Household{Members: []household.Member{head, member(2, "child"), child}}
	return withIncome(h, wage(2, "12000.00", 12))
}

func TestComputeSupplements(t *testing.T) {
	run(t, []testCase{
		// Income 12000.00 ÷ 12 = 1000.00; gap 650.00 × 3 − 1000.00 = 950.00.
		// Head, 72: elderly 10 % × 650.00 = 65.00. Grandchild, 10, grade 1:
		// minor 65.00 and severe disability 20 % × 650.00 = 130.00; highest
		// only → 130.00. 950.00 + 65.00 + 130.00 = 1145.00.
		{"elderly and grade-1 disabled child", family(), nil,
			want{outcome: OutcomeEligible, amount: yuan("1145.00"), members: 3, income: yuan("1000.00"), perCapita: yuan("333.33"),
				cats: []string{"elderly", "disability"}}},
		// Stacking: the child gets both: 950.00 + 65.00 + 65.00 + 130.00 = 1210.00.
		{"supplements stacked", family(), func(p *Params) { p.StackSupplements = true },
			want{outcome: OutcomeEligible, amount: yuan("1210.00"), members: 3, income: yuan("1000.00"), perCapita: yuan("333.33"),
				cats: []string{"elderly", "minor", "disability"}}},
		// A fixed 50.00 elderly supplement instead of 10 %: 950.00 + 50.00 +
		// 130.00 = 1130.00.
		{"fixed supplement", family(), func(p *Params) { p.Supplements[0].Share, p.Supplements[0].Fixed = 0, yuan("50.00") },
			want{outcome: OutcomeEligible, amount: yuan("1130.00"), members: 3, income: yuan("1000.00"), perCapita: yuan("333.33"),
				cats: []string{"elderly", "disability"}}},
		// Turning 60 on the decision date counts (born 1966-07-01); a day
		// later (1966-07-02) is still 59. One person, no income: 650.00 +
		// 65.00 = 715.00, or 650.00.
		{"elderly on the 60th birthday", func() household.Household {
			h := adults(1, false)
			h.Members[0].IDNumber = idMake(born(1966, 7, 1), 1)
			return h
		}(), nil, want{outcome: OutcomeEligible, amount: yuan("715.00"), members: 1, cats: []string{"elderly"}}},
		{"59 the day before the birthday", func() household.Household {
			h := adults(1, false)
			h.Members[0].IDNumber = idMake(born(1966, 7, 2), 1)
			return h
		}(), nil, want{outcome: OutcomeEligible, amount: yuan("650.00"), members: 1}},
		// An unreadable ID number proves no age: no minor or elderly
		// supplement (the member is not taken for a newborn).
		{"unreadable ID number gives no age supplement", func() household.Household {
			h := adults(1, false)
			h.Members[0].IDNumber = "bad"
			return h
		}(), nil, want{outcome: OutcomeEligible, amount: yuan("650.00"), members: 1}},
		// Serious illness 20 %: 650.00 + 130.00 = 780.00.
		{"seriously ill member", func() household.Household {
			h := adults(1, false)
			h.Members[0].Health, h.Members[0].HealthDetail = "serious", "尿毒症"
			return h
		}(), nil, want{outcome: OutcomeEligible, amount: yuan("780.00"), members: 1, cats: []string{"illness"}}},
		// Ineligible households get no supplement whatever their members.
		{"no supplement when ineligible", withProperty(family(), prop("vehicle", "30000.00", 1, false)), nil,
			want{outcome: OutcomeIneligible, members: 3, income: yuan("1000.00"), perCapita: yuan("333.33"),
				reasons: []string{CodeVehicle}}},
	})
}

func TestRoundingModes(t *testing.T) {
	// Rural 3 people, 8587.08 ÷ 12 = 715.59; gap 1950.00 − 715.59 = 1234.41.
	same := withIncome(adults(3, false), wage(1, "8587.08", 12))
	// One person, 7799.88 ÷ 12 = 649.99; gap 0.01.
	tiny := withIncome(adults(1, false), wage(1, "7799.88", 12))
	// One person, 4549.68 ÷ 7 = 649.954285…; gap 0.045714…. Rounded once
	// to the jiao it is 0.00; rounding to the fen first (0.05) and then to
	// the jiao would give 0.10.
	double := withIncome(adults(1, false), wage(1, "4549.68", 7))
	cases := []struct {
		name string
		h    household.Household
		r    money.Rounding
		want money.Fen
	}{
		{"1234.41 yuan half-up", same, money.YuanHalfUp, yuan("1234.00")},
		{"1234.41 jiao half-up", same, money.JiaoHalfUp, yuan("1234.40")},
		{"1234.41 jiao up", same, money.JiaoUp, yuan("1234.50")},
		{"1234.41 yuan up", same, money.YuanUp, yuan("1235.00")},
		{"1234.41 fen", same, money.FenExact, yuan("1234.41")},
		{"0.01 yuan half-up", tiny, money.YuanHalfUp, 0},
		{"0.01 jiao half-up", tiny, money.JiaoHalfUp, 0},
		{"0.01 jiao up", tiny, money.JiaoUp, yuan("0.10")},
		{"0.01 yuan up", tiny, money.YuanUp, yuan("1.00")},
		{"0.01 fen", tiny, money.FenExact, yuan("0.01")},
		{"0.0457 fen", double, money.FenExact, yuan("0.05")},
		{"0.0457 jiao half-up, no double rounding", double, money.JiaoHalfUp, 0},
		{"0.0457 jiao up", double, money.JiaoUp, yuan("0.10")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := DefaultParams()
			p.Rounding = c.r
			r := Compute(c.h, p, on)
			if !r.Eligible || r.Amount != c.want {
				t.Fatalf("eligible %v amount %s, want %s\n%s", r.Eligible, r.Amount, c.want, r.Explain())
			}
			checkInvariants(t, c.h, p, r)
		})
	}
}

func TestMinPayment(t *testing.T) {
	tiny := withIncome(adults(1, false), wage(1, "7799.88", 12))
	run(t, []testCase{
		// Gap 0.01 → 0.00 under yuan half-up, lifted to min payment 10.00.
		{"tiny amount lifted to the minimum", tiny, func(p *Params) { p.MinPayment = yuan("10.00") },
			want{outcome: OutcomeEligible, amount: yuan("10.00"), members: 1, income: yuan("649.99"), perCapita: yuan("649.99")}},
		// 1950.00 is above the minimum and unchanged.
		{"larger amount unchanged", adults(3, false), func(p *Params) { p.MinPayment = yuan("10.00") },
			want{outcome: OutcomeEligible, amount: yuan("1950.00"), members: 3}},
		// The minimum never makes an ineligible household eligible.
		{"minimum does not apply when ineligible", withIncome(adults(1, false), wage(1, "7800.00", 12)),
			func(p *Params) { p.MinPayment = yuan("10.00") },
			want{outcome: OutcomeNearThreshold, members: 1, income: yuan("650.00"), perCapita: yuan("650.00"),
				reasons: []string{CodeIncome}}},
	})
}

func TestTiers(t *testing.T) {
	tiers := func(p *Params) { p.Mode = ModeTiers }
	// Rural bands: < 30 % × 650.00 = 195.00 → 一档 580.00; < 60 % = 390.00
	// → 二档 400.00; < 650.00 → 三档 200.00 per person.
	run(t, []testCase{
		// 5400.00 ÷ 12 = 450.00; per capita 150.00 < 195.00: 580.00 × 3 = 1740.00.
		{"tier 1", withIncome(adults(3, false), wage(1, "5400.00", 12)), tiers,
			want{outcome: OutcomeEligible, amount: yuan("1740.00"), members: 3, income: yuan("450.00"), perCapita: yuan("150.00")}},
		// 7020.00 ÷ 12 = 585.00; per capita exactly 195.00, not below the
		// first bound: tier 2, 400.00 × 3 = 1200.00.
		{"exactly at the first bound is tier 2", withIncome(adults(3, false), wage(1, "7020.00", 12)), tiers,
			want{outcome: OutcomeEligible, amount: yuan("1200.00"), members: 3, income: yuan("585.00"), perCapita: yuan("195.00")}},
		// 21600.00 ÷ 12 = 1800.00; per capita 600.00: tier 3, 200.00 × 3 = 600.00.
		{"tier 3", withIncome(adults(3, false), wage(1, "21600.00", 12)), tiers,
			want{outcome: OutcomeEligible, amount: yuan("600.00"), members: 3, income: yuan("1800.00"), perCapita: yuan("600.00")}},
		// Per capita 650.00 is not below the standard in either mode.
		{"at the standard in tiers mode", withIncome(adults(3, false), wage(1, "23400.00", 12)), tiers,
			want{outcome: OutcomeNearThreshold, members: 3, income: yuan("1950.00"), perCapita: yuan("650.00"),
				reasons: []string{CodeIncome}}},
		// Urban, no income: 一档 800.00 × 2 = 1600.00.
		{"urban tier 1", adults(2, true), tiers,
			want{outcome: OutcomeEligible, amount: yuan("1600.00"), members: 2}},
		// Tier 1 plus supplements: family() has per capita 333.33 (< 390.00):
		// tier 2 400.00 × 3 = 1200.00 + 65.00 + 130.00 = 1395.00.
		{"tier with supplements", family(), tiers,
			want{outcome: OutcomeEligible, amount: yuan("1395.00"), members: 3, income: yuan("1000.00"), perCapita: yuan("333.33"),
				cats: []string{"elderly", "disability"}}},
	})
}

// nearHousehold is rural, 3 adults, 27000.00 ÷ 12 = 2250.00 a month,
// per capita 750.00: above 650.00 but below 1.5 × 650.00 = 975.00.
func nearHousehold() household.Household {
	return withIncome(adults(3, false), wage(1, "27000.00", 12))
}

func TestSinglePerson(t *testing.T) {
	ill := func(h household.Household, i int) household.Household {
		h.Members[i].Health, h.Members[i].HealthDetail = "serious", "恶性肿瘤"
		return h
	}
	disabled := func(h household.Household, i, grade int) household.Household {
		h.Members[i].DisabilityGrade, h.Members[i].DisabilityDetail = grade, "肢体残疾"
		return h
	}
	run(t, []testCase{
		// Member 3 seriously ill: enrolled alone at the full one-person
		// standard 650.00 plus the illness supplement 20 % = 130.00 = 780.00.
		{"seriously ill member of a near-threshold household", ill(nearHousehold(), 2), nil,
			want{outcome: OutcomeSinglePerson, amount: yuan("780.00"), members: 3, income: yuan("2250.00"),
				perCapita: yuan("750.00"), reasons: []string{CodeIncome}, cats: []string{"illness"}, singles: []int{3}}},
		// Share rule at 50 %: 650.00 × 50 % = 325.00 + 130.00 = 455.00.
		{"share rule", ill(nearHousehold(), 2), func(p *Params) { p.SinglePerson, p.SinglePersonShare = SingleShare, 500 },
			want{outcome: OutcomeSinglePerson, amount: yuan("455.00"), members: 3, income: yuan("2250.00"),
				perCapita: yuan("750.00"), reasons: []string{CodeIncome}, cats: []string{"illness"}, singles: []int{3}}},
		// Two qualifying members, each (650.00 + 130.00): 1560.00.
		{"two enrolled members", disabled(ill(nearHousehold(), 2), 1, 2), nil,
			want{outcome: OutcomeSinglePerson, amount: yuan("1560.00"), members: 3, income: yuan("2250.00"),
				perCapita: yuan("750.00"), reasons: []string{CodeIncome}, cats: []string{"disability", "illness"}, singles: []int{2, 3}}},
		// No single-person enrollment locally: only near-threshold.
		{"rule none", ill(nearHousehold(), 2), func(p *Params) { p.SinglePerson = SingleNone },
			want{outcome: OutcomeNearThreshold, members: 3, income: yuan("2250.00"), perCapita: yuan("750.00"),
				reasons: []string{CodeIncome}}},
		// Grade 3 is not severe: near-threshold only.
		{"grade-3 disability does not qualify", disabled(nearHousehold(), 2, 3), nil,
			want{outcome: OutcomeNearThreshold, members: 3, income: yuan("2250.00"), perCapita: yuan("750.00"),
				reasons: []string{CodeIncome}}},
		// 35100.00 ÷ 12 = 2925.00; per capita 975.00 = 1.5 × 650.00, not
		// below: not near-threshold, no 单人保.
		{"exactly at the near-threshold line", ill(withIncome(adults(3, false), wage(1, "35100.00", 12)), 2), nil,
			want{outcome: OutcomeIneligible, members: 3, income: yuan("2925.00"), perCapita: yuan("975.00"),
				reasons: []string{CodeIncome}}},
		// A car fails the asset test: neither near-threshold nor 单人保.
		{"assets fail", withProperty(ill(nearHousehold(), 2), prop("vehicle", "30000.00", 1, false)), nil,
			want{outcome: OutcomeIneligible, members: 3, income: yuan("2250.00"), perCapita: yuan("750.00"),
				reasons: []string{CodeIncome, CodeVehicle}}},
		// A seriously ill member who lives elsewhere is not enrolled here.
		{"non-co-resident ill member", func() household.Household {
			h := ill(withIncome(adults(4, false), wage(1, "27000.00", 12)), 3)
			h.Members[3].CoResident = false
			return h
		}(), nil,
			want{outcome: OutcomeNearThreshold, members: 3, income: yuan("2250.00"), perCapita: yuan("750.00"),
				reasons: []string{CodeIncome}}},
	})
}

func TestInvalidInput(t *testing.T) {
	run(t, []testCase{
		{"nobody co-resident", func() household.Household {
			h := adults(2, false)
			h.Members[0].CoResident, h.Members[1].CoResident = false, false
			return h
		}(), nil, want{outcome: OutcomeInvalid, reasons: []string{CodeNoMembers}}},
		{"no members", household.Household{}, nil, want{outcome: OutcomeInvalid, reasons: []string{CodeNoMembers}}},
		{"every bad item listed", withProperty(withIncome(adults(2, false), wage(1, "100.00", 13),
			household.Income{Kind: "wage", Amount: -1, Months: 12}), household.Property{Kind: "deposit", Value: -5}), nil,
			want{outcome: OutcomeInvalid, reasons: []string{CodeInvalidData, CodeInvalidData, CodeInvalidData}}},
		{"invalid parameters", adults(2, false), func(p *Params) { p.RuralStandard = 0; p.Rounding = 99 },
			want{outcome: OutcomeInvalid, reasons: []string{CodeInvalidParams, CodeInvalidParams}}},
	})
}

func TestVersionsOnlyUsed(t *testing.T) {
	p := DefaultParams()
	p.Versions[ParamStandardRural] = "130199000000/2026-01-01/v3"
	r := Compute(family(), p, on)
	if r.Versions[ParamStandardRural] != "130199000000/2026-01-01/v3" {
		t.Fatalf("versions = %v", r.Versions)
	}
	for _, n := range []string{ParamStandardUrban, ParamTiers, ParamNearThreshold, ParamSinglePerson, ParamVehicleExemptValue, ParamIncomeWindow} {
		if _, ok := r.Versions[n]; ok || slices.Contains(r.Used, n) {
			t.Errorf("%s recorded but not used", n)
		}
	}
	for _, n := range []string{ParamStandardRural, ParamExcludedIncome, ParamAssetMonths, ParamRounding, ParamMinPayment, ParamMode, ParamSupplements} {
		if _, ok := r.Versions[n]; !ok {
			t.Errorf("%s used but not recorded: %v", n, r.Versions)
		}
	}
	// The result owns its map: editing it must not touch the parameters.
	r.Versions[ParamStandardRural] = "x"
	if p.Versions[ParamStandardRural] == "x" {
		t.Fatal("result shares the Versions map with Params")
	}
	// A used parameter with no registered version is listed as such.
	delete(p.Versions, ParamRounding)
	r = Compute(family(), p, on)
	if _, ok := r.Versions[ParamRounding]; ok || !slices.Contains(r.Used, ParamRounding) ||
		!strings.Contains(r.Explain(), "rounding：（未登记版本）") {
		t.Fatalf("unregistered version: used %v versions %v", r.Used, r.Versions)
	}
}
