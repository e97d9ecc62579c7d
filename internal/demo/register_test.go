package demo

import (
	"context"
	"testing"

	"dibao/internal/casework"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

func TestLoadRegister(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := Load(ctx, db, Generate(DefaultSeed, db.Now())); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadCases(ctx, db, &casework.Service{DB: db, Now: db.Now}); err != nil {
			t.Fatal(err)
		}
		n, err := LoadRegister(ctx, db, db.Now())
		if err != nil || n < 20 {
			t.Fatalf("LoadRegister: %d %v", n, err)
		}
		scope := region.ScopeOf(CountyCode)
		all, err := db.Register(ctx, scope, store.RegisterFilter{Status: "all"})
		if err != nil || len(all) != n {
			t.Fatalf("register holds %d, loaded %d: %v", len(all), n, err)
		}
		// No household with an open application is on the register.
		open, err := db.Cases(ctx, scope, store.CaseFilter{Open: "open"})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range open {
			for _, e := range all {
				if e.HouseholdID == c.HouseholdID {
					t.Errorf("household %d has an open application and is on the register", e.HouseholdID)
				}
			}
		}
		stopped := 0
		for _, e := range all {
			hs, err := db.History(ctx, scope, e.HouseholdID)
			if err != nil || len(hs) == 0 || hs[0].Kind != "enrolled" || hs[0].NewAmount != e.Amount || e.CaseBenefit == "" {
				t.Fatalf("household %d: history %+v %v", e.HouseholdID, hs, err)
			}
			for i := 1; i < len(hs); i++ {
				if hs[i].At.Before(hs[i-1].At) {
					t.Errorf("household %d: history out of order", e.HouseholdID)
				}
			}
			evs, err := db.Events(ctx, e.CaseID)
			if err != nil || len(evs) != len(demoPath) || evs[len(evs)-1].To != "approved" {
				t.Fatalf("case %d events %d %v", e.CaseID, len(evs), err)
			}
			for i := 1; i < len(evs); i++ {
				if !evs[i].At.After(evs[i-1].At) {
					t.Errorf("case %d: event %d not after the one before", e.CaseID, i)
				}
			}
			if e.Status == "stopped" {
				stopped++
			}
		}
		if stopped == 0 || stopped == n {
			t.Errorf("%d of %d stopped", stopped, n)
		}
		if again, err := LoadRegister(ctx, db, db.Now()); err != nil || again != 0 {
			t.Fatalf("second load: %d %v", again, err)
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
