package bench_test

import (
	"context"
	"testing"

	"dibao/internal/bench"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// TestHouseholds runs the workload small on both stores: it must complete,
// create what it says, and report a ratio for each workload.
func TestHouseholds(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		testenv.SeedRegions(t, db)
		res, err := bench.Households(context.Background(), db, testenv.VillageA, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 2 || res[0].Ops != 10 || res[0].Ratio <= 0 || res[1].Ratio <= 0 {
			t.Fatalf("results = %+v", res)
		}
		n, _, err := db.CountHouseholds(context.Background(), region.ScopeOf(testenv.County))
		if err != nil || n != 20 { // 10 through the registry + 10 raw
			t.Fatalf("households after bench = %d (%v)", n, err)
		}
		if _, err := db.VerifyAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkHouseholdCreate reports the app/raw ratio as a metric.
func BenchmarkHouseholdCreate(b *testing.B) {
	db := testenv.SQLite(b)
	testenv.SeedRegions(b, db)
	b.ResetTimer()
	res, err := bench.Households(context.Background(), db, testenv.VillageA, b.N, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res[0].Ratio, "app/raw")
	b.ReportMetric(res[1].Ratio, "list-app/raw")
}
