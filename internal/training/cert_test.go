package training_test

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"dibao/internal/assess"
	"dibao/internal/authz"
	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/region"
	"dibao/internal/sheet"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/training"
)

// dailyPlan is a special plan assessed by daily performance, certifying
// investigation for validity months, with two sessions held (inv attended
// one) and one to come; inv and acc enrolled.
func (w *world) dailyPlan(validity int) store.TrainingPlan {
	w.t.Helper()
	pl := store.TrainingPlan{Kind: "special", Title: "入户调查专项培训", Region: testenv.County, PeriodStart: "2026-10-01",
		PeriodEnd: "2026-12-31", Audience: "{}", RequiredMinutes: 240, Categories: "business_skills", Assessments: "daily",
		Certifies: "investigation", ValidityMonths: validity}
	err := w.db.InTx(ctx, w.admin, func(tx *store.Tx) error {
		if err := tx.CreateTrainingPlan(ctx, &pl); err != nil {
			return err
		}
		for _, p := range []authz.Principal{w.inv, w.acc} {
			if err := tx.InsertEnrollment(ctx, &store.Enrollment{PersonID: p.UserID, PlanID: pl.ID, Due: "2026-12-31"}); err != nil {
				return err
			}
		}
		for i, start := range []time.Time{w.now.AddDate(0, 0, -7), w.now.AddDate(0, 0, -1), w.now.AddDate(0, 0, 7)} {
			s := store.TrainingSession{PlanID: pl.ID, Kind: "classroom", Title: "入户调查实务", StartsAt: start,
				EndsAt: start.Add(2 * time.Hour), Place: "会议室", TrainerUserID: w.trainer.UserID, Minutes: 120,
				Secret: []byte("k")}
			if err := tx.CreateTrainingSession(ctx, &s); err != nil {
				return err
			}
			if i == 0 {
				if err := tx.InsertAttendance(ctx, store.Attendance{SessionID: s.ID, PersonID: w.inv.UserID,
					CheckedInAt: start, Method: "code", Minutes: 120}); err != nil {
					return err
				}
			}
		}
		return tx.Audit(ctx, store.Entry{Action: "test.plan", Object: "plan"})
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return pl
}

func TestDailyScoreWeights(t *testing.T) {
	for _, c := range []struct{ att, held, part, hw, want int }{
		{1, 2, 80, 60, 62},    // 20 + 24 + 18
		{0, 0, 100, 100, 100}, // no session held: full attendance points
		{3, 3, 0, 0, 40},
		{0, 3, 100, 100, 60},
		{1, 3, 50, 51, 44}, // 13.33 + 15 + 15.3 = 43.63 → 44
	} {
		if got, err := assess.DailyScore(c.att, c.held, c.part, c.hw); err != nil || got != c.want {
			t.Errorf("DailyScore(%d/%d, %d, %d) = %d %v, want %d", c.att, c.held, c.part, c.hw, got, err, c.want)
		}
	}
	_, err := assess.DailyScore(1, 1, 101, -1)
	if f := errs.Fields(err); f["participation"] != assess.MsgParticipation || f["homework"] != assess.MsgHomework {
		t.Fatalf("bad marks: %v", f)
	}
}

func TestPlanAssessmentFields(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		base := enroll.Plan{Kind: enroll.Onboarding, Title: "岗前培训", Period: enroll.Period{Start: at(2026, 1, 1, 0, 0),
			End: at(2026, 12, 31, 0, 0)}, RequiredMinutes: 480, Categories: []enroll.Category{enroll.PolicyLaw}}
		for _, c := range []struct {
			a     training.PlanAssessment
			field string
		}{
			{training.PlanAssessment{Assessments: []assess.Kind{"oral"}}, "assessments"},
			{training.PlanAssessment{Assessments: []assess.Kind{assess.Daily}, Certifies: []string{"driving"}}, "certifies"},
			{training.PlanAssessment{Certifies: []string{"intake"}}, "assessments"},
			{training.PlanAssessment{Assessments: []assess.Kind{assess.Daily}, Certifies: []string{"intake"}, ValidityMonths: -1}, "validity_months"},
			{training.PlanAssessment{Assessments: []assess.Kind{assess.Daily}, ValidityMonths: 12}, "validity_months"},
		} {
			_, err := w.svc.CreatePlanAssessed(ctx, w.admin, base, "", c.a)
			if errs.CodeOf(err) != errs.Invalid || errs.Fields(err)[c.field] == "" {
				t.Errorf("%+v: %v, want invalid %s", c.a, err, c.field)
			}
		}
		if n := countAudit(t, db, "training.plan.create"); n != 0 {
			t.Fatalf("refused plans stored: %d", n)
		}
		id, err := w.svc.CreatePlanAssessed(ctx, w.admin, base, "", training.PlanAssessment{
			Assessments: []assess.Kind{assess.Daily, assess.Theory, assess.Daily}, Certifies: []string{"intake"}, ValidityMonths: 24})
		if err != nil {
			t.Fatal(err)
		}
		pl, err := db.TrainingPlan(ctx, id)
		if err != nil || pl.Assessments != "theory,daily" || pl.Certifies != "intake" || pl.ValidityMonths != 24 {
			t.Fatalf("stored plan %+v %v", pl, err)
		}
		xs, _ := db.QueryStrings(ctx, "SELECT detail FROM audit_log WHERE action = ?", "training.plan.create")
		if len(xs) != 1 || !strings.Contains(xs[0], "assessments=theory,daily certifies=intake validity_months=24") {
			t.Fatalf("audit %v", xs)
		}
		// Someone who is not a training admin cannot.
		if _, err := w.svc.CreatePlanAssessed(ctx, w.trainer, base, "", training.PlanAssessment{}); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("trainer creates a plan: %v", err)
		}
	})
}

