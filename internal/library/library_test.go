package library_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/casework"
	"dibao/internal/deid"
	"dibao/internal/demo"
	"dibao/internal/errs"
	"dibao/internal/library"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

var ctx = context.Background()

func principals() (trainer, admin, clerk authz.Principal) {
	trainer = authz.Principal{Username: "test:trainer", Roles: []authz.Role{authz.Trainer}, Region: demo.CountyCode}
	admin = authz.Principal{Username: "test:tadmin", Roles: []authz.Role{authz.TrainingAdmin}, Region: demo.CountyCode}
	clerk = authz.Principal{Username: "test:clerk", Roles: []authz.Role{authz.VillageClerk}, Region: demo.CountyCode}
	return
}

func loadDemo(t *testing.T, db *store.DB) []store.Case {
	t.Helper()
	if _, err := demo.Load(ctx, db, demo.Generate(demo.DefaultSeed, db.Now())); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadCases(ctx, db, &casework.Service{DB: db, Now: db.Now}); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadRecipients(ctx, db, db.Now()); err != nil {
		t.Fatal(err)
	}
	closed, err := db.Cases(ctx, region.ScopeOf(demo.CountyCode), store.CaseFilter{Open: "closed", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(closed) < 10 {
		t.Fatalf("demo has only %d closed cases", len(closed))
	}
	return closed
}

// TestEveryDemoCaseIsDeidentified is the done-when: every closed
// case of the demo data becomes a library case, and no original name, ID
// number, phone, address or bank account of the household survives in the
// stored library content, while amounts and procedure steps are kept.
func TestEveryDemoCaseIsDeidentified(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		trainer, _, _ := principals()
		svc := &library.Service{DB: db}
		closed := loadDemo(t, db)
		for _, c := range closed {
			if _, err := svc.Draft(ctx, trainer, c.ID); err != nil {
				t.Fatalf("draft case %s: %v", c.Number, err)
			}
		}
		stored, err := db.LibraryCases(ctx, store.LibraryFilter{Scope: region.All(), Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(stored) != len(closed) {
			t.Fatalf("%d library cases for %d closed cases", len(stored), len(closed))
		}
		bySource := map[int64]store.LibraryCase{}
		for _, lc := range stored {
			bySource[lc.SourceCaseID] = lc
		}
		places, err := db.RegionNames(ctx)
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, c := range closed {
			lc := bySource[c.ID]
			text := lc.Title + "\n" + lc.Content
			h, err := db.Household(ctx, region.ScopeOf(demo.CountyCode), c.HouseholdID)
			if err != nil {
				t.Fatal(err)
			}
			var forbidden []string
			for _, m := range h.Members {
				id := string(m.IDNumber)
				forbidden = append(forbidden, m.Name, id, strings.ToLower(id), id[len(id)-6:], "*"+id[len(id)-4:])
				if n := []rune(m.Name); len(n) >= 3 {
					forbidden = append(forbidden, string(n[1:]), string(n[0])+"*"+string(n[len(n)-1])) // given name, 张*国
				}
			}
			if p := h.Phone; p != "" {
				forbidden = append(forbidden, p, p[len(p)-8:], "*"+p[len(p)-4:])
			}
			if a := h.BankAccount; a != "" {
				forbidden = append(forbidden, a, a[len(a)-8:], "*"+a[len(a)-4:])
			}
			if h.Address != "" {
				forbidden = append(forbidden, h.Address)
			}
			forbidden = append(forbidden, places[c.Region]) // the village's name
			for _, f := range forbidden {
				if strings.TrimSpace(f) != "" && strings.Contains(text, f) {
					t.Errorf("case %s: original %q survives in library case %d: %s", c.Number, f, lc.ID, text)
				}
			}
			var dc deid.Case
			if err := json.Unmarshal([]byte(lc.Content), &dc); err != nil {
				t.Fatal(err)
			}
			events, err := db.Events(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if dc.AmountFen != int64(c.Amount) || len(dc.Steps) != len(events) || len(dc.Members) != len(h.Members) ||
				len(dc.Incomes) != len(h.Incomes) || len(dc.Properties) != len(h.Properties) {
				t.Errorf("case %s: amount %d/%d steps %d/%d members %d/%d", c.Number, dc.AmountFen, c.Amount, len(dc.Steps),
					len(events), len(dc.Members), len(h.Members))
			}
			for i, in := range h.Incomes {
				if dc.Incomes[i].AmountFen != int64(in.Amount) {
					t.Errorf("case %s: income %d amount %d, want %d", c.Number, i, dc.Incomes[i].AmountFen, in.Amount)
				}
			}
			if len(dc.Steps) > 0 && dc.Steps[0].Day != 0 {
				t.Errorf("case %s: first step on day %d", c.Number, dc.Steps[0].Day)
			}
			checked++
		}
		t.Logf("%d closed demo cases de-identified and checked", checked)
	})
}

func code(err error) errs.Code {
	if e := errs.As(err); e != nil {
		return e.Code
	}
	return ""
}

func TestReviewTagSeminarExport(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		trainer, admin, clerk := principals()
		svc := &library.Service{DB: db}
		closed := loadDemo(t, db)
		open, err := db.Cases(ctx, region.ScopeOf(demo.CountyCode), store.CaseFilter{Open: "open", Limit: 1})
		if err != nil || len(open) == 0 {
			t.Fatalf("no open case: %v", err)
		}
		if _, err := svc.Draft(ctx, trainer, open[0].ID); code(err) != errs.Invalid {
			t.Fatalf("draft of an open case: %v", err)
		}
		if _, err := svc.Draft(ctx, clerk, closed[0].ID); code(err) != errs.Forbidden {
			t.Fatalf("draft by a clerk: %v", err)
		}
		e, err := svc.Draft(ctx, trainer, closed[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Draft(ctx, trainer, closed[0].ID); code(err) != errs.Conflict {
			t.Fatalf("second draft of the same case: %v", err)
		}
		// Drafts are not visible to non-curators.
		if _, err := svc.Get(ctx, clerk, e.ID); code(err) != errs.NotFound {
			t.Fatalf("clerk reads a draft: %v", err)
		}
		if l, _ := svc.List(ctx, clerk, store.LibraryFilter{}); len(l) != 0 {
			t.Fatalf("clerk lists drafts: %d", len(l))
		}
		if err := svc.Review(ctx, trainer, e.ID, true, ""); code(err) != errs.Forbidden {
			t.Fatalf("author reviews own draft: %v", err)
		}
		if err := svc.Review(ctx, admin, e.ID, false, " "); code(err) != errs.Invalid {
			t.Fatalf("rejection without note: %v", err)
		}
		if _, err := svc.ExportScenario(ctx, admin, e.ID); code(err) != errs.Conflict {
			t.Fatalf("export of a draft: %v", err)
		}
		if err := svc.Review(ctx, admin, e.ID, true, "脱敏完整"); err != nil {
			t.Fatal(err)
		}
		if err := svc.Review(ctx, admin, e.ID, true, ""); code(err) != errs.Conflict {
			t.Fatalf("second review: %v", err)
		}
		if err := svc.Tag(ctx, trainer, e.ID, []string{"收入核算", "收入核算", "入户调查"}); err != nil {
			t.Fatal(err)
		}
		if err := svc.Tag(ctx, trainer, e.ID, []string{strings.Repeat("长", 21)}); code(err) != errs.Invalid {
			t.Fatalf("long topic: %v", err)
		}
		l, err := svc.List(ctx, clerk, store.LibraryFilter{Topic: "入户调查"})
		if err != nil || len(l) != 1 || l[0].ID != e.ID || len(l[0].Topics) != 2 {
			t.Fatalf("topic list %+v %v", l, err)
		}
		if l, _ := svc.List(ctx, clerk, store.LibraryFilter{Topic: "入户"}); len(l) != 0 {
			t.Fatalf("partial topic matched: %+v", l)
		}
		// Seminar link: only to a seminar session.
		var seminar, classroom store.TrainingSession
		err = db.InTx(ctx, admin, func(tx *store.Tx) error {
			pl := store.TrainingPlan{Kind: "special", Title: "案例研讨", Region: demo.CountyCode, PeriodStart: "2026-01-01",
				PeriodEnd: "2026-12-31", Audience: "{}", RequiredMinutes: 60}
			if err := tx.CreateTrainingPlan(ctx, &pl); err != nil {
				return err
			}
			now := time.Now()
			seminar = store.TrainingSession{PlanID: pl.ID, Kind: "seminar", Title: "低保案例研讨", StartsAt: now,
				EndsAt: now.Add(time.Hour), Minutes: 60, Secret: []byte("k")}
			classroom = seminar
			classroom.Kind = "classroom"
			if err := tx.CreateTrainingSession(ctx, &seminar); err != nil {
				return err
			}
			if err := tx.CreateTrainingSession(ctx, &classroom); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test.plan", Object: "plan"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.LinkSeminar(ctx, admin, classroom.ID, e.ID); code(err) != errs.Invalid {
			t.Fatalf("link to a classroom session: %v", err)
		}
		if err := svc.LinkSeminar(ctx, admin, seminar.ID, e.ID); err != nil {
			t.Fatal(err)
		}
		if l, _ := svc.List(ctx, clerk, store.LibraryFilter{Session: seminar.ID}); len(l) != 1 {
			t.Fatalf("seminar cases %+v", l)
		}
		raw, err := svc.ExportScenario(ctx, clerk, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		var sc library.Scenario
		if err := json.Unmarshal(raw, &sc); err != nil || len(sc.Members) == 0 || sc.Address != deid.FakeAddress ||
			sc.ExpectedFen != int64(closed[0].Amount) {
			t.Fatalf("scenario %s %v", raw, err)
		}
		// Every write is audited.
		recs, err := db.AuditRecords(ctx, store.AuditFilter{Action: "library.", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, r := range recs {
			got[r.Action]++
		}
		if got["library.draft"] != 1 || got["library.review"] != 1 || got["library.tag"] != 1 || got["library.seminar"] != 1 {
			t.Fatalf("audit %v", got)
		}
	})
}
