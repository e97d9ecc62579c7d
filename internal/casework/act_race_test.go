package casework_test

import (
	"sync"
	"testing"

	"dibao/internal/casework"
	"dibao/internal/errs"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/workflow"
)

// TestActRace: eight requests take the same transition from the same
// version at once. Whatever each read first (on SQLite the case is loaded
// before the write transaction), exactly one moves the case, the others
// are refused as stale, the history has one new event and the audit chain
// one new record and verifies.
func TestActRace(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		c, err := w.svc.Open(ctx, w.clerk, w.hid, casework.Declaration{None: true})
		if err != nil {
			t.Fatal(err)
		}
		w.materials(&c)
		before, err := db.VerifyAudit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		const n = 8
		var wg sync.WaitGroup
		results := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, results[i] = w.svc.Act(ctx, w.clerk, casework.Action{CaseID: c.ID, Version: c.Version, Transition: "intake",
					Input: workflow.Input{Values: map[string][]string{"application_date": {w.day(0)}}}})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range results {
			switch {
			case err == nil:
				ok++
			case errs.CodeOf(err) != errs.Conflict:
				t.Fatalf("a losing request failed with %v, want a conflict", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d requests moved the case, want 1 (%v)", ok, results)
		}
		evs, err := db.Events(ctx, c.ID)
		if err != nil || len(evs) != 2 || evs[1].Transition != "intake" {
			t.Fatalf("events %+v (%v), want open and one intake", evs, err)
		}
		after, err := db.VerifyAudit(ctx)
		if err != nil || after != before+1 {
			t.Fatalf("audit records %d → %d (%v), want one more", before, after, err)
		}
	})
}