func TestDailyPerformance(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		pl := w.dailyPlan(12)
		// Bad marks: a Chinese message per field and nothing written.
		_, err := w.svc.RecordDaily(ctx, w.trainer, training.DailyInput{PersonID: w.inv.UserID, PlanID: pl.ID,
			Participation: 120, Homework: -5})
		if f := errs.Fields(err); f["participation"] != assess.MsgParticipation || f["homework"] != assess.MsgHomework {
			t.Fatalf("bad marks: %v", err)
		}
		if rs, _ := db.PlanResults(ctx, pl.ID); len(rs) != 0 {
			t.Fatalf("bad marks wrote %+v", rs)
		}
		// Only a trainer or training admin scores.
		if _, err := w.svc.RecordDaily(ctx, w.acc, training.DailyInput{PersonID: w.inv.UserID, PlanID: pl.ID,
			Participation: 90, Homework: 90}); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("officer scores: %v", err)
		}
		// inv attended 1 of the 2 sessions held: 20 + 24 + 18 = 62 ≥ 60.
		out, err := w.svc.RecordDaily(ctx, w.trainer, training.DailyInput{PersonID: w.inv.UserID, PlanID: pl.ID,
			Participation: 80, Homework: 60})
		if err != nil || out.Score != 62 || out.Attended != 1 || out.Held != 2 || !out.Result.Passed ||
			!slices.Equal(out.Granted, []string{"investigation"}) {
			t.Fatalf("daily score: %+v %v", out, err)
		}
		if got := w.certified(w.inv); !slices.Equal(got, []string{"investigation"}) {
			t.Fatalf("certified %v", got)
		}
		// acc attended nothing: 0 + 15 + 15 = 30, fails; the make-up is the
		// trainer's second scoring, pass/fail only; failing it sends acc
		// back to training.
		out, err = w.svc.RecordDaily(ctx, w.trainer, training.DailyInput{PersonID: w.acc.UserID, PlanID: pl.ID,
			Participation: 50, Homework: 50})
		if err != nil || out.Score != 30 || out.Result.Passed || out.Result.Attempt != "first" {
			t.Fatalf("acc first: %+v %v", out, err)
		}
		rep, err := w.svc.PlanResults(ctx, w.trainer, pl.ID)
		if err != nil || len(rep.People) != 2 {
			t.Fatalf("results %+v %v", rep, err)
		}
		for _, pr := range rep.People {
			c := pr.Cells[0]
			switch pr.PersonID {
			case w.inv.UserID:
				if c.First != 62 || c.State != assess.Passed || !pr.Complete || pr.Attended != 1 || pr.Held != 2 {
					t.Errorf("inv results %+v", pr)
				}
			case w.acc.UserID:
				if c.First != 30 || c.State != assess.MakeUpDue || c.Label() != "待补考" {
					t.Errorf("acc results %+v", pr)
				}
			}
		}
		out, err = w.svc.RecordDaily(ctx, w.trainer, training.DailyInput{PersonID: w.acc.UserID, PlanID: pl.ID,
			Participation: 40, Homework: 40})
		if err != nil || out.Result.Attempt != "makeup" || out.Result.Score != -1 || out.Result.Passed || !out.Retraining {
			t.Fatalf("acc make-up: %+v %v", out, err)
		}
		rep, _ = w.svc.PlanResults(ctx, w.admin, pl.ID)
		for _, pr := range rep.People {
			if pr.PersonID == w.acc.UserID && (pr.Cells[0].Label() != "重新培训" || pr.Cells[0].MakeUp != "不合格" || !pr.Retraining) {
				t.Errorf("acc after the failed make-up %+v", pr)
			}
		}
		// A third scoring waits for the retraining.
		if _, err := w.svc.RecordDaily(ctx, w.trainer, training.DailyInput{PersonID: w.acc.UserID, PlanID: pl.ID,
			Participation: 100, Homework: 100}); errs.As(err).Message != training.MsgRetrainFirst {
			t.Fatalf("third scoring: %v", err)
		}
		// A plan without daily performance is refused.
		other := w.assessedPlan(w.inv)
		if _, err := w.svc.RecordDaily(ctx, w.trainer, training.DailyInput{PersonID: w.inv.UserID, PlanID: other.ID,
			Participation: 90, Homework: 90}); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("plan without daily: %v", err)
		}
		// My results and certifications.
		mine, err := w.svc.Mine(ctx, w.inv)
		if err != nil || len(mine.Certs) != 1 || mine.Certs[0].Status != "有效" || mine.Certs[0].ValidUntil != "2027-10-11" {
			t.Fatalf("mine %+v %v", mine, err)
		}

		// The appraisal of October: inv passed first time (62 < 90: not
		// excellent), acc failed after the make-up.
		rows, err := w.svc.Appraisal(ctx, w.admin, at(2026, 10, 1, 0, 0), at(2026, 10, 31, 0, 0))
		if err != nil || len(rows) != 2 {
			t.Fatalf("appraisal %+v %v", rows, err)
		}
		var buf bytes.Buffer
		i := 0
		if _, err := sheet.Write(&buf, "考核评定", sheet.Cols(training.AppraisalColumns...), func() ([]any, bool) {
			if i >= len(rows) {
				return nil, false
			}
			i++
			return rows[i-1].Cells(func(c region.Code) string { return string(c) }), true
		}); err != nil {
			t.Fatal(err)
		}
		got, err := sheet.Read(&buf)
		if err != nil || len(got) != 3 {
			t.Fatalf("sheet %v %v", got, err)
		}
		byName := map[string][]string{}
		for _, r := range got[1:] {
			byName[r[0]] = r
		}
		if r := byName[w.inv.DisplayName]; r == nil || r[8] != "62" || r[9] != "" || r[10] != "否" || r[11] != "否" {
			t.Errorf("inv row %q", r)
		}
		if r := byName[w.acc.DisplayName]; r == nil || r[8] != "30" || r[9] != "不合格" || r[11] != "是" {
			t.Errorf("acc row %q", r)
		}
		if _, err := w.svc.Appraisal(ctx, w.trainer, at(2026, 10, 1, 0, 0), at(2026, 10, 31, 0, 0)); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("trainer exports: %v", err)
		}
		// Excellent: a later plan scored 95 at the first attempt.
		ex := w.dailyPlan(0)
		if _, err := w.svc.RecordDaily(ctx, w.trainer, training.DailyInput{PersonID: w.inv.UserID, PlanID: ex.ID,
			Participation: 100, Homework: 100}); err != nil {
			t.Fatal(err)
		}
		rows, _ = w.svc.Appraisal(ctx, w.admin, at(2026, 10, 1, 0, 0), at(2026, 10, 31, 0, 0))
		excellent := 0
		for _, r := range rows {
			if r.Excellent {
				excellent++
			}
		}
		if len(rows) != 3 || excellent != 0 {
			// 20 (1 of 2 attended) + 30 + 30 = 80 < 90: still not excellent.
			t.Fatalf("appraisal with a second plan: %d rows, %d excellent", len(rows), excellent)
		}
	})
}

