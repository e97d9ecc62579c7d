package enroll_test

import (
	"slices"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/enroll"
	"dibao/internal/people"
	"dibao/internal/policy"
	"dibao/internal/region"
)

// Every policy parameter must have an audience of its own: falling back to
// "all case work" for a new parameter would be safe but untargeted, and the
// posts named must be real posts or they would never match anyone.
func TestAffectedCoversEveryParameter(t *testing.T) {
	for _, def := range policy.Defs() {
		r, ok := enroll.AffectedBy(def.Name)
		if !ok {
			t.Errorf("parameter %s (%s) has no audience in enroll.affected", def.Name, def.Label)
		}
		if len(r.Posts) == 0 {
			t.Errorf("parameter %s: empty audience", def.Name)
		}
		for _, p := range r.Posts {
			if !slices.Contains(people.Posts, p) {
				t.Errorf("parameter %s: %q is not one of people.Posts", def.Name, p)
			}
		}
	}
	for _, c := range []string{enroll.ChangeStandards, enroll.ChangeWorkflow} {
		if _, ok := enroll.AffectedBy(c); !ok {
			t.Errorf("change %s unknown", c)
		}
	}
}

func TestAffectedBy(t *testing.T) {
	investigator := staff(1, "2020-01-01", "调查")
	reviewer := staff(2, "2020-01-01", "审核")
	clerk := staff(3, "2020-01-01", "受理")
	approver := staff(4, "2020-01-01", "审批")
	trainer := staff(5, "2020-01-01", "培训")
	auditor := staff(6, "2020-01-01", "审计")
	everyone := []enroll.Person{investigator, reviewer, clerk, approver, trainer, auditor}
	cases := []struct {
		change string
		known  bool
		want   []int64
	}{
		{policy.PublicityWD, true, []int64{1, 2}},
		{policy.MinInvestigators, true, []int64{1, 2}},
		{policy.ForwardWD, true, []int64{1, 3}},
		{policy.CountyDecisionWD, true, []int64{4}},
		{policy.StandardUrban, true, []int64{1, 2, 3, 4}},
		{enroll.ChangeStandards, true, []int64{1, 2, 3, 4}},
		{policy.WorkflowProfile, true, []int64{1, 2, 3, 4}},
		{policy.TheoryPass, true, []int64{5}},
		{"some_future_rule", false, []int64{1, 2, 3, 4}},
	}
	for _, c := range cases {
		t.Run(c.change, func(t *testing.T) {
			r, ok := enroll.AffectedBy(c.change)
			if ok != c.known {
				t.Errorf("known = %v", ok)
			}
			var got []int64
			for _, p := range everyone {
				if r.Matches(p) {
					got = append(got, p.ID)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("affected = %v, want %v", got, c.want)
			}
		})
	}
	// The returned rule is the caller's to edit.
	r, _ := enroll.AffectedBy(policy.PublicityWD)
	r.Posts[0] = "x"
	if r2, _ := enroll.AffectedBy(policy.PublicityWD); r2.Posts[0] == "x" {
		t.Error("AffectedBy shares its table")
	}
}

func TestPolicyUpdate(t *testing.T) {
	today := d("2026-10-29")
	def, _ := policy.Lookup(policy.PublicityWD)
	pl := enroll.NewPolicyUpdate(policy.PublicityWD, def.Label, "", today.Add(15*time.Hour))
	if err := pl.Validate(); err != nil {
		t.Fatalf("NewPolicyUpdate gives an invalid plan: %v", err)
	}
	if pl.Kind != enroll.PolicyUpdate || pl.Title != "公示期已调整" || pl.RequiredMinutes != enroll.PolicyUpdateMinutes ||
		!pl.Period.Start.Equal(today) || !pl.Period.End.Equal(d("2026-11-05")) {
		t.Fatalf("plan = %+v", pl)
	}
	pl.ID = 70

	inactive := staff(4, "2020-01-01", "调查")
	inactive.Active = false
	otherTownship := staff(5, "2020-01-01", "调查")
	otherTownship.Region = "130199102203"
	otherTownship.Roles = []authz.Role{authz.TownshipOfficer}
	staffs := []enroll.Person{
		staff(1, "2020-01-01", "受理", "调查"), // investigator: affected
		staff(2, "2020-01-01", "受理"),       // intake only: not affected
		staff(3, "2026-10-30", "调查"),       // hired after the change: learns it in onboarding
		inactive,
		otherTownship,
		staff(6, "2026-10-29", "审核"), // hired on the day of the change: affected
	}
	got := enroll.Want(staffs, []enroll.Plan{pl}, nil, today)
	if want := []due{{1, 70, "2026-11-05"}, {5, 70, "2026-11-05"}, {6, 70, "2026-11-05"}}; !slices.Equal(brief(got), want) {
		t.Errorf("Want = %v, want %v", brief(got), want)
	}
	if got[0].Reason != "政策更新：公示期已调整，请于2026-11-05前阅读并确认" {
		t.Errorf("reason %q", got[0].Reason)
	}

	// A township override reaches only that township's staff.
	scoped := enroll.NewPolicyUpdate(policy.MinInvestigators, "", region.Code("130199101000"), today)
	scoped.ID = 71
	if scoped.Title != "min_investigators已调整" {
		t.Errorf("title without label = %q", scoped.Title)
	}
	if got := brief(enroll.Want(staffs, []enroll.Plan{scoped}, nil, today)); !slices.Equal(got, []due{{1, 71, "2026-11-05"}, {6, 71, "2026-11-05"}}) {
		t.Errorf("scoped Want = %v", got)
	}

	// Someone who moves into an affected post during the week gets the item;
	// after the week it is closed.
	moved := []enroll.Person{staff(2, "2020-01-01", "调查")}
	if got := brief(enroll.Want(moved, []enroll.Plan{pl}, nil, d("2026-11-05"))); len(got) != 1 {
		t.Errorf("moved within the week: %v", got)
	}
	if got := enroll.Want(moved, []enroll.Plan{pl}, nil, d("2026-11-06")); len(got) != 0 {
		t.Errorf("moved after the week: %v", got)
	}
}
