package policy

import "dibao/internal/benefit"

// benefitNames maps registry names to the benefit package's parameter
// names (the keys of benefit.Params.Versions).
var benefitNames = map[string]string{
	StandardUrban:          benefit.ParamStandardUrban,
	StandardRural:          benefit.ParamStandardRural,
	IncomeWindowMonths:     benefit.ParamIncomeWindow,
	AssetMonths:            benefit.ParamAssetMonths,
	VehicleExemptValue:     benefit.ParamVehicleExemptValue,
	MaxHomes:               benefit.ParamMaxHomes,
	RoundingMode:           benefit.ParamRounding,
	MinPayment:             benefit.ParamMinPayment,
	NearThresholdFactor:    benefit.ParamNearThreshold,
	SinglePersonEnrollment: benefit.ParamSinglePerson,
}

// BenefitParams is the benefit calculation's parameters from the set, each
// mapped value carrying the version that supplied it. What the registry
// does not hold as a scalar (excluded income kinds, business rule, mode,
// tiers, supplements, the single-person share and grade) keeps
// benefit.DefaultParams and its versions; single_person_enrollment = false
// turns single-person enrolment off.
func (s Set) BenefitParams() benefit.Params {
	p := benefit.DefaultParams()
	p.UrbanStandard = s.Money(StandardUrban)
	p.RuralStandard = s.Money(StandardRural)
	p.IncomeWindowMonths = s.Int(IncomeWindowMonths)
	p.AssetMonths = s.Int(AssetMonths)
	p.VehicleExemptValue = s.Money(VehicleExemptValue)
	p.MaxHomes = s.Int(MaxHomes)
	p.Rounding = s.Rounding()
	p.MinPayment = s.Money(MinPayment)
	r := s.Rate(NearThresholdFactor)
	p.NearThresholdFactor = benefit.Permille(r.Num * 1000 / r.Den)
	if !s.Bool(SinglePersonEnrollment) {
		p.SinglePerson = benefit.SingleNone
	}
	if p.Versions == nil {
		p.Versions = map[string]string{}
	}
	for name, bn := range benefitNames {
		p.Versions[bn] = s.Version(name)
	}
	return p
}
