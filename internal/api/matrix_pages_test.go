package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"dibao/internal/demo"
	"dibao/internal/learning"
	"dibao/internal/region"
	"dibao/internal/testenv"
	"dibao/internal/web"
)

// The smaller matrix over the web pages: every GET page with an id in its
// path (found in internal/web's source, so a new page must be classified
// here), as every caller, on the same fixture objects. A page about an
// object outside the caller's scope answers 403 or 404, and no page shows a
// clear ID, phone or bank number (the reveal is a POST) or a region outside
// the caller's scope.

// mxPages classifies the pages; the route kinds and flags mean what they
// mean in mxRoutes.
var mxPages = map[string]mxRoute{
	"GET /households/{id}":                       {kind: "household"},
	"GET /households/{id}/edit":                  {kind: "household"},
	"GET /households/{id}/apply":                 {kind: "household"},
	"GET /cases/{id}":                            {kind: "case"},
	"GET /cases/{id}/documents/{number}":         {kind: "document"},
	"GET /files/{token}":                         {kind: "file"},
	"GET /archive/records/{id}":                  {kind: "archive"},
	"GET /exams/{id}":                            {kind: "exam", parentOK: true},
	"GET /exams/{id}/take":                       {kind: "exam", parentOK: true},
	"GET /exams/bank/q/{id}":                     {kind: "question"},
	"GET /learning/{id}":                         {kind: "learning", parentOK: true},
	"GET /learning/{id}/content":                 {kind: "learning", parentOK: true},
	"GET /ledger/{id}":                           {kind: "ledger"},
	"GET /library/{id}":                          {kind: "library", countyOK: true},
	"GET /library/{id}/scenario.json":            {kind: "library", countyOK: true},
	"GET /policy/{name}":                         {kind: "policy-name"},
	"GET /recipients/{household}":                {kind: "recipient"},
	"GET /reviews/notices/{id}":                  {kind: "review"},
	"GET /reviews/reports/{id}":                  {kind: "report"},
	"GET /reviews/spot-checks/{id}":              {kind: "spot"},
	"GET /reviews/{id}":                          {kind: "review"},
	"GET /rosters/{id}":                          {kind: "roster"},
	"GET /rosters/{id}/bank.csv":                 {kind: "roster", reveal: true},
	"GET /rosters/{id}/export.xlsx":              {kind: "roster"},
	"GET /rosters/{id}/repay.csv":                {kind: "roster", reveal: true},
	"GET /sandbox/cases/{id}":                    {kind: "sandbox-case"},
	"GET /sandbox/cases/{id}/documents/{number}": {kind: "sandbox-document"},
	"GET /sandbox/runs/{id}":                     {kind: "run"},
	"GET /standard/{id}":                         {kind: "standard"},
	"GET /standard/{id}/progress":                {kind: "standard"},
	"GET /training/plans/{id}/daily":             {kind: "plan", parentOK: true},
	"GET /training/plans/{id}/results":           {kind: "plan", parentOK: true},
	"GET /training/sessions/{id}":                {kind: "session", parentOK: true},
	"GET /training/sessions/{id}/code":           {kind: "session", parentOK: true},
	"GET /users/{id}":                            {kind: "user"},
	"GET /workflow/{file}":                       {kind: "workflow"},
}

// mxPagesNoControl: pages no caller can open in this fixture, and why.
var mxPagesNoControl = map[string]string{
	"GET /reviews/notices/{id}":                  "a notice exists only after a decided reduction or stop",
	"GET /sandbox/cases/{id}/documents/{number}": "the fixture's sandbox runs issue no document",
	"GET /training/sessions/{id}/code":           "a check-in code is shown only within a session's check-in window; no fixture session is running",
}

var reWebGET = regexp.MustCompile(`"GET (/[^"]*\{[a-z]+\}[^"]*)"`)

