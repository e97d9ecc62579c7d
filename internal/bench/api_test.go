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

// TestAPI runs the api scenario small on both stores, the server in this
// process: every request kind is issued and answered 2xx, the raw
// counterpart ran every request too, each transition really moved its
// case (one event each) and the raw events are gone again. Not a speed
// test: the targets may or may not be met at this size.
func TestAPI(t *testing.T) {
	const requests = 150
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		testenv.SeedRegions(t, db)
		if _, err := bench.Register(ctx, db, testenv.County, 60, nil); err != nil {
			t.Fatal(err)
		}
		// 8 connections: more concurrent case pages than SQLite's read pool
		// has connections (a pool deadlock once made them time out).
		rs, err := bench.API(ctx, bench.Env{DB: db, Households: 60, Counties: []region.Code{testenv.County},
			Connections: 8, Requests: requests, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]bench.Result{}
		sum := 0
		for _, r := range rs {
			kinds[r.Name] = r
			if r.Errors != 0 {
				t.Errorf("%s: %d errors (%s)", r.Name, r.Errors, r.Note)
			}
			if r.Name == "api overall" || r.Name == "serve RSS" {
				continue
			}
			sum += r.Ops
			if r.Ops == 0 || r.App <= 0 || r.Raw <= 0 || r.AppP50 <= 0 || r.RawP50 <= 0 || r.Unit != "requests" {
				t.Errorf("%s: %+v", r.Name, r)
			}
		}
		if len(kinds) != 7 || sum != requests || kinds["api overall"].Ops != requests {
			t.Fatalf("results %+v: want 6 kinds and overall of %d requests", rs, requests)
		}
		if _, rss := kinds["serve RSS"]; rss {
			t.Error("serve RSS reported without a serve binary")
		}
		for _, name := range []string{"register list", "household list", "ID look-up"} {
			if kinds[name].Target == "" || kinds[name].Met == nil {
				t.Errorf("%s: no target checked", name)
			}
		}
		n := kinds["transition"].Ops
		count := func(q string, args ...any) int {
			t.Helper()
			xs, err := db.QueryStrings(ctx, q, args...)
			if err != nil || len(xs) != 1 {
				t.Fatalf("%s: %v %v", q, xs, err)
			}
			v, _ := strconv.Atoi(xs[0])
			return v
		}
		if got := count("SELECT COUNT(*) FROM case_events WHERE transition = ?", bench.APITransition); got != n {
			t.Errorf("%s events = %d, want %d", bench.APITransition, got, n)
		}
		if got := count("SELECT COUNT(*) FROM cases WHERE state = 'investigating'"); got != n {
			t.Errorf("cases investigating = %d, want %d", got, n)
		}
		if got := count("SELECT COUNT(*) FROM audit_log WHERE action = ?", "case."+bench.APITransition); got != n {
			t.Errorf("audited transitions = %d, want %d", got, n)
		}
		if got := count("SELECT COUNT(*) FROM case_events WHERE actor = 'raw'"); got != 0 {
			t.Errorf("raw events left behind: %d", got)
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
