package store_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"dibao/internal/archive"
	"dibao/internal/authz"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// TestArchiveRegionBackfill runs the UPDATEs of migration 00028 over a
// catalogue written as it was before (no region) and checks that every
// record gets its source's region, and that the store's scope then keeps
// each county to its own records.
func TestArchiveRegionBackfill(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		testenv.SeedRegions(t, db)
		other := region.Code("130198000000")
		err := db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
			if err := tx.PutRegion(ctx, store.Region{Code: other, Name: "平和县", Level: region.County}); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test.seed", Object: "regions"})
		})
		if err != nil {
			t.Fatal(err)
		}
		here := testenv.Plan(t, db, testenv.TownA)
		there := testenv.Plan(t, db, other)
		cust := testenv.User(t, db, "cust", testenv.County, authz.ArchiveCustodian)
		if _, err := (&archive.Service{DB: db}).Catalogue(ctx, authz.System("archive")); err != nil {
			t.Fatal(err)
		}
		// As before the migration: no region on any record.
		if err := db.ExecRaw(ctx, "UPDATE archive_records SET region_code = ''"); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile("migrations/" + string(db.Dialect()) + "/00028_archive_region.sql")
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(b), "-- +goose Down")
		for _, stmt := range strings.Split(up, ";") {
			var sql []string
			for _, l := range strings.Split(stmt, "\n") {
				if !strings.HasPrefix(strings.TrimSpace(l), "--") {
					sql = append(sql, l)
				}
			}
			if s := strings.TrimSpace(strings.Join(sql, "\n")); strings.HasPrefix(s, "UPDATE") {
				if err := db.ExecRaw(ctx, s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
		}
		got, err := db.QueryStrings(ctx, "SELECT ref || '=' || region_code FROM archive_records WHERE rtype = 'plan' ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		want := []string{strconv.FormatInt(here, 10) + "=" + string(testenv.TownA), strconv.FormatInt(there, 10) + "=" + string(other)}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("backfilled %v, want %v", got, want)
		}
		recs, err := (&archive.Service{DB: db}).List(ctx, cust, store.ArchiveFilter{})
		if err != nil || len(recs) != 1 || recs[0].Ref != strconv.FormatInt(here, 10) {
			t.Fatalf("the custodian of %s lists %+v (%v), want only plan %d", testenv.County, recs, err, here)
		}
	})
}
