package casework

import (
	"context"
	"slices"

	"dibao/internal/authz"
	"dibao/internal/region"
	"dibao/internal/store"
)

// StaffMember is a staff account a case form may name: an investigator of
// a home visit, or a declared close relative among the staff.
type StaffMember struct {
	ID     int64
	Name   string
	Region region.Code
	Roles  []authz.Role
	Active bool
}

// County reports whether the account works at county level (the only
// accounts a county home visit names).
func (m StaffMember) County() bool { return m.Region.Level() == region.County }

// investigatorRoles are the roles whose holders go on home visits.
var investigatorRoles = []authz.Role{authz.TownshipOfficer, authz.CountyApprover, authz.CountyAdmin}

// caseRoles are the roles that handle cases, whose holders an applicant
// may be related to.
var caseRoles = []authz.Role{authz.VillageClerk, authz.TownshipOfficer, authz.TownshipReviewer,
	authz.CountyApprover, authz.CountyAdmin}

// Staff lists the accounts that may be recorded as investigators on a case:
// township officers of the case's township and county approvers and
// administrators above it — the set Act accepts for a home visit.
// Inactive accounts are included (Active false) so that past visits still
// show their investigators' names; forms offer only the active ones.
func (s *Service) Staff(ctx context.Context, p authz.Principal, caseID int64) ([]StaffMember, error) {
	if err := p.Require(authz.HouseholdView); err != nil {
		return nil, err
	}
	c, err := s.DB.Case(ctx, p.Scope(), caseID)
	if err != nil {
		return nil, err
	}
	return s.staffAround(ctx, c.Region, investigatorRoles)
}

// DeclarableStaff lists the active case-handling accounts an applicant
// household may declare as a close relative: those of its village, its
// township and its county.
func (s *Service) DeclarableStaff(ctx context.Context, p authz.Principal, householdID int64) ([]StaffMember, error) {
	if err := p.Require(authz.HouseholdView); err != nil {
		return nil, err
	}
	h, err := s.DB.Household(ctx, p.Scope(), householdID)
	if err != nil {
		return nil, err
	}
	all, err := s.staffAround(ctx, h.Region, caseRoles)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, m := range all {
		// A clerk of another village of the township never handles this case.
		if m.Active && (m.Region.Level() != region.Village || m.Region == h.Region) {
			out = append(out, m)
		}
	}
	return out, nil
}

// staffAround returns the accounts holding one of roles whose region is
// within the township of village or above it (the county).
func (s *Service) staffAround(ctx context.Context, village region.Code, roles []authz.Role) ([]StaffMember, error) {
	town := village.Township()
	users, err := s.DB.Users(ctx, region.ScopeOf(village.County()))
	if err != nil {
		return nil, err
	}
	var out []StaffMember
	for _, u := range users {
		if !(u.Region.Within(town) || town.Within(u.Region)) {
			continue
		}
		if !slices.ContainsFunc(roles, func(r authz.Role) bool { return slices.Contains(u.Roles, r) }) {
			continue
		}
		out = append(out, staffOf(u))
	}
	return out, nil
}

func staffOf(u store.User) StaffMember {
	name := u.DisplayName
	if name == "" {
		name = u.Username
	}
	return StaffMember{ID: u.ID, Name: name, Region: u.Region, Roles: u.Roles, Active: u.Active}
}
