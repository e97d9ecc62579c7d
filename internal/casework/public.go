package casework

import (
	"context"
	"slices"
	"strings"

	"dibao/internal/mask"
	"dibao/internal/money"
	"dibao/internal/region"
	"dibao/internal/store"
)

// PublicRow is one household on a public page. It is built from an
// allow-list (SPEC §2.4): the village, the head's name with the middle
// masked, the household size, the monthly amount and the period — never an
// ID number, phone, address, income, property or health detail.
type PublicRow struct {
	Village  region.Code
	HeadName string // masked: 张*明
	Size     int
	Amount   money.Fen
	Period   string // publicity: "2026-10-08 至 2026-10-16"; standing list: "2026-11 起"
}

// PublicVillage is a village with something public to show.
type PublicVillage struct {
	Code       region.Code
	Name       string
	Township   string
	Publicity  int // households in publicity now
	Recipients int // households on the standing list
}

// PublicIndex lists the villages of every county with current publicity or
// recipients. It needs no login: it only counts.
func (s *Service) PublicIndex(ctx context.Context) ([]PublicVillage, error) {
	all := region.All()
	cases, err := s.DB.Cases(ctx, all, store.CaseFilter{States: []string{"publicity"}, Limit: 1000})
	if err != nil {
		return nil, err
	}
	recips, err := s.DB.Recipients(ctx, all)
	if err != nil {
		return nil, err
	}
	names, err := s.DB.RegionNames(ctx)
	if err != nil {
		return nil, err
	}
	by := map[region.Code]*PublicVillage{}
	var order []region.Code
	get := func(c region.Code) *PublicVillage {
		if v, ok := by[c]; ok {
			return v
		}
		v := &PublicVillage{Code: c, Name: names[c], Township: names[c.Township()]}
		by[c] = v
		order = append(order, c)
		return v
	}
	for _, c := range cases {
		get(c.Region).Publicity++
	}
	for _, r := range recips {
		get(r.Region).Recipients++
	}
	out := make([]PublicVillage, 0, len(order))
	for _, c := range order {
		out = append(out, *by[c])
	}
	sortVillages(out)
	return out, nil
}

// PublicLists returns a village's current publicity list and its standing
// list of recipients.
func (s *Service) PublicLists(ctx context.Context, village region.Code) (publicity, standing []PublicRow, err error) {
	scope := region.ScopeOf(village)
	cases, err := s.DB.Cases(ctx, scope, store.CaseFilter{States: []string{"publicity"}, Limit: 1000})
	if err != nil {
		return nil, nil, err
	}
	for _, c := range cases {
		if c.Region != village {
			continue
		}
		size := 0
		if h, err := s.DB.Household(ctx, scope, c.HouseholdID); err == nil {
			size = len(h.Members)
		}
		publicity = append(publicity, PublicRow{Village: c.Region, HeadName: mask.Name(c.HeadName), Size: size,
			Amount: c.Amount, Period: c.PublicityStart + " 至 " + c.PublicityEnd})
	}
	recips, err := s.DB.Recipients(ctx, scope)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range recips {
		if r.Region != village {
			continue
		}
		standing = append(standing, PublicRow{Village: r.Region, HeadName: mask.Name(r.HeadName), Size: r.Members,
			Amount: r.Amount, Period: r.StartMonth + " 起"})
	}
	return publicity, standing, nil
}

func sortVillages(vs []PublicVillage) {
	slices.SortFunc(vs, func(a, b PublicVillage) int { return strings.Compare(string(a.Code), string(b.Code)) })
}
