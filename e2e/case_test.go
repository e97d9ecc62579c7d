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
	"dibao/internal/benefit"
	"dibao/internal/calendar"
	"dibao/internal/casework"
	"dibao/internal/crosscheck"
	"dibao/internal/demo"
	"dibao/internal/household"
	"dibao/internal/mask"
	"dibao/internal/region"
	"dibao/internal/server"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/workflow"
)

// caseWorld is the demo county served on 127.0.0.1 with a clock the test
// moves, and one headless Chromium.
type caseWorld struct {
	t     *testing.T
	ctx   context.Context
	base  string
	db    *store.DB
	a     *app.App
	now   time.Time
	users map[string]store.User
}

func newCaseWorld(t *testing.T) *caseWorld {
	chromium := testenv.Chromium(t)
	w := &caseWorld{t: t, db: testenv.SQLite(t), now: time.Now().In(calendar.Location())}
	w.db.SetClock(func() time.Time { return w.now })
	if _, err := demo.Load(context.Background(), w.db, demo.Generate(2026, w.now)); err != nil {
		t.Fatal(err)
	}
	w.a = app.New(w.db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.a.Cases.Now = func() time.Time { return w.now }
	w.a.Cases.Checker = &crosscheck.Simulator{Seed: 1, Now: func() time.Time { return w.now }}
	// The production limits, on the world's clock: a test that moves time
	// past a lockout moves the login rate limit's refill with it.
	cfg := server.DefaultConfig()
	cfg.Now = func() time.Time { return w.now }
	h, err := server.HandlerWith(w.a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	w.base = srv.URL
	us, _ := w.db.Users(context.Background(), region.All())
	w.users = map[string]store.User{}
	for _, u := range us {
		w.users[u.Username] = u
	}
	w.ctx = startBrowser(t, chromium)
	return w
}

func (w *caseWorld) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	if err := chromedp.Do(w.ctx, steps...); err != nil {
		w.t.Fatalf("%s: %v", what, err)
	}
}

func (w *caseWorld) html(sel string) string {
	w.t.Helper()
	s, err := chromedp.Run(w.ctx, chromedp.OuterHTML(chromedp.CSS(sel)))
	if err != nil {
		w.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// as signs the browser in as a demo account, signing out whoever was in.
func (w *caseWorld) as(user string) {
	w.t.Helper()
	w.do("open login", chromedp.Navigate(w.base+"/login"), chromedp.WaitReady(chromedp.CSS("body")))
	in, _ := chromedp.Run(w.ctx, chromedp.Evaluate[bool](`!!document.getElementById("logout")`))
	if in {
		w.do("logout", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#username")))
	}
	w.do("login "+user,
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Click(chromedp.CSS("#login-submit")))
	secondFactor(w.t, w.ctx, w.db, user)
}

// step fills a transition's form on the case page and submits it; fields
// are "name=value" for inputs and "name" alone for a checkbox to tick.
func (w *caseWorld) step(caseID int64, id string, wantState string, fields ...string) {
	w.t.Helper()
	acts := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(w.base + "/cases/" + strconv.FormatInt(caseID, 10)),
		chromedp.WaitVisible(chromedp.CSS("#case-state")),
		w.mark(),
	}
	if id == "withdraw" || id == "terminate" || id == "extend_time_limit" {
		acts = append(acts, chromedp.Click(chromedp.CSS("#more-actions-toggle")))
	}
	for _, f := range fields {
		name, value, hasValue := strings.Cut(f, "=")
		sel := chromedp.CSS("#f-" + id + "-" + name)
		switch {
		case name == "reason":
			acts = append(acts, chromedp.SetValue(chromedp.CSS("#f-"+id+"-reason"), value))
		case !hasValue:
			acts = append(acts, chromedp.Click(sel))
		default:
			acts = append(acts, chromedp.SetValue(sel, value))
		}
	}
	acts = append(acts, chromedp.Click(chromedp.CSS("#act-"+id)))
	w.do(id, acts...)
	w.waitNewPage(id)
	state, err := chromedp.Run(w.ctx, chromedp.AttributeValue(chromedp.CSS("#case-state"), "data-state"))
	if err != nil || state.Value != wantState {
		notice, _ := chromedp.Run(w.ctx, chromedp.Evaluate[string](`(document.querySelector("#notice,#error-summary,.error-msg")||{}).innerText||""`))
		w.t.Fatalf("after %s the case is %q, want %q (page says: %s)", id, state.Value, wantState, notice)
	}
}

// waitNewPage waits until the document marked before a submit has been
// replaced by the server's answer.
func (w *caseWorld) waitNewPage(what string) {
	w.t.Helper()
	const ready = `window.__dibaoOld !== true && document.readyState === "complete" && !!document.getElementById("case-state")`
	var last error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		// Evaluating while the page navigates fails; that is expected, try again.
		ok, err := chromedp.Run(w.ctx, chromedp.Evaluate[bool](ready))
		if err == nil && ok {
			return
		}
		last = err
	}
	w.t.Fatalf("%s: no new page (last error %v)", what, last)
}

// mark tags the current document so waitNewPage can tell it was replaced.
func (w *caseWorld) mark() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`window.__dibaoOld = true`)(ctx, t)
		return err
	})
}

