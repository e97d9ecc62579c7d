package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// trainingEnv is the test county with a training admin, a trainer, a new
// hire and a long-serving clerk, on a fixed clock inside 2026 Q4.
type trainingEnv struct {
	*env
	now                           time.Time
	admin, trainer, newbie, clerk authz.Principal
}

func setupTraining(t *testing.T) *trainingEnv {
	t.Helper()
	db := testenv.SQLite(t)
	te := &trainingEnv{now: time.Date(2026, 10, 12, 9, 0, 0, 0, calendar.Location())}
	db.SetClock(func() time.Time { return te.now })
	testenv.SeedRegions(t, db)
	te.admin = testenv.User(t, db, "tadmin", testenv.County, authz.TrainingAdmin)
	te.trainer = testenv.User(t, db, "trainer", testenv.County, authz.Trainer)
	te.newbie = testenv.User(t, db, "newbie", testenv.VillageA, authz.VillageClerk)
	te.clerk = testenv.User(t, db, "oldhand", testenv.TownA, authz.TownshipOfficer)
	a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	te.env = &env{t: t, a: a, srv: srv}
	te.profile(te.clerk, "受理", "2019-05-01")
	return te
}

// profile sets posts and hire date, as the account pages do.
func (te *trainingEnv) profile(p authz.Principal, posts, hired string) {
	te.t.Helper()
	err := te.a.DB.InTx(bg, testenv.Admin(), func(tx *store.Tx) error {
		if err := tx.SetStaffProfile(bg, p.UserID, posts, hired); err != nil {
			return err
		}
		return tx.Audit(bg, store.Entry{Action: "test.profile", Object: "user:" + p.Username})
	})
	if err != nil {
		te.t.Fatal(err)
	}
}

func (te *trainingEnv) loginAs(username string) *client {
	te.t.Helper()
	c := te.client()
	r := c.post("/login", url.Values{"username": {username}, "password": {testenv.Password}})
	if r.StatusCode != http.StatusSeeOther {
		te.t.Fatalf("login %s: status %d", username, r.StatusCode)
	}
	return c
}

func planValues(kind, title, start, end, hours string, cats ...string) url.Values {
	return url.Values{"kind": {kind}, "title": {title}, "period_start": {start}, "period_end": {end},
		"required_hours": {hours}, "categories": cats}
}

var codeRE = regexp.MustCompile(`id="checkin-code"[^>]*>(\d{6})<`)

// rowOf returns the dashboard table row of a person.
func rowOf(t *testing.T, body string, id int64) string {
	t.Helper()
	start := strings.Index(body, `id="person-`+strconv.FormatInt(id, 10)+`"`)
	if start < 0 {
		t.Fatalf("no dashboard row for person %d", id)
	}
	end := strings.Index(body[start:], "</tr>")
	return body[start : start+end]
}

