package demo

import (
	"context"
	"fmt"
	"testing"

	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

func TestLoadReports(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := Load(ctx, db, Generate(DefaultSeed, db.Now())); err != nil {
			t.Fatal(err)
		}
		svc := &recipients.Service{DB: db, Now: db.Now}
		// Without recipients nothing is loaded, and nothing is marked.
		if res, err := LoadReports(ctx, db, svc); err != nil || res.Reports != 0 || res.AlreadyLoaded {
			t.Fatalf("without recipients: %+v %v", res, err)
		}
		rows, _, err := db.Households(ctx, region.ScopeOf(clerkVillage), store.HouseholdFilter{PageSize: 4})
		if err != nil || len(rows) < 4 {
			t.Fatalf("households %d %v", len(rows), err)
		}
		err = db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
			for i, r := range rows {
				c := store.Case{Number: fmt.Sprintf("DEMO-T-%d", i), HouseholdID: r.ID, Region: clerkVillage, Profile: "seed",
					State: "approved", Policy: "{}"}
				if err := tx.CreateCase(ctx, &c); err != nil {
					return err
				}
				if err := tx.Enroll(ctx, store.Recipient{HouseholdID: r.ID, CaseID: c.ID, Region: clerkVillage, Category: "A",
					Amount: 50000, Members: 1, StartMonth: "2026-01", Status: "active"}); err != nil {
					return err
				}
			}
			return tx.Audit(ctx, store.Entry{Action: "test.enroll", Object: "households"})
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := LoadReports(ctx, db, svc)
		if err != nil || res.Reports != 3 || res.SpotChecks != 1 {
			t.Fatalf("LoadReports: %+v %v", res, err)
		}
		reps, err := db.ChangeReports(ctx, region.All(), store.ChangeReportFilter{})
		if err != nil {
			t.Fatal(err)
		}
		states := map[string]int{}
		for _, r := range reps {
			states[r.State]++
		}
		if states["reported"] != 1 || states["confirmed"] != 1 || states["closed"] != 1 {
			t.Fatalf("states %v", states)
		}
		if again, err := LoadReports(ctx, db, svc); err != nil || !again.AlreadyLoaded {
			t.Fatalf("second load: %+v %v", again, err)
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
