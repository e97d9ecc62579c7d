package testenv

import (
	"context"
	"testing"

	"dibao/internal/region"
	"dibao/internal/store"
)

// Plan creates a regular training plan over region r with the given people
// enrolled, for exam tests, and returns its id.
func Plan(t testing.TB, db *store.DB, r region.Code, people ...int64) int64 {
	t.Helper()
	ctx := context.Background()
	plan := store.TrainingPlan{Kind: "regular", Title: "第四季度常规培训", Region: r, PeriodStart: "2026-10-01",
		PeriodEnd: "2026-12-31", Audience: `{}`, RequiredMinutes: 240, Categories: "policy_law,ethics"}
	err := db.InTx(ctx, Admin(), func(tx *store.Tx) error {
		if err := tx.CreateTrainingPlan(ctx, &plan); err != nil {
			return err
		}
		for _, id := range people {
			if err := tx.InsertEnrollment(ctx, &store.Enrollment{PersonID: id, PlanID: plan.ID, Due: "2026-12-31"}); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, store.Entry{Action: "test.plan", Object: "plan"})
	})
	if err != nil {
		t.Fatal(err)
	}
	return plan.ID
}
