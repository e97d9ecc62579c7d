package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"dibao/internal/access"
	"dibao/internal/authz"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// addSecAdmin creates the county security administrator "secadmin".
func (e *env) addSecAdmin() {
	e.t.Helper()
	hash, err := access.HashPassword(password)
	if err != nil {
		e.t.Fatal(err)
	}
	err = e.a.DB.InTx(bg, authz.System("test-seed"), func(tx *store.Tx) error {
		if _, err := tx.CreateUser(bg, store.User{Username: "secadmin", DisplayName: "许安全", Region: county,
			Roles: []authz.Role{authz.SecurityAdmin}, PasswordHash: hash, Active: true}); err != nil {
			return err
		}
		return tx.Audit(bg, store.Entry{Action: "test.seed", Object: "user:secadmin"})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	testenv.EnrolTOTP(e.t, e.a.DB, "secadmin")
}

func (e *env) userByName(name string) store.User {
	e.t.Helper()
	us, err := e.a.DB.Users(bg, region.ScopeOf(county))
	if err != nil {
		e.t.Fatal(err)
	}
	for _, u := range us {
		if u.Username == name {
			return u
		}
	}
	e.t.Fatalf("no user %s", name)
	return store.User{}
}

func (e *env) auditActions(prefix string) []string {
	e.t.Helper()
	recs, err := e.a.DB.AuditRecords(bg, store.AuditFilter{Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for i := len(recs) - 1; i >= 0; i-- {
		if strings.HasPrefix(recs[i].Action, prefix) {
			out = append(out, recs[i].Action+" "+recs[i].Object+" "+recs[i].Detail)
		}
	}
	return out
}

// follow GETs the page a POST redirected to, as a browser would.
func (c *client) follow(r resp) resp {
	c.e.t.Helper()
	if r.StatusCode != http.StatusSeeOther {
		c.e.t.Fatalf("status %d, want 303\n%s", r.StatusCode, r.body)
	}
	return c.get(r.Header.Get("Location"))
}

func TestClerkCannotManageAccounts(t *testing.T) {
	e := setup(t)
	clerk := e.login("clerk")
	id := strconv.FormatInt(e.userByName("townb").ID, 10)
	for _, path := range []string{"/users/new", "/users/" + id} {
		if r := clerk.get(path); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "没有访问权限") {
			t.Errorf("clerk GET %s: %d", path, r.StatusCode)
		}
	}
	for _, path := range []string{"/users", "/users/" + id + "/roles", "/users/" + id + "/deactivate",
		"/users/" + id + "/password"} {
		r := clerk.post(path, url.Values{"username": {"evil"}, "roles": {"security_admin"}, "version": {"1"},
			"new_password": {"Evil-pass-2026"}, "new_password_confirm": {"Evil-pass-2026"}})
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("clerk POST %s: %d", path, r.StatusCode)
		}
	}
	if got := e.auditActions("user."); len(got) != 0 {
		t.Fatalf("refused requests changed accounts: %v", got)
	}
	// Viewers see the account page without any of its forms.
	aud := e.login("auditor")
	r := aud.get("/users/" + id)
	if r.StatusCode != 200 || !strings.Contains(r.body, "王乡干") || strings.Contains(r.body, `id="save-roles"`) ||
		strings.Contains(r.body, `id="deactivate-user"`) || strings.Contains(r.body, `id="new-user"`) {
		t.Errorf("auditor account page: %d\n%s", r.StatusCode, r.body)
	}
	if r := aud.post("/users/"+id+"/unlock", nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("auditor unlock: %d", r.StatusCode)
	}
}

func TestSecurityAdminManagesAccounts(t *testing.T) {
	e := setup(t)
	e.addSecAdmin()
	sec := e.login("secadmin")
	clerkSession := e.login("clerk")
	clerk := e.userByName("clerk")
	clerkPath := "/users/" + strconv.FormatInt(clerk.ID, 10)

	list := sec.get("/users")
	if list.StatusCode != 200 || !strings.Contains(list.body, `href="/users/new"`) ||
		!strings.Contains(list.body, `href="`+clerkPath+`"`) {
		t.Fatalf("list: %d\n%s", list.StatusCode, list.body)
	}
	if r := sec.get("/users?role=security_admin"); !strings.Contains(r.body, "许安全") || strings.Contains(r.body, "李村官") {
		t.Error("role filter ignored")
	}
	if r := sec.get("/users/new"); r.StatusCode != 200 || !strings.Contains(r.body, `id="role_security_admin"`) ||
		!strings.Contains(r.body, "李家庄村") {
		t.Fatalf("new form: %d", r.StatusCode)
	}

	// Separation of duties: refused beside the role boxes, input kept,
	// password not echoed, nothing created.
	form := url.Values{"username": {"wang.wu"}, "display_name": {"王五"}, "region_code": {string(townA)},
		"hire_date": {"2024-03-01"}, "roles": {"security_admin", "auditor"}, "posts": {"调查"},
		"password": {"Initial-pass-2026"}, "password_confirm": {"Initial-pass-2026"}}
	r := sec.post("/users", form)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "三员分立") ||
		!strings.Contains(r.body, `value="wang.wu"`) || strings.Contains(r.body, "Initial-pass-2026") ||
		!strings.Contains(r.body, `id="role_auditor" value="auditor" checked`) {
		t.Fatalf("SoD create: %d\n%s", r.StatusCode, r.body)
	}
	form.Set("password_confirm", "Other-pass-2026")
	form["roles"] = []string{"township_officer"}
	if r := sec.post("/users", form); r.StatusCode != http.StatusUnprocessableEntity ||
		!regexp.MustCompile(`id="password_confirm"[^>]*>\s*<div class="error-msg">两次输入的密码不一致</div>`).MatchString(r.body) {
		t.Fatalf("mismatched passwords: %d\n%s", r.StatusCode, r.body)
	}
	form.Set("password_confirm", "Initial-pass-2026")
	page := sec.follow(sec.post("/users", form))
	if !strings.Contains(page.body, "账号已创建") || !strings.Contains(page.body, "王五") ||
		!strings.Contains(page.body, "乡镇（街道）经办人") {
		t.Fatalf("created page:\n%s", page.body)
	}
	if _, _, err := e.a.Access.Login(bg, "wang.wu", "Initial-pass-2026", "web", ""); err != nil {
		t.Fatalf("new account cannot log in: %v", err)
	}

	// Grant the clerk the trainer role: the clerk's session ends at once.
	if r := clerkSession.get("/households"); r.StatusCode != 200 {
		t.Fatalf("clerk before: %d", r.StatusCode)
	}
	d := sec.get(clerkPath)
	if !strings.Contains(d.body, `id="save-roles"`) || !strings.Contains(d.body, `name="version" value="1"`) {
		t.Fatalf("detail page:\n%s", d.body)
	}
	r = sec.post(clerkPath+"/roles", url.Values{"version": {"1"}, "roles": {"village_clerk", "trainer"}})
	if page := sec.follow(r); !strings.Contains(page.body, "角色已保存") || !strings.Contains(page.body, "培训讲师") {
		t.Fatalf("after grant:\n%s", page.body)
	}
	if r := clerkSession.get("/households"); r.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("clerk session survived the role change: %d", r.StatusCode)
	}
	// The same stale form again is a conflict shown on the page.
	r = sec.post(clerkPath+"/roles", url.Values{"version": {"1"}, "roles": {"village_clerk"}})
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "已被他人修改") || !strings.Contains(r.body, `name="version" value="2"`) {
		t.Errorf("stale roles: %d\n%s", r.StatusCode, r.body)
	}
	// Own roles cannot be changed, and the page does not offer it.
	self := e.userByName("secadmin")
	selfPath := "/users/" + strconv.FormatInt(self.ID, 10)
	if p := sec.get(selfPath); strings.Contains(p.body, `id="save-roles"`) || !strings.Contains(p.body, `id="self-note"`) {
		t.Error("own account page offers role changes")
	}
	r = sec.post(selfPath+"/roles", url.Values{"version": {"1"}, "roles": {"security_admin", "trainer"}})
	if r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "不能修改本人的角色") {
		t.Errorf("own roles: %d", r.StatusCode)
	}
	if r := sec.post(selfPath+"/deactivate", nil); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "不能停用本人") {
		t.Errorf("own deactivate: %d", r.StatusCode)
	}

	// Deactivate, activate, reset password.
	if p := sec.follow(sec.post(clerkPath+"/deactivate", nil)); !strings.Contains(p.body, "账号已停用") ||
		!strings.Contains(p.body, `id="activate-user"`) {
		t.Errorf("deactivate:\n%s", p.body)
	}
	if p := sec.follow(sec.post(clerkPath+"/activate", nil)); !strings.Contains(p.body, "账号已启用") {
		t.Errorf("activate:\n%s", p.body)
	}
	r = sec.post(clerkPath+"/password", url.Values{"new_password": {"short"}, "new_password_confirm": {"short"}})
	if r.StatusCode != http.StatusUnprocessableEntity ||
		!regexp.MustCompile(`id="new_password"[^>]*>\s*<div class="error-msg">密码至少12位</div>`).MatchString(r.body) {
		t.Errorf("weak reset: %d\n%s", r.StatusCode, r.body)
	}
	r = sec.post(clerkPath+"/password", url.Values{"new_password": {"Reset-pass-2026"}, "new_password_confirm": {"Reset-pass-2026"}})
	if p := sec.follow(r); !strings.Contains(p.body, "密码已重置") {
		t.Errorf("reset:\n%s", p.body)
	}
	if r := sec.post(clerkPath+"/unlock", nil); r.StatusCode != http.StatusBadRequest && r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "未被锁定") {
		t.Errorf("unlock of an unlocked account: %d", r.StatusCode)
	}

	got := e.auditActions("user.")
	obj := "user:" + strconv.FormatInt(clerk.ID, 10)
	want := []string{"user.create", obj + " village_clerk → village_clerk,trainer", "user.deactivate " + obj,
		"user.activate " + obj, "user.password_reset " + obj}
	if len(got) != len(want) {
		t.Fatalf("audited %q", got)
	}
	for i, w := range want {
		if !strings.Contains(got[i], w) {
			t.Errorf("audit %d = %q, want it to contain %q", i, got[i], w)
		}
	}
	for _, g := range got {
		if strings.Contains(g, "pass-2026") {
			t.Errorf("a password reached the audit log: %q", g)
		}
	}
}