// service moves a case with the service directly, as the named user.
func (w *caseWorld) service(c *store.Case, user, id string, values map[string][]string, reason string) {
	w.t.Helper()
	out, err := w.a.Cases.Act(context.Background(), w.users[user].Principal(), casework.Action{CaseID: c.ID, Version: c.Version,
		Transition: id, Input: workflow.Input{Values: values, Reason: reason}})
	if err != nil {
		w.t.Fatalf("%s by %s: %v", id, user, err)
	}
	*c = out.Case
}

func TestApplicationThroughTheBrowser(t *testing.T) {
	w := newCaseWorld(t)
	ctx := context.Background()
	village := w.users["village"].Region
	rows, _, err := w.db.Households(ctx, region.ScopeOf(village), store.HouseholdFilter{PageSize: 50})
	if err != nil || len(rows) < 2 {
		t.Fatalf("demo households in the clerk's village: %d (%v)", len(rows), err)
	}
	// The first application is from a household the engine finds eligible
	// (it is approved at the end); the second from any other household.
	var first, second store.HouseholdRow
	var hh household.Household
	for _, r := range rows {
		h, err := w.db.Household(ctx, region.ScopeOf(village), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if first.ID == 0 && benefit.Compute(h, benefit.DefaultParams(), w.now).Eligible {
			first, hh = r, h
		} else if second.ID == 0 {
			second = r
		}
	}
	if first.ID == 0 || second.ID == 0 {
		t.Fatal("the demo village lacks an eligible and another household")
	}

	// Village clerk: apply, intake, a deficiency round trip, accept, forward.
	w.as("village")
	w.do("apply",
		chromedp.Navigate(w.base+"/households/"+strconv.FormatInt(first.ID, 10)),
		chromedp.Click(chromedp.CSS("#apply-case")),
		chromedp.WaitVisible(chromedp.CSS("#apply-form")),
		chromedp.Click(chromedp.CSS("#rel-none")),
		w.mark(),
		chromedp.Click(chromedp.CSS("#apply-submit")))
	w.waitNewPage("apply")
	loc, _ := chromedp.Run(w.ctx, chromedp.Location())
	caseID, err := strconv.ParseInt(loc[strings.LastIndex(loc, "/")+1:], 10, 64)
	if err != nil {
		t.Fatalf("case page url %q", loc)
	}
	w.step(caseID, "intake", "submitted")
	w.do("checklist with two missing",
		chromedp.Click(chromedp.CSS("#materials-all-ok")),
		chromedp.Click(chromedp.CSS("#mat-income_proof-missing")),
		chromedp.Click(chromedp.CSS("#mat-promise-missing")),
		w.mark(),
		chromedp.Click(chromedp.CSS("#materials-submit")))
	w.waitNewPage("materials")
	w.step(caseID, "return", "returned")
	notice := w.html("#timeline")
	if !strings.Contains(notice, "doc-link") {
		t.Fatal("no deficiency notice in the timeline")
	}
	href, err := chromedp.Run(w.ctx, chromedp.AttributeValue(chromedp.CSS("#timeline a.doc-link"), "href"))
	if err != nil {
		t.Fatal(err)
	}
	w.do("open notice", chromedp.Navigate(w.base+href.Value), chromedp.WaitReady(chromedp.CSS("body")))
	if doc := w.html("body"); !strings.Contains(doc, "收入证明") || !strings.Contains(doc, "承诺书") {
		t.Fatal("the deficiency notice does not list every missing item")
	}
	w.step(caseID, "resubmit", "submitted")
	w.do("checklist complete",
		chromedp.Navigate(w.base+"/cases/"+strconv.FormatInt(caseID, 10)),
		chromedp.WaitVisible(chromedp.CSS("#materials-form")),
		chromedp.Click(chromedp.CSS("#materials-all-ok")),
		w.mark(),
		chromedp.Click(chromedp.CSS("#materials-submit")))
	w.waitNewPage("materials")
	w.step(caseID, "accept", "accepted")
	w.step(caseID, "forward", "forwarded")

	// The second application goes the same way through the service.
	c2, err := w.a.Cases.Open(ctx, w.users["village"].Principal(), second.ID, casework.Declaration{None: true})
	if err != nil {
		t.Fatal(err)
	}
	today := w.now.Format(time.DateOnly)
	t1, t2 := strconv.FormatInt(w.users["township"].ID, 10), strconv.FormatInt(w.users["township2"].ID, 10)
	w.service(&c2, "village", "intake", map[string][]string{"application_date": {today}}, "")
	var ok []casework.MaterialInput
	for _, m := range casework.Materials {
		ok = append(ok, casework.MaterialInput{Code: m.Code, Status: "ok"})
	}
	if c2, err = w.a.Cases.SetMaterials(ctx, w.users["village"].Principal(), c2.ID, c2.Version, ok); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		user, id string
		v        map[string][]string
	}{
		{"village", "accept", nil}, {"village", "forward", nil}, {"township", "start_investigation", nil},
		{"township", "record_home_visit", map[string][]string{"visit_date": {today}, "investigators": {t1, t2}, "form_filled": {"on"}, "findings": {"有自建住房"}}},
		{"township", "request_check", map[string][]string{"requested_on": {today}}},
		{"township", "record_check_result", map[string][]string{"received_on": {today}, "summary": {"发现家庭成员名下有经营实体"}}},
		{"township", "write_report", map[string][]string{"report": {"家庭经营小卖部"}, "opinion": {"ineligible"}, "opinion_reason": {"有经营收入"}}},
		{"township", "submit_to_appraisal", nil},
		{"township", "appraise", map[string][]string{"meeting_date": {today}, "participants": {"村干部、群众代表"}, "attendance": {"7"}, "outcome": {"pass"}, "minutes": {"提交审核"}}},
		{"township", "start_publicity", map[string][]string{"place": {"村务公开栏"}}},
	} {
		w.service(&c2, s.user, s.id, s.v, "")
	}

	// Township officer: investigation with two investigators, report, appraisal, publicity.
	w.as("township")
	w.step(caseID, "start_investigation", "investigating")
	w.step(caseID, "record_home_visit", "investigating", "investigators-"+t1, "investigators-"+t2, "form_filled",
		"findings=两间旧平房，家中无大件电器")
	w.step(caseID, "request_check", "investigating")
	w.step(caseID, "record_check_result", "investigating", "summary=未发现车辆、房产、大额存款")
	w.step(caseID, "write_report", "investigating", "report=家庭无稳定收入", "opinion=eligible", "opinion_reason=人均收入低于标准")
	w.step(caseID, "submit_to_appraisal", "appraisal")
	w.step(caseID, "appraise", "publicity_ready", "participants=村党支部书记、村委会主任、村民代表", "attendance=9",
		"outcome=pass", "minutes=一致同意")
	w.step(caseID, "start_publicity", "publicity", "place=村务公开栏")

	// The public board shows the allow-listed fields only.
	w.do("public page", chromedp.Navigate(w.base+"/public/"+string(village)), chromedp.WaitReady(chromedp.CSS("body")))
	pub := w.html("html")
	if !strings.Contains(pub, mask.Name(hh.HeadName())) {
		t.Fatalf("public page lacks the masked head name %s", mask.Name(hh.HeadName()))
	}
	secrets := []string{hh.HeadName(), hh.Address, hh.Phone, hh.BankAccount}
	for _, m := range hh.Members {
		secrets = append(secrets, string(m.IDNumber), m.IDNumber.Mask())
	}
	for _, in := range hh.Incomes {
		secrets = append(secrets, in.Amount.String(), in.Amount.Yuan())
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(pub, s) {
			t.Fatalf("the public page shows %q", s)
		}
	}

	// An objection sends the case back; it is resolved and publicised again.
	w.step(caseID, "record_objection", "publicity", "content=有群众反映其子在外务工有收入")
	w.step(caseID, "objection_reinvestigate", "investigating", "reason=核实群众异议")
	w.step(caseID, "resolve_objection", "investigating", "objection_no=1", "finding=其子在校就读，无收入", "outcome=dismissed")
	w.step(caseID, "write_report", "investigating", "report=异议不成立，家庭仍无稳定收入", "opinion=eligible", "opinion_reason=人均收入低于标准")
	w.step(caseID, "submit_to_appraisal", "appraisal")
	w.step(caseID, "appraise", "publicity_ready", "participants=村党支部书记、村民代表", "attendance=8", "outcome=pass", "minutes=同意")
	w.step(caseID, "start_publicity", "publicity", "place=村务公开栏")

	// The period must fully elapse: move the clock past both cases' ends.
	c1, _ := w.db.Case(ctx, region.All(), caseID)
	end := c1.PublicityEnd
	if c2.PublicityEnd > end {
		end = c2.PublicityEnd
	}
	last, _ := time.ParseInLocation(time.DateOnly, end, calendar.Location())
	w.now = last.AddDate(0, 0, 1).Add(9 * time.Hour)
	w.as("township")
	w.step(caseID, "close_publicity", "township_review")
	w.service(&c2, "township", "close_publicity", nil, "")

	w.as("reviewer")
	w.step(caseID, "review_opinion", "county_decision", "opinion=agree", "comment=经审核，同意上报")
	w.service(&c2, "reviewer", "review_opinion", map[string][]string{"opinion": {"agree"}, "comment": {"上报县级审批"}}, "")

	// County approver: approve the first, reject the second with reasons.
	w.as("county")
	w.step(caseID, "approve", "approved", "category=A")
	w.step(c2.ID, "reject", "rejected", "reason=家庭成员经营小卖部，收入超过当地低保标准")
	docs := w.html("#timeline")
	if !strings.Contains(docs, "doc-link") {
		t.Fatal("no rejection notice in the timeline")
	}
	recips, err := w.db.Recipients(ctx, region.ScopeOf(village))
	if err != nil || len(recips) != 1 || recips[0].HouseholdID != first.ID {
		t.Fatalf("recipient register after approval: %+v %v", recips, err)
	}
	if _, err := w.db.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}
