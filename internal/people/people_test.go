package people_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/access"
	"dibao/internal/audit"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/people"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

var ctx = context.Background()

const newPassword = "Reset-pass-2026!"

type fixture struct {
	db      *store.DB
	svc     *people.Service
	auth    *access.Service
	now     *time.Time
	sec     authz.Principal // county security administrator
	townSec authz.Principal // security administrator of township A only
	clerk   authz.Principal // village A clerk
	auditor authz.Principal
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	db.SetClock(func() time.Time { return now })
	testenv.SeedRegions(t, db)
	f := &fixture{db: db, now: &now, svc: &people.Service{DB: db},
		auth: &access.Service{DB: db, Policy: access.DefaultPolicy()}}
	f.sec = testenv.User(t, db, "secadmin", testenv.County, authz.SecurityAdmin)
	f.townSec = testenv.User(t, db, "townsec", testenv.TownA, authz.SecurityAdmin)
	f.clerk = testenv.User(t, db, "clerk", testenv.VillageA, authz.VillageClerk)
	f.auditor = testenv.User(t, db, "auditor", testenv.County, authz.Auditor)
	// testenv.User returns the principal before the insert's id is known.
	for _, p := range []*authz.Principal{&f.sec, &f.townSec, &f.clerk, &f.auditor} {
		p.UserID = f.id(t, p.Username)
	}
	return f
}

func (f *fixture) id(t *testing.T, username string) int64 {
	t.Helper()
	us, err := f.db.UsersFiltered(ctx, region.All(), store.UserFilter{Query: username})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		if u.Username == username {
			return u.ID
		}
	}
	t.Fatalf("no user %s", username)
	return 0
}