// A certification that expires sends its holder back to retraining in the
// plan that granted it, once: the sweep is idempotent.
func TestCertificationExpirySweep(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		pl := w.dailyPlan(1)
		if _, err := w.svc.RecordDaily(ctx, w.trainer, training.DailyInput{PersonID: w.inv.UserID, PlanID: pl.ID,
			Participation: 100, Homework: 100}); err != nil {
			t.Fatal(err)
		}
		if n, err := w.svc.ExpireCertifications(ctx); err != nil || n != 0 {
			t.Fatalf("sweep before expiry: %d %v", n, err)
		}
		w.now = w.now.AddDate(0, 1, 1) // past 2026-11-11
		if got := w.certified(w.inv); len(got) != 0 {
			t.Fatalf("expired but certified: %v", got)
		}
		if n, err := w.svc.ExpireCertifications(ctx); err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		if n, err := w.svc.ExpireCertifications(ctx); err != nil || n != 0 {
			t.Fatalf("second sweep: %d %v", n, err)
		}
		if n := countAudit(t, db, "certification.expire"); n != 1 {
			t.Fatalf("certification.expire audited %d times", n)
		}
		var e store.Enrollment
		err := db.ReadTx(ctx, w.admin, func(tx *store.Tx) error {
			var err error
			e, err = tx.EnrollmentFor(ctx, w.inv.UserID, pl.ID)
			return err
		})
		if err != nil || e.Status != store.EnrollOpen || e.MinutesCredited != 0 || !strings.Contains(e.Reason, "认证到期") {
			t.Fatalf("enrollment after expiry %+v %v", e, err)
		}
		// The enrollment rules leave the retraining item as it is.
		if _, _, err := w.svc.RunEnrollment(ctx, w.admin, w.now); err != nil {
			t.Fatal(err)
		}
		err = db.ReadTx(ctx, w.admin, func(tx *store.Tx) error {
			var err error
			e, err = tx.EnrollmentFor(ctx, w.inv.UserID, pl.ID)
			return err
		})
		if err != nil || e.Status != store.EnrollOpen || e.Cycle != 2 || !strings.Contains(e.Reason, "认证到期") {
			t.Fatalf("enrollment after the rules ran %+v %v", e, err)
		}
		rep, _ := w.svc.PlanResults(ctx, w.admin, pl.ID)
		for _, pr := range rep.People {
			if pr.PersonID == w.inv.UserID && (pr.Cycle != 2 || pr.Cells[0].State != assess.Pending) {
				t.Fatalf("inv after expiry %+v", pr)
			}
		}
		// Reassessment waits for the retraining, then certifies again.
		if _, err := w.svc.RecordDaily(ctx, w.trainer, training.DailyInput{PersonID: w.inv.UserID, PlanID: pl.ID,
			Participation: 100, Homework: 100}); errs.As(err).Message != training.MsgRetrainFirst {
			t.Fatalf("before retraining: %v", err)
		}
		err = db.InTx(ctx, w.admin, func(tx *store.Tx) error {
			if _, err := tx.CreditEnrollment(ctx, e.ID, 240, pl.RequiredMinutes); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test.credit", Object: "enrollment"})
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := w.svc.RecordDaily(ctx, w.trainer, training.DailyInput{PersonID: w.inv.UserID, PlanID: pl.ID,
			Participation: 100, Homework: 100})
		if err != nil || out.Result.Cycle != 2 || out.Result.Attempt != "first" || !slices.Equal(out.Granted, []string{"investigation"}) {
			t.Fatalf("reassessment: %+v %v", out, err)
		}
		mine, _ := w.svc.Mine(ctx, w.inv)
		if len(mine.Certs) != 2 || mine.Certs[0].Status != "有效" || mine.Certs[1].Status != "已过期" {
			t.Fatalf("certifications %+v", mine.Certs)
		}
	})
}

