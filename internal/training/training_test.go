package training_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/training"
)

var ctx = context.Background()

// world is a county with training staff, trainees and a movable clock.
type world struct {
	t   *testing.T
	db  *store.DB
	svc *training.Service
	now time.Time

	admin, trainer, trainer2 authz.Principal
	newbie, late, inv, acc   authz.Principal
}

func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, calendar.Location())
}

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, calendar.Location())
	if err != nil {
		panic(err)
	}
	return t
}

func newWorld(t *testing.T, db *store.DB) *world {
	w := &world{t: t, db: db, now: at(2026, 10, 12, 9, 0)}
	db.SetClock(func() time.Time { return w.now })
	w.svc = &training.Service{DB: db, Now: func() time.Time { return w.now }}
	testenv.SeedRegions(t, db)
	w.admin = testenv.User(t, db, "tadmin", testenv.County, authz.TrainingAdmin)
	w.trainer = testenv.User(t, db, "trainer", testenv.County, authz.Trainer)
	w.trainer2 = testenv.User(t, db, "trainer2", testenv.County, authz.Trainer)
	w.newbie = testenv.User(t, db, "newbie", testenv.VillageA, authz.VillageClerk)
	w.late = testenv.User(t, db, "late", testenv.TownB, authz.TownshipOfficer)
	w.inv = testenv.User(t, db, "inv", testenv.TownA, authz.TownshipOfficer)
	w.acc = testenv.User(t, db, "acc", testenv.TownB, authz.TownshipOfficer)
	w.profile(w.newbie, "受理", "2026-10-12")
	w.profile(w.late, "受理", "2026-10-01")
	w.profile(w.inv, "调查", "2020-03-01")
	w.profile(w.acc, "受理", "2019-05-01")
	return w
}

// profile sets posts and hire date as the account pages would.
func (w *world) profile(p authz.Principal, posts, hired string) {
	w.t.Helper()
	err := w.db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
		if err := tx.SetStaffProfile(ctx, p.UserID, posts, hired); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "test.profile", Object: "user:" + p.Username})
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) run(wantAdded, wantDropped int) {
	w.t.Helper()
	added, dropped, err := w.svc.RunEnrollment(ctx, w.admin, w.now)
	if err != nil {
		w.t.Fatal(err)
	}
	if added != wantAdded || dropped != wantDropped {
		w.t.Fatalf("RunEnrollment = +%d −%d, want +%d −%d", added, dropped, wantAdded, wantDropped)
	}
}

