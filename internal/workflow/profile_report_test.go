package workflow

import (
	"testing"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/region"
)

func TestChangeReportDefinition(t *testing.T) {
	d := ChangeReport()
	if err := Validate(d); err != nil {
		t.Fatal(err)
	}
	for _, p := range Profiles() {
		if p.Name == d.Name {
			t.Fatalf("the change-report workflow must not be a case profile")
		}
	}
	town := authz.Principal{UserID: 5, Roles: []authz.Role{authz.TownshipOfficer}, Region: "130199101000"}
	clerk := authz.Principal{UserID: 6, Roles: []authz.Role{authz.VillageClerk}, Region: "130199101201"}
	in := Input{Values: map[string][]string{"method": {"home_visit"}, "verified_on": {"2026-09-01"}, "note": {"入户查看"}}}
	if _, err := Check(d, "reported", "confirm", town, region.Township, Facts{Input: in}); err != nil {
		t.Fatalf("confirm: %v", err)
	}
	// A village clerk verifies nothing; a township officer does not withdraw.
	if _, err := Check(d, "reported", "confirm", clerk, region.Village, Facts{Input: in}); errs.CodeOf(err) != errs.Forbidden {
		t.Fatalf("clerk confirming: %v", err)
	}
	if _, err := Check(d, "reported", "withdraw", town, region.Township, Facts{Input: Input{Reason: "x"}}); errs.CodeOf(err) != errs.Forbidden {
		t.Fatalf("township withdrawing: %v", err)
	}
	// Closing needs a reason; forwarding is only from a confirmed report.
	if _, err := Check(d, "not_confirmed", "close", town, region.Township, Facts{}); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("close without reason: %v", err)
	}
	if _, err := Check(d, "not_confirmed", "forward", town, region.Township, Facts{}); errs.CodeOf(err) != errs.Conflict {
		t.Fatalf("forward an unconfirmed report: %v", err)
	}
	// Recusal blocks every step of a relative.
	if _, err := Check(d, "confirmed", "forward", town, region.Township, Facts{RelativeStaff: []int64{5}}); errs.As(err).Message != MsgRecusal {
		t.Fatalf("relative forwarding: %v", err)
	}
	// Missing verification fields are all reported.
	_, err := Check(d, "reported", "refute", town, region.Township, Facts{})
	if l, ok := err.(errs.List); !ok || len(l) != 3 {
		t.Fatalf("refute without record: %v", err)
	}
	if got := len(Available(d, "reported", town, region.Township, Facts{})); got != 2 {
		t.Fatalf("township sees %d options on a new report, want confirm and refute", got)
	}
}
