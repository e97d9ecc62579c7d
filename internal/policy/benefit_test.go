package policy

import (
	"testing"

	"dibao/internal/benefit"
	"dibao/internal/money"
)

func TestBenefitParams(t *testing.T) {
	rows := []Row{
		{ID: 1, Region: county, Name: StandardUrban, Value: "1020.00", EffectiveFrom: "2026-01-01"},
		{ID: 2, Region: county, Name: NearThresholdFactor, Value: "2.00", EffectiveFrom: "2026-01-01"},
		{ID: 3, Region: county, Name: RoundingMode, Value: "jiao_up", EffectiveFrom: "2026-01-01"},
		{ID: 4, Region: county, Name: SinglePersonEnrollment, Value: "false", EffectiveFrom: "2026-01-01"},
		{ID: 5, Region: county, Name: MinPayment, Value: "10.00", EffectiveFrom: "2026-01-01"},
	}
	s, err := ResolveRows(villageA, day("2026-02-01"), rows)
	if err != nil {
		t.Fatal(err)
	}
	p := s.BenefitParams()
	if err := p.Validate(); err != nil {
		t.Fatalf("mapped params invalid: %v", err)
	}
	if p.UrbanStandard != 1020_00 || p.RuralStandard != 650_00 || p.NearThresholdFactor != 2000 ||
		p.Rounding != money.JiaoUp || p.SinglePerson != benefit.SingleNone || p.MinPayment != 10_00 ||
		p.IncomeWindowMonths != 12 || p.AssetMonths != 24 || p.MaxHomes != 1 || p.VehicleExemptValue != 0 {
		t.Fatalf("mapped %+v", p)
	}
	want := map[string]string{
		benefit.ParamStandardUrban: "130199000000@2026-01-01#1",
		benefit.ParamStandardRural: DefaultVersion,
		benefit.ParamNearThreshold: "130199000000@2026-01-01#2",
		benefit.ParamRounding:      "130199000000@2026-01-01#3",
		benefit.ParamSinglePerson:  "130199000000@2026-01-01#4",
		benefit.ParamMinPayment:    "130199000000@2026-01-01#5",
		benefit.ParamAssetMonths:   DefaultVersion,
	}
	for k, v := range want {
		if p.Versions[k] != v {
			t.Errorf("version of %s = %q, want %q", k, p.Versions[k], v)
		}
	}
	if d := Defaults().BenefitParams(); d.SinglePerson != benefit.DefaultParams().SinglePerson || d.NearThresholdFactor != 1500 {
		t.Errorf("defaults %+v", d)
	}
}

// Every value the registry accepts must be one the benefit package
// accepts, or a saved parameter could stop every calculation.
func TestBenefitRangesAgree(t *testing.T) {
	for name := range benefitNames {
		d := registry[name]
		var raws []string
		switch d.Kind {
		case Int:
			raws = []string{formatScaled(d.Min, 0), formatScaled(d.Max, 0)}
		case Decimal:
			raws = []string{formatScaled(d.Min, d.Scale), formatScaled(d.Max, d.Scale)}
		case Money:
			raws = []string{money.Fen(d.Min).String(), money.Fen(d.Max).String()}
		case Enum:
			for _, c := range d.Choices {
				raws = append(raws, c.Code)
			}
		case Bool:
			raws = []string{"true", "false"}
		}
		for _, raw := range raws {
			v, err := Parse(name, raw)
			if err != nil {
				t.Fatal(err)
			}
			s := Defaults().With(name, v, "x")
			if name == MinPayment {
				// Tied to the standards by Check, as benefit requires.
				if s.Check() != nil {
					continue
				}
			}
			if err := s.BenefitParams().Validate(); err != nil {
				t.Errorf("%s = %s: accepted here, refused by benefit: %v", name, raw, err)
			}
		}
	}
}
