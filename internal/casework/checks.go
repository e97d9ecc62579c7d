package casework

import (
	"context"
	"encoding/json"
	"fmt"

	"dibao/internal/crosscheck"
	"dibao/internal/store"
)

// requestCheck sends the household to the cross-check platform through the
// configured adapter and records the request. Without an adapter the
// request is only recorded (a paper request).
func (s *Service) requestCheck(ctx context.Context, tx *store.Tx, L *loaded) error {
	reqID := fmt.Sprintf("HD-%s-%02d", L.c.Number, len(L.events)+1)
	chk := store.Check{CaseID: L.c.ID, RequestID: reqID, Adapter: "manual", Status: "pending"}
	if s.Checker != nil {
		req := crosscheck.Request{ID: reqID, CaseNumber: L.c.Number, Region: string(L.c.Region), RequestedAt: s.Now(),
			Scope: crosscheck.AllSources()}
		for _, m := range L.h.Members {
			req.Persons = append(req.Persons, crosscheck.Person{Name: m.Name, IDNumber: m.IDNumber, Relation: m.Relation.Label()})
		}
		ticket, err := s.Checker.Submit(ctx, req)
		if err != nil {
			return err
		}
		chk.Adapter, chk.Ticket = fmt.Sprintf("%T", s.Checker), ticket
	}
	return tx.AddCheck(ctx, &chk)
}

// fetchCheck attaches the platform's report to the latest pending request
// when the adapter has it; the investigator's typed summary is recorded
// either way, because many results still come back on paper.
func (s *Service) fetchCheck(ctx context.Context, tx *store.Tx, L *loaded) error {
	if s.Checker == nil {
		return nil
	}
	checks, err := tx.Checks(ctx, L.c.ID)
	if err != nil {
		return err
	}
	for i := len(checks) - 1; i >= 0; i-- {
		c := checks[i]
		if c.Status != "pending" || c.Ticket == "" {
			continue
		}
		rep, ready, err := s.Checker.Fetch(ctx, c.Ticket)
		if err != nil || !ready {
			return nil
		}
		raw, _ := json.Marshal(rep)
		return tx.SetCheckReport(ctx, c.ID, string(rep.Status), string(raw))
	}
	return nil
}
