// Package people is staff account administration for the security
// administrator (安全管理员): list and view accounts, create them, grant
// roles, unlock, activate and deactivate, and reset passwords. Every change
// is written with its audit record in one transaction, and every change
// that narrows what a user may do ends the user's sessions at once.
package people

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"dibao/internal/access"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/region"
	"dibao/internal/store"
)

// Service administers staff accounts.
type Service struct {
	DB  *store.DB
	Now func() time.Time // nil means the store's clock
	// Changed runs after an account is created, re-roled, enabled or
	// disabled — the training enrollment rules re-run on it, so a new hire
	// finds onboarding at once. Its failure never undoes the change.
	Changed func(ctx context.Context)
}

func (s *Service) changed(ctx context.Context, err error) {
	if err == nil && s.Changed != nil {
		s.Changed(ctx)
	}
}

// cst is China Standard Time: "today" for a hire date is the county's today.
var cst = time.FixedZone("CST", 8*3600)

func obj(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// Posts are the posts (岗位) a staff member can hold, in display order.
// Training plans target people by post, so the names are a closed list
// rather than free text that would never match.
var Posts = []string{"受理", "调查", "审核", "审批", "管理", "培训", "培训管理", "档案管理", "审计", "安全管理", "系统管理"}

// defaultPosts is the usual post of each role, for accounts created from
// the command line without --posts.
var defaultPosts = map[authz.Role][]string{
	authz.VillageClerk:     {"受理"},
	authz.TownshipOfficer:  {"受理", "调查"},
	authz.TownshipReviewer: {"审核"},
	authz.CountyApprover:   {"审批"},
	authz.CountyAdmin:      {"管理"},
	authz.TrainingAdmin:    {"培训管理"},
	authz.Trainer:          {"培训"},
	authz.ArchiveCustodian: {"档案管理"},
	authz.Auditor:          {"审计"},
	authz.SecurityAdmin:    {"安全管理"},
	authz.SystemAdmin:      {"系统管理"},
}

// DefaultPosts returns the usual posts of a set of roles as a comma list.
func DefaultPosts(roles []authz.Role) string {
	var out []string
	for _, r := range roles {
		for _, p := range defaultPosts[r] {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return strings.Join(out, ",")
}

// RoleGroup is a heading under which the role checkboxes are shown.
type RoleGroup struct {
	Label string
	Roles []authz.Role
}

// RoleGroups arranges every role for the account pages: casework, training,
// and the three administrators that must be held by different people.
var RoleGroups = []RoleGroup{
	{Label: "业务", Roles: []authz.Role{authz.VillageClerk, authz.TownshipOfficer, authz.TownshipReviewer,
		authz.CountyApprover, authz.CountyAdmin}},
	{Label: "培训", Roles: []authz.Role{authz.TrainingAdmin, authz.Trainer, authz.ArchiveCustodian}},
	{Label: "管理", Roles: []authz.Role{authz.SystemAdmin, authz.SecurityAdmin, authz.Auditor}},
}

// threeAdmins are the roles of 三员分立, named in the refusal message;
// authz.CheckRoles remains the rule's one authority.
var threeAdmins = []authz.Role{authz.SystemAdmin, authz.SecurityAdmin, authz.Auditor}

// Draft is a new account as typed into the form or the command line.
type Draft struct {
	Username    string
	DisplayName string
	Region      string
	Roles       []string
	Posts       string // comma list; Chinese commas and 、 are accepted
	HireDate    string // YYYY-MM-DD
	Password    string // initial password; never stored or logged in clear
}

// Account is an account as the administration pages show it. The password
// hash is never part of it.
type Account struct {
	store.User
	Sessions int // open sessions
}

// Locked reports whether the account is locked out at now.
func (a Account) Locked(now time.Time) bool { return now.Before(a.LockedUntil) }

func (s *Service) now() time.Time {
	if s.Now == nil {
		return s.DB.Now()
	}
	return s.Now()
}

func (s *Service) today() time.Time {
	t := s.now().In(cst)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// List returns the accounts within the caller's scope that match f.
func (s *Service) List(ctx context.Context, p authz.Principal, f store.UserFilter) ([]store.User, error) {
	if err := p.Require(authz.UserView); err != nil {
		return nil, err
	}
	f.Query = strings.TrimSpace(f.Query)
	if f.Role != "" && !f.Role.Valid() {
		return nil, errs.Invalidf("role", "未知角色：%s", f.Role)
	}
	us, err := s.DB.UsersFiltered(ctx, p.Scope(), f)
	for i := range us {
		us[i].PasswordHash = ""
	}
	return us, err
}

// Get returns an account within the caller's scope.
func (s *Service) Get(ctx context.Context, p authz.Principal, id int64) (Account, error) {
	if err := p.Require(authz.UserView); err != nil {
		return Account{}, err
	}
	u, err := s.DB.UserInScope(ctx, p.Scope(), id)
	if err != nil {
		return Account{}, err
	}
	u.PasswordHash = ""
	n, err := s.DB.UserSessionCount(ctx, id)
	if err != nil {
		return Account{}, err
	}
	return Account{User: u, Sessions: n}, nil
}

// Create validates a draft and stores a new active account in the caller's
// scope.
func (s *Service) Create(ctx context.Context, p authz.Principal, d Draft) (store.User, error) {
	if err := p.Require(authz.UserManage); err != nil {
		return store.User{}, err
	}
	u, err := s.create(ctx, p, d)
	s.changed(ctx, err)
	return u, err
}

// Bootstrap creates an account on behalf of the operator at the server's
// console (`dibao user add`), who already holds the database and its keys
// and so needs no role: this is how the first security administrator of a
// production install comes to exist. The operator acts as the system
// principal named operator, scoped to the county of the draft's region.
func (s *Service) Bootstrap(ctx context.Context, operator string, d Draft) (store.User, error) {
	p := authz.System(operator)
	if c, err := region.Parse(d.Region); err == nil {
		p.Region = c.County()
	}
	return s.create(ctx, p, d)
}

func (s *Service) create(ctx context.Context, p authz.Principal, d Draft) (store.User, error) {
	u, pw, err := s.parse(p, d)
	if err != nil {
		return store.User{}, err
	}
	// Hash before the transaction: argon2 takes tens of milliseconds that
	// the single SQLite writer should not wait for.
	if u.PasswordHash, err = access.HashPassword(pw); err != nil {
		return store.User{}, errs.Wrap(err, "创建账号失败，请重试")
	}
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		ok, err := tx.RegionExists(ctx, u.Region)
		if err != nil {
			return err
		}
		if !ok {
			return errs.Invalidf("region_code", "行政区划 %s 不存在，请先添加该区划", u.Region)
		}
		if u.ID, err = tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "user.create", Object: obj(u.ID),
			Detail: "username=" + u.Username + " region=" + string(u.Region) + " roles=" + authz.JoinRoles(u.Roles) +
				" posts=" + u.Posts + " hired=" + u.HireDate})
	})
	if err != nil {
		return store.User{}, err
	}
	u.PasswordHash = ""
	return u, nil
}

