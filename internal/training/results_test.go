package training_test

import (
	"sync"
	"testing"

	"dibao/internal/assess"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/training"
)

// assessedPlan is a special plan assessed by a theory exam whose passing
// certifies investigators for a year, with the given people enrolled.
func (w *world) assessedPlan(people ...authz.Principal) store.TrainingPlan {
	w.t.Helper()
	pl := store.TrainingPlan{Kind: "special", Title: "入户调查专项培训", Region: testenv.County, PeriodStart: "2026-10-01",
		PeriodEnd: "2026-12-31", Audience: "{}", RequiredMinutes: 240, Categories: "business", Assessments: "theory",
		Certifies: "investigation", ValidityMonths: 12}
	err := w.db.InTx(ctx, w.admin, func(tx *store.Tx) error {
		if err := tx.CreateTrainingPlan(ctx, &pl); err != nil {
			return err
		}
		for _, p := range people {
			if err := tx.InsertEnrollment(ctx, &store.Enrollment{PersonID: p.UserID, PlanID: pl.ID, Due: "2026-12-31"}); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, store.Entry{Action: "test.plan", Object: "plan"})
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return pl
}

func (w *world) record(p authz.Principal, plan int64, score int) (training.Recorded, error) {
	var out training.Recorded
	err := w.db.InTx(ctx, authz.System("test"), func(tx *store.Tx) error {
		var err error
		out, err = w.svc.RecordResultTx(ctx, tx, training.ResultInput{PersonID: p.UserID, PlanID: plan,
			Kind: assess.Theory, Score: score, Source: "test"})
		return err
	})
	return out, err
}

func (w *world) certified(p authz.Principal) []string {
	w.t.Helper()
	names, err := w.db.CertifiedNames(ctx, p.UserID, w.now.Format("2006-01-02"))
	if err != nil {
		w.t.Fatal(err)
	}
	return names
}

func TestMakeUpAndCertification(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		pl := w.assessedPlan(w.inv, w.acc)

		// inv fails, passes the make-up, and is certified for a year.
		if r, err := w.record(w.inv, pl.ID, 45); err != nil || r.Result.Passed || r.Result.Attempt != "first" || len(r.Granted) != 0 {
			t.Fatalf("first attempt: %+v %v", r, err)
		}
		if len(w.certified(w.inv)) != 0 {
			t.Fatal("certified before passing")
		}
		c, a, err := w.svc.NextAttempt(ctx, w.inv.UserID, pl.ID, assess.Theory)
		if err != nil || c != 1 || a != assess.MakeUp {
			t.Fatalf("next: %d %q %v, want the make-up", c, a, err)
		}
		r, err := w.record(w.inv, pl.ID, 75)
		if err != nil || !r.Result.Passed || r.Result.Score != -1 || len(r.Granted) != 1 || r.Granted[0] != "investigation" {
			t.Fatalf("make-up: %+v %v, want passed, pass/fail only, certified", r, err)
		}
		if got := w.certified(w.inv); len(got) != 1 || got[0] != "investigation" {
			t.Fatalf("certifications %v", got)
		}
		// A further attempt is refused: passed.
		if _, err := w.record(w.inv, pl.ID, 90); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("after passing: %v, want a conflict", err)
		}
		// The certification lapses with its validity.
		w.now = w.now.AddDate(1, 0, 0)
		if got := w.certified(w.inv); len(got) != 0 {
			t.Fatalf("a year on still certified: %v", got)
		}
		w.now = w.now.AddDate(-1, 0, 0)

		// acc fails the make-up: pass/fail only, back to training in a new
		// cycle; the next attempt is a first attempt of cycle 2, never a
		// second make-up.
		if _, err := w.record(w.acc, pl.ID, 30); err != nil {
			t.Fatal(err)
		}
		r, err = w.record(w.acc, pl.ID, 59)
		if err != nil || r.Result.Passed || r.Result.Score != -1 || !r.Retraining {
			t.Fatalf("failed make-up: %+v %v", r, err)
		}
		err = w.db.ReadTx(ctx, w.admin, func(tx *store.Tx) error {
			e, err := tx.EnrollmentFor(ctx, w.acc.UserID, pl.ID)
			if err == nil && (e.Status != store.EnrollOpen || e.Due != "2026-11-11") {
				t.Errorf("enrollment after a failed make-up: %+v", e)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// Reassessment waits for the retraining: the plan's minutes again.
		if _, _, err := w.svc.NextAttempt(ctx, w.acc.UserID, pl.ID, assess.Theory); errs.As(err).Message != training.MsgRetrainFirst {
			t.Fatalf("before retraining: %v", err)
		}
		if _, err := w.record(w.acc, pl.ID, 99); errs.As(err).Message != training.MsgRetrainFirst {
			t.Fatalf("recording before retraining: %v", err)
		}
		err = w.db.InTx(ctx, w.admin, func(tx *store.Tx) error {
			e, err := tx.EnrollmentFor(ctx, w.acc.UserID, pl.ID)
			if err != nil {
				return err
			}
			if done, err := tx.CreditEnrollment(ctx, e.ID, 240, pl.RequiredMinutes); err != nil || !done {
				t.Errorf("retraining credited: %v %v", done, err)
			}
			return tx.Audit(ctx, store.Entry{Action: "test.credit", Object: "enrollment"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if c, a, err := w.svc.NextAttempt(ctx, w.acc.UserID, pl.ID, assess.Theory); err != nil || c != 2 || a != assess.First {
			t.Fatalf("after retraining: cycle %d %q %v", c, a, err)
		}
		// Someone not enrolled records nothing.
		if _, err := w.record(w.late, pl.ID, 80); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("not enrolled: %v", err)
		}
		if n := countAudit(t, db, "assessment.record"); n != 4 {
			t.Fatalf("assessment.record audited %d times, want 4", n)
		}
		if n := countAudit(t, db, "assessment.retrain"); n != 1 {
			t.Fatalf("assessment.retrain audited %d times", n)
		}
	})
}

// Two graders recording the same first attempt at once: exactly one result.
func TestConcurrentResultsRecordOnce(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		pl := w.assessedPlan(w.inv)
		var wg sync.WaitGroup
		errsCh := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := w.record(w.inv, pl.ID, 40)
				errsCh <- err
			}()
		}
		wg.Wait()
		close(errsCh)
		ok := 0
		for err := range errsCh {
			switch {
			case err == nil:
				ok++
			case errs.CodeOf(err) != errs.Conflict:
				t.Errorf("unexpected error %v", err)
			}
		}
		rs, err := db.PlanResults(ctx, pl.ID)
		if err != nil {
			t.Fatal(err)
		}
		// One first attempt wins; the rest either lost the race for it (a
		// conflict) or, seeing it, took the one make-up; after a failed
		// make-up the rest wait for retraining. So a first attempt and at
		// most one make-up exist, and every success is one of them.
		if ok < 1 || ok > 2 || len(rs) != ok || rs[0].Attempt != "first" || (ok == 2 && rs[1].Attempt != "makeup") {
			t.Fatalf("%d recorded, %d stored: %+v", ok, len(rs), rs)
		}
	})
}

func countAudit(t *testing.T, db *store.DB, action string) int {
	t.Helper()
	xs, err := db.QueryStrings(ctx, "SELECT object FROM audit_log WHERE action = ?", action)
	if err != nil {
		t.Fatal(err)
	}
	return len(xs)
}
