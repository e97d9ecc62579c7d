package workflow

import (
	"slices"
	"testing"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/region"
)

func TestRecipientReviewValid(t *testing.T) {
	d := RecipientReview()
	if err := Validate(d); err != nil {
		t.Fatal(err)
	}
	if err := d.Defaults.Validate(); err != nil {
		t.Fatal(err)
	}
	// Not a case profile: policy must not offer it for applications.
	if _, ok := Profile(d.Name); ok || slices.ContainsFunc(Profiles(), func(p Definition) bool { return p.Name == d.Name }) {
		t.Fatal("the recipient review is listed among the case profiles")
	}
	if _, ok := Documents["review_notice"]; !ok {
		t.Fatal("review_notice is not a known document")
	}
	for _, g := range []string{"not_proposer"} {
		if GuardLabels[g] == "" {
			t.Errorf("guard %s has no label", g)
		}
	}
}

func TestRecipientReviewRules(t *testing.T) {
	d := RecipientReview()
	town := authz.Principal{UserID: 1, Username: "town", Roles: []authz.Role{authz.TownshipOfficer}, Region: "130199001000"}
	county := authz.Principal{UserID: 2, Username: "county", Roles: []authz.Role{authz.CountyApprover}, Region: "130199000000"}
	f := Facts{Params: DefaultParams(), BenefitComputed: true}

	// The township proposes from open, with its findings.
	f.Input = Input{Values: map[string][]string{"verified_on": {"2026-12-01"}, "income_check": {"无变化"}, "property_check": {"无变化"}}}
	if _, err := Check(d, "open", "propose", town, region.Township, f); err != nil {
		t.Fatalf("propose: %v", err)
	}
	f.Input = Input{}
	if _, err := Check(d, "open", "propose", town, region.Township, f); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("propose without findings: %v, want invalid", err)
	}
	if _, err := Check(d, "open", "propose", county, region.County, f); errs.CodeOf(err) != errs.Forbidden {
		t.Fatalf("county proposing: %v, want forbidden", err)
	}
	// A relative of the household is recused.
	rel := f
	rel.RelativeStaff = []int64{town.UserID}
	rel.Input = Input{Values: map[string][]string{"verified_on": {"2026-12-01"}, "income_check": {"x"}, "property_check": {"x"}}}
	if _, err := Check(d, "open", "propose", town, region.Township, rel); errs.As(err).Message != MsgRecusal {
		t.Fatalf("relative proposing: %v", err)
	}
	// The county decides; not the proposer; not twice.
	if _, err := Check(d, "proposed", "decide", county, region.County, f); err != nil {
		t.Fatalf("decide: %v", err)
	}
	own := f
	own.ActorProposed = true
	if _, err := Check(d, "proposed", "decide", county, region.County, own); errs.As(err).Message != MsgProposer {
		t.Fatalf("proposer deciding: %v", err)
	}
	if _, err := Check(d, "decided", "decide", county, region.County, f); errs.CodeOf(err) != errs.Conflict {
		t.Fatalf("deciding a decided task: %v, want conflict", err)
	}
	// Sending back needs a reason.
	if _, err := Check(d, "proposed", "send_back", county, region.County, f); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("send back without reason: %v", err)
	}
	f.Input.Reason = "收入核查不完整"
	if tr, err := Check(d, "proposed", "send_back", county, region.County, f); err != nil || Next(tr, "proposed") != "open" {
		t.Fatalf("send back: %v", err)
	}
	// Available shows the township its button, greyed while the benefit
	// cannot be computed.
	f.BenefitComputed = false
	opts := Available(d, "open", town, region.Township, f)
	if len(opts) != 1 || opts[0].Enabled || opts[0].Reason == "" {
		t.Fatalf("options %+v", opts)
	}
}
