package store_test

import (
	"testing"

	"dibao/internal/store"
	"dibao/internal/testenv"
)

// Migration 00012 rebuilt review_tasks on SQLite (a CHECK cannot be
// altered) and swapped the constraint on PostgreSQL: the new kind is
// accepted, an unknown kind still refused, and the partial unique index
// still allows one undecided task per household and kind.
func TestReviewTaskKindChangeReport(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		seedRegions(t, db)
		hid := enrolled(t, db, 1)
		create := func(kind string) (bool, error) {
			var created bool
			err := db.InTx(ctx, admin(), func(tx *store.Tx) error {
				var err error
				created, err = tx.CreateReviewTask(ctx, &store.ReviewTask{HouseholdID: hid, Region: villageA, Kind: kind, Due: "2026-12-31"})
				if err != nil {
					return err
				}
				return tx.Audit(ctx, store.Entry{Action: "test.task", Object: "household"})
			})
			return created, err
		}
		for i, want := range []bool{true, false} {
			if got, err := create("change_report"); err != nil || got != want {
				t.Fatalf("change_report task #%d: created %v (err %v), want %v", i+1, got, err, want)
			}
		}
		if got, err := create("periodic"); err != nil || !got {
			t.Fatalf("periodic task beside it: %v %v", got, err)
		}
		if _, err := create("bogus"); err == nil {
			t.Fatal("an unknown task kind was accepted")
		}
	})
}
