package demo

import (
	"context"
	"testing"

	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/training"
)

func TestLoadTraining(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := Load(ctx, db, Generate(DefaultSeed, db.Now())); err != nil {
			t.Fatal(err)
		}
		svc := &training.Service{DB: db, Now: db.Now}
		if done, err := LoadTraining(ctx, db, svc); err != nil || done {
			t.Fatalf("first LoadTraining: %v %v", done, err)
		}
		users, _ := db.Users(ctx, region.All())
		var newHire store.User
		for _, u := range users {
			if u.Username == "township2" {
				newHire = u
			}
		}
		mine, err := svc.MyTraining(ctx, newHire.Principal())
		if err != nil {
			t.Fatal(err)
		}
		onboarding := false
		for _, it := range mine.Items {
			onboarding = onboarding || it.Kind == "onboarding"
		}
		if !onboarding {
			t.Fatalf("the demo new hire has no onboarding item: %+v", mine.Items)
		}
		if done, err := LoadTraining(ctx, db, svc); err != nil || !done {
			t.Fatalf("second LoadTraining: %v %v", done, err)
		}
	})
}
