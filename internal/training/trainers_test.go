package training_test

import (
	"testing"

	"dibao/internal/errs"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/training"
)

// TestTrainerRegistry selects a trainer, records development training,
// registers an expert with invitations and reads the registry against
// expert_invites_per_year (default 2), on both stores.
func TestTrainerRegistry(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		today := w.now

		// Only a training admin; criteria and approval are required.
		sel := training.Selection{UserID: w.trainer.UserID, ExperienceYears: 6,
			Criteria: []string{"experience", "policy", "responsibility"}, ApprovedBy: "县民政局 王局长", ApprovedOn: day("2026-03-01")}
		wantCode(t, w.svc.SelectTrainer(ctx, w.trainer, sel), errs.Forbidden, "培训管理员")
		bad := sel
		bad.Criteria, bad.ApprovedBy, bad.ApprovedOn = nil, "", day("2026-12-01")
		err := w.svc.SelectTrainer(ctx, w.admin, bad)
		if errs.CodeOf(err) != errs.Invalid || !hasField(err, "criteria") || !hasField(err, "approved_by") || !hasField(err, "approved_on") {
			t.Fatalf("SelectTrainer(bad) = %v", err)
		}
		if err := w.svc.SelectTrainer(ctx, w.admin, sel); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddTrainerDevelopment(ctx, w.admin, w.trainer.UserID, day("2026-05-10"), "省级师资培训", 480); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddTrainerDevelopment(ctx, w.admin, w.trainer.UserID, day("2025-05-10"), "去年的培训", 60); err != nil {
			t.Fatal(err)
		}
		// Development training only for a flagged trainer.
		_, err = w.svc.AddTrainerDevelopment(ctx, w.admin, w.trainer2.UserID, day("2026-05-10"), "x", 60)
		wantCode(t, err, errs.NotFound, "不是培训师")

		exID, err := w.svc.AddExpert(ctx, w.admin, store.Expert{Name: "李教授", Organisation: "省民政学院", Title: "教授", Field: "社会救助"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddExpert(ctx, w.admin, store.Expert{Name: "缺单位"}); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("AddExpert without organisation = %v", err)
		}
		if _, err := w.svc.InviteExpert(ctx, w.admin, exID, day("2026-04-01"), "低保政策解读", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.InviteExpert(ctx, w.admin, exID, day("2025-12-01"), "去年", 0); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.InviteExpert(ctx, w.admin, exID, day("2026-04-02"), "x", 999)
		wantCode(t, err, errs.Invalid, "培训场次999不存在")

		reg, err := w.svc.TrainerRegistry(ctx, w.admin, today)
		if err != nil {
			t.Fatal(err)
		}
		if reg.Year != 2026 || reg.Invites != 1 || reg.Target != 2 || !reg.Below || reg.TargetVersion == "" {
			t.Fatalf("registry counts = year %d invites %d target %d (%s) below %v", reg.Year, reg.Invites, reg.Target, reg.TargetVersion, reg.Below)
		}
		if len(reg.Trainers) != 1 {
			t.Fatalf("trainers = %+v", reg.Trainers)
		}
		tr := reg.Trainers[0]
		if tr.UserID != w.trainer.UserID || tr.ExperienceYears != 6 || tr.DevelopmentMinutes != 480 || len(tr.Development) != 2 ||
			len(tr.CriteriaLabels) != 3 || tr.CriteriaLabels[1] != "熟悉政策法规和业务流程" || tr.ApprovedOn != "2026-03-01" {
			t.Fatalf("trainer entry = %+v", tr)
		}
		if len(reg.Experts) != 1 || reg.Experts[0].InvitesThisYear != 1 || len(reg.Experts[0].Invitations) != 2 {
			t.Fatalf("experts = %+v", reg.Experts)
		}

		// A second invitation this year meets the target.
		if _, err := w.svc.InviteExpert(ctx, w.admin, exID, day("2026-10-01"), "入户调查实务", 0); err != nil {
			t.Fatal(err)
		}
		reg, err = w.svc.TrainerRegistry(ctx, w.admin, today)
		if err != nil || reg.Invites != 2 || reg.Below {
			t.Fatalf("after second invitation: invites %d below %v err %v", reg.Invites, reg.Below, err)
		}

		// Every write is audited.
		for _, a := range []string{"training.trainer.select", "training.trainer.development", "training.expert.create", "training.expert.invite"} {
			got, err := db.QueryStrings(ctx, "SELECT object FROM audit_log WHERE action = ?", a)
			if err != nil || len(got) == 0 {
				t.Errorf("no audit record %s (%v)", a, err)
			}
		}
	})
}

func hasField(err error, field string) bool {
	var l errs.List
	if el, ok := err.(errs.List); ok {
		l = el
	}
	for _, e := range l {
		if e.Field == field {
			return true
		}
	}
	return false
}
