package demo

import (
	"context"
	"testing"

	"dibao/internal/enroll"
	"dibao/internal/exams"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/training"
)

// TestLoadExams: the demo bank covers the four categories with ≥ 30 valid
// questions, the exam is open for a demo trainee of this quarter's regular
// plan, who can start it; loading twice loads once.
func TestLoadExams(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := Load(ctx, db, Generate(DefaultSeed, db.Now())); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadTraining(ctx, db, &training.Service{DB: db, Now: db.Now}); err != nil {
			t.Fatal(err)
		}
		svc := &exams.Service{DB: db, Now: db.Now}
		if done, err := LoadExams(ctx, db, svc); err != nil || done {
			t.Fatalf("first LoadExams: %v %v", done, err)
		}
		qs, _ := db.Questions(ctx, false)
		cats := map[enroll.Category]int{}
		for _, q := range qs {
			cats[q.Category]++
		}
		if len(qs) < 30 || len(cats) != 4 {
			t.Fatalf("bank: %d questions, categories %v", len(qs), cats)
		}
		es, _ := db.Exams(ctx)
		if len(es) != 1 || len(es[0].Paper) != 20 || !es[0].ClosedBook {
			t.Fatalf("exams %+v", es)
		}
		users, _ := db.Users(ctx, region.All())
		var trainee store.User
		for _, u := range users {
			if u.Username == "village" {
				trainee = u
			}
		}
		if trainee.ID == 0 {
			t.Fatal("no demo trainee")
		}
		a, err := svc.Start(ctx, trainee.Principal(), es[0].ID, "")
		if err != nil || len(a.Items) != 20 {
			t.Fatalf("demo start: %+v %v", a, err)
		}
		if done, err := LoadExams(ctx, db, svc); err != nil || !done {
			t.Fatalf("second LoadExams: %v %v", done, err)
		}
	})
}