// parse checks every field of a draft and reports all problems at once.
func (s *Service) parse(p authz.Principal, d Draft) (store.User, string, error) {
	var list errs.List
	u := store.User{Active: true}

	u.Username = strings.TrimSpace(d.Username)
	if msg := checkUsername(u.Username); msg != "" {
		list.Add("username", "%s", msg)
	}

	u.DisplayName = strings.TrimSpace(d.DisplayName)
	switch {
	case u.DisplayName == "":
		list.Add("display_name", "请填写姓名")
	case utf8.RuneCountInString(u.DisplayName) > 30:
		list.Add("display_name", "姓名不能超过30个字")
	case strings.IndexFunc(u.DisplayName, unicode.IsControl) >= 0:
		list.Add("display_name", "姓名含有不可见字符")
	}

	if c, err := region.Parse(d.Region); err != nil {
		list.Add("region_code", "%s", errs.As(err).Message)
	} else if !p.Scope().Contains(c) {
		list = append(list, errs.New(errs.Forbidden, "region_code", "所属区划不在您的管辖范围内"))
	} else {
		u.Region = c
	}

	roles, err := checkRoles(ToRoles(d.Roles))
	if err != nil {
		list = append(list, errs.As(err))
	}
	u.Roles = roles

	posts, err := ParsePosts(d.Posts)
	if err != nil {
		list = append(list, errs.As(err))
	}
	u.Posts = posts

	hd, err := ParseHireDate(d.HireDate, s.today())
	if err != nil {
		list = append(list, errs.As(err))
	}
	u.HireDate = hd

	if err := checkPassword(d.Password, u.Username); err != nil {
		list = append(list, errs.As(err))
	}
	return u, d.Password, list.Err()
}