// webPages lists the GET patterns with a path parameter in internal/web.
func webPages(t *testing.T) []string {
	files, err := filepath.Glob("../web/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("internal/web sources: %v", err)
	}
	seen := map[string]bool{}
	for _, fn := range files {
		if strings.HasSuffix(fn, "_test.go") {
			continue
		}
		b, err := os.ReadFile(fn)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range reWebGET.FindAllSubmatch(b, -1) {
			seen["GET "+string(m[1])] = true
		}
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// pageObjects adds the kinds only pages address.
func (f *mxFixture) pageObjects() {
	for _, u := range f.users {
		f.obj("user", u.region, "id", fmt.Sprint(u.id))
	}
	for _, name := range []string{"trainer", "mx2-trainer"} {
		if _, err := f.a.Learning.Upload(context.Background(), f.by[name].principal(), learning.Meta{Title: "低保政策解读",
			Category: "policy_law", Minutes: 10}, []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")); err != nil {
			f.t.Errorf("learning item by %s: %v", name, err)
		}
	}
	for _, r := range f.rows(`SELECT CAST(MAX(li.id) AS TEXT) || '|' || COALESCE(p.region_code, u.region_code) FROM learning_items li
		LEFT JOIN training_plans p ON p.id = li.plan_id LEFT JOIN users u ON u.id = li.created_by GROUP BY COALESCE(p.region_code, u.region_code)`) {
		f.obj("learning", region.Code(r[1]), "id", r[0])
	}
	for _, r := range f.rows(`SELECT CAST(MAX(s.id) AS TEXT) || '|' || p.region_code FROM training_sessions s JOIN training_plans p ON p.id = s.plan_id GROUP BY p.region_code`) {
		f.obj("session", region.Code(r[1]), "id", r[0])
	}
	f.obj("policy-name", "", "name", "theory_pass")
	for _, r := range f.rows(`SELECT MIN(profile) FROM cases`) {
		f.obj("workflow", "", "file", r[0]+".svg")
	}
}

type webUser struct {
	u *mxUser
	c *http.Client
}

// pages runs the page matrix.
func (f *mxFixture) pages(t *testing.T, fail func(string, ...any)) {
	h, err := web.New(f.a)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	f.pageObjects()
	var clients []webUser
	for _, u := range f.users {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		pw := testenv.Password
		if !strings.HasPrefix(u.name, "mx") {
			pw = demo.Password
		}
		res, err := c.PostForm(srv.URL+"/login", url.Values{"username": {u.name}, "password": {pw}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/login/totp") {
			if res, err = c.PostForm(srv.URL+"/login/totp", url.Values{"code": {testenv.TOTPCode(t, f.db, u.name)}}); err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
		}
		if res.StatusCode != http.StatusSeeOther || strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Fatalf("web login %s: %d %s", u.name, res.StatusCode, res.Header.Get("Location"))
		}
		clients = append(clients, webUser{u, c})
	}
	found := webPages(t)
	for _, p := range found {
		if _, ok := mxPages[p]; !ok {
			t.Errorf("page %s has no access-matrix classification: add it to mxPages", p)
		}
	}
	n := 0
	for _, key := range found {
		spec, ok := mxPages[key]
		if !ok {
			continue
		}
		objs := f.objs[spec.kind]
		if len(objs) == 0 && mxPagesNoControl[key] == "" {
			t.Errorf("page %s: no fixture objects of kind %q", key, spec.kind)
		}
		okInScope := false
		var refusals []string
		for _, wu := range clients {
			for _, o := range objs {
				path := strings.TrimPrefix(key, "GET ")
				for k, v := range o.params {
					path = strings.ReplaceAll(path, "{"+k+"}", v)
				}
				res, err := wu.c.Get(srv.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				// A redirect to another page of the same object (a candidate
				// sent from an exam's page to its take page) is judged by
				// where it leads.
				if loc := res.Header.Get("Location"); res.StatusCode == http.StatusSeeOther && strings.HasPrefix(loc, path) {
					if res, err = wu.c.Get(srv.URL + loc); err != nil {
						t.Fatal(err)
					}
					body, _ = io.ReadAll(res.Body)
					res.Body.Close()
				}
				n++
				out := f.foreign(spec, wu.u, o)
				code := res.StatusCode
				if out && code != 403 && code != 404 {
					fail("page %s as %s (%s %s) on %s object %s: %d — want 403/404", key, wu.u.name, wu.u.role, wu.u.region, mxVariant(wu.u, o), path, code)
				}
				if !out && code == 200 {
					okInScope = true
				}
				if !out && code != 200 && code != 403 && len(refusals) < 3 {
					refusals = append(refusals, fmt.Sprintf("%s %d", wu.u.name, code))
				}
				if s := sensitive(body); len(s) > 0 && !(spec.reveal && code == 200 && !out) {
					fail("page %s as %s on %s: clear sensitive values %v", key, wu.u.name, path, s[:min(3, len(s))])
				}
				if c := foreignCodes(body, wu.u); len(c) > 0 && code == 200 {
					fail("page %s as %s (%s) on %s: the page names regions outside the caller's scope %v", key, wu.u.name, wu.u.region, path, c[:min(3, len(c))])
				}
			}
		}
		if !okInScope && mxPagesNoControl[key] == "" {
			t.Errorf("page %s: no caller opened it in scope, so its refusals prove nothing (%v)", key, refusals)
		}
	}
	t.Logf("pages: %d requests over %d pages", n, len(found))
}
