package store_test

import (
	"fmt"
	"testing"

	"dibao/internal/errs"
	"dibao/internal/money"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// enrolled creates a household with a case and enrols it.
func enrolled(t *testing.T, db *store.DB, n int) int64 {
	t.Helper()
	h := sample(t, villageA, 1)
	err := db.InTx(ctx, admin(), func(tx *store.Tx) error {
		if err := tx.CreateHousehold(ctx, &h); err != nil {
			return err
		}
		c := store.Case{Number: fmt.Sprintf("R-%d", n), HouseholdID: h.ID, Region: villageA, Profile: "seed", State: "approved", Policy: "{}"}
		if err := tx.CreateCase(ctx, &c); err != nil {
			return err
		}
		if err := tx.Enroll(ctx, store.Recipient{HouseholdID: h.ID, CaseID: c.ID, Region: villageA, Category: "A",
			Amount: money.FromYuan(500), Members: 1, StartMonth: "2026-01", Status: "active"}); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "test.enroll", Object: fmt.Sprint("household:", h.ID)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return h.ID
}

func TestRecipientsStore(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		seedRegions(t, db)
		hid := enrolled(t, db, 1)
		scope := region.ScopeOf(county)

		// One undecided task per household and kind; a duplicate is skipped
		// without breaking the transaction.
		err := db.InTx(ctx, admin(), func(tx *store.Tx) error {
			for i, want := range []bool{true, false} {
				task := store.ReviewTask{HouseholdID: hid, Region: villageA, Kind: "periodic", Due: "2027-01-01"}
				ok, err := tx.CreateReviewTask(ctx, &task)
				if err != nil || ok != want {
					return fmt.Errorf("insert %d: created %v, err %v", i, ok, err)
				}
			}
			spot := store.ReviewTask{HouseholdID: hid, Region: villageA, Kind: "spot_check", Due: "2027-01-01", Seed: "7"}
			if ok, err := tx.CreateReviewTask(ctx, &spot); !ok || err != nil {
				return fmt.Errorf("spot check task: %v %v", ok, err)
			}
			e, err := tx.RecipientForUpdate(ctx, scope, hid)
			if err != nil {
				return err
			}
			old := e.Amount
			e.Amount = money.FromYuan(450)
			if err := tx.UpdateRecipient(ctx, &e); err != nil {
				return err
			}
			e.Version-- // a stale write is refused
			if err := tx.UpdateRecipient(ctx, &e); errs.CodeOf(err) != errs.Conflict {
				return fmt.Errorf("stale update: %v", err)
			}
			if err := tx.AppendHistory(ctx, &store.HistoryEntry{HouseholdID: hid, Kind: "decrease", OldAmount: old,
				NewAmount: e.Amount, EffectiveMonth: "2027-01", Reason: "测试"}); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test.tasks", Object: "review_tasks"})
		})
		if err != nil {
			t.Fatal(err)
		}
		tasks, err := db.ReviewTasks(ctx, scope, "", "undecided")
		if err != nil || len(tasks) != 2 {
			t.Fatalf("tasks %+v (err %v), want a periodic and a spot-check task", tasks, err)
		}
		regs, err := db.Register(ctx, scope, store.RegisterFilter{MaxAmount: money.FromYuan(460), ReviewDueBy: "2027-01-01"})
		if err != nil || len(regs) != 1 || regs[0].ReviewDue != "2027-01-01" || regs[0].Version != 2 {
			t.Fatalf("register %+v (err %v)", regs, err)
		}
		if regs, _ := db.Register(ctx, scope, store.RegisterFilter{MinAmount: money.FromYuan(460)}); len(regs) != 0 {
			t.Fatalf("amount filter returned %+v", regs)
		}
		hist, err := db.History(ctx, scope, hid)
		if err != nil || len(hist) != 1 || hist[0].Actor != "test-admin" {
			t.Fatalf("history %+v (err %v)", hist, err)
		}
		if hist, _ := db.History(ctx, region.ScopeOf(townA+"1"), hid); len(hist) != 0 {
			t.Fatal("history visible outside scope")
		}

		// A roster: rows replaced while draft, never after approval.
		err = db.InTx(ctx, admin(), func(tx *store.Tx) error {
			r := store.Roster{County: county, Month: "2027-01"}
			if err := tx.CreateRoster(ctx, &r); err != nil {
				return err
			}
			rows := []store.RosterRow{{HouseholdID: hid, Region: villageA, Amount: money.FromYuan(450)}}
			for range 2 {
				if err := tx.ReplaceRosterRows(ctx, &r, rows); err != nil {
					return err
				}
			}
			if got, _ := tx.RosterRows(ctx, r.ID); len(got) != 1 || r.Total != money.FromYuan(450) {
				return fmt.Errorf("rows %+v, total %s", got, r.Total.Yuan())
			}
			if err := tx.ReplaceRosterRows(ctx, &r, append(rows, rows...)); errs.CodeOf(err) != errs.Conflict {
				return fmt.Errorf("duplicate household row: %v", err)
			}
			return fmt.Errorf("rollback") // the duplicate insert aborted a PostgreSQL transaction
		})
		if err == nil || err.Error() != "rollback" {
			t.Fatal(err)
		}
		err = db.InTx(ctx, admin(), func(tx *store.Tx) error {
			r := store.Roster{County: county, Month: "2027-01"}
			if err := tx.CreateRoster(ctx, &r); err != nil {
				return err
			}
			if err := tx.ApproveRoster(ctx, &r); err != nil {
				return err
			}
			if err := tx.ReplaceRosterRows(ctx, &r, nil); errs.CodeOf(err) != errs.Conflict {
				return fmt.Errorf("rebuilding approved roster: %v", err)
			}
			got, found, err := tx.RosterForMonth(ctx, county, "2027-01")
			if err != nil || !found || got.Status != "approved" {
				return fmt.Errorf("roster %+v %v %v", got, found, err)
			}
			return tx.Audit(ctx, store.Entry{Action: "test.roster", Object: "roster"})
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
