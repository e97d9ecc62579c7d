package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/crosscheck"
	"dibao/internal/practical"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

func setupSandbox(t *testing.T, db *store.DB) *env {
	t.Helper()
	testenv.SeedRegions(t, db)
	testenv.User(t, db, "trainee", testenv.TownA, authz.TownshipOfficer)
	testenv.User(t, db, "examiner", testenv.County, authz.TrainingAdmin)
	a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Sandbox = &practical.Service{DB: db, Sandbox: testenv.SandboxStore(t, db), Now: time.Now,
		Checker: &crosscheck.Simulator{Seed: 1}}
	h, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, a: a, srv: srv}
}

var runPath = regexp.MustCompile(`^/sandbox/runs/(\d+)$`)

// The incomplete-application scenario through the pages: start, check the
// materials on the sandbox case page, return with the deficiency notice,
// finish, and the examiner's rubric completes the score.
func TestSandboxPages(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		e := setupSandbox(t, db)
		tr := loginTest(e, "trainee")
		idx := tr.get("/sandbox")
		if idx.StatusCode != http.StatusOK || !strings.Contains(idx.body, `id="run-start-incomplete"`) ||
			!strings.Contains(idx.body, `id="sandbox-banner"`) || !strings.Contains(idx.body, `href="/sandbox"`) {
			t.Fatalf("sandbox index: %d\n%s", idx.StatusCode, idx.body)
		}
		if r := tr.post("/sandbox/runs", url.Values{"scenario": {"nope"}}); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("unknown scenario: %d", r.StatusCode)
		}
		r := tr.post("/sandbox/runs", url.Values{"scenario": {"incomplete"}, "attempt": {"first"}})
		if r.StatusCode != http.StatusSeeOther || !runPath.MatchString(r.Header.Get("Location")) {
			t.Fatalf("start: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		rpath := r.Header.Get("Location")
		run := tr.get(rpath)
		if !strings.Contains(run.body, `id="run-finish"`) || !strings.Contains(run.body, `data-passed="pending"`) {
			t.Fatalf("run page:\n%s", run.body)
		}
		m := regexp.MustCompile(`href="(/sandbox/cases/\d+)" id="run-case"`).FindStringSubmatch(run.body)
		if m == nil {
			t.Fatal("no sandbox case link")
		}
		cpath := m[1]
		cp := tr.get(cpath)
		if cp.StatusCode != http.StatusOK || !strings.Contains(cp.body, `id="sandbox-banner"`) ||
			!strings.Contains(cp.body, `action="`+cpath+`/materials"`) || strings.Contains(cp.body, `id="household-link"`) {
			t.Fatalf("sandbox case page: %d\n%s", cp.StatusCode, cp.body)
		}
		// Certification gating is off in the sandbox: no warning there.
		if strings.Contains(cp.body, "认证") {
			t.Fatal("the sandbox case page shows a certification warning")
		}
		// The same case id on the real case pages is not this case.
		if real := tr.get(strings.TrimPrefix(cpath, "/sandbox")); strings.Contains(real.body, "沙一明") {
			t.Fatal("the sandbox case shows on the real case page")
		}
		mats := url.Values{"version": {reVersion.FindStringSubmatch(cp.body)[1]}}
		for _, code := range []string{"application", "id_card", "household_register", "authorisation", "promise"} {
			mats.Set("status_"+code, "ok")
		}
		mats.Set("status_income_proof", "missing")
		mats.Set("status_property_declaration", "missing")
		if r := tr.post(cpath+"/materials", mats); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("materials: %d\n%s", r.StatusCode, r.body)
		}
		cp = tr.get(cpath)
		version, key := formOf(t, cp.body, "return")
		if r := tr.post(cpath+"/act/return", url.Values{"version": {version}, "idempotency_key": {key}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("return: %d\n%s", r.StatusCode, r.body)
		}
		// The sandbox page links and posts only under /sandbox, and its
		// documents are served from the sandbox.
		cp = tr.get(cpath)
		if strings.Contains(cp.body, `action="/cases/`) || strings.Contains(cp.body, `href="/cases/`) {
			t.Fatal("the sandbox case page links to the real case pages")
		}
		dm := regexp.MustCompile(`href="(` + cpath + `/documents/[^"]+)"`).FindStringSubmatch(cp.body)
		if dm == nil {
			t.Fatalf("no deficiency notice link:\n%s", cp.body)
		}
		if doc := tr.get(dm[1]); doc.StatusCode != http.StatusOK || !strings.Contains(doc.body, "收入证明") {
			t.Fatalf("deficiency notice: %d\n%s", doc.StatusCode, doc.body)
		}
		// An examiner may not finish someone else's run; the trainee may
		// not score their own.
		ex := loginTest(e, "examiner")
		if r := ex.post(rpath+"/finish", url.Values{}); r.StatusCode == http.StatusSeeOther {
			t.Fatal("an examiner finished the trainee's run")
		}
		if r := tr.post(rpath+"/finish", url.Values{}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("finish: %d\n%s", r.StatusCode, r.body)
		}
		run = tr.get(rpath)
		if !strings.Contains(run.body, `id="score-breakdown"`) || !strings.Contains(run.body, `id="item-auto-deficiency" data-points="30"`) ||
			!strings.Contains(run.body, `data-score="80" data-passed="pending"`) {
			t.Fatalf("finished run page:\n%s", run.body)
		}
		if r := tr.post(rpath+"/rubric", url.Values{"rubric_notice_wording": {"10"}, "rubric_check_care": {"10"}}); r.StatusCode != http.StatusForbidden {
			t.Fatalf("trainee rubric: %d", r.StatusCode)
		}
		if r := tr.post(cpath+"/act/resubmit", url.Values{"version": {"1"}}); r.StatusCode != http.StatusConflict {
			t.Fatalf("act after finish: %d", r.StatusCode)
		}
		exRun := ex.get(rpath)
		if !strings.Contains(exRun.body, `id="rubric-form"`) {
			t.Fatalf("examiner run page:\n%s", exRun.body)
		}
		bad := ex.post(rpath+"/rubric", url.Values{"rubric_notice_wording": {"12"}, "rubric_check_care": {"5"}})
		if bad.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "0 至 10") {
			t.Fatalf("bad rubric: %d\n%s", bad.StatusCode, bad.body)
		}
		if r := ex.post(rpath+"/rubric", url.Values{"rubric_notice_wording": {"9"}, "rubric_check_care": {"6"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("rubric: %d\n%s", r.StatusCode, r.body)
		}
		run = tr.get(rpath)
		if !strings.Contains(run.body, `id="run-score" data-score="95" data-passed="true" data-complete="true"`) {
			t.Fatalf("scored run page:\n%s", run.body)
		}
		// The examiner sees the case read-only; a stranger not at all.
		if r := ex.get(cpath); r.StatusCode != http.StatusOK || strings.Contains(r.body, `class="opt-form"`) {
			t.Fatalf("examiner case view: %d", r.StatusCode)
		}
		testenv.User(t, db, "other", testenv.TownA, authz.TownshipOfficer)
		other := loginTest(e, "other")
		if r := other.get(cpath); r.StatusCode != http.StatusNotFound {
			t.Fatalf("stranger sees the sandbox case: %d", r.StatusCode)
		}
		if r := other.get(rpath); r.StatusCode != http.StatusNotFound {
			t.Fatalf("stranger sees the run: %d", r.StatusCode)
		}
	})
}

// TestSandboxPages renders both sandbox templates with real data, the
// rubric error state included.
func init() { renderTestedElsewhere = append(renderTestedElsewhere, "sandbox_index", "sandbox_run") }