func TestTrainingPagesEndToEnd(t *testing.T) {
	te := setupTraining(t)
	admin := te.loginAs("tadmin")

	// The menu shows 培训管理 to the admin and only 我的培训 to a clerk.
	if r := admin.get("/training"); r.StatusCode != 200 || !strings.Contains(r.body, `id="nav-training"`) ||
		!strings.Contains(r.body, `id="nav-training_my"`) {
		t.Fatalf("dashboard: %d, nav missing", r.StatusCode)
	}
	newbie := te.loginAs("newbie")
	if r := newbie.get("/training"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("clerk on the dashboard: status %d, want 403", r.StatusCode)
	}
	if r := newbie.get("/training/my"); r.StatusCode != 200 || strings.Contains(r.body, `id="nav-training"`) ||
		!strings.Contains(r.body, `id="nav-training_my"`) || !strings.Contains(r.body, `id="my-items-empty"`) {
		t.Fatalf("clerk's my page: %d %s", r.StatusCode, r.body)
	}

	// A plan with errors comes back with the service's Chinese messages.
	r := admin.post("/training/plans/new", planValues("regular", "", "2026-10-01", "2026-12-15", "2"))
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "请填写培训计划名称") ||
		!strings.Contains(r.body, "季度常规培训的起止日期应为一个完整的自然季度") ||
		!strings.Contains(r.body, "请至少选择一个培训内容类别") || !strings.Contains(r.body, "field-error") {
		t.Fatalf("invalid plan: %d", r.StatusCode)
	}
	// Two good plans: onboarding and this quarter's regular training.
	for _, v := range []url.Values{
		planValues("onboarding", "2026年新入职人员岗前培训", "2026-01-01", "2026-12-31", "2", "policy_law", "ethics"),
		planValues("regular", "2026年第4季度常规培训", "2026-10-01", "2026-12-31", "2", "business_skills"),
	} {
		if r := admin.post("/training/plans/new", v); r.StatusCode != http.StatusSeeOther ||
			r.Header.Get("Location") != "/training/plans" {
			t.Fatalf("create plan %s: %d %s", v.Get("title"), r.StatusCode, r.body)
		}
	}
	if r := admin.get("/training/plans"); !strings.Contains(r.body, "2026年新入职人员岗前培训") ||
		!strings.Contains(r.body, "政策法规、职业道德与廉政") {
		t.Fatalf("plan list: %s", r.body)
	}

	// The new hire joins today; the enrollment run enrolls them.
	te.profile(te.newbie, "受理", "2026-10-12")
	r = admin.post("/training/enroll", url.Values{})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/training?added=") {
		t.Fatalf("enroll: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	r = admin.follow(r)
	if !strings.Contains(r.body, `id="enroll-result"`) || strings.Contains(r.body, "新增 0 项") ||
		!strings.Contains(r.body, "自动报名规则已运行") {
		t.Fatalf("enroll result missing: %s", r.body)
	}
	r = newbie.get("/training/my")
	if !strings.Contains(r.body, "2026年新入职人员岗前培训") || !strings.Contains(r.body, "2026-10-19") ||
		!strings.Contains(r.body, "0 / 120 分钟") {
		t.Fatalf("new hire's onboarding item missing (due 2026-10-19): %s", r.body)
	}

	// The trainer schedules a regular session now; the session page shows a code.
	trainer := te.loginAs("trainer")
	r = trainer.get("/training/sessions/new")
	m := regexp.MustCompile(`<option value="(\d+)">2026年第4季度常规培训`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("plan option missing: %s", r.body)
	}
	sv := url.Values{"plan_id": {m[1]}, "kind": {"classroom"}, "title": {"低保政策解读"}, "starts_at": {"2026-10-12T09:00"},
		"ends_at": {"2026-10-12T08:00"}, "place": {"县民政局三楼会议室"}, "minutes": {""}}
	if r := trainer.post("/training/sessions/new", sv); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "结束时间应晚于开始时间") {
		t.Fatalf("bad session times: %d", r.StatusCode)
	}
	sv.Set("ends_at", "2026-10-12T11:00")
	r = trainer.post("/training/sessions/new", sv)
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/training/sessions/") {
		t.Fatalf("schedule: %d %s", r.StatusCode, r.body)
	}
	spath := r.Header.Get("Location")
	r = trainer.follow(r)
	cm := codeRE.FindStringSubmatch(r.body)
	if cm == nil || !strings.Contains(r.body, `http-equiv="refresh"`) {
		t.Fatalf("no check-in code on the session page: %s", r.body)
	}
	code := cm[1]
	var js map[string]string
	jr := trainer.get(spath + "/code")
	if err := json.Unmarshal([]byte(jr.body), &js); err != nil || js["code"] != code {
		t.Fatalf("code JSON %q, page %s: %v", jr.body, code, err)
	}
	if r := newbie.get(spath + "/code"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a trainee read the code: %d", r.StatusCode)
	}
	if r := trainer.get("/training/sessions"); !strings.Contains(r.body, "低保政策解读") {
		t.Fatal("session missing from the trainer's list")
	}
	sid := strings.TrimPrefix(spath, "/training/sessions/")

	// The clerk sees the session, mistypes the code, then checks in.
	clerk := te.loginAs("oldhand")
	r = clerk.get("/training/my")
	if !strings.Contains(r.body, `<option value="`+sid+`">低保政策解读`) {
		t.Fatalf("open session not offered for check-in: %s", r.body)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	r = clerk.post("/training/checkin", url.Values{"session_id": {sid}, "code": {wrong}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "签到码错误或已过期") {
		t.Fatalf("wrong code: %d", r.StatusCode)
	}
	r = clerk.post("/training/checkin", url.Values{"session_id": {sid}, "code": {code}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("check-in: %d %s", r.StatusCode, r.body)
	}
	r = clerk.follow(r)
	if !strings.Contains(r.body, "签到成功") || !strings.Contains(r.body, "120 / 120 分钟") ||
		!strings.Contains(r.body, `id="minutes-total">120<`) || !strings.Contains(r.body, `id="feedback-form-`+sid+`"`) {
		t.Fatalf("after check-in: %s", r.body)
	}
	if r := clerk.post("/training/checkin", url.Values{"session_id": {sid}, "code": {code}}); r.StatusCode != http.StatusConflict ||
		!strings.Contains(r.body, "已签到") {
		t.Fatalf("second check-in: %d", r.StatusCode)
	}

	// The dashboard credits the minutes and counts the clerk compliant.
	r = admin.get("/training")
	row := rowOf(t, r.body, te.clerk.UserID)
	if !strings.Contains(row, "120 / 120 分钟") || !strings.Contains(row, "达标") || strings.Contains(row, "未达标") {
		t.Fatalf("dashboard row: %s", row)
	}
	if row := rowOf(t, r.body, te.newbie.UserID); !strings.Contains(row, "2026-10-19") {
		t.Fatalf("newbie's onboarding due missing: %s", row)
	}

	// Feedback: a missing rating is refused, then once only.
	fpath := spath + "/feedback"
	if r := clerk.post(fpath, url.Values{"content": {"5"}, "method": {""}, "trainer": {"4"}}); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "请为培训方式评分") {
		t.Fatalf("feedback without a rating: %d", r.StatusCode)
	}
	fb := url.Values{"content": {"5"}, "method": {"4"}, "trainer": {"3"}, "comment": {"案例很实用"}}
	if r := clerk.post(fpath, fb); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("feedback: %d %s", r.StatusCode, r.body)
	}
	if r := clerk.post(fpath, fb); r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "只能评价一次") {
		t.Fatalf("second feedback: %d", r.StatusCode)
	}
	if r := clerk.get("/training/my"); !strings.Contains(r.body, `id="feedback-done-`+sid+`"`) {
		t.Fatal("rated session still offers the form")
	}
	if r := newbie.post(fpath, fb); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "只有签到参加本场培训的学员可以评价") {
		t.Fatalf("feedback without attending: %d", r.StatusCode)
	}
	r = trainer.get(spath)
	if !strings.Contains(r.body, `id="feedback-count">1<`) || !strings.Contains(r.body, `id="avg-content">5.0<`) ||
		!strings.Contains(r.body, `id="avg-trainer">3.0<`) || !strings.Contains(r.body, "案例很实用") ||
		!strings.Contains(r.body, `id="attendee-`+strconv.FormatInt(te.clerk.UserID, 10)+`"`) {
		t.Fatalf("session page after feedback: %s", r.body)
	}

	// Manual check-in needs a reason; with one it credits the person.
	mv := url.Values{"person_id": {strconv.FormatInt(te.admin.UserID, 10)}, "reason": {""}}
	if r := trainer.post(spath+"/manual", mv); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "请填写手工签到的原因") {
		t.Fatalf("manual without reason: %d", r.StatusCode)
	}
	mv.Set("reason", "手机没电")
	if r := trainer.post(spath+"/manual", mv); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("manual check-in: %d %s", r.StatusCode, r.body)
	}
	if r := trainer.get(spath); !strings.Contains(r.body, `id="attendance-count">2<`) {
		t.Fatal("manual check-in not listed")
	}
	if acts := te.auditActions("training."); len(acts) == 0 {
		t.Fatal("no training audit records")
	}
}