func (f *fixture) user(t *testing.T, id int64) store.User {
	t.Helper()
	u, err := f.db.UserByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// userAudits returns the user.* records, oldest first.
func userAudits(t *testing.T, db *store.DB) []audit.Record {
	t.Helper()
	recs, err := db.AuditRecords(ctx, store.AuditFilter{Action: "user.", Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Record
	for i := len(recs) - 1; i >= 0; i-- {
		if strings.HasPrefix(recs[i].Action, "user.") {
			out = append(out, recs[i])
		}
	}
	return out
}

func draft() people.Draft {
	return people.Draft{Username: "zhang.san", DisplayName: "张三", Region: string(testenv.VillageB),
		Roles: []string{string(authz.VillageClerk)}, Posts: "受理", HireDate: "2024-03-01", Password: "Initial-pass-2026"}
}

func TestCreate(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		cases := []struct {
			name  string
			p     authz.Principal
			edit  func(d *people.Draft)
			code  errs.Code
			field string
			msg   string
		}{
			{"separation of duties", f.sec, func(d *people.Draft) {
				d.Roles = []string{string(authz.SecurityAdmin), string(authz.Auditor)}
			}, errs.Invalid, "roles", "三员分立"},
			{"system and audit admin in one comma list", f.sec, func(d *people.Draft) {
				d.Roles = []string{"system_admin,auditor"}
			}, errs.Invalid, "roles", "三员分立"},
			{"region outside the caller's township", f.townSec, nil, errs.Forbidden, "region_code", "管辖范围"},
			{"region outside the county", f.sec, func(d *people.Draft) { d.Region = "130200101201" },
				errs.Forbidden, "region_code", "管辖范围"},
			{"region not on file", f.sec, func(d *people.Draft) { d.Region = "130199101299" },
				errs.Invalid, "region_code", "不存在"},
			{"malformed region", f.sec, func(d *people.Draft) { d.Region = "13019910" },
				errs.Invalid, "region_code", region.MsgFormat},
			{"no role", f.sec, func(d *people.Draft) { d.Roles = nil }, errs.Invalid, "roles", "至少选择一个角色"},
			{"unknown role", f.sec, func(d *people.Draft) { d.Roles = []string{"root"} }, errs.Invalid, "roles", "未知角色"},
			{"short username", f.sec, func(d *people.Draft) { d.Username = "zs" }, errs.Invalid, "username", "3至32"},
			{"upper-case username", f.sec, func(d *people.Draft) { d.Username = "ZhangSan" }, errs.Invalid, "username", "小写字母"},
			{"username taken", f.sec, func(d *people.Draft) { d.Username = "clerk" }, errs.Conflict, "username", "已存在"},
			{"no name", f.sec, func(d *people.Draft) { d.DisplayName = " " }, errs.Invalid, "display_name", "姓名"},
			{"unknown post", f.sec, func(d *people.Draft) { d.Posts = "受理,扫地" }, errs.Invalid, "posts", "未知岗位：扫地"},
			{"hire date in the future", f.sec, func(d *people.Draft) { d.HireDate = "2026-11-28" },
				errs.Invalid, "hire_date", "不能晚于今天"},
			{"hire date malformed", f.sec, func(d *people.Draft) { d.HireDate = "2024/03/01" },
				errs.Invalid, "hire_date", "YYYY-MM-DD"},
			{"weak password", f.sec, func(d *people.Draft) { d.Password = "password" }, errs.Invalid, "password", "至少12位"},
			{"password holds username", f.sec, func(d *people.Draft) { d.Password = "Zhang.san-2026" },
				errs.Invalid, "password", "用户名"},
			{"clerk may not create accounts", f.clerk, nil, errs.Forbidden, "", "没有执行此操作的权限"},
			{"auditor may only view", f.auditor, nil, errs.Forbidden, "", "没有执行此操作的权限"},
		}
		before := len(userAudits(t, db))
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				d := draft()
				if c.edit != nil {
					c.edit(&d)
				}
				_, err := f.svc.Create(ctx, c.p, d)
				e := errs.As(err)
				if err == nil || e.Code != c.code || errs.Fields(err)[c.field] == "" && c.field != "" ||
					!strings.Contains(errs.Fields(err)[c.field]+e.Message, c.msg) {
					t.Fatalf("got %v; want %s %s %q", err, c.code, c.field, c.msg)
				}
			})
		}
		if got := len(userAudits(t, db)); got != before {
			t.Fatalf("refused creations wrote %d audit records", got-before)
		}

		// All problems of one draft are reported together.
		_, err := f.svc.Create(ctx, f.sec, people.Draft{Username: "X", Region: "1", HireDate: "tomorrow"})
		if fs := errs.Fields(err); len(fs) < 7 {
			t.Fatalf("want every field reported, got %v", fs)
		}

		d := draft()
		d.Posts = "调查、受理"
		u, err := f.svc.Create(ctx, f.sec, d)
		if err != nil {
			t.Fatal(err)
		}
		if u.ID == 0 || u.PasswordHash != "" || u.Posts != "受理,调查" || !u.Active {
			t.Fatalf("created %+v", u)
		}
		if _, _, err := f.auth.Login(ctx, "zhang.san", d.Password, "web", ""); err != nil {
			t.Fatalf("new account cannot log in: %v", err)
		}
		recs := userAudits(t, db)
		last := recs[len(recs)-1]
		if last.Action != "user.create" || last.Actor != "secadmin" || last.Object != "user:"+itoa(u.ID) ||
			!strings.Contains(last.Detail, "roles=village_clerk") || strings.Contains(last.Detail, d.Password) {
			t.Fatalf("audit %+v", last)
		}

		// The township security admin may create within the township.
		d = draft()
		d.Username, d.Region = "li.si", string(testenv.VillageA)
		if _, err := f.svc.Create(ctx, f.townSec, d); err != nil {
			t.Fatal(err)
		}
		// The console operator bootstraps without a role.
		d = draft()
		d.Username, d.Region, d.Roles = "firstsec", string(testenv.County), []string{string(authz.SecurityAdmin)}
		if _, err := f.svc.Bootstrap(ctx, "cli", d); err != nil {
			t.Fatal(err)
		}
		recs = userAudits(t, db)
		if last := recs[len(recs)-1]; last.Actor != "system:cli" || last.Region != string(testenv.County) {
			t.Fatalf("bootstrap audit %+v", last)
		}
	})
}

