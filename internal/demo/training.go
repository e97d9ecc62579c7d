package demo

import (
	"context"
	"fmt"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/enroll"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/training"
)

// TrainingMetaKey marks a database whose demo training is loaded.
const TrainingMetaKey = "demo_training_loaded"

// LoadTraining sets up the demo training year through the real training
// service: this year's onboarding plan, this quarter's regular training, a
// classroom session running now (run by the demo trainer), and an enrollment run —
// so township2 (hired three days ago) finds onboarding due, everyone finds
// the quarter's training, and the trainer can show a check-in code. Once.
func LoadTraining(ctx context.Context, db *store.DB, svc *training.Service) (bool, error) {
	if v, err := db.Meta(ctx, TrainingMetaKey); err != nil || v != "" {
		return v != "", err
	}
	users, err := db.Users(ctx, region.All())
	if err != nil {
		return false, err
	}
	by := map[string]store.User{}
	for _, u := range users {
		by[u.Username] = u
	}
	admin, trainer := by["trainadmin"].Principal(), by["trainer"]
	if admin.UserID == 0 || trainer.ID == 0 {
		return false, fmt.Errorf("demo: load the demo county before its training")
	}
	today := calendar.DayOf(svc.Now())
	year := today.Year()
	qs, qe := enroll.Quarter(today)
	onboarding, err := svc.CreatePlanAssessed(ctx, admin, enroll.Plan{Kind: enroll.Onboarding, Title: fmt.Sprintf("%d年新入职人员岗前培训", year),
		Period:          enroll.Period{Start: calendar.Date(year, 1, 1), End: calendar.Date(year, 12, 31)},
		RequiredMinutes: 8 * 60, Categories: []enroll.Category{enroll.PolicyLaw, enroll.BusinessSkills, enroll.Ethics}}, CountyCode,
		OnboardingAssessment)
	if err != nil {
		return false, err
	}
	regular, err := svc.CreatePlan(ctx, admin, enroll.Plan{Kind: enroll.Regular, Title: enroll.QuarterLabel(today) + "低保业务常规培训",
		Period: enroll.Period{Start: qs, End: qe}, RequiredMinutes: 4 * 60,
		Categories: []enroll.Category{enroll.PolicyLaw, enroll.BusinessSkills, enroll.Communication}}, CountyCode)
	if err != nil {
		return false, err
	}
	if _, err := createSpecialInvestigation(ctx, svc, admin); err != nil {
		return false, err
	}
	if err := grantDemoCertifications(ctx, db, by, today); err != nil {
		return false, err
	}
	// The first session runs now (from the top of the hour), so the demo
	// trainer can show a live check-in code whenever the demo is started.
	start := svc.Now().In(calendar.Location()).Truncate(time.Hour)
	for _, s := range []struct {
		plan  int64
		title string
		at    time.Time
	}{{regular, "新修订低保审核确认办法解读", start}, {onboarding, "低保政策与业务流程入门", start.AddDate(0, 0, 1)}} {
		if _, err := svc.ScheduleSession(ctx, admin, s.plan, training.SessionDraft{Kind: training.Classroom, Title: s.title,
			StartsAt: s.at, EndsAt: s.at.Add(4 * time.Hour), Place: "县民政局三楼会议室", TrainerUserID: trainer.ID}); err != nil {
			return false, err
		}
	}
	if _, _, err := svc.RunEnrollment(ctx, admin, today); err != nil {
		return false, err
	}
	err = db.InTx(ctx, authz.Principal{Username: "system:demo", Region: CountyCode}, func(tx *store.Tx) error {
		if err := tx.SetMeta(ctx, TrainingMetaKey, svc.Now().Format(time.RFC3339)); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "demo.load", Object: "training", Detail: "plans, sessions, enrollment"})
	})
	return false, err
}