func (w *world) plan(pl enroll.Plan) int64 {
	w.t.Helper()
	id, err := w.svc.CreatePlan(ctx, w.admin, pl, "")
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

func (w *world) mine(p authz.Principal) training.Mine {
	w.t.Helper()
	m, err := w.svc.MyTraining(ctx, p)
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

func item(m training.Mine, planID int64) (training.Item, bool) {
	for _, it := range m.Items {
		if it.PlanID == planID {
			return it, true
		}
	}
	return training.Item{}, false
}

func wantCode(t *testing.T, err error, code errs.Code, text string) {
	t.Helper()
	if errs.CodeOf(err) != code || !strings.Contains(errs.As(err).Message, text) {
		t.Fatalf("error = %v (code %s), want code %s containing %q", err, errs.CodeOf(err), code, text)
	}
}

// wrong returns a well-formed code that is not code.
func wrong(code string) string {
	b := []byte(code)
	b[5] = '0' + (b[5]-'0'+5)%10
	return string(b)
}

func TestTraining(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)

		// Plans: only a training admin, validated by enroll.
		onboarding := enroll.Plan{Kind: enroll.Onboarding, Title: "2026年新入职人员岗前培训",
			Period:          enroll.Period{Start: day("2026-01-01"), End: day("2026-12-31")},
			RequiredMinutes: 120, Categories: []enroll.Category{enroll.PolicyLaw, enroll.Ethics}}
		if _, err := w.svc.CreatePlan(ctx, w.trainer, onboarding, ""); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("trainer creating a plan: %v", err)
		}
		bad := onboarding
		bad.Categories = nil
		if _, err := w.svc.CreatePlan(ctx, w.admin, bad, ""); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("plan without categories: %v", err)
		}
		onb := w.plan(onboarding)
		reg := w.plan(enroll.Plan{Kind: enroll.Regular, Title: "2026年第4季度常规培训",
			Period:          enroll.Period{Start: day("2026-10-01"), End: day("2026-12-31")},
			RequiredMinutes: 240, Categories: []enroll.Category{enroll.BusinessSkills}})
		special := w.plan(enroll.Plan{Kind: enroll.Special, Title: "入户调查专项培训",
			Period:   enroll.Period{Start: day("2026-10-01"), End: day("2026-11-30")},
			Audience: enroll.Rule{Posts: []string{"调查"}}, SpecialStart: day("2026-11-01"),
			RequiredMinutes: 480, Categories: []enroll.Category{enroll.BusinessSkills}})

		// Enrollment: only the admin or a system job.
		if _, _, err := w.svc.RunEnrollment(ctx, w.inv, w.now); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("trainee running enrollment: %v", err)
		}
		// newbie, late: onboarding; inv: regular + special; acc, tadmin,
		// trainer, trainer2 (no hire date: long employed): regular. Creating
		// the plans already ran the rules, so the explicit run adds nothing.
		w.run(0, 0)
		if n := w.enrolled(); n != 8 {
			t.Fatalf("%d enrollments after the plans were created, want 8", n)
		}
		if a, d, err := w.svc.RunEnrollment(ctx, authz.System("enroll"), w.now); err != nil || a != 0 || d != 0 {
			t.Fatalf("second run = +%d −%d %v, want nothing", a, d, err)
		}
		it, ok := item(w.mine(w.newbie), onb)
		if !ok || it.Due != "2026-10-19" || it.Status != store.EnrollOpen || it.Overdue {
			t.Fatalf("newbie onboarding = %+v %v, want open and due 2026-10-19", it, ok)
		}
		if _, ok := item(w.mine(w.newbie), reg); ok {
			t.Fatal("a hire of this quarter got regular training; onboarding covers it")
		}
		if it, _ := item(w.mine(w.late), onb); !it.Overdue || it.Due != "2026-10-08" {
			t.Fatalf("late onboarding = %+v, want overdue since 2026-10-08", it)
		}

		// A post change moves the special item from inv to acc.
		w.profile(w.inv, "受理", "2020-03-01")
		w.profile(w.acc, "调查", "2019-05-01")
		w.run(1, 1)
		if _, ok := item(w.mine(w.inv), special); ok {
			t.Fatal("inv keeps the special item after leaving the 调查 post")
		}
		if it, ok := item(w.mine(w.acc), special); !ok || it.Due != "2026-10-31" {
			t.Fatalf("acc special = %+v %v, want due the day before the work starts", it, ok)
		}
		w.run(0, 0)

		// Sessions: the trainer schedules, shows the code.
		if _, err := w.svc.ScheduleSession(ctx, w.trainer, onb, training.SessionDraft{Kind: training.Classroom,
			Title: "x", StartsAt: at(2026, 10, 12, 9, 30), EndsAt: at(2026, 10, 12, 11, 30), TrainerUserID: w.trainer2.UserID}); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("trainer scheduling for another trainer: %v", err)
		}
		s1, err := w.svc.ScheduleSession(ctx, w.trainer, onb, training.SessionDraft{Kind: training.Classroom,
			Title: "低保政策解读", StartsAt: at(2026, 10, 12, 9, 30), EndsAt: at(2026, 10, 12, 11, 30), Place: "县民政局三楼会议室"})
		if err != nil {
			t.Fatal(err)
		}
		s2, err := w.svc.ScheduleSession(ctx, w.admin, reg, training.SessionDraft{Kind: training.Seminar,
			Title: "典型案例研讨", StartsAt: at(2026, 10, 12, 9, 30), EndsAt: at(2026, 10, 12, 13, 30),
			TrainerUserID: w.trainer.UserID})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.svc.CheckInCode(ctx, w.newbie, s1); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("trainee reading the code: %v", err)
		}
		code, exp, err := w.svc.CheckInCode(ctx, w.trainer, s1)
		if err != nil || len(code) != 6 || !exp.After(w.now) {
			t.Fatalf("CheckInCode = %q %v %v", code, exp, err)
		}

		// Check-in: wrong code refused in Chinese, right code credits and completes.
		wantCode(t, w.svc.CheckIn(ctx, w.newbie, s1, wrong(code)), errs.Invalid, "签到码错误或已过期")
		wantCode(t, w.svc.CheckIn(ctx, w.inv, s1, code), errs.Forbidden, "未报名")
		if err := w.svc.CheckIn(ctx, w.newbie, s1, code); err != nil {
			t.Fatal(err)
		}
		wantCode(t, w.svc.CheckIn(ctx, w.newbie, s1, code), errs.Conflict, "已签到")
		m := w.mine(w.newbie)
		if it, _ := item(m, onb); it.Status != store.EnrollDone || it.MinutesCredited != 120 {
			t.Fatalf("onboarding after the session = %+v, want done with 120 minutes", it)
		}
		if m.Total != 120 || m.Minutes[enroll.PolicyLaw] != 60 || m.Minutes[enroll.Ethics] != 60 {
			t.Fatalf("minutes this quarter = %d %v", m.Total, m.Minutes)
		}

		// Five wrong codes block the sixth try, even a right one.
		code2, _, err := w.svc.CheckInCode(ctx, w.admin, s2)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 5; i++ {
			err := w.svc.CheckIn(ctx, w.inv, s2, wrong(code2))
			if i < 5 {
				wantCode(t, err, errs.Invalid, "还可尝试")
			} else {
				wantCode(t, err, errs.Forbidden, "签到码错误次数过多")
			}
		}
		wantCode(t, w.svc.CheckIn(ctx, w.inv, s2, code2), errs.Forbidden, "签到码错误次数过多")
		w.now = w.now.Add(11 * time.Minute)
		code2, _, _ = w.svc.CheckInCode(ctx, w.trainer, s2)
		if err := w.svc.CheckIn(ctx, w.inv, s2, code2); err != nil {
			t.Fatalf("check-in after the window passed: %v", err)
		}

		// Manual fallback: the session's trainer, with a reason.
		wantCode(t, w.svc.ManualCheckIn(ctx, w.trainer, s2, w.acc.UserID, " "), errs.Invalid, "原因")
		wantCode(t, w.svc.ManualCheckIn(ctx, w.trainer2, s2, w.acc.UserID, "手机没电"), errs.Forbidden, "讲师")
		if err := w.svc.ManualCheckIn(ctx, w.trainer, s2, w.acc.UserID, "手机没电"); err != nil {
			t.Fatal(err)
		}
		if att, err := w.db.SessionAttendance(ctx, s2); err != nil || len(att) == 0 ||
			att[len(att)-1].Method != "manual" || att[len(att)-1].Reason != "手机没电" {
			t.Fatalf("session attendance after a manual check-in: %+v %v", att, err)
		}

		// Feedback: attendees only, once.
		good := training.Ratings{Content: 5, Method: 4, Trainer: 5}
		wantCode(t, w.svc.Feedback(ctx, w.late, s1, good, ""), errs.Forbidden, "只有签到参加")
		wantCode(t, w.svc.Feedback(ctx, w.newbie, s1, training.Ratings{Content: 6, Method: 4, Trainer: 5}, ""), errs.Invalid, "1至5分")
		if err := w.svc.Feedback(ctx, w.newbie, s1, good, "案例很实用"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, w.svc.Feedback(ctx, w.newbie, s1, good, ""), errs.Conflict, "只能评价一次")
		if err := w.svc.Feedback(ctx, w.inv, s2, training.Ratings{Content: 3, Method: 2, Trainer: 4}, ""); err != nil {
			t.Fatal(err)
		}
		sum, err := w.svc.FeedbackSummary(ctx, w.trainer, training.FeedbackQuery{TrainerUserID: w.trainer.UserID})
		if err != nil || sum.Count != 2 || sum.Content != 4 || sum.Method != 3 || sum.Trainer != 4.5 || len(sum.Comments) != 1 {
			t.Fatalf("trainer summary = %+v %v", sum, err)
		}
		if _, err := w.svc.FeedbackSummary(ctx, w.trainer2, training.FeedbackQuery{SessionID: s1}); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("another trainer's summary: %v", err)
		}
		if sum, err := w.svc.FeedbackSummary(ctx, w.admin, training.FeedbackQuery{SessionID: s1}); err != nil || sum.Count != 1 {
			t.Fatalf("admin summary = %+v %v", sum, err)
		}

		// Compliance reflects it.
		rep, err := w.svc.Compliance(ctx, w.admin, w.now)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]training.PersonCompliance{}
		for _, pc := range rep.People {
			got[pc.Name] = pc
		}
		for name, want := range map[string]struct{ compliant, onbOverdue bool }{
			"测试newbie": {true, false},  // onboarding done, no regular this quarter
			"测试late":   {false, true},  // onboarding overdue
			"测试inv":    {true, false},  // regular 240/240
			"测试acc":    {true, false},  // regular by manual check-in
			"测试tadmin": {false, false}, // regular still open
		} {
			pc := got[name]
			if pc.Compliant != want.compliant || pc.OnboardingOverdue != want.onbOverdue {
				t.Errorf("%s: %+v, want compliant=%v onboarding overdue=%v", name, pc, want.compliant, want.onbOverdue)
			}
		}
		if pc := got["测试inv"]; pc.RegularMinutes != 240 || pc.RegularRequired != 240 {
			t.Errorf("inv regular = %d/%d", pc.RegularMinutes, pc.RegularRequired)
		}
		for _, rc := range rep.Regions {
			if rc.Region == testenv.TownB && (rc.Staff != 2 || rc.Compliant != 1 || rc.OnboardingOverdue != 1) {
				t.Errorf("TownB counts = %+v", rc)
			}
		}
		if _, err := w.svc.Compliance(ctx, w.trainer, w.now); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("trainer reading compliance: %v", err)
		}

		// Attendance makes an item permanent: a run after a post change
		// keeps the attended regular item.
		w.run(0, 0)

		// Every write audited; the chain verifies.
		for action, min := range map[string]int{"training.plan.create": 3, "training.enroll.run": 5,
			"training.session.create": 2, "training.checkin.manual": 1, "training.feedback": 2} {
			recs, err := db.AuditRecords(ctx, store.AuditFilter{Action: action, Limit: 500})
			if err != nil || len(recs) < min {
				t.Errorf("audit %s: %d records %v, want ≥ %d", action, len(recs), err, min)
			}
		}
		recs, _ := db.AuditRecords(ctx, store.AuditFilter{Action: "training.checkin", Limit: 500})
		var oks, denied int
		for _, r := range recs {
			if r.Action != "training.checkin" {
				continue
			}
			switch r.Result {
			case "ok":
				oks++
			case "denied":
				denied++
			}
		}
		if oks != 2 || denied != 7 {
			t.Errorf("training.checkin audit: ok=%d denied=%d, want 2 and 7", oks, denied)
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCheckInWindow(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		onb := w.plan(enroll.Plan{Kind: enroll.Onboarding, Title: "岗前培训",
			Period:          enroll.Period{Start: day("2026-01-01"), End: day("2026-12-31")},
			RequiredMinutes: 240, Categories: []enroll.Category{enroll.PolicyLaw}})
		w.run(0, 0)
		if n := w.enrolled(); n != 2 {
			t.Fatalf("%d enrollments after the plan was created, want 2", n)
		}
		s, err := w.svc.ScheduleSession(ctx, w.trainer, onb, training.SessionDraft{Kind: training.Classroom,
			Title: "政策法规", StartsAt: at(2026, 10, 12, 14, 0), EndsAt: at(2026, 10, 12, 16, 0), Minutes: 90})
		if err != nil {
			t.Fatal(err)
		}
		// 09:00 is too early for a 14:00 session.
		if _, _, err := w.svc.CheckInCode(ctx, w.trainer, s); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("code before the window: %v", err)
		}
		wantCode(t, w.svc.CheckIn(ctx, w.newbie, s, "123456"), errs.Invalid, "不在签到时间内")
		w.now = at(2026, 10, 12, 13, 31)
		code, _, err := w.svc.CheckInCode(ctx, w.trainer, s)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.svc.CheckIn(ctx, w.newbie, s, code); err != nil {
			t.Fatal(err)
		}
		// 90 of 240 minutes: credited, not done.
		if it, _ := item(w.mine(w.newbie), onb); it.Status != store.EnrollOpen || it.MinutesCredited != 90 {
			t.Fatalf("after a partial session = %+v", it)
		}
		w.now = at(2026, 10, 12, 16, 1)
		wantCode(t, w.svc.CheckIn(ctx, w.late, s, code), errs.Invalid, "不在签到时间内")
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// enrolled counts the enrollments that are not dropped.
func (w *world) enrolled() int {
	ens, err := w.db.EnrollmentsIn(ctx, region.All())
	if err != nil {
		w.t.Fatal(err)
	}
	n := 0
	for _, e := range ens {
		if e.Status != store.EnrollDropped {
			n++
		}
	}
	return n
}
