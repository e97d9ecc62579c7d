package demo

import (
	"context"
	"slices"
	"testing"
	"time"

	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/training"
)

func TestDemoCertification(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := Load(ctx, db, Generate(DefaultSeed, db.Now())); err != nil {
			t.Fatal(err)
		}
		svc := &training.Service{DB: db, Now: db.Now}
		if _, err := LoadTraining(ctx, db, svc); err != nil {
			t.Fatal(err)
		}
		users, _ := db.Users(ctx, region.All())
		by := map[string]store.User{}
		for _, u := range users {
			by[u.Username] = u
		}
		var special, onboarding store.TrainingPlan
		err := db.ReadTx(ctx, by["trainadmin"].Principal(), func(tx *store.Tx) error {
			plans, err := tx.TrainingPlans(ctx)
			for _, p := range plans {
				switch p.Kind {
				case "special":
					special = p
				case "onboarding":
					onboarding = p
				}
			}
			return err
		})
		if err != nil || special.Title != SpecialInvestigationTitle || special.Assessments != "daily" ||
			special.Certifies != "investigation" || special.ValidityMonths != 12 {
			t.Fatalf("special plan %+v %v", special, err)
		}
		if onboarding.Certifies != "intake" || onboarding.Assessments != "theory,daily" {
			t.Fatalf("onboarding plan %+v", onboarding)
		}
		ids, err := db.PlanEnrollees(ctx, special.ID)
		if err != nil || !slices.Contains(ids, by["township"].ID) {
			t.Fatalf("township not enrolled in the special plan: %v %v", ids, err)
		}
		today := db.Now().Format(time.DateOnly)
		if names, _ := db.CertifiedNames(ctx, by["township"].ID, today); len(names) != 0 {
			t.Fatalf("township certified: %v", names)
		}
		if names, _ := db.CertifiedNames(ctx, by["village"].ID, today); !slices.Equal(names, []string{"intake"}) {
			t.Fatalf("village certifications: %v", names)
		}
	})
}
