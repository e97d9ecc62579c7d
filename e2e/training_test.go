package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/demo"
	"dibao/internal/enroll"
	"dibao/internal/region"
	"dibao/internal/server"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// newTrainingWorld is the demo county with its demo training year, served
// on 127.0.0.1. Unlike the case world the store runs on the real clock: the
// check-in code and the video heartbeats are measured by the server's own
// clock as time really passes.
func newTrainingWorld(t *testing.T) *caseWorld {
	chromium := testenv.Chromium(t)
	w := &caseWorld{t: t, db: testenv.SQLite(t), now: time.Now().In(calendar.Location())}
	ctx := context.Background()
	if _, err := demo.Load(ctx, w.db, demo.Generate(2026, w.now)); err != nil {
		t.Fatal(err)
	}
	w.a = app.New(w.db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := demo.LoadTraining(ctx, w.db, w.a.Training); err != nil {
		t.Fatal(err)
	}
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
	return w
}

// submitTo clicks a submit button and waits until the server's answer has
// replaced the page and shows sel.
func (w *caseWorld) submitTo(what, button, sel string) {
	w.t.Helper()
	w.do(what, w.mark(), chromedp.Click(chromedp.CSS(button)))
	w.waitFor(what, sel)
}

// waitFor waits for a freshly loaded document (not the one marked) that
// has an element matching sel.
func (w *caseWorld) waitFor(what, sel string) {
	w.t.Helper()
	js := `window.__dibaoOld !== true && document.readyState === "complete" && !!document.querySelector(` +
		strconv.Quote(sel) + `)`
	var last error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ok, err := chromedp.Run(w.ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		last = err
	}
	notice, _ := chromedp.Run(w.ctx, chromedp.Evaluate[string](`(document.querySelector("#error-summary,.error-msg,.alert")||{}).innerText||""`))
	w.t.Fatalf("%s: no page with %s (last error %v; page says: %s)", what, sel, last, notice)
}

func (w *caseWorld) text(sel string) string {
	w.t.Helper()
	s, err := chromedp.Run(w.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		w.t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// asWith signs in with a password other than the demo one.
func (w *caseWorld) asWith(user, password string) {
	w.t.Helper()
	w.do("open login", chromedp.Navigate(w.base+"/login"), chromedp.WaitReady(chromedp.CSS("body")))
	in, _ := chromedp.Run(w.ctx, chromedp.Evaluate[bool](`!!document.getElementById("logout")`))
	if in {
		w.do("logout", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#username")))
	}
	w.do("login "+user,
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login-submit")))
	secondFactor(w.t, w.ctx, w.db, user)
}

func TestTrainingNewHireThroughTheBrowser(t *testing.T) {
	w := newTrainingWorld(t)
	ctx := context.Background()
	const (
		username = "xinren.wang"
		name     = "王新人"
		password = "Peixun#2026go"
		sessMin  = 90 // minutes the session credits
		videoMin = 30 // minutes the video credits on completion
		videoSec = 8  // length of e2e/testdata/lesson.webm
	)
	today := calendar.DayOf(time.Now())
	wantDue := today.AddDate(0, 0, 7).Format(time.DateOnly)
	village := w.users["village"].Region

	var onboarding store.TrainingPlan
	plans, err := w.db.LearningPlans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, pl := range plans {
		if enroll.Kind(pl.Kind) == enroll.Onboarding {
			onboarding = pl
		}
	}
	if onboarding.ID == 0 {
		t.Fatal("the demo training year has no onboarding plan")
	}
	planID := strconv.FormatInt(onboarding.ID, 10)

	// Security admin: a new village clerk hired today, through the form.
	w.as("secadmin")
	w.do("new account form",
		chromedp.Navigate(w.base+"/users/new"),
		chromedp.WaitVisible(chromedp.CSS("#user-form")),
		chromedp.SendKeys(chromedp.CSS("#username"), username),
		chromedp.SendKeys(chromedp.CSS("#display_name"), name),
		chromedp.SetValue(chromedp.CSS("#region_code"), string(village)),
		chromedp.SetValue(chromedp.CSS("#hire_date"), today.Format(time.DateOnly)),
		chromedp.Click(chromedp.CSS("#role_"+string(authz.VillageClerk))),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.SendKeys(chromedp.CSS("#password_confirm"), password),
	)
	if _, err := chromedp.Run(w.ctx, chromedp.Evaluate[bool](`(() => {
		for (const b of document.querySelectorAll("input[name=posts]")) b.checked = b.value === "受理";
		return true })()`)); err != nil {
		t.Fatalf("tick the post: %v", err)
	}
	w.do("create account", w.mark(), chromedp.Click(chromedp.CSS("#create-user")))
	w.waitFor("create account", "#logout")
	if loc, _ := chromedp.Run(w.ctx, chromedp.Location()); !strings.Contains(loc, "/users/") || strings.HasSuffix(loc, "/users/new") {
		summary, _ := chromedp.Run(w.ctx, chromedp.Evaluate[string](`(document.querySelector("#error-summary,.error-msg")||{}).innerText||""`))
		t.Fatalf("account form refused (at %s): %s", loc, summary)
	}
	us, err := w.db.Users(ctx, region.All())
	if err != nil {
		t.Fatal(err)
	}
	var hire store.User
	for _, u := range us {
		if u.Username == username {
			hire = u
		}
	}
	if hire.ID == 0 {
		t.Fatal("the new account is not in the store")
	}
	personRow := "#person-" + strconv.FormatInt(hire.ID, 10)

	// Training admin: the new hire is on the dashboard, onboarding due in 7 days.
	w.as("trainadmin")
	w.do("open dashboard", w.mark(), chromedp.Click(chromedp.CSS("#nav-training")))
	w.waitFor("dashboard", "#compliance-table")
	row := w.html(personRow) // fails the test if the enrollment did not run on the staff change
	if !strings.Contains(row, name) || !strings.Contains(row, wantDue) {
		t.Fatalf("dashboard row of the new hire lacks the name or onboarding due %s: %s", wantDue, row)
	}

	// Trainer: upload the lesson video into the onboarding plan, schedule a
	// classroom session running now, and show its check-in code.
	w.as("trainer")
	video, err := filepath.Abs(filepath.Join("testdata", "lesson.webm"))
	if err != nil {
		t.Fatal(err)
	}
	w.do("learning form",
		chromedp.Navigate(w.base+"/learning/new"),
		chromedp.WaitVisible(chromedp.CSS("#learning-form")),
		chromedp.SendKeys(chromedp.CSS("#learning_title"), "低保审核确认流程（视频）"),
		chromedp.SetValue(chromedp.CSS("#learning_form_category"), string(enroll.BusinessSkills)),
		chromedp.SetValue(chromedp.CSS("#learning_plan"), planID),
		chromedp.SetValue(chromedp.CSS("#learning_minutes"), strconv.Itoa(videoMin)),
		chromedp.SetValue(chromedp.CSS("#learning_duration"), strconv.Itoa(videoSec)),
		chromedp.SetUploadFiles(chromedp.CSS("#learning_file"), []string{video}),
	)
	w.submitTo("upload video", "#learning-submit", "#player")
	loc, _ := chromedp.Run(w.ctx, chromedp.Location())
	itemID, err := strconv.ParseInt(loc[strings.LastIndex(loc, "/")+1:], 10, 64)
	if err != nil {
		t.Fatalf("learning item url %q", loc)
	}

	start := time.Now().In(calendar.Location()).Truncate(time.Minute).Add(-10 * time.Minute)
	w.do("session form",
		chromedp.Navigate(w.base+"/training/sessions/new"),
		chromedp.WaitVisible(chromedp.CSS("#session-form")),
		chromedp.SetValue(chromedp.CSS("#session-plan"), planID),
		chromedp.SetValue(chromedp.CSS("#session-kind"), "classroom"),
		chromedp.SendKeys(chromedp.CSS("#session-title"), "新入职人员政策讲解"),
		chromedp.SetValue(chromedp.CSS("#session-start"), start.Format("2006-01-02T15:04")),
		chromedp.SetValue(chromedp.CSS("#session-end"), start.Add(2*time.Hour).Format("2006-01-02T15:04")),
		chromedp.SendKeys(chromedp.CSS("#session-place"), "县民政局二楼培训室"),
		chromedp.SetValue(chromedp.CSS("#session-minutes"), strconv.Itoa(sessMin)),
	)
	w.submitTo("schedule session", "#create-session", "#checkin-card")
	loc, _ = chromedp.Run(w.ctx, chromedp.Location())
	sessionID, err := strconv.ParseInt(loc[strings.LastIndex(loc, "/")+1:], 10, 64)
	if err != nil {
		t.Fatalf("session url %q", loc)
	}
	sid := strconv.FormatInt(sessionID, 10)
	code := w.text("#checkin-code")
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		t.Fatalf("check-in code %q, want 6 digits", code)
	}

	// The new hire: check in with the code shown in the room.
	w.asWith(username, password)
	w.do("my training", chromedp.Navigate(w.base+"/training/my"), chromedp.WaitVisible(chromedp.CSS("#checkin-form")))
	if due := w.text("#my-items-table .item-due"); !strings.Contains(due, wantDue) {
		t.Fatalf("my onboarding item is due %q, want %s", due, wantDue)
	}
	w.do("check in",
		chromedp.SetValue(chromedp.CSS("#checkin-session"), sid),
		chromedp.SendKeys(chromedp.CSS("#checkin-code-input"), code),
	)
	w.submitTo("check in", "#checkin-submit", "#feedback-form-"+sid)

	// Play the video to the end at normal speed; the server measures it.
	w.do("open video", chromedp.Navigate(w.base+"/learning/"+strconv.FormatInt(itemID, 10)),
		chromedp.WaitVisible(chromedp.CSS("#player")))
	if _, err := chromedp.Run(w.ctx, chromedp.Evaluate[bool](`(() => {
		const v = document.getElementById("player");
		window.__ended = false;
		v.addEventListener("ended", () => { window.__ended = true; });
		v.muted = true;
		v.play();
		return true;
	})()`)); err != nil {
		t.Fatalf("start playback: %v", err)
	}
	var pct string
	for deadline := time.Now().Add(time.Duration(videoSec+20) * time.Second); ; time.Sleep(250 * time.Millisecond) {
		done, _ := chromedp.Run(w.ctx, chromedp.Evaluate[bool](`window.__ended === true && document.getElementById("progress-pct").textContent.trim() === "100%"`))
		if done {
			break
		}
		if time.Now().After(deadline) {
			pct, _ = chromedp.Run(w.ctx, chromedp.Evaluate[string](`document.getElementById("progress-pct").textContent + " ended=" + window.__ended + " t=" + document.getElementById("player").currentTime + " err=" + document.getElementById("progress-error").textContent`))
			t.Fatalf("the video did not play to 100%%: %s", pct)
		}
	}
	if st := w.text("#progress-state"); st != "已完成" {
		t.Fatalf("progress state %q, want 已完成", st)
	}
	pr, err := w.db.LearningProgressOf(ctx, itemID, hire.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pr.CompletedAt.IsZero() || !pr.Credited || pr.Position < videoSec-1 {
		t.Fatalf("server-side progress after playback: %+v", pr)
	}

	// Feedback for the session.
	w.do("feedback form",
		chromedp.Navigate(w.base+"/training/my"),
		chromedp.WaitVisible(chromedp.CSS("#feedback-form-"+sid)),
		chromedp.SetValue(chromedp.CSS("#fb-content-"+sid), "5"),
		chromedp.SetValue(chromedp.CSS("#fb-method-"+sid), "4"),
		chromedp.SetValue(chromedp.CSS("#fb-trainer-"+sid), "5"),
		chromedp.SendKeys(chromedp.CSS("#fb-comment-"+sid), "案例讲解很实用"),
	)
	w.submitTo("feedback", "#feedback-submit-"+sid, "#feedback-done-"+sid)
	wantMinutes := strconv.Itoa(sessMin+videoMin) + " / " + strconv.Itoa(onboarding.RequiredMinutes)
	if got := w.text("#my-items-table .item-minutes"); !strings.Contains(got, wantMinutes) {
		t.Fatalf("my onboarding minutes %q, want %s", got, wantMinutes)
	}

	// Training admin: attendance, hours and feedback are reflected.
	w.as("trainadmin")
	w.do("session page", chromedp.Navigate(w.base+"/training/sessions/"+sid), chromedp.WaitVisible(chromedp.CSS("#feedback-summary")))
	if n := w.text("#attendance-count"); n != "1" {
		t.Fatalf("attendance count %q, want 1", n)
	}
	if list := w.text("#attendance-list"); !strings.Contains(list, name) {
		t.Fatalf("attendance list %q lacks %s", list, name)
	}
	if n := w.text("#feedback-count"); n != "1" {
		t.Fatalf("feedback count %q, want 1", n)
	}
	for sel, want := range map[string]string{"#avg-content": "5.0", "#avg-method": "4.0", "#avg-trainer": "5.0"} {
		if got := w.text(sel); got != want {
			t.Fatalf("%s = %q, want %s", sel, got, want)
		}
	}
	if c := w.text("#feedback-comments"); !strings.Contains(c, "案例讲解很实用") {
		t.Fatalf("feedback comments %q", c)
	}
	w.do("dashboard", chromedp.Navigate(w.base+"/training"), chromedp.WaitVisible(chromedp.CSS("#compliance-table")))
	if row := w.html(personRow); !strings.Contains(row, wantDue) || strings.Contains(row, "row-overdue") ||
		!strings.Contains(row, "120 / 480 分钟") {
		t.Fatalf("dashboard row after training (want the credited 120 of 480 onboarding minutes): %s", row)
	}
	// The 90-minute session of a plan with three categories: 30 minutes each.
	if h := w.html("#hours-policy_law"); !strings.Contains(h, "0.5 小时") {
		t.Fatalf("hours by category: %s", h)
	}
	ens, err := w.db.PersonEnrollments(ctx, hire.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got store.Enrollment
	for _, e := range ens {
		if e.PlanID == onboarding.ID {
			got = e
		}
	}
	if got.ID == 0 || got.Due != wantDue || got.MinutesCredited != sessMin+videoMin || !got.Attended {
		t.Fatalf("onboarding enrollment in the store: %+v", got)
	}
}
