package store_test

import (
	"context"
	"testing"

	"dibao/internal/authz"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// TestLearningProgressAndCompleteOnce checks the progress row round trip
// (per-playback state kept apart) and that completion is recorded once.
func TestLearningProgressAndCompleteOnce(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		testenv.SeedRegions(t, db)
		u := testenv.User(t, db, "learner", testenv.VillageA, authz.VillageClerk)
		it := store.LearningItem{Title: "视频", Category: "ethics", Kind: store.LearningVideo, ContentType: "video/mp4",
			Size: 3, Checksum: "abc", Data: []byte{1, 2, 3}, Duration: 60, Minutes: 10, CreatedBy: u.UserID}
		err := db.InTx(ctx, u, func(tx *store.Tx) error {
			if err := tx.CreateLearningItem(ctx, &it); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test", Object: "item"})
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.LearningContent(ctx, it.ID)
		if err != nil || string(got.Data) != "\x01\x02\x03" || got.Duration != 60 || got.PlanID != 0 {
			t.Fatalf("content %+v %v", got, err)
		}
		for i, pb := range []string{"a", "b", "a"} {
			_, err := db.UpdateLearningProgress(ctx, it.ID, u.UserID, pb, func(pr *store.LearningProgress, p *store.LearningPlayback) error {
				if pb == "a" && i == 2 && (!p.Started || p.Seq != 7 || p.Position != 5) {
					t.Errorf("playback a state %+v", p)
				}
				if pb == "b" && p.Started {
					t.Errorf("playback b saw a's state %+v", p)
				}
				p.Seq, p.Position, p.LastAt, p.Started = 7, 5, db.Now(), true
				pr.Intervals, pr.Position, pr.LastAt = "0-5", 5, db.Now()
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		pr, err := db.LearningProgressOf(ctx, it.ID, u.UserID)
		if err != nil || pr.Intervals != "0-5" || pr.Credited {
			t.Fatalf("progress %+v %v", pr, err)
		}
		for i, want := range []bool{true, false} {
			var first bool
			err := db.InTx(ctx, u, func(tx *store.Tx) error {
				var err error
				if first, err = tx.CompleteLearning(ctx, it.ID, u.UserID); err != nil {
					return err
				}
				return tx.Audit(ctx, store.Entry{Action: "test", Object: "complete"})
			})
			if err != nil || first != want {
				t.Fatalf("complete %d: %v %v", i, first, err)
			}
		}
		if pr, _ := db.LearningProgressOf(ctx, it.ID, u.UserID); !pr.Credited || pr.CompletedAt.IsZero() || pr.Intervals != "0-5" {
			t.Fatalf("after complete %+v", pr)
		}
	})
}
