package training_test

import (
	"testing"

	"dibao/internal/authz"
	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// TestPolicyChanged: a change of publicity_wd gives the 调查 staff a
// policy-update item due in 7 days, not the 受理 staff; a repeat on the
// same day creates nothing more; a township scope limits it.
func TestPolicyChanged(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		county := testenv.User(t, db, "cadmin", testenv.County, authz.CountyAdmin)
		investB := testenv.User(t, db, "invb", testenv.TownB, authz.TownshipOfficer)
		w.profile(investB, "调查", "2018-01-01")

		_, err := w.svc.PolicyChanged(ctx, w.inv, "publicity_wd", "公示期", "", w.now)
		wantCode(t, err, errs.Forbidden, "管理员")

		res, err := w.svc.PolicyChanged(ctx, county, "publicity_wd", "公示期（工作日）", "", w.now)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Created || res.PlanID == 0 || res.Run.Added != 2 {
			t.Fatalf("PolicyChanged = %+v, want a new plan and 2 enrollments", res)
		}
		for _, p := range []authz.Principal{w.inv, investB} {
			it, ok := item(w.mine(p), res.PlanID)
			if !ok {
				t.Fatalf("%s has no policy-update item", p.Username)
			}
			if it.Due != "2026-10-19" {
				t.Errorf("%s item due %s, want 2026-10-19 (7 days)", p.Username, it.Due)
			}
		}
		for _, p := range []authz.Principal{w.acc, w.late, w.newbie} {
			if _, ok := item(w.mine(p), res.PlanID); ok {
				t.Errorf("%s (受理) got the publicity_wd policy update", p.Username)
			}
		}
		plan, err := db.TrainingPlan(ctx, res.PlanID)
		if err != nil || plan.Kind != string(enroll.PolicyUpdate) || plan.Title != "公示期（工作日）已调整" ||
			plan.PeriodEnd != "2026-10-19" || plan.Region != testenv.County {
			t.Fatalf("plan = %+v %v", plan, err)
		}

		// Idempotent for the same change, label and day.
		again, err := w.svc.PolicyChanged(ctx, county, "publicity_wd", "公示期（工作日）", "", w.now.Add(3*60*60*1e9))
		if err != nil || again.Created || again.PlanID != res.PlanID || again.Run.Added != 0 {
			t.Fatalf("repeat = %+v %v", again, err)
		}

		// A township override reaches that township's staff only.
		town, err := w.svc.PolicyChanged(ctx, county, "min_investigators", "调查人数", testenv.TownA, w.now)
		if err != nil || !town.Created || town.Run.Added != 1 {
			t.Fatalf("township change = %+v %v", town, err)
		}
		if _, ok := item(w.mine(w.inv), town.PlanID); !ok {
			t.Error("TownA 调查 staff lacks the township policy update")
		}
		if _, ok := item(w.mine(investB), town.PlanID); ok {
			t.Error("TownB staff got TownA's policy update")
		}

		for _, a := range []string{"training.policy_update", "training.plan.create", "training.enroll.run"} {
			got, err := db.QueryStrings(ctx, "SELECT object FROM audit_log WHERE action = ?", a)
			if err != nil || len(got) == 0 {
				t.Errorf("no audit record %s (%v)", a, err)
			}
		}
	})
}
