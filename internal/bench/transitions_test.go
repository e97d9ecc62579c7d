package bench_test

import (
	"context"
	"strconv"
	"testing"

	"dibao/internal/bench"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// TestTransitions runs the transitions scenario small on both stores:
// every transition is done once through the services and once raw, each
// case's history is exactly open → intake → accept → forward, the audit
// chain holds one record per service transition and verifies, and no
// error is reported. Not a speed test.
func TestTransitions(t *testing.T) {
	const n = 12
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		testenv.SeedRegions(t, db)
		if _, err := bench.Register(ctx, db, testenv.County, 2*n+3, nil); err != nil {
			t.Fatal(err)
		}
		before, err := db.VerifyAudit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r, err := bench.TransitionsOf(ctx, bench.Env{DB: db, Counties: []region.Code{testenv.County}, Concurrency: 4}, n)
		if err != nil {
			t.Fatal(err)
		}
		if r.Ops != 3*n || r.Errors != 0 || r.App <= 0 || r.Raw <= 0 || r.Ratio <= 0 || r.Unit != "transitions" || r.Met == nil {
			t.Fatalf("result = %+v", r)
		}
		scope := region.ScopeOf(testenv.County)
		cases, err := db.Cases(ctx, scope, store.CaseFilter{States: []string{"forwarded"}, Limit: 1000})
		if err != nil || len(cases) != 2*n {
			t.Fatalf("forwarded cases = %d (%v), want %d through the services + %d raw", len(cases), err, n, n)
		}
		app, raw := 0, 0
		for _, c := range cases {
			evs, err := db.Events(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"open", "intake", "accept", "forward"}
			if len(evs) != len(want) {
				t.Fatalf("case %d: %d events, want %d", c.ID, len(evs), len(want))
			}
			for i, e := range evs {
				if e.Transition != want[i] || e.Seq != i+1 {
					t.Fatalf("case %d event %d = %s seq %d, want %s seq %d", c.ID, i, e.Transition, e.Seq, want[i], i+1)
				}
			}
			if evs[1].Actor == "raw" {
				raw++
				if evs[2].Actor != "raw" || evs[3].Actor != "raw" || c.Version != 4 {
					t.Fatalf("raw case %d: events %+v, version %d", c.ID, evs, c.Version)
				}
			} else {
				app++
				// opened (1), materials (2), three transitions.
				if evs[2].Actor == "raw" || evs[3].Actor == "raw" || c.Version != 5 {
					t.Fatalf("service case %d: events %+v, version %d", c.ID, evs, c.Version)
				}
			}
		}
		if app != n || raw != n {
			t.Fatalf("service cases %d, raw cases %d, want %d each", app, raw, n)
		}
		after, err := db.VerifyAudit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Per service case: open, materials and three transitions; raw
		// cases were opened through the service (one record each).
		if after-before != int64(5*n+n) {
			t.Fatalf("audit records added %d, want %d", after-before, 6*n)
		}
		recs, err := db.QueryStrings(ctx, "SELECT COUNT(*) FROM audit_log WHERE action IN ('case.intake', 'case.accept', 'case.forward')")
		if err != nil || len(recs) != 1 || recs[0] != strconv.Itoa(3*n) {
			t.Fatalf("transition audit records %v (%v), want %d", recs, err, 3*n)
		}
	})
}
