package bench_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"dibao/internal/bench"
	"dibao/internal/idcard"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// TestRegisterWorkloads runs the register workloads small on both stores:
// the fixture writes what it says, sealed and readable by the store; the
// roster has a row per recipient and its exports every row; the pages
// agree with the raw query; the standard change adjusts every household
// exactly once and the raw baseline leaves no trace. Not a speed test.
func TestRegisterWorkloads(t *testing.T) {
	const n = 200
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		testenv.SeedRegions(t, db)
		scope := region.ScopeOf(testenv.County)
		if _, err := bench.Register(ctx, db, testenv.County, n, nil); err != nil {
			t.Fatal(err)
		}
		if got, err := db.RegisterCount(ctx, scope, store.RegisterFilter{}); err != nil || got != n {
			t.Fatalf("active recipients = %d (%v), want %d", got, err, n)
		}
		if hs, ms, err := db.CountHouseholds(ctx, scope); err != nil || hs != n || ms != n/3*6+(n%3)*(n%3+1)/2 {
			t.Fatalf("households %d, members %d (%v)", hs, ms, err)
		}
		// Sealed like the store seals: the store opens them, no clear ID
		// number or account is in the tables, and each has its history.
		regs, err := db.Register(ctx, scope, store.RegisterFilter{})
		if err != nil {
			t.Fatal(err)
		}
		h, err := db.Household(ctx, scope, regs[7].HouseholdID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := idcard.Parse(string(h.Members[0].IDNumber), time.Now()); err != nil || !strings.HasPrefix(h.BankAccount, "62284800") {
			t.Fatalf("household read back: id %q (%v), account %q", h.Members[0].IDNumber, err, h.BankAccount)
		}
		if xs, err := db.QueryStrings(ctx, "SELECT id FROM members WHERE id_enc = ? OR id_enc LIKE '9%'", string(h.Members[0].IDNumber)); err != nil || len(xs) != 0 {
			t.Fatalf("clear ID numbers in members: %v (%v)", xs, err)
		}
		if xs, err := db.QueryStrings(ctx, "SELECT id FROM households WHERE bank_enc LIKE '6228%'"); err != nil || len(xs) != 0 {
			t.Fatalf("clear bank accounts: %v (%v)", xs, err)
		}
		if hist, err := db.History(ctx, scope, regs[7].HouseholdID); err != nil || len(hist) != 1 || hist[0].Kind != "enrolled" ||
			hist[0].NewAmount != regs[7].Amount || regs[7].Amount <= 0 {
			t.Fatalf("history %+v (%v), entry %+v", hist, err, regs[7])
		}

		rs, err := bench.Roster(ctx, db, testenv.County, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 3 {
			t.Fatalf("roster results %+v", rs)
		}
		for _, r := range rs {
			if r.Ops != n || r.App <= 0 || (r.Name != "roster Excel" && r.Ratio <= 0) {
				t.Fatalf("roster result %+v", r)
			}
		}
		if rs[0].Note != "" || strings.Contains(rs[2].Note, "raw wrote") {
			t.Fatalf("app and raw disagree: %q, %q", rs[0].Note, rs[2].Note)
		}
		rosters, err := db.Rosters(ctx, scope, testenv.County, "")
		if err != nil || len(rosters) != 1 || rosters[0].Rows != n || rosters[0].Status != "approved" {
			t.Fatalf("rosters after bench %+v (%v): want one approved with %d rows (the raw one dropped)", rosters, err, n)
		}

		pg, err := bench.RegisterPages(ctx, db, testenv.County, 30, 7)
		if err != nil {
			t.Fatal(err)
		}
		if pg.Ops != 30 || pg.Ratio <= 0 || pg.AppP50 <= 0 || pg.AppP50 > pg.AppP95 || pg.RawP50 > pg.RawP95 {
			t.Fatalf("register pages %+v", pg)
		}

		before := map[int64]int64{}
		for _, e := range regs {
			before[e.HouseholdID] = int64(e.Amount)
		}
		sc, id, err := bench.StandardChange(ctx, db, testenv.County, nil)
		if err != nil {
			t.Fatal(err)
		}
		if sc.Ops != n || sc.Ratio <= 0 {
			t.Fatalf("standard change %+v", sc)
		}
		// Every household adjusted once by the change, upwards (+50 yuan a
		// person), and the raw run's history rows are gone.
		hids, err := db.QueryStrings(ctx, "SELECT household_id FROM recipient_history WHERE change_id = ?", id)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, x := range hids {
			if seen[x] {
				t.Fatalf("household %s adjusted twice", x)
			}
			seen[x] = true
		}
		if len(seen) != n {
			t.Fatalf("%d households adjusted, want %d", len(seen), n)
		}
		if xs, err := db.QueryStrings(ctx, "SELECT id FROM recipient_history WHERE actor = 'raw'"); err != nil || len(xs) != 0 {
			t.Fatalf("raw history left: %d (%v)", len(xs), err)
		}
		after, err := db.Register(ctx, scope, store.RegisterFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range after {
			if int64(e.Amount) <= before[e.HouseholdID] {
				t.Fatalf("household %d: %d → %d, want an increase", e.HouseholdID, before[e.HouseholdID], e.Amount)
			}
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkRosterBuild builds the roster of a 2,000-household register and
// reports the app/raw ratio (go test -bench RosterBuild -cpuprofile …).
func BenchmarkRosterBuild(b *testing.B) {
	db := testenv.SQLite(b)
	testenv.SeedRegions(b, db)
	if _, err := bench.Register(context.Background(), db, testenv.County, 2000, nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		rs, err := bench.Roster(context.Background(), db, testenv.County, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rs[0].Ratio, "build-app/raw")
		b.ReportMetric(rs[1].AppRate(), "xlsx-rows/s")
	}
}

// BenchmarkStandardChange runs a standard change over a 2,000-household
// register and reports the app/raw ratio (go test -bench StandardChange
// -cpuprofile …).
func BenchmarkStandardChange(b *testing.B) {
	db := testenv.SQLite(b)
	testenv.SeedRegions(b, db)
	if _, err := bench.Register(context.Background(), db, testenv.County, 2000, nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		r, _, err := bench.StandardChange(context.Background(), db, testenv.County, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.Ratio, "app/raw")
		b.ReportMetric(r.AppRate(), "households/s")
	}
}

// TestRosterAndStandardScenarios runs the `roster` and `standard-change`
// scenarios small on both stores over two counties: every county gets its
// roster with a row per recipient and both exports; the totals add up
// over the counties and agree with the raw runs; every household of every
// county is adjusted exactly once; the targets are judged. Not a speed test.
func TestRosterAndStandardScenarios(t *testing.T) {
	const n = 60
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		testenv.SeedRegions(t, db)
		second := region.Code("130198000000")
		err := db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
			for _, r := range []store.Region{
				{Code: second, Name: "安乐县", Level: region.County},
				{Code: "130198101000", Name: "北山镇", Level: region.Township, Parent: second},
				{Code: "130198101201", Name: "张家村", Level: region.Village, Parent: "130198101000"},
			} {
				if err := tx.PutRegion(ctx, r); err != nil {
					return err
				}
			}
			return tx.Audit(ctx, store.Entry{Action: "test.seed", Object: "regions"})
		})
		if err != nil {
			t.Fatal(err)
		}
		counties := []region.Code{testenv.County, second}
		for _, c := range counties {
			if _, err := bench.Register(ctx, db, c, n, nil); err != nil {
				t.Fatal(err)
			}
		}
		env := bench.Env{DB: db, Counties: counties}

		rs, err := bench.Rosters(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 3 {
			t.Fatalf("roster results %+v", rs)
		}
		for i, r := range rs {
			if r.Ops != 2*n || r.App <= 0 || r.Errors != 0 || !strings.HasPrefix(r.Note, "2 counties") ||
				strings.Contains(r.Note, "raw built") || strings.Contains(r.Note, "raw wrote") {
				t.Fatalf("roster result %d: %+v", i, r)
			}
		}
		if rs[0].Raw <= 0 || rs[2].Raw <= 0 || rs[1].Met == nil || rs[2].Met == nil || rs[2].Target != "≥ 0.5× raw" ||
			*rs[2].Met != (rs[2].Ratio <= 2) || *rs[1].Met != (rs[1].AppRate() >= bench.RosterXLSXTarget) {
			t.Fatalf("roster targets: %+v", rs)
		}
		for _, c := range counties {
			rosters, err := db.Rosters(ctx, region.ScopeOf(c), c, "")
			if err != nil || len(rosters) != 1 || rosters[0].Rows != n || rosters[0].Status != "approved" {
				t.Fatalf("rosters of %s: %+v (%v), want one approved with %d rows", c, rosters, err, n)
			}
		}
		if xs, err := db.QueryStrings(ctx, "SELECT seq FROM audit_log WHERE action = 'roster.export'"); err != nil ||
			len(xs) != 2*2*bench.ExportRuns {
			t.Fatalf("export audits %d (%v), want each export ExportRuns times per county", len(xs), err)
		}

		sc, err := bench.StandardChanges(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		if len(sc) != 1 || sc[0].Ops != 2*n || sc[0].Errors != 0 || sc[0].Raw <= 0 || sc[0].Met == nil ||
			*sc[0].Met != (sc[0].Ratio <= 2) || !strings.Contains(sc[0].Note, fmt.Sprintf("%d changed", 2*n)) {
			t.Fatalf("standard change %+v", sc)
		}
		for _, c := range counties {
			jobs, err := db.StandardChanges(ctx, region.ScopeOf(c), "")
			if err != nil || len(jobs) != 1 || jobs[0].Status != store.StandardApplied || jobs[0].Applied != n {
				t.Fatalf("jobs of %s: %+v (%v)", c, jobs, err)
			}
			hids, err := db.QueryStrings(ctx, "SELECT household_id FROM recipient_history WHERE change_id = ?", jobs[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, h := range hids {
				if seen[h] {
					t.Fatalf("household %s adjusted twice", h)
				}
				seen[h] = true
			}
			if len(seen) != n {
				t.Fatalf("county %s: %d households adjusted, want %d", c, len(seen), n)
			}
			if xs, err := db.QueryStrings(ctx, "SELECT household_id FROM standard_change_items WHERE change_id = ? AND (applied = 0 OR outcome <> 'increase')",
				jobs[0].ID); err != nil || len(xs) != 0 {
				t.Fatalf("items not applied as increases: %v (%v)", xs, err)
			}
			// Each recipient carries the item's amount, members and benefit.
			if xs, err := db.QueryStrings(ctx, `SELECT r.household_id FROM recipients r JOIN standard_change_items i
				ON i.household_id = r.household_id WHERE i.change_id = ? AND (r.amount_fen <> i.new_amount OR r.members <> i.members
				OR r.benefit <> i.benefit OR i.benefit NOT LIKE '{%')`, jobs[0].ID); err != nil || len(xs) != 0 {
				t.Fatalf("recipients not as their items: %v (%v)", xs, err)
			}
		}
		if xs, err := db.QueryStrings(ctx, "SELECT id FROM recipient_history WHERE actor = 'raw'"); err != nil || len(xs) != 0 {
			t.Fatalf("raw history left: %d (%v)", len(xs), err)
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
