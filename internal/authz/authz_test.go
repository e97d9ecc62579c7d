package authz

import (
	"testing"

	"dibao/internal/region"
)

func TestCheckRoles(t *testing.T) {
	cases := []struct {
		name  string
		roles []Role
		ok    bool
	}{
		{"single clerk", []Role{VillageClerk}, true},
		{"clerk and trainer", []Role{TownshipOfficer, Trainer}, true},
		{"auditor alone", []Role{Auditor}, true},
		{"system and security admin", []Role{SystemAdmin, SecurityAdmin}, false},
		{"security and audit admin", []Role{SecurityAdmin, Auditor}, false},
		{"system and audit admin with a clerk role", []Role{VillageClerk, SystemAdmin, Auditor}, false},
		{"unknown role", []Role{"root"}, false},
		{"duplicate", []Role{Trainer, Trainer}, false},
		{"none", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := CheckRoles(c.roles); (err == nil) != c.ok {
				t.Fatalf("CheckRoles(%v) = %v, want ok=%v", c.roles, err, c.ok)
			}
		})
	}
}

func TestPrincipal(t *testing.T) {
	p := Principal{Roles: []Role{VillageClerk}, Region: "130199101201"}
	if !p.Can(HouseholdEdit) || p.Can(AuditView) || p.Can(UserManage) {
		t.Fatal("village clerk permissions wrong")
	}
	if p.Require(AuditView) == nil {
		t.Fatal("Require must refuse a missing permission")
	}
	a := Principal{Roles: []Role{Auditor}, Region: "130199000000"}
	if a.Can(HouseholdEdit) || !a.Can(AuditView) {
		t.Fatal("auditor must read the audit log and not edit cases")
	}
	if !p.Scope().Contains(region.Code("130199101201")) || p.Scope().Contains(region.Code("130199101202")) {
		t.Fatal("village scope wrong")
	}
	if (Principal{}).Scope().Contains(region.Code("130199101201")) {
		t.Fatal("a principal without region must see nothing")
	}
	if got := ParseRoles(JoinRoles([]Role{Trainer, Auditor})); len(got) != 2 || got[1] != Auditor {
		t.Fatalf("round trip roles = %v", got)
	}
	for _, r := range AllRoles {
		if r.Label() == string(r) {
			t.Fatalf("role %s has no Chinese label", r)
		}
	}
}