// The same scoring submitted twice at once (a double click) records one
// first attempt, never a make-up, and both answers are the first outcome.
func TestDailyScoreIdempotent(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		pl := w.dailyPlan(12)
		in := training.DailyInput{PersonID: w.acc.UserID, PlanID: pl.ID, Participation: 10, Homework: 10, IdempotencyKey: "dbl"}
		var wg sync.WaitGroup
		outs := make([]training.DailyScored, 4)
		errs4 := make([]error, 4)
		for i := range outs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[i], errs4[i] = w.svc.RecordDaily(ctx, w.trainer, in)
			}()
		}
		wg.Wait()
		replayed := 0
		for i, o := range outs {
			if errs4[i] != nil || o.Result.Attempt != "first" || o.Score != 6 || o.Result.Passed {
				t.Fatalf("submit %d: %+v %v", i, o, errs4[i])
			}
			if o.Replayed {
				replayed++
			}
		}
		rs, _ := db.PlanResults(ctx, pl.ID)
		if len(rs) != 1 || replayed != 3 {
			t.Fatalf("%d results, %d replayed", len(rs), replayed)
		}
		// A new key is a new scoring: the make-up.
		in.IdempotencyKey = "second"
		if o, err := w.svc.RecordDaily(ctx, w.trainer, in); err != nil || o.Result.Attempt != "makeup" {
			t.Fatalf("make-up: %+v %v", o, err)
		}
	})
}
