package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"dibao/internal/app"
	"dibao/internal/assess"
	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/crosscheck"
	"dibao/internal/demo"
	"dibao/internal/enroll"
	"dibao/internal/policy"
	"dibao/internal/practical"
	"dibao/internal/region"
	"dibao/internal/server"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/training"
)

// newPracticalWorld is the demo county with the practical-assessment
// sandbox wired as serve wires it: a separate sandbox store, the practical
// service over both stores, and a scored run recorded as the practical
// assessment of the trainee's plan (OnScored: App.PracticalScored). The
// clock is the test's, so the time item scores the same on every run.
func newPracticalWorld(t *testing.T) (*caseWorld, *store.DB) {
	chromium := testenv.Chromium(t)
	ctx := context.Background()
	w := &caseWorld{t: t, db: testenv.SQLite(t), now: time.Now().In(calendar.Location()).Truncate(time.Minute)}
	w.db.SetClock(func() time.Time { return w.now })
	if _, err := demo.Load(ctx, w.db, demo.Generate(2026, w.now)); err != nil {
		t.Fatal(err)
	}
	w.a = app.New(w.db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	sb := testenv.SandboxStore(t, w.db)
	if err := practical.Prepare(ctx, sb); err != nil {
		t.Fatal(err)
	}
	w.a.Sandbox = &practical.Service{DB: w.db, Sandbox: sb, Now: w.db.Now, Checker: &crosscheck.Simulator{Seed: 1},
		OnScored: w.a.PracticalScored}
	h, err := server.Handler(w.a)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	w.base = srv.URL
	us, _ := w.db.Users(ctx, region.All())
	w.users = map[string]store.User{}
	for _, u := range us {
		w.users[u.Username] = u
	}
	w.ctx = startBrowser(t, chromium)
	return w, sb
}

// mainCounts is what the real register holds: households and cases.
func mainCounts(t *testing.T, db *store.DB) [2]string {
	t.Helper()
	var out [2]string
	for i, q := range []string{"SELECT COUNT(*) FROM households", "SELECT COUNT(*) FROM cases"} {
		r, err := db.QueryStrings(context.Background(), q)
		if err != nil || len(r) != 1 {
			t.Fatalf("%s: %v %v", q, r, err)
		}
		out[i] = r[0]
	}
	return out
}

// A township officer enrolled in a plan that requires the practical
// assessment performs the "incomplete application" scenario in the
// sandbox through the real case page (check the materials, return with
// the one-time deficiency notice), finishes the run and sees the automatic
// score breakdown; the trainer scores the rubric; the run shows its total,
// which is the sum of the breakdown rows and passes against practical_pass,
// and the plan's practical assessment (first attempt) is recorded. The real
// register is untouched.
func TestPracticalScenarioThroughTheBrowser(t *testing.T) {
	w, sb := newPracticalWorld(t)
	ctx := context.Background()
	trainee := w.users["township"]

	// The training admin's plan requiring the practical assessment; the
	// enrollment rules enrol the township officers in it.
	today := calendar.DayOf(w.now)
	planID, err := w.a.Training.CreatePlanAssessed(ctx, w.users["trainadmin"].Principal(), enroll.Plan{Kind: enroll.Special,
		Title: "低保受理实操考核专项培训", Period: enroll.Period{Start: today, End: today.AddDate(0, 3, 0)},
		SpecialStart: today.AddDate(0, 2, 0), RequiredMinutes: 120,
		Audience:   enroll.Rule{Roles: []authz.Role{authz.TownshipOfficer}},
		Categories: []enroll.Category{enroll.BusinessSkills}}, region.Code(demo.CountyCode),
		training.PlanAssessment{Assessments: []assess.Kind{assess.Practical}})
	if err != nil {
		t.Fatal(err)
	}
	ens, err := w.db.PersonEnrollments(ctx, trainee.ID)
	if err != nil {
		t.Fatal(err)
	}
	enrolled := false
	for _, e := range ens {
		enrolled = enrolled || e.PlanID == planID
	}
	if !enrolled {
		t.Fatalf("the trainee is not enrolled in the practical plan: %+v", ens)
	}
	before := mainCounts(t, w.db)

	// The trainee starts the scenario from the sandbox page.
	w.as("township")
	w.do("open sandbox", w.mark(), chromedp.Click(chromedp.CSS("#nav-sandbox")))
	w.waitFor("sandbox page", "#run-start-incomplete")
	w.submitTo("start run", "#run-start-incomplete", "#run-finish")
	loc, _ := chromedp.Run(w.ctx, chromedp.Location())
	runID, err := strconv.ParseInt(loc[strings.LastIndex(loc, "/")+1:], 10, 64)
	if err != nil || !strings.Contains(loc, "/sandbox/runs/") {
		t.Fatalf("run page url %q", loc)
	}
	runPath := "/sandbox/runs/" + strconv.FormatInt(runID, 10)

	// On the sandbox case page (the real case page's forms): check the
	// materials, two missing, and return with the deficiency notice.
	w.do("open case", w.mark(), chromedp.Click(chromedp.CSS("#run-case")))
	w.waitFor("sandbox case", "#materials-form")
	if w.html("#sandbox-banner") == "" {
		t.Fatal("the sandbox case page has no sandbox banner")
	}
	w.do("checklist with two missing",
		chromedp.WaitVisible(chromedp.CSS("#materials-all-ok")),
		chromedp.Click(chromedp.CSS("#materials-all-ok")),
		chromedp.Click(chromedp.CSS("#mat-income_proof-missing")),
		chromedp.Click(chromedp.CSS("#mat-property_declaration-missing")))
	w.submitTo("save checklist", "#materials-submit", "#case-state")
	w.submitTo("return", "#act-return", "#case-state")
	if st, err := chromedp.Run(w.ctx, chromedp.AttributeValue(chromedp.CSS("#case-state"), "data-state")); err != nil ||
		st.Value != "returned" {
		notice, _ := chromedp.Run(w.ctx, chromedp.Evaluate[string](`(document.querySelector("#notice,#error-summary,.error-msg")||{}).innerText||""`))
		t.Fatalf("after return the sandbox case is %q (%v); page says: %s", st.Value, err, notice)
	}
	href, err := chromedp.Run(w.ctx, chromedp.AttributeValue(chromedp.CSS("#timeline a.doc-link"), "href"))
	if err != nil || !strings.HasPrefix(href.Value, "/sandbox/cases/") {
		t.Fatalf("deficiency notice link %q %v", href.Value, err)
	}
	w.do("open notice", chromedp.Navigate(w.base+href.Value), chromedp.WaitReady(chromedp.CSS("body")))
	if doc := w.html("body"); !strings.Contains(doc, "收入证明") || !strings.Contains(doc, "家庭财产申报表") {
		t.Fatal("the deficiency notice does not list both missing materials")
	}

	// Twelve minutes after the start (target 10) the trainee finishes.
	w.now = w.now.Add(12 * time.Minute)
	w.do("run page", chromedp.Navigate(w.base+runPath), chromedp.WaitVisible(chromedp.CSS("#run-finish")))
	w.submitTo("finish", "#run-finish", "#score-breakdown")
	wantAuto := map[string]int{"item-auto-outcome": 30, "item-auto-deficiency": 30,
		"item-auto-time": practical.TimePoints(12, 10, 20)} // 16
	rows := w.breakdown()
	if len(rows) != len(wantAuto) {
		t.Fatalf("breakdown after finishing %v, want the automatic items %v", rows, wantAuto)
	}
	for id, pts := range wantAuto {
		if got, ok := rows[id]; !ok || got != pts {
			t.Fatalf("breakdown row %s = %d (present %v), want %d; rows %v", id, got, ok, pts, rows)
		}
	}
	if d := w.text("#item-auto-deficiency"); !strings.Contains(d, "收入证明、家庭财产申报表") {
		t.Fatalf("deficiency row %q", d)
	}
	if c := w.attr("#run-score", "data-complete"); c != "false" {
		t.Fatalf("run-score data-complete=%q before the rubric", c)
	}
	if s := w.text("#run-score"); !strings.Contains(s, "评分细则") || !strings.Contains(s, "待考官评定") {
		t.Fatalf("run total before the rubric %q", s)
	}
	if rs, err := w.db.PlanResults(ctx, planID); err != nil || len(rs) != 0 {
		t.Fatalf("a result was recorded before the rubric: %+v %v", rs, err)
	}

	// A trainer opens the run from the sandbox list and scores the rubric.
	w.as("trainer")
	w.do("open sandbox", w.mark(), chromedp.Click(chromedp.CSS("#nav-sandbox")))
	w.waitFor("sandbox page", "#all-runs")
	w.do("open run", w.mark(), chromedp.Click(chromedp.CSS(`#all-runs a[href="`+runPath+`"]`)))
	w.waitFor("run page", "#rubric-form")
	w.do("rubric",
		chromedp.SendKeys(chromedp.CSS("#rubric_notice_wording"), "8"),
		chromedp.SendKeys(chromedp.CSS("#rubric_check_care"), "7"))
	w.submitTo("score rubric", "#rubric-submit", `#run-score[data-complete="true"]`)

	rows = w.breakdown()
	want := map[string]int{"item-rubric-notice_wording": 8, "item-rubric-check_care": 7}
	for id, pts := range wantAuto {
		want[id] = pts
	}
	sum := 0
	for id, pts := range want {
		if got, ok := rows[id]; !ok || got != pts {
			t.Fatalf("scored breakdown row %s = %d (present %v), want %d; rows %v", id, got, ok, pts, rows)
		}
		sum += pts
	}
	if len(rows) != len(want) {
		t.Fatalf("scored breakdown %v, want %v", rows, want)
	}
	score, err := strconv.Atoi(w.attr("#run-score", "data-score"))
	if err != nil || score != sum || sum != 91 {
		t.Fatalf("total on the page %d (%v), sum of the rows %d, want 91", score, err, sum)
	}
	set, err := policy.Resolve(ctx, w.db, trainee.Region, w.now)
	if err != nil {
		t.Fatal(err)
	}
	pass := set.Int(policy.PracticalPass)
	if got, want := w.attr("#run-score", "data-passed"), strconv.FormatBool(score >= pass); got != want {
		t.Fatalf("data-passed=%q with %d points against practical_pass %d", got, score, pass)
	}
	if s := w.text("#run-score"); !strings.Contains(s, "合格线 "+strconv.Itoa(pass)) {
		t.Fatalf("run total %q does not name the pass mark %d", s, pass)
	}

	// The plan's practical assessment is recorded: first attempt, the score.
	rs, err := w.db.PlanResults(ctx, planID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].PersonID != trainee.ID || rs[0].Kind != string(assess.Practical) ||
		rs[0].Attempt != string(assess.First) || rs[0].Score != score || rs[0].Passed != (score >= pass) ||
		rs[0].Source != "practical_run:"+strconv.FormatInt(runID, 10) {
		t.Fatalf("plan results %+v, want the first practical attempt of run %d with %d points", rs, runID, score)
	}

	// Isolation: the run's household and case live in the sandbox only.
	if after := mainCounts(t, w.db); after != before {
		t.Fatalf("the real register changed (households, cases) %v → %v", before, after)
	}
	if n := mainCounts(t, sb); n[0] != "1" || n[1] != "1" {
		t.Fatalf("the sandbox holds %v (households, cases), want the run's one of each", n)
	}
	for _, db := range []*store.DB{w.db, sb} {
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// breakdown reads the score breakdown table: row id → data-points.
func (w *caseWorld) breakdown() map[string]int {
	w.t.Helper()
	m, err := chromedp.Run(w.ctx, chromedp.Evaluate[map[string]int](`Object.fromEntries(
		[...document.querySelectorAll("#score-breakdown tbody tr")].map(r => [r.id, Number(r.dataset.points)]))`))
	if err != nil {
		w.t.Fatalf("read the score breakdown: %v", err)
	}
	return m
}

func (w *caseWorld) attr(sel, name string) string {
	w.t.Helper()
	v, err := chromedp.Run(w.ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil || !v.Exists {
		w.t.Fatalf("read %s[%s]: %v", sel, name, err)
	}
	return v.Value
}
