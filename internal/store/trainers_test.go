package store_test

import (
	"testing"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// TestTrainerStore checks the trainer registry's SQL on both dialects: the
// trainer upsert, development entries, experts and invitations by date,
// and the policy-update record with its uniqueness.
func TestTrainerStore(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		testenv.SeedRegions(t, db)
		admin := testenv.User(t, db, "tadmin", county, authz.TrainingAdmin)
		tr := testenv.User(t, db, "trainer", villageA, authz.Trainer)
		write := func(fn func(tx *store.Tx) error) error {
			return db.InTx(ctx, admin, func(tx *store.Tx) error {
				if err := fn(tx); err != nil {
					return err
				}
				return tx.Audit(ctx, store.Entry{Action: "test.trainers", Object: "trainers"})
			})
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}

		// Upsert: the second put replaces the record of the same account.
		must(write(func(tx *store.Tx) error {
			return tx.PutTrainer(ctx, &store.Trainer{UserID: tr.UserID, ExperienceYears: 3, Criteria: "experience",
				ApprovedBy: "县民政局", ApprovedOn: "2026-01-05"})
		}))
		must(write(func(tx *store.Tx) error {
			return tx.PutTrainer(ctx, &store.Trainer{UserID: tr.UserID, ExperienceYears: 5, Criteria: "experience,policy",
				ApprovedBy: "王局长", ApprovedOn: "2026-02-01"})
		}))
		ts, err := db.Trainers(ctx)
		must(err)
		if len(ts) != 1 || ts[0].ExperienceYears != 5 || ts[0].Criteria != "experience,policy" || ts[0].ApprovedBy != "王局长" ||
			ts[0].ApprovedOn != "2026-02-01" || ts[0].Username != "trainer" || ts[0].Region != villageA || !ts[0].Active {
			t.Fatalf("Trainers = %+v", ts)
		}
		err = db.InTx(ctx, admin, func(tx *store.Tx) error { _, err := tx.Trainer(ctx, admin.UserID); return err })
		if errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("Trainer(non-trainer) = %v, want NotFound", err)
		}

		must(write(func(tx *store.Tx) error {
			for _, d := range []store.TrainerDevelopment{{UserID: tr.UserID, On: "2026-03-01", Title: "授课技巧", Minutes: 240},
				{UserID: tr.UserID, On: "2026-05-01", Title: "案例教学", Minutes: 120}} {
				if err := tx.AddTrainerDevelopment(ctx, &d); err != nil {
					return err
				}
			}
			return nil
		}))
		ds, err := db.TrainerDevelopments(ctx)
		must(err)
		if len(ds) != 2 || ds[0].Title != "案例教学" || ds[1].Minutes != 240 || ds[0].CreatedBy != admin.UserID {
			t.Fatalf("TrainerDevelopments = %+v", ds)
		}

		var ex store.Expert
		must(write(func(tx *store.Tx) error {
			ex = store.Expert{Name: "李教授", Organisation: "省民政学院", Title: "教授", Field: "社会救助"}
			if err := tx.CreateExpert(ctx, &ex); err != nil {
				return err
			}
			for _, on := range []string{"2025-11-02", "2026-04-01", "2026-09-30"} {
				if err := tx.AddExpertInvitation(ctx, &store.ExpertInvitation{ExpertID: ex.ID, On: on, Topic: "政策解读"}); err != nil {
					return err
				}
			}
			return nil
		}))
		es, err := db.Experts(ctx)
		must(err)
		if len(es) != 1 || es[0].Organisation != "省民政学院" || es[0].Field != "社会救助" {
			t.Fatalf("Experts = %+v", es)
		}
		ivs, err := db.ExpertInvitations(ctx, "2026-01-01", "2026-12-31")
		must(err)
		if len(ivs) != 2 || ivs[0].On != "2026-09-30" || ivs[0].SessionID != 0 {
			t.Fatalf("ExpertInvitations(2026) = %+v", ivs)
		}
		all, err := db.ExpertInvitations(ctx, "", "")
		must(err)
		if len(all) != 3 {
			t.Fatalf("ExpertInvitations(all) = %d, want 3", len(all))
		}
		// A session that does not exist is refused by the foreign key.
		err = write(func(tx *store.Tx) error {
			return tx.AddExpertInvitation(ctx, &store.ExpertInvitation{ExpertID: ex.ID, On: "2026-10-01", Topic: "x", SessionID: 999})
		})
		if errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("invitation for a missing session = %v, want Invalid", err)
		}

		// Policy-update records: found after recording, unique per key.
		must(write(func(tx *store.Tx) error {
			plan := store.TrainingPlan{Kind: "policy_update", Title: "公示期已调整", Region: county, PeriodStart: "2026-10-12",
				PeriodEnd: "2026-10-19", Audience: `{}`, RequiredMinutes: 30, Categories: "policy_law"}
			if err := tx.CreateTrainingPlan(ctx, &plan); err != nil {
				return err
			}
			if _, found, err := tx.PolicyUpdatePlan(ctx, "publicity_wd", "公示期", "2026-10-12", ""); err != nil || found {
				t.Errorf("PolicyUpdatePlan before record = %v %v", found, err)
			}
			if err := tx.RecordPolicyUpdatePlan(ctx, "publicity_wd", "公示期", "2026-10-12", "", plan.ID); err != nil {
				return err
			}
			id, found, err := tx.PolicyUpdatePlan(ctx, "publicity_wd", "公示期", "2026-10-12", "")
			if err != nil || !found || id != plan.ID {
				t.Errorf("PolicyUpdatePlan = %d %v %v, want %d", id, found, err, plan.ID)
			}
			return nil
		}))
		err = write(func(tx *store.Tx) error {
			return tx.RecordPolicyUpdatePlan(ctx, "publicity_wd", "公示期", "2026-10-12", "", 1)
		})
		if errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("second record = %v, want Conflict", err)
		}
	})
}
