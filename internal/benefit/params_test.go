package benefit

import (
	"slices"
	"testing"

	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/money"
)

func TestDefaultParams(t *testing.T) {
	p := DefaultParams()
	if err := p.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	// SPEC §4 defaults and the demo standards.
	if p.UrbanStandard != yuan("900.00") || p.RuralStandard != yuan("650.00") || p.IncomeWindowMonths != 12 ||
		p.AssetMonths != 24 || p.VehicleExemptValue != 0 || p.MaxHomes != 1 || !p.BusinessDisqualifies ||
		p.Rounding != money.YuanHalfUp || p.MinPayment != 0 || p.Mode != ModeGap || p.NearThresholdFactor != 1500 {
		t.Fatalf("defaults differ from SPEC §4: %+v", p)
	}
	want := []household.IncomeKind{"veteran", "family_planning", "scholarship", "heroism", "assistance", "pension_central"}
	if !slices.Equal(p.ExcludedIncome, want) {
		t.Fatalf("excluded income = %v", p.ExcludedIncome)
	}
	for _, n := range ParamNames() {
		if p.Versions[n] == "" {
			t.Errorf("default has no version for %s", n)
		}
	}
	// Each call is independent: editing one copy leaves the next intact.
	p.Supplements[0].Share = 999
	p.ExcludedIncome[0] = "wage"
	p.Versions[ParamRounding] = "edited"
	q := DefaultParams()
	if q.Supplements[0].Share != 100 || q.ExcludedIncome[0] != "veteran" || q.Versions[ParamRounding] == "edited" {
		t.Fatal("DefaultParams shares state between calls")
	}
	if s, n := q.StandardFor(true); s != yuan("900.00") || n != ParamStandardUrban {
		t.Fatalf("StandardFor(urban) = %s %s", s, n)
	}
	if s, n := q.StandardFor(false); s != yuan("650.00") || n != ParamStandardRural {
		t.Fatalf("StandardFor(rural) = %s %s", s, n)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		edit   func(p *Params)
		fields []string
	}{
		{"zero urban standard", func(p *Params) { p.UrbanStandard = 0 }, []string{ParamStandardUrban}},
		{"negative rural standard", func(p *Params) { p.RuralStandard = -1 }, []string{ParamStandardRural}},
		{"absurd standard", func(p *Params) { p.RuralStandard = yuan("10000.01") }, []string{ParamStandardRural}},
		{"window 0 months", func(p *Params) { p.IncomeWindowMonths = 0 }, []string{ParamIncomeWindow}},
		{"window 13 months", func(p *Params) { p.IncomeWindowMonths = 13 }, []string{ParamIncomeWindow}},
		{"unknown excluded kind", func(p *Params) { p.ExcludedIncome = append(p.ExcludedIncome, "lottery") }, []string{ParamExcludedIncome}},
		{"duplicate excluded kind", func(p *Params) { p.ExcludedIncome = append(p.ExcludedIncome, "veteran") }, []string{ParamExcludedIncome}},
		{"negative asset months", func(p *Params) { p.AssetMonths = -1 }, []string{ParamAssetMonths}},
		{"zero asset months allowed", func(p *Params) { p.AssetMonths = 0 }, nil},
		{"negative vehicle value", func(p *Params) { p.VehicleExemptValue = -1 }, []string{ParamVehicleExemptValue}},
		{"negative max homes", func(p *Params) { p.MaxHomes = -1 }, []string{ParamMaxHomes}},
		{"unknown rounding", func(p *Params) { p.Rounding = 9 }, []string{ParamRounding}},
		{"negative min payment", func(p *Params) { p.MinPayment = -1 }, []string{ParamMinPayment}},
		{"min payment above a standard", func(p *Params) { p.MinPayment = yuan("650.01") }, []string{ParamMinPayment}},
		{"unknown mode", func(p *Params) { p.Mode = "flat" }, []string{ParamMode}},
		{"tiers mode without tiers", func(p *Params) { p.Mode, p.Tiers = ModeTiers, nil }, []string{ParamTiers}},
		{"tiers out of order", func(p *Params) { p.Tiers[0].Below, p.Tiers[1].Below = 600, 300 }, []string{ParamTiers}},
		{"tier amount rising with income", func(p *Params) { p.Tiers[2].Rural = yuan("600.00") }, []string{ParamTiers}},
		{"last tier below the standard", func(p *Params) { p.Tiers[2].Below = 900 }, []string{ParamTiers}},
		{"tier without label", func(p *Params) { p.Tiers[1].Label = " " }, []string{ParamTiers}},
		{"supplement without condition", func(p *Params) { p.Supplements[0].MinAge = 0 }, []string{ParamSupplements}},
		{"supplement without amount", func(p *Params) { p.Supplements[1].Share = 0 }, []string{ParamSupplements}},
		{"supplement share above 100 %", func(p *Params) { p.Supplements[1].Share = 1001 }, []string{ParamSupplements}},
		{"supplement ages crossed", func(p *Params) { p.Supplements[1].MinAge = 20 }, []string{ParamSupplements}},
		{"supplement duplicate code", func(p *Params) { p.Supplements[1].Code = "elderly" }, []string{ParamSupplements}},
		{"supplement grade 5", func(p *Params) { p.Supplements[2].MaxDisabilityGrade = 5 }, []string{ParamSupplements}},
		{"near factor below 1", func(p *Params) { p.NearThresholdFactor = 999 }, []string{ParamNearThreshold}},
		{"unknown single rule", func(p *Params) { p.SinglePerson = "half" }, []string{ParamSinglePerson}},
		{"share rule without share", func(p *Params) { p.SinglePerson, p.SinglePersonShare = SingleShare, 0 }, []string{ParamSinglePerson}},
		{"single grade 0", func(p *Params) { p.SinglePersonMaxGrade = 0 }, []string{ParamSinglePerson}},
		{"single grade ignored when off", func(p *Params) { p.SinglePerson, p.SinglePersonMaxGrade = SingleNone, 0 }, nil},
		{"unknown version key", func(p *Params) { p.Versions["standard.rual"] = "v1" }, []string{"versions"}},
		{"every problem at once", func(p *Params) {
			p.UrbanStandard, p.IncomeWindowMonths, p.AssetMonths, p.Mode, p.NearThresholdFactor = 0, 0, -1, "x", 0
		}, []string{ParamStandardUrban, ParamIncomeWindow, ParamAssetMonths, ParamMode, ParamNearThreshold}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := DefaultParams()
			c.edit(&p)
			err := p.Validate()
			if c.fields == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			got := errs.Fields(err)
			if len(got) != len(c.fields) {
				t.Errorf("got fields %v, want %v", got, c.fields)
			}
			for _, f := range c.fields {
				if got[f] == "" {
					t.Errorf("no error on %s; got %v", f, got)
				}
			}
			if errs.CodeOf(err) != errs.Invalid {
				t.Errorf("code = %s", errs.CodeOf(err))
			}
		})
	}
}

func TestPermilleFormat(t *testing.T) {
	cases := []struct {
		p              Permille
		percent, times string
	}{
		{100, "10%", "0.1"}, {125, "12.5%", "0.125"}, {1500, "150%", "1.5"}, {1000, "100%", "1"}, {0, "0%", "0"},
	}
	for _, c := range cases {
		if c.p.Percent() != c.percent || c.p.Times() != c.times {
			t.Errorf("%d: %s %s, want %s %s", c.p, c.p.Percent(), c.p.Times(), c.percent, c.times)
		}
	}
}

func TestFmtQ(t *testing.T) {
	cases := []struct {
		num, d int64
		want   string
	}{
		{65000 * den, den, "650.00"},
		{100000 * den / 7, den, "142.857142…"},
		{den / 2, den, "0.005"}, // half a fen terminates
		{100000 * den / 7, den * 3, "47.619047…"},
		{0, den, "0.00"},
	}
	for _, c := range cases {
		if got := fmtQ(c.num, c.d); got != c.want {
			t.Errorf("fmtQ(%d, %d) = %s, want %s", c.num, c.d, got, c.want)
		}
	}
}
