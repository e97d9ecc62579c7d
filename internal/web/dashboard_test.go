package web

import (
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/enroll"
	"dibao/internal/region"
	"dibao/internal/store"
)

// The home page carries the person's open training items: overdue ones
// marked, as the in-app reminder.
func TestHomePageShowsTrainingDue(t *testing.T) {
	e := setup(t)
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, calendar.Location())
	e.a.DB.SetClock(func() time.Time { return now })
	users, err := e.a.DB.Users(bg, region.All())
	if err != nil {
		t.Fatal(err)
	}
	var clerk, admin store.User
	for _, u := range users {
		switch u.Username {
		case "clerk":
			clerk = u
		case "admin":
			admin = u
		}
	}
	err = e.a.DB.InTx(bg, authz.System("test"), func(tx *store.Tx) error {
		if err := tx.SetStaffProfile(bg, clerk.ID, "受理", "2026-11-10"); err != nil {
			return err
		}
		return tx.Audit(bg, store.Entry{Action: "test.profile", Object: "user"})
	})
	if err != nil {
		t.Fatal(err)
	}
	// The county admin account acting as training admin for the fixture.
	tadmin := authz.Principal{UserID: admin.ID, Username: admin.Username, Roles: []authz.Role{authz.TrainingAdmin}, Region: county}
	if _, err := e.a.Training.CreatePlan(bg, tadmin, enroll.Plan{Kind: enroll.Onboarding, Title: "2026年岗前培训",
		Period:          enroll.Period{Start: calendar.Date(2026, 1, 1), End: calendar.Date(2026, 12, 31)},
		RequiredMinutes: 480, Categories: []enroll.Category{enroll.PolicyLaw}}, county); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.a.Training.RunEnrollment(bg, authz.System("test"), now); err != nil {
		t.Fatal(err)
	}
	page := e.login("clerk").get("/")
	if !strings.Contains(page.body, `id="training-due"`) || !strings.Contains(page.body, "2026年岗前培训") ||
		!strings.Contains(page.body, "2026-11-17") || !strings.Contains(page.body, "已逾期") {
		t.Fatalf("home page lacks the overdue onboarding item:\n%s", page.body)
	}
}