func checkUsername(s string) string {
	switch {
	case s == "":
		return "请填写用户名"
	case len(s) < 3 || len(s) > 32:
		return "用户名长度应为3至32个字符"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return "用户名只能使用小写字母、数字以及 _ . - 三种符号"
		}
	}
	if c := s[0]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
		return "用户名须以小写字母或数字开头"
	}
	return ""
}

// checkPassword applies the password policy of internal/access (length,
// classes, not the username, not a common password).
func checkPassword(pw, username string) error {
	return access.CheckPolicy(pw, username)
}

// ToRoles turns submitted role codes into roles, dropping blanks; unknown
// codes are kept so that the role check names them.
func ToRoles(ss []string) []authz.Role {
	var out []authz.Role
	for _, s := range ss {
		for _, part := range strings.Split(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, authz.Role(part))
			}
		}
	}
	return out
}

// checkRoles validates a role set with authz.CheckRoles, naming the
// conflicting administrators when separation of duties is what failed, and
// returns the roles in display order so that the stored list is canonical.
func checkRoles(roles []authz.Role) ([]authz.Role, error) {
	if len(roles) == 0 {
		return nil, errs.Invalidf("roles", "请至少选择一个角色")
	}
	if err := authz.CheckRoles(roles); err != nil {
		var held []string
		for _, r := range threeAdmins {
			if slices.Contains(roles, r) {
				held = append(held, r.Label())
			}
		}
		if len(held) > 1 {
			return nil, errs.Invalidf("roles", "三员分立：%s不得由同一账号兼任，请只保留其中一个", strings.Join(held, "、"))
		}
		return nil, err
	}
	out := make([]authz.Role, 0, len(roles))
	for _, r := range authz.AllRoles {
		if slices.Contains(roles, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// ParsePosts normalises a post list typed with any common separator into
// the stored comma list, refusing unknown posts.
func ParsePosts(s string) (string, error) {
	s = strings.NewReplacer("，", ",", "、", ",", ";", ",", "；", ",", " ", ",").Replace(s)
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" || slices.Contains(out, p) {
			continue
		}
		if !slices.Contains(Posts, p) {
			return "", errs.Invalidf("posts", "未知岗位：%s（可选：%s）", p, strings.Join(Posts, "、"))
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return "", errs.Invalidf("posts", "请至少选择一个岗位")
	}
	// Store in the list's order, whatever order they were typed in.
	slices.SortFunc(out, func(a, b string) int { return slices.Index(Posts, a) - slices.Index(Posts, b) })
	return strings.Join(out, ","), nil
}

// ParseHireDate checks a YYYY-MM-DD hire date: not after today, not before
// 1950.
func ParseHireDate(s string, today time.Time) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errs.Invalidf("hire_date", "请填写入职日期")
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return "", errs.Invalidf("hire_date", "入职日期格式应为 YYYY-MM-DD，如 2024-03-01")
	}
	if t.After(today) {
		return "", errs.Invalidf("hire_date", "入职日期不能晚于今天")
	}
	if t.Year() < 1950 {
		return "", errs.Invalidf("hire_date", "入职日期不能早于1950年")
	}
	return t.Format(time.DateOnly), nil
}

