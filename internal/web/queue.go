package web

import (
	"context"

	"dibao/internal/authz"
)

// caseRoles are the roles that handle applications; their home page is
// their work queue.
var caseRoles = []authz.Role{authz.VillageClerk, authz.TownshipOfficer, authz.TownshipReviewer,
	authz.CountyApprover, authz.CountyAdmin}

func handlesCases(p authz.Principal) bool {
	for _, r := range caseRoles {
		if p.Has(r) {
			return true
		}
	}
	return false
}

type queueRow struct {
	ID       int64
	Number   string
	Head     string
	Village  string
	State    string
	Tone     string
	Since    string
	Due      string
	Overdue  bool
	DueSoon  bool
	TotalDue string
	Extended bool
	Flagged  bool
}

type queueView struct {
	Rows    []queueRow
	Overdue int
	DueSoon int
}

// queue is the caller's work queue: the open cases waiting for one of
// their roles, overdue first (the service's order).
func (s *server) queue(ctx context.Context, p authz.Principal) (*queueView, error) {
	items, err := s.a.Cases.Queue(ctx, p)
	if err != nil {
		return nil, err
	}
	names, err := s.a.DB.RegionNames(ctx)
	if err != nil {
		return nil, err
	}
	q := &queueView{}
	var overdue, rest []queueRow
	for _, it := range items {
		c := it.Case
		row := queueRow{ID: c.ID, Number: c.Number, Head: c.HeadName, Village: villageName(names, c.Region),
			State: it.State.Label, Tone: stateTone(c.State), Since: localTime(c.StateSince), Due: it.Due,
			Overdue: it.Overdue, DueSoon: it.DueSoon, TotalDue: it.TotalDue, Extended: c.Extended, Flagged: c.RelativeFlag}
		if row.Overdue {
			q.Overdue++
			overdue = append(overdue, row)
			continue
		}
		if row.DueSoon {
			q.DueSoon++
		}
		rest = append(rest, row)
	}
	q.Rows = append(overdue, rest...)
	return q, nil
}