func TestSetRoles(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		token, _, err := f.auth.Login(ctx, "clerk", testenv.Password, "web", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.auth.Authenticate(ctx, token, "web"); err != nil {
			t.Fatal(err)
		}
		v := f.user(t, f.clerk.UserID).Version
		newRoles := []authz.Role{authz.Trainer, authz.VillageClerk}

		cases := []struct {
			name    string
			p       authz.Principal
			id      int64
			version int64
			roles   []authz.Role
			code    errs.Code
			msg     string
		}{
			{"stale version", f.sec, f.clerk.UserID, v - 1, newRoles, errs.Conflict, "已被他人修改"},
			{"own roles", f.sec, f.sec.UserID, f.user(t, f.sec.UserID).Version,
				[]authz.Role{authz.SecurityAdmin, authz.Trainer}, errs.Forbidden, "本人"},
			{"separation of duties", f.sec, f.auditor.UserID, f.user(t, f.auditor.UserID).Version,
				[]authz.Role{authz.Auditor, authz.SystemAdmin}, errs.Invalid, "三员分立：系统管理员、审计管理员"},
			{"unchanged", f.sec, f.clerk.UserID, v, []authz.Role{authz.VillageClerk}, errs.Invalid, "未作修改"},
			{"out of scope", f.townSec, f.auditor.UserID, f.user(t, f.auditor.UserID).Version,
				[]authz.Role{authz.Auditor, authz.Trainer}, errs.NotFound, "账号不存在"},
			{"viewer only", f.auditor, f.clerk.UserID, v, newRoles, errs.Forbidden, "权限"},
			{"no such account", f.sec, 9999, 1, newRoles, errs.NotFound, "账号不存在"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := f.svc.SetRoles(ctx, c.p, c.id, c.version, c.roles)
				if e := errs.As(err); err == nil || e.Code != c.code || !strings.Contains(e.Message, c.msg) {
					t.Fatalf("got %v; want %s %q", err, c.code, c.msg)
				}
			})
		}
		if _, err := f.auth.Authenticate(ctx, token, "web"); err != nil {
			t.Fatalf("a refused change ended the session: %v", err)
		}
		if n := len(userAudits(t, db)); n != 0 {
			t.Fatalf("refused changes wrote %d audit records", n)
		}

		if err := f.svc.SetRoles(ctx, f.sec, f.clerk.UserID, v, newRoles); err != nil {
			t.Fatal(err)
		}
		// The session is gone at once: the new roles apply now, not at the
		// next login.
		if _, err := f.auth.Authenticate(ctx, token, "web"); errs.CodeOf(err) != errs.Unauthorized {
			t.Fatalf("session survived a role change: %v", err)
		}
		u := f.user(t, f.clerk.UserID)
		if authz.JoinRoles(u.Roles) != "village_clerk,trainer" || u.Version != v+1 {
			t.Fatalf("stored %v v%d", u.Roles, u.Version)
		}
		// The same stale form submitted again is refused.
		if err := f.svc.SetRoles(ctx, f.sec, f.clerk.UserID, v, []authz.Role{authz.VillageClerk}); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("second stale save: %v", err)
		}
		recs := userAudits(t, db)
		if len(recs) != 1 || recs[0].Action != "user.roles" || recs[0].Detail != "village_clerk → village_clerk,trainer" ||
			recs[0].Object != "user:"+itoa(f.clerk.UserID) {
			t.Fatalf("audit %+v", recs)
		}
	})
}