// SetRoles replaces the roles of an account read at version. A security
// administrator may not change their own roles (someone else must), and
// the account's sessions end so that the new roles apply from its next
// request, not its next login.
func (s *Service) SetRoles(ctx context.Context, p authz.Principal, id, version int64, roles []authz.Role) error {
	if err := p.Require(authz.UserManage); err != nil {
		return err
	}
	if id == p.UserID {
		return errs.New(errs.Forbidden, "roles", "不能修改本人的角色，请由另一位安全管理员办理")
	}
	roles, err := checkRoles(roles)
	if err != nil {
		return err
	}
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		u, err := tx.UserForUpdate(ctx, p.Scope(), id)
		if err != nil {
			return err
		}
		if u.Version != version {
			return errs.New(errs.Conflict, "version", "该账号已被他人修改，请刷新后重试")
		}
		old := authz.JoinRoles(u.Roles)
		if old == authz.JoinRoles(roles) {
			return errs.Invalidf("roles", "角色未作修改")
		}
		if err := tx.SetUserRoles(ctx, id, roles, version); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, id); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "user.roles", Object: obj(id),
			Detail: old + " → " + authz.JoinRoles(roles)})
	})
	s.changed(ctx, err)
	return err
}

// Unlock clears an account's login failures and lock.
func (s *Service) Unlock(ctx context.Context, p authz.Principal, id int64) error {
	if err := p.Require(authz.UserManage); err != nil {
		return err
	}
	return s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		u, err := tx.UserForUpdate(ctx, p.Scope(), id)
		if err != nil {
			return err
		}
		now := s.now()
		if u.FailedLogins == 0 && !now.Before(u.LockedUntil) {
			return errs.New(errs.Invalid, "", "该账号未被锁定，无需解锁")
		}
		if err := tx.SetLoginState(ctx, id, 0, time.Time{}, time.Time{}); err != nil {
			return err
		}
		detail := "failed=" + strconv.Itoa(u.FailedLogins)
		if now.Before(u.LockedUntil) {
			detail += " locked_until=" + u.LockedUntil.UTC().Format(time.RFC3339)
		}
		return tx.Audit(ctx, store.Entry{Action: "user.unlock", Object: obj(id), Detail: detail})
	})
}

// SetActive enables or disables an account. Disabling ends its sessions;
// nobody may disable their own account.
func (s *Service) SetActive(ctx context.Context, p authz.Principal, id int64, active bool) error {
	if err := p.Require(authz.UserManage); err != nil {
		return err
	}
	if !active && id == p.UserID {
		return errs.New(errs.Forbidden, "", "不能停用本人的账号")
	}
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		u, err := tx.UserForUpdate(ctx, p.Scope(), id)
		if err != nil {
			return err
		}
		if u.Active == active {
			if active {
				return errs.New(errs.Invalid, "", "该账号已是启用状态")
			}
			return errs.New(errs.Invalid, "", "该账号已是停用状态")
		}
		if err := tx.SetUserActive(ctx, id, active, u.Version); err != nil {
			return err
		}
		action := "user.activate"
		if !active {
			action = "user.deactivate"
			if err := tx.DeleteUserSessions(ctx, id); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, store.Entry{Action: action, Object: obj(id), Detail: "username=" + u.Username})
	})
	s.changed(ctx, err)
	return err
}

// ResetPassword sets a new password for another account, clears its lock
// and ends its sessions. The password itself is never logged or audited.
func (s *Service) ResetPassword(ctx context.Context, p authz.Principal, id int64, newPassword string) error {
	if err := p.Require(authz.UserManage); err != nil {
		return err
	}
	if id == p.UserID {
		return errs.New(errs.Forbidden, "password", "不能在此重置本人的密码")
	}
	if err := checkPassword(newPassword, ""); err != nil {
		return err
	}
	hash, err := access.HashPassword(newPassword)
	if err != nil {
		return errs.Wrap(err, "重置密码失败，请重试")
	}
	return s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		u, err := tx.UserForUpdate(ctx, p.Scope(), id)
		if err != nil {
			return err
		}
		if err := checkPassword(newPassword, u.Username); err != nil {
			return err
		}
		if err := tx.SetUserPassword(ctx, id, hash, u.Version); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, id); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "user.password_reset", Object: obj(id),
			Detail: "username=" + u.Username + " sessions ended, lock cleared"})
	})
}
