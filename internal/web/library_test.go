package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/casework"
	"dibao/internal/demo"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

func init() {
	// Both pages, with their error states, are rendered by TestLibraryPages.
	renderTestedElsewhere = append(renderTestedElsewhere, "library_list", "library_case")
}

// The case library pages: a trainer adds a closed demo case by number (bad
// numbers refused with a message), a training admin reviews and tags it,
// a clerk sees only published cases; the page never shows the originals.
func TestLibraryPages(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := demo.Load(ctx, db, demo.Generate(demo.DefaultSeed, db.Now())); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.LoadCases(ctx, db, &casework.Service{DB: db, Now: db.Now}); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.LoadRecipients(ctx, db, db.Now()); err != nil {
			t.Fatal(err)
		}
		scope := region.ScopeOf(demo.CountyCode)
		closed, err := db.Cases(ctx, scope, store.CaseFilter{Open: "closed", Limit: 1})
		if err != nil || len(closed) == 0 {
			t.Fatalf("no closed case: %v", err)
		}
		open, err := db.Cases(ctx, scope, store.CaseFilter{Open: "open", Limit: 1})
		if err != nil || len(open) == 0 {
			t.Fatalf("no open case: %v", err)
		}
		testenv.User(t, db, "lib-trainer", demo.CountyCode, authz.Trainer)
		testenv.User(t, db, "lib-admin", demo.CountyCode, authz.TrainingAdmin)
		testenv.User(t, db, "lib-clerk", demo.CountyCode, authz.CountyApprover)
		testenv.User(t, db, "lib-both", demo.CountyCode, authz.CountyApprover, authz.Trainer)
		a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		h, err := New(a)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		e := &env{t: t, a: a, srv: srv}
		tr, ad, cl := loginTest(e, "lib-trainer"), loginTest(e, "lib-admin"), loginTest(e, "lib-clerk")

		if r := tr.get("/library"); r.StatusCode != 200 || !strings.Contains(r.body, `id="library-draft-form"`) ||
			!strings.Contains(r.body, `href="/library"`) {
			t.Fatalf("library list: %d\n%s", r.StatusCode, r.body)
		}
		for _, bad := range []struct {
			number string
			status int
			msg    string
		}{{"", 400, "请填写"}, {"999-nope", 404, "不存在"}, {open[0].Number, 400, "已办结"}} {
			r := tr.post("/library", url.Values{"number": {bad.number}})
			if r.StatusCode != bad.status || !strings.Contains(r.body, bad.msg) || !strings.Contains(r.body, `id="library-error"`) {
				t.Fatalf("bad number %q: %d\n%s", bad.number, r.StatusCode, r.body)
			}
		}
		// A trainer who can open case pages (here also a county approver)
		// gets the 加入案例库 button on a closed case.
		both := loginTest(e, "lib-both")
		casePath := "/cases/" + strconv.FormatInt(closed[0].ID, 10)
		if r := both.get(casePath); r.StatusCode != 200 || !strings.Contains(r.body, `id="case-library"`) ||
			!strings.Contains(r.body, `name="number" value="`+closed[0].Number+`"`) {
			t.Fatalf("closed case page for a trainer: %d\n%s", r.StatusCode, r.body)
		}
		if r := cl.get(casePath); strings.Contains(r.body, `id="case-library"`) {
			t.Fatal("the 加入案例库 button shown to a non-trainer")
		}
		if r := both.get("/cases/" + strconv.FormatInt(open[0].ID, 10)); r.StatusCode != 200 || strings.Contains(r.body, `id="case-library"`) {
			t.Fatal("the 加入案例库 button on an open case")
		}
		if r := cl.post("/library", url.Values{"number": {closed[0].Number}}); r.StatusCode != http.StatusForbidden {
			t.Fatalf("clerk drafts: %d", r.StatusCode)
		}
		r := tr.post("/library", url.Values{"number": {closed[0].Number}})
		if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/library/") {
			t.Fatalf("draft: %d %s", r.StatusCode, r.body)
		}
		path := r.Header.Get("Location")
		if r := tr.post("/library", url.Values{"number": {closed[0].Number}}); r.StatusCode != http.StatusConflict ||
			!strings.Contains(r.body, "已加入案例库") {
			t.Fatalf("second draft: %d", r.StatusCode)
		}
		page := tr.get(path)
		hh, _ := db.Household(ctx, scope, closed[0].HouseholdID)
		if page.StatusCode != 200 || !strings.Contains(page.body, "户主甲") || !strings.Contains(page.body, "第0天") ||
			strings.Contains(page.body, `id="library-review-form"`) {
			t.Fatalf("draft page for its author: %d\n%s", page.StatusCode, page.body)
		}
		for _, m := range hh.Members {
			if strings.Contains(page.body, m.Name) || strings.Contains(page.body, string(m.IDNumber)) {
				t.Fatalf("original %s on the page", m.Name)
			}
		}
		if r := cl.get(path); r.StatusCode != http.StatusNotFound {
			t.Fatalf("clerk sees a draft: %d", r.StatusCode)
		}
		if r := ad.get(path); !strings.Contains(r.body, `id="library-review-form"`) {
			t.Fatalf("reviewer page:\n%s", r.body)
		}
		if r := ad.post(path+"/review", url.Values{"decision": {"reject"}, "note": {" "}}); r.StatusCode != 400 ||
			!strings.Contains(r.body, "退回须写明原因") {
			t.Fatalf("reject without note: %d", r.StatusCode)
		}
		if r := ad.post(path+"/review", url.Values{"decision": {"maybe"}}); r.StatusCode != 400 {
			t.Fatalf("bad decision: %d", r.StatusCode)
		}
		if r := ad.post(path+"/review", url.Values{"decision": {"publish"}, "note": {"已核对"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("publish: %d %s", r.StatusCode, r.body)
		}
		if r := ad.post(path+"/tags", url.Values{"topics": {strings.Repeat("长", 21)}}); r.StatusCode != 400 ||
			!strings.Contains(r.body, "20字") {
			t.Fatalf("long topic: %d", r.StatusCode)
		}
		if r := ad.post(path+"/tags", url.Values{"topics": {"收入核算、入户调查"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("tags: %d %s", r.StatusCode, r.body)
		}
		if r := ad.post(path+"/seminar", url.Values{"session": {"abc"}}); r.StatusCode != 400 {
			t.Fatalf("bad session: %d", r.StatusCode)
		}
		var seminar store.TrainingSession
		err = db.InTx(ctx, authz.Principal{Username: "test:setup", Roles: []authz.Role{authz.TrainingAdmin}, Region: demo.CountyCode},
			func(tx *store.Tx) error {
				pl := store.TrainingPlan{Kind: "special", Title: "案例研讨", Region: demo.CountyCode, PeriodStart: "2026-01-01",
					PeriodEnd: "2026-12-31", Audience: "{}", RequiredMinutes: 60}
				if err := tx.CreateTrainingPlan(ctx, &pl); err != nil {
					return err
				}
				seminar = store.TrainingSession{PlanID: pl.ID, Kind: "seminar", Title: "低保典型案例研讨", StartsAt: db.Now(),
					EndsAt: db.Now().Add(time.Hour), Minutes: 60, Secret: []byte("k")}
				if err := tx.CreateTrainingSession(ctx, &seminar); err != nil {
					return err
				}
				return tx.Audit(ctx, store.Entry{Action: "test.plan", Object: "plan"})
			})
		if err != nil {
			t.Fatal(err)
		}
		if r := ad.post(path+"/seminar", url.Values{"session": {"999999"}}); r.StatusCode != 400 || !strings.Contains(r.body, "培训场次不存在") {
			t.Fatalf("missing session: %d", r.StatusCode)
		}
		if r := ad.post(path+"/seminar", url.Values{"session": {strconv.FormatInt(seminar.ID, 10)}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("seminar link: %d %s", r.StatusCode, r.body)
		}
		if r := cl.get(path); !strings.Contains(r.body, "低保典型案例研讨") {
			t.Fatalf("seminar not shown:\n%s", r.body)
		}
		if r := cl.get("/library?topic=入户调查"); !strings.Contains(r.body, `href="`+path+`"`) ||
			strings.Contains(r.body, `id="library-draft-form"`) {
			t.Fatalf("clerk list by topic:\n%s", r.body)
		}
		if r := cl.get("/library?topic=不存在的主题"); strings.Contains(r.body, `href="`+path+`"`) {
			t.Fatal("topic filter ignored")
		}
		if r := cl.get(path + "/scenario.json"); r.StatusCode != 200 || !strings.Contains(r.body, "expected_amount_fen") {
			t.Fatalf("scenario: %d %s", r.StatusCode, r.body)
		}
	})
}
