package demo

import (
	"dibao/internal/household"
	"dibao/internal/money"
)

// Counted reports whether an income kind counts towards household income
// under the default not-counted list of SPEC §2.2.
func Counted(k household.IncomeKind) bool {
	switch k {
	case "wage", "business", "property", "transfer", "pension":
		return true
	}
	return false
}

// MonthlyIncome is the household's counted income per month: Σ (amount −
// cost) ÷ months over counted items, ignoring items of members who do not
// live in the household. Sub-fen remainders are dropped.
func MonthlyIncome(h household.Household) money.Fen {
	away := map[int64]bool{}
	for _, m := range h.Members {
		if !m.CoResident && m.ID != 0 {
			away[m.ID] = true
		}
	}
	var total money.Fen
	for _, in := range h.Incomes {
		if !Counted(in.Kind) || in.Months <= 0 || away[in.MemberID] {
			continue
		}
		total += (in.Amount - in.Cost) / money.Fen(in.Months)
	}
	return total
}

// ExpectedEligible is the rough eligibility rule the demo data is drawn
// against (per-capita counted income below the demo standard, financial
// assets within AssetMonths × standard × members, no non-exempt vehicle or
// business, at most MaxHomes homes). It exists only to check the mix of the
// demo data; the benefit engine is the real rule. Property values are the
// total of the item.
func ExpectedEligible(h household.Household) bool {
	n := money.Fen(coResident(h))
	if n == 0 {
		return false
	}
	std := Standard(h.Urban)
	if MonthlyIncome(h) >= std*n {
		return false
	}
	var financial money.Fen
	homes := 0
	for _, p := range h.Properties {
		switch p.Kind {
		case "deposit", "securities", "insurance":
			financial += p.Value
		case "vehicle", "business":
			if !p.Exempt {
				return false
			}
		case "house":
			homes += max(p.Quantity, 1)
		}
	}
	return financial <= AssetMonths*std*n && homes <= MaxHomes
}
