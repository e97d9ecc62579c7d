package demo

import (
	"context"
	"testing"

	"dibao/internal/authz"
	"dibao/internal/casework"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

func TestLoadRecipients(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := Load(ctx, db, Generate(DefaultSeed, db.Now())); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadCases(ctx, db, &casework.Service{DB: db, Now: db.Now}); err != nil {
			t.Fatal(err)
		}
		res, err := LoadRecipients(ctx, db, db.Now())
		if err != nil {
			t.Fatal(err)
		}
		scope := region.ScopeOf(CountyCode)
		regs, err := db.Register(ctx, scope, store.RegisterFilter{Status: "all"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Recipients < 50 || len(regs) != res.Recipients {
			t.Fatalf("recipients: loaded %d, register has %d, want the same and ≥ 50", res.Recipients, len(regs))
		}
		cases, _ := db.Cases(ctx, scope, store.CaseFilter{})
		open := map[int64]bool{}
		for _, c := range cases {
			if c.State != "approved" {
				open[c.HouseholdID] = true
			}
		}
		raised, stopped := 0, 0
		for _, e := range regs {
			if open[e.HouseholdID] {
				t.Fatalf("household %d has an open application and is in the register", e.HouseholdID)
			}
			if e.Amount <= 0 || e.CaseID == 0 || (e.Status != "active" && e.Status != "stopped") {
				t.Fatalf("register entry %+v", e)
			}
			h, err := db.History(ctx, scope, e.HouseholdID)
			if err != nil || len(h) == 0 || h[0].Kind != "enrolled" || h[0].CaseID != e.CaseID || e.CaseBenefit == "" {
				t.Fatalf("history of %d: %+v %v", e.HouseholdID, h, err)
			}
			for i := 1; i < len(h); i++ {
				if h[i].At.Before(h[i-1].At) {
					t.Errorf("household %d: history out of order", e.HouseholdID)
				}
				if h[i].Kind == "increase" {
					raised++
				}
			}
			if e.Status == "stopped" {
				stopped++
			}
			// The approving application went through the usual steps, in order.
			evs, err := db.Events(ctx, e.CaseID)
			if err != nil || len(evs) != len(demoPath) || evs[len(evs)-1].To != "approved" {
				t.Fatalf("case %d events %d %v", e.CaseID, len(evs), err)
			}
			for i := 1; i < len(evs); i++ {
				if !evs[i].At.After(evs[i-1].At) {
					t.Errorf("case %d: event %d not after the one before", e.CaseID, i)
				}
			}
		}
		if raised != 1 || stopped != 1 {
			t.Fatalf("%d raised and %d stopped, want one of each", raised, stopped)
		}
		tasks, err := db.ReviewTasks(ctx, scope, "periodic", "")
		if err != nil || len(tasks) != len(regs)-1 {
			t.Fatalf("%d open review tasks for %d active recipients: %v", len(tasks), len(regs)-1, err)
		}
		// The register pays: this month's roster has one row per recipient.
		svc := &recipients.Service{DB: db, Now: db.Now}
		month := roster.MonthOf(db.Now().Year(), db.Now().Month()).String()
		ro, err := svc.BuildRoster(ctx, authz.Principal{Username: "system:test", Region: CountyCode}, CountyCode, month)
		if err != nil || ro.Rows != len(regs)-1 {
			t.Fatalf("roster: %+v %v, want %d rows (all but the stopped one)", ro, err, len(regs)-1)
		}
		again, err := LoadRecipients(ctx, db, db.Now())
		if err != nil || !again.AlreadyLoaded {
			t.Fatalf("second load: %+v %v", again, err)
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
