// Package authz holds roles, permissions and the separation-of-duties rule.
// Permissions live in code, not in the database, so that a compromised
// database cannot grant itself new powers.
package authz

import (
	"slices"
	"strings"

	"dibao/internal/errs"
	"dibao/internal/region"
)

// Role is a job a staff account holds.
type Role string

// The roles of SPEC §1 and §2.4.
const (
	VillageClerk     Role = "village_clerk"
	TownshipOfficer  Role = "township_officer"
	TownshipReviewer Role = "township_reviewer"
	CountyApprover   Role = "county_approver"
	CountyAdmin      Role = "county_admin"
	TrainingAdmin    Role = "training_admin"
	Trainer          Role = "trainer"
	ArchiveCustodian Role = "archive_custodian"
	Auditor          Role = "auditor"
	SecurityAdmin    Role = "security_admin"
	SystemAdmin      Role = "system_admin"
)

// AllRoles lists every role in display order.
var AllRoles = []Role{VillageClerk, TownshipOfficer, TownshipReviewer, CountyApprover, CountyAdmin,
	TrainingAdmin, Trainer, ArchiveCustodian, Auditor, SecurityAdmin, SystemAdmin}

var roleLabels = map[Role]string{
	VillageClerk:     "村（社区）经办人",
	TownshipOfficer:  "乡镇（街道）经办人",
	TownshipReviewer: "乡镇（街道）审核人",
	CountyApprover:   "县级审批人",
	CountyAdmin:      "县级业务管理员",
	TrainingAdmin:    "培训管理员",
	Trainer:          "培训讲师",
	ArchiveCustodian: "档案管理员",
	Auditor:          "审计管理员",
	SecurityAdmin:    "安全管理员",
	SystemAdmin:      "系统管理员",
}

// Label is the Chinese name of the role.
func (r Role) Label() string {
	if l, ok := roleLabels[r]; ok {
		return l
	}
	return string(r)
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := roleLabels[r]; return ok }

// Permission is one thing a role may do.
type Permission string

// Permissions checked by services.
const (
	HouseholdView   Permission = "household.view"
	HouseholdEdit   Permission = "household.edit"
	SensitiveReveal Permission = "sensitive.reveal" // see an ID/phone/bank number in full
	UserView        Permission = "user.view"
	UserManage      Permission = "user.manage" // create accounts, grant roles
	AuditView       Permission = "audit.view"
	RegionView      Permission = "region.view"
	SystemConfig    Permission = "system.config"
)

var grants = map[Role][]Permission{
	VillageClerk:     {HouseholdView, HouseholdEdit, SensitiveReveal, RegionView},
	TownshipOfficer:  {HouseholdView, HouseholdEdit, SensitiveReveal, RegionView},
	TownshipReviewer: {HouseholdView, SensitiveReveal, RegionView},
	CountyApprover:   {HouseholdView, SensitiveReveal, RegionView},
	CountyAdmin:      {HouseholdView, RegionView, UserView},
	TrainingAdmin:    {UserView, RegionView},
	Trainer:          {RegionView},
	ArchiveCustodian: {RegionView},
	Auditor:          {AuditView, UserView, RegionView},
	SecurityAdmin:    {UserView, UserManage, RegionView},
	SystemAdmin:      {SystemConfig, RegionView, UserView},
}

// exclusive roles: no account may hold two of them (三员分立).
var exclusive = []Role{SystemAdmin, SecurityAdmin, Auditor}

// CheckRoles validates a role set: known roles, no duplicates, and the
// separation of system, security and audit administration.
func CheckRoles(roles []Role) error {
	if len(roles) == 0 {
		return errs.Invalidf("roles", "至少需要一个角色")
	}
	seen := map[Role]bool{}
	held := 0
	for _, r := range roles {
		if !r.Valid() {
			return errs.Invalidf("roles", "未知角色：%s", r)
		}
		if seen[r] {
			return errs.Invalidf("roles", "角色重复：%s", r.Label())
		}
		seen[r] = true
		if slices.Contains(exclusive, r) {
			held++
		}
	}
	if held > 1 {
		return errs.Invalidf("roles", "系统管理员、安全管理员、审计管理员必须由不同账号担任（三员分立）")
	}
	return nil
}

// ParseRoles parses a comma-separated role list as stored in the database.
func ParseRoles(s string) []Role {
	var out []Role
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, Role(p))
		}
	}
	return out
}

// JoinRoles is the inverse of ParseRoles.
func JoinRoles(roles []Role) string {
	ss := make([]string, len(roles))
	for i, r := range roles {
		ss[i] = string(r)
	}
	return strings.Join(ss, ",")
}

// Principal is the authenticated caller: who acts, with which roles, over
// which part of the county.
type Principal struct {
	UserID      int64
	Username    string
	DisplayName string
	Roles       []Role
	Region      region.Code
	RequestID   string
}

// System is the principal of batch commands run by the operator.
func System(name string) Principal {
	return Principal{Username: "system:" + name, Roles: nil}
}

// Can reports whether any of the principal's roles grants p.
func (p Principal) Can(perm Permission) bool {
	for _, r := range p.Roles {
		if slices.Contains(grants[r], perm) {
			return true
		}
	}
	return false
}

// Has reports whether the principal holds role r.
func (p Principal) Has(r Role) bool { return slices.Contains(p.Roles, r) }

// Require returns a Forbidden error unless the principal may do perm.
func (p Principal) Require(perm Permission) error {
	if p.Can(perm) {
		return nil
	}
	return errs.New(errs.Forbidden, "", "您没有执行此操作的权限")
}

// Scope is the half-open region code range the principal may see.
func (p Principal) Scope() region.Scope {
	if p.Region == "" {
		return region.Scope{}
	}
	return region.ScopeOf(p.Region)
}

// RoleString is the comma-joined role list recorded in audit entries.
func (p Principal) RoleString() string { return JoinRoles(p.Roles) }
