package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"dibao/internal/api"
	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/casework"
	"dibao/internal/demo"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// The case library through the API: draft from a closed demo case, bad
// input refused, review by a second person, tags, topic list, scenario.
func TestLibraryAPI(t *testing.T) {
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
		closed, err := db.Cases(ctx, region.ScopeOf(demo.CountyCode), store.CaseFilter{Open: "closed", Limit: 1})
		if err != nil || len(closed) == 0 {
			t.Fatalf("no closed case: %v", err)
		}
		testenv.User(t, db, "lib-trainer", demo.CountyCode, authz.Trainer)
		testenv.User(t, db, "lib-admin", demo.CountyCode, authz.TrainingAdmin)
		a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		srv := httptest.NewServer(api.New(a))
		t.Cleanup(srv.Close)
		tr, ad := login(t, srv, "lib-trainer"), login(t, srv, "lib-admin")

		for _, bad := range []any{map[string]any{}, map[string]any{"case_id": "x"}, map[string]any{"case": 1}} {
			if code, body := call(t, srv, "POST", "/library", tr, bad); code != 400 {
				t.Fatalf("bad draft %v: %d %s", bad, code, body)
			}
		}
		code, body := call(t, srv, "POST", "/library", tr, map[string]any{"case_id": closed[0].ID})
		if code != 201 {
			t.Fatalf("draft: %d %s", code, body)
		}
		var out struct {
			ID     int64
			Status string
			Topics []string
			Case   struct {
				Address string
				Members []struct{ Alias string }
				Steps   []struct{ Day int }
			}
		}
		if err := json.Unmarshal(body, &out); err != nil || out.Status != "draft" || out.Case.Address != "某县某镇某村" ||
			len(out.Case.Members) == 0 || out.Case.Members[0].Alias != "户主甲" {
			t.Fatalf("draft body %s %v", body, err)
		}
		h, _ := db.Household(ctx, region.ScopeOf(demo.CountyCode), closed[0].HouseholdID)
		for _, m := range h.Members {
			if strings.Contains(string(body), m.Name) || strings.Contains(string(body), string(m.IDNumber)) {
				t.Fatalf("original member data in %s", body)
			}
		}
		path := "/library/" + strconv.FormatInt(out.ID, 10)
		if code, body := call(t, srv, "POST", path+"/review", ad, map[string]any{"note": "x"}); code != 400 {
			t.Fatalf("review without approve: %d %s", code, body)
		}
		if code, body := call(t, srv, "POST", path+"/review", tr, map[string]any{"approve": true}); code != 403 {
			t.Fatalf("own review: %d %s", code, body)
		}
		if code, body := call(t, srv, "POST", path+"/review", ad, map[string]any{"approve": true, "note": "可发布"}); code != 200 ||
			!strings.Contains(string(body), `"published"`) {
			t.Fatalf("review: %d %s", code, body)
		}
		if code, body := call(t, srv, "POST", path+"/tags", tr, map[string]any{"topics": []string{"收入核算", "入户调查"}}); code != 200 {
			t.Fatalf("tags: %d %s", code, body)
		}
		if code, body := call(t, srv, "POST", path+"/tags", tr, map[string]any{"topics": []string{strings.Repeat("长", 30)}}); code != 400 {
			t.Fatalf("long tag: %d %s", code, body)
		}
		code, body = call(t, srv, "GET", "/library?topic=收入核算", tr, nil)
		if code != 200 || !strings.Contains(string(body), `"id":`+strconv.FormatInt(out.ID, 10)) {
			t.Fatalf("list: %d %s", code, body)
		}
		if code, body := call(t, srv, "GET", "/library?status=bogus", tr, nil); code != 400 {
			t.Fatalf("bad status: %d %s", code, body)
		}
		if code, body := call(t, srv, "GET", path+"/scenario", tr, nil); code != 200 || !strings.Contains(string(body), "expected_amount_fen") {
			t.Fatalf("scenario: %d %s", code, body)
		}
		if code, _ := call(t, srv, "GET", "/library/999999", tr, nil); code != 404 {
			t.Fatalf("missing: %d", code)
		}
	})
}