func TestUnlockActivateReset(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		id := f.clerk.UserID

		if err := f.svc.Unlock(ctx, f.sec, id); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("unlock of an unlocked account: %v", err)
		}
		for i := 0; i < 5; i++ {
			_, _, _ = f.auth.Login(ctx, "clerk", "wrong-password", "web", "")
		}
		if _, _, err := f.auth.Login(ctx, "clerk", testenv.Password, "web", ""); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("account not locked: %v", err)
		}
		a, err := f.svc.Get(ctx, f.sec, id)
		if err != nil || !a.Locked(db.Now()) || a.PasswordHash != "" {
			t.Fatalf("get: %+v %v", a, err)
		}
		if err := f.svc.Unlock(ctx, f.auditor, id); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("auditor unlocked: %v", err)
		}
		if err := f.svc.Unlock(ctx, f.sec, id); err != nil {
			t.Fatal(err)
		}
		token, _, err := f.auth.Login(ctx, "clerk", testenv.Password, "web", "")
		if err != nil {
			t.Fatalf("login after unlock: %v", err)
		}
		if a, _ := f.svc.Get(ctx, f.sec, id); a.Sessions != 1 || a.FailedLogins != 0 {
			t.Fatalf("after unlock: %+v", a)
		}

		// Deactivation ends the session and refuses logins.
		if err := f.svc.SetActive(ctx, f.sec, f.sec.UserID, false); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("deactivated self: %v", err)
		}
		if err := f.svc.SetActive(ctx, f.sec, id, true); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("activate an active account: %v", err)
		}
		if err := f.svc.SetActive(ctx, f.sec, id, false); err != nil {
			t.Fatal(err)
		}
		if _, err := f.auth.Authenticate(ctx, token, "web"); err == nil {
			t.Fatal("session survived deactivation")
		}
		if _, _, err := f.auth.Login(ctx, "clerk", testenv.Password, "web", ""); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("inactive account logged in: %v", err)
		}
		if err := f.svc.SetActive(ctx, f.sec, id, true); err != nil {
			t.Fatal(err)
		}

		// Password reset: strength checked, sessions ended, old password dead.
		token, _, err = f.auth.Login(ctx, "clerk", testenv.Password, "web", "")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			p    authz.Principal
			id   int64
			pw   string
			code errs.Code
		}{
			{"weak", f.sec, id, "short", errs.Invalid},
			{"holds username", f.sec, id, "Myclerk-2026", errs.Invalid},
			{"own password", f.sec, f.sec.UserID, newPassword, errs.Forbidden},
			{"out of scope", f.townSec, f.auditor.UserID, newPassword, errs.NotFound},
		} {
			if err := f.svc.ResetPassword(ctx, c.p, c.id, c.pw); errs.CodeOf(err) != c.code {
				t.Errorf("%s: %v, want %s", c.name, err, c.code)
			}
		}
		if err := f.svc.ResetPassword(ctx, f.sec, id, newPassword); err != nil {
			t.Fatal(err)
		}
		if _, err := f.auth.Authenticate(ctx, token, "web"); err == nil {
			t.Fatal("session survived password reset")
		}
		if _, _, err := f.auth.Login(ctx, "clerk", testenv.Password, "web", ""); err == nil {
			t.Fatal("old password still works")
		}
		if _, _, err := f.auth.Login(ctx, "clerk", newPassword, "web", ""); err != nil {
			t.Fatalf("new password: %v", err)
		}

		var got []string
		for _, r := range userAudits(t, db) {
			got = append(got, r.Action)
			if r.Object != "user:"+itoa(id) || r.Actor != "secadmin" || strings.Contains(r.Detail, newPassword) {
				t.Errorf("audit %+v", r)
			}
		}
		want := "user.unlock user.deactivate user.activate user.password_reset"
		if strings.Join(got, " ") != want {
			t.Fatalf("audited %v, want %s", got, want)
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestListAndGetScope(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		names := func(p authz.Principal, fl store.UserFilter) string {
			t.Helper()
			us, err := f.svc.List(ctx, p, fl)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, u := range us {
				if u.PasswordHash != "" {
					t.Fatal("list leaks password hashes")
				}
				out = append(out, u.Username)
			}
			return strings.Join(out, ",")
		}
		cases := []struct {
			name string
			p    authz.Principal
			f    store.UserFilter
			want string
		}{
			{"county sees all", f.sec, store.UserFilter{}, "auditor,secadmin,townsec,clerk"},
			{"township sees its own", f.townSec, store.UserFilter{}, "townsec,clerk"},
			{"by role", f.auditor, store.UserFilter{Role: authz.SecurityAdmin}, "secadmin,townsec"},
			{"by query", f.sec, store.UserFilter{Query: "sec"}, "secadmin,townsec"},
			{"query wildcard is literal", f.sec, store.UserFilter{Query: "%"}, ""},
			{"by region", f.sec, store.UserFilter{Region: testenv.TownA}, "townsec,clerk"},
			{"filter region cannot widen scope", f.townSec, store.UserFilter{Region: testenv.County}, "townsec,clerk"},
			{"inactive", f.sec, store.UserFilter{Status: "inactive"}, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if got := names(c.p, c.f); got != c.want {
					t.Fatalf("got %q, want %q", got, c.want)
				}
			})
		}
		if _, err := f.svc.List(ctx, f.clerk, store.UserFilter{}); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("clerk listed accounts: %v", err)
		}
		if _, err := f.svc.Get(ctx, f.townSec, f.auditor.UserID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("township admin read a county account: %v", err)
		}
		if a, err := f.svc.Get(ctx, f.townSec, f.clerk.UserID); err != nil || a.Username != "clerk" {
			t.Fatalf("get: %+v %v", a, err)
		}
	})
}

func TestParseHelpers(t *testing.T) {
	today := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"2026-03-02", "2026-03-02", true},
		{" 2020-01-31 ", "2020-01-31", true},
		{"2026-03-03", "", false},
		{"2020-02-30", "", false},
		{"1949-12-31", "", false},
		{"", "", false},
	} {
		got, err := people.ParseHireDate(c.in, today)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseHireDate(%q) = %q, %v", c.in, got, err)
		}
	}
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"审批,受理", "受理,审批", true},
		{"受理，调查、受理", "受理,调查", true},
		{"", "", false},
		{"受理,厨师", "", false},
	} {
		got, err := people.ParsePosts(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParsePosts(%q) = %q, %v", c.in, got, err)
		}
	}
	if got := people.DefaultPosts([]authz.Role{authz.TownshipOfficer, authz.VillageClerk}); got != "受理,调查" {
		t.Errorf("DefaultPosts = %q", got)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
