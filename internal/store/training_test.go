package store_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// TestTrainingStore checks the training tables' SQL on both dialects: the
// round trips, the one-per-person constraints, crediting up to done, and
// the stored wrong-code times.
func TestTrainingStore(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		testenv.SeedRegions(t, db)
		admin := testenv.User(t, db, "tadmin", county, authz.TrainingAdmin)
		pupil := testenv.User(t, db, "pupil", villageA, authz.VillageClerk)
		start := time.UnixMilli(time.Date(2026, 10, 12, 9, 30, 0, 0, time.UTC).UnixMilli())
		secret := bytes.Repeat([]byte{0xab}, 32)

		var plan store.TrainingPlan
		var sess store.TrainingSession
		var enr store.Enrollment
		err := db.InTx(ctx, admin, func(tx *store.Tx) error {
			if err := tx.SetStaffProfile(ctx, pupil.UserID, "受理", "2026-10-12"); err != nil {
				return err
			}
			plan = store.TrainingPlan{Kind: "onboarding", Title: "岗前培训", Region: county, PeriodStart: "2026-01-01",
				PeriodEnd: "2026-12-31", Audience: `{}`, RequiredMinutes: 120, Categories: "policy_law,ethics"}
			if err := tx.CreateTrainingPlan(ctx, &plan); err != nil {
				return err
			}
			enr = store.Enrollment{PersonID: pupil.UserID, PlanID: plan.ID, Due: "2026-10-19", Reason: "新入职"}
			if err := tx.InsertEnrollment(ctx, &enr); err != nil {
				return err
			}
			sess = store.TrainingSession{PlanID: plan.ID, Kind: "classroom", Title: "政策解读", StartsAt: start,
				EndsAt: start.Add(2 * time.Hour), TrainerUserID: admin.UserID, Secret: secret, Minutes: 60}
			if err := tx.CreateTrainingSession(ctx, &sess); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test.training", Object: "plan"})
		})
		if err != nil {
			t.Fatal(err)
		}
		// A constraint violation aborts a PostgreSQL transaction, so each
		// duplicate gets its own.
		dup := func(what string, fn func(tx *store.Tx) error) {
			t.Helper()
			if err := db.InTx(ctx, admin, fn); errs.CodeOf(err) != errs.Conflict {
				t.Errorf("second %s: %v", what, err)
			}
		}
		dup("enrollment of a person in a plan", func(tx *store.Tx) error {
			return tx.InsertEnrollment(ctx, &store.Enrollment{PersonID: pupil.UserID, PlanID: plan.ID, Due: "2026-10-19"})
		})
		if u, _ := db.UserByID(ctx, pupil.UserID); u.Posts != "受理" || u.HireDate != "2026-10-12" {
			t.Fatalf("profile = %q %q", u.Posts, u.HireDate)
		}
		got, err := db.TrainingSession(ctx, sess.ID)
		if err != nil || !bytes.Equal(got.Secret, secret) || !got.StartsAt.Equal(start) || got.TrainerUserID != admin.UserID {
			t.Fatalf("session round trip = %+v %v", got, err)
		}

		fails := []time.Time{start, start.Add(time.Second)}
		err = db.InTx(ctx, pupil, func(tx *store.Tx) error {
			if err := tx.SetCheckinFailures(ctx, sess.ID, pupil.UserID, fails[:1]); err != nil {
				return err
			}
			if err := tx.SetCheckinFailures(ctx, sess.ID, pupil.UserID, fails); err != nil {
				return err
			}
			if f, err := tx.CheckinFailures(ctx, sess.ID, pupil.UserID); err != nil || len(f) != 2 || !f[1].Equal(fails[1]) {
				t.Errorf("failures = %v %v", f, err)
			}
			if err := tx.InsertAttendance(ctx, store.Attendance{SessionID: sess.ID, PersonID: pupil.UserID,
				CheckedInAt: start, Method: "code", Minutes: 60}); err != nil {
				return err
			}
			for i, want := range []bool{false, true} {
				done, err := tx.CreditEnrollment(ctx, enr.ID, 60, 120)
				if err != nil || done != want {
					t.Errorf("credit %d: done=%v %v, want %v", i+1, done, err, want)
				}
			}
			if err := tx.InsertFeedback(ctx, store.Feedback{SessionID: sess.ID, PersonID: pupil.UserID, Content: 5, Method: 4, Trainer: 3}); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test.training", Object: "attendance"})
		})
		if err != nil {
			t.Fatal(err)
		}
		dup("attendance", func(tx *store.Tx) error {
			return tx.InsertAttendance(ctx, store.Attendance{SessionID: sess.ID, PersonID: pupil.UserID,
				CheckedInAt: start, Method: "manual", Minutes: 60})
		})
		dup("feedback", func(tx *store.Tx) error {
			return tx.InsertFeedback(ctx, store.Feedback{SessionID: sess.ID, PersonID: pupil.UserID, Content: 1, Method: 1, Trainer: 1})
		})
		ens, err := db.PersonEnrollments(ctx, pupil.UserID)
		if err != nil || len(ens) != 1 || ens[0].Status != store.EnrollDone || ens[0].MinutesCredited != 120 ||
			!ens[0].Attended || ens[0].PlanRequired != 120 || ens[0].CompletedAt.IsZero() {
			t.Fatalf("enrollments = %+v %v", ens, err)
		}
		att, err := db.PersonAttendance(ctx, pupil.UserID, start.Add(-time.Hour), start.Add(time.Hour))
		if err != nil || len(att) != 1 || att[0].Categories != "policy_law,ethics" {
			t.Fatalf("attendance = %+v %v", att, err)
		}
		fb, err := db.FeedbackList(ctx, store.FeedbackFilter{TrainerUserID: admin.UserID})
		if err != nil || len(fb) != 1 || fb[0].Trainer != 3 {
			t.Fatalf("feedback = %+v %v", fb, err)
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestTrainingLookups runs the id lookups of the training pages on both
// stores (their SQL must work in both dialects).
func TestTrainingLookups(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for name, f := range map[string]func() ([]int64, error){
			"trainer":  func() ([]int64, error) { return db.TrainerSessionIDs(ctx, 1, false) },
			"all":      func() ([]int64, error) { return db.TrainerSessionIDs(ctx, 0, true) },
			"enrolled": func() ([]int64, error) { return db.EnrolledSessionIDs(ctx, 1) },
			"attend":   func() ([]int64, error) { return db.SessionAttendees(ctx, 1) },
			"attended": func() ([]int64, error) { return db.AttendedSessionIDs(ctx, 1) },
			"rated":    func() ([]int64, error) { return db.RatedSessionIDs(ctx, 1) },
			"plan":     func() ([]int64, error) { return db.PlanEnrollees(ctx, 1) },
			"attendance": func() ([]int64, error) {
				a, err := db.SessionAttendance(ctx, 1)
				return make([]int64, len(a)), err
			},
		} {
			if ids, err := f(); err != nil || len(ids) != 0 {
				t.Fatalf("%s on an empty store: %v %v", name, ids, err)
			}
		}
	})
}
