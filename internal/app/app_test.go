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
