package practical_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/money"
	"dibao/internal/practical"
	"dibao/internal/server"
	"dibao/internal/sheet"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// TestSandboxInvisibleThroughTheServer runs every scenario in the sandbox
// (one all the way to approval, which enrols a recipient there) behind the
// whole server, and compares what the real interfaces show before and
// after: the public publicity board, the Excel exports of households,
// cases and recipients, and the county statistics API. Nothing changes,
// and no synthetic name appears anywhere.
func TestSandboxInvisibleThroughTheServer(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		testenv.User(t, db, "countyadmin", testenv.County, authz.CountyAdmin)
		testenv.Recipient(t, db, testenv.RecipientSpec{Village: testenv.VillageA, Head: "张真实", Amount: money.FromYuan(300)})
		a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		a.Sandbox = e.svc
		h, err := server.Handler(a)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := c.PostForm(srv.URL+"/login", url.Values{"username": {"countyadmin"}, "password": {testenv.Password}})
		if err != nil || res.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %v %v", res, err)
		}
		res.Body.Close()
		get := func(path string) []byte {
			t.Helper()
			res, err := c.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
			}
			return b
		}
		view := func() map[string]string {
			t.Helper()
			out := map[string]string{}
			for _, p := range []string{"/public/", "/public/" + string(testenv.VillageA)} {
				out[p] = string(get(p))
			}
			for _, p := range []string{"/households/export", "/cases/export", "/recipients/export"} {
				rows, err := sheet.Read(bytes.NewReader(get(p)))
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				var lines []string
				for _, r := range rows {
					lines = append(lines, strings.Join(r, "|"))
				}
				out[p] = strings.Join(lines, "\n")
			}
			return out
		}
		before := view()
		if !strings.Contains(before["/recipients/export"], "张*实") {
			t.Fatalf("control: the real recipient is not in the export:\n%s", before["/recipients/export"])
		}
		for _, id := range []string{"incomplete", "vehicle", "supplement"} {
			run, err := e.svc.Start(t.Context(), e.trainee, id, practical.AttemptFirst)
			if err != nil {
				t.Fatal(err)
			}
			if id == "supplement" {
				mine, other := e.staff(t)
				e.investigate(t, run, "eligible", "符合条件", mine, other)
				e.must(t, run, "approve", v("category", "A"), "")
			}
		}
		e.now = e.now.Add(time.Minute)
		after := view()
		for k, b := range before {
			if after[k] != b {
				t.Errorf("%s changed after sandbox work:\nbefore %s\nafter  %s", k, b, after[k])
			}
			for _, bad := range []string{"沙三伯", "沙一明", "沙*", "沙盒", "890101"} {
				if strings.Contains(after[k], bad) {
					t.Errorf("%s shows sandbox data (%s)", k, bad)
				}
			}
		}
	})
}
