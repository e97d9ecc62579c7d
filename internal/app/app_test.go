package app_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/enroll"
	"dibao/internal/people"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// A new hire created by the security administrator finds onboarding due in
// seven days at once: the enrollment rules re-run on staff changes.
func TestNewHireIsEnrolledAtOnce(t *testing.T) {
	ctx := context.Background()
	db := testenv.SQLite(t)
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, calendar.Location())
	db.SetClock(func() time.Time { return now })
	testenv.SeedRegions(t, db)
	sec := testenv.User(t, db, "secadmin", testenv.County, authz.SecurityAdmin)
	tadmin := testenv.User(t, db, "trainadmin", testenv.County, authz.TrainingAdmin)
	a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	_, err := a.Training.CreatePlan(ctx, tadmin, enroll.Plan{Kind: enroll.Onboarding, Title: "2026年新入职人员岗前培训",
		Period:          enroll.Period{Start: calendar.Date(2026, 1, 1), End: calendar.Date(2026, 12, 31)},
		RequiredMinutes: 240, Categories: []enroll.Category{enroll.PolicyLaw, enroll.Ethics}}, testenv.County)
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.People.Create(ctx, sec, people.Draft{Username: "newclerk", DisplayName: "新经办", Region: string(testenv.VillageA),
		Roles: []string{string(authz.VillageClerk)}, Posts: "受理", HireDate: "2026-11-27", Password: "Strong-pass-2026"})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := a.Training.MyTraining(ctx, u.Principal())
	if err != nil {
		t.Fatal(err)
	}
	if len(mine.Items) != 1 || mine.Items[0].Due != "2026-12-04" {
		t.Fatalf("new hire's training = %+v", mine.Items)
	}
}

// A scored sandbox run is the practical assessment of the trainee's plan
// that requires one: the first run records the first attempt, a run of the
// wrong attempt records nothing, the make-up run records pass/fail only.
func TestPracticalRunRecordsThePlansAssessment(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		testenv.SeedRegions(t, db)
		admin := testenv.User(t, db, "trainadmin", testenv.County, authz.TrainingAdmin)
		inv := testenv.User(t, db, "inv", testenv.TownA, authz.TownshipOfficer)
		a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		pl := store.TrainingPlan{Kind: "special", Title: "实操考核", Region: testenv.County, PeriodStart: "2026-01-01",
			PeriodEnd: "2026-12-31", Audience: "{}", RequiredMinutes: 60, Categories: "business", Assessments: "practical"}
		err := db.InTx(ctx, admin, func(tx *store.Tx) error {
			if err := tx.CreateTrainingPlan(ctx, &pl); err != nil {
				return err
			}
			if err := tx.InsertEnrollment(ctx, &store.Enrollment{PersonID: inv.UserID, PlanID: pl.ID, Due: "2026-12-31"}); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test.plan", Object: "plan"})
		})
		if err != nil {
			t.Fatal(err)
		}
		scored := func(id int64, attempt string, score int) {
			t.Helper()
			err := db.InTx(ctx, authz.System("test"), func(tx *store.Tx) error {
				if err := a.PracticalScored(ctx, tx, store.PracticalRun{ID: id, UserID: inv.UserID, Attempt: attempt, Score: score}); err != nil {
					return err
				}
				return tx.Audit(ctx, store.Entry{Action: "practical.score", Object: "run"}) // as the practical service does
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		scored(1, "first", 48)
		scored(2, "first", 90) // a second first attempt: practice, not recorded
		scored(3, "makeup", 75)
		rs, err := db.PlanResults(ctx, pl.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 2 || rs[0].Source != "practical_run:1" || rs[0].Score != 48 || rs[0].Passed ||
			rs[1].Source != "practical_run:3" || rs[1].Score != -1 || !rs[1].Passed {
			t.Fatalf("results %+v", rs)
		}
	})
}
