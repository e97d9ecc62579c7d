package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/access"
	"dibao/internal/authz"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/totp"
)

// cookie returns the named cookie set by a response.
func setCookie(t *testing.T, r resp, name string) *http.Cookie {
	t.Helper()
	var found *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == name {
			found = c // the last one wins, as in a browser
		}
	}
	if found != nil {
		return found
	}
	t.Fatalf("response sets no %s cookie (Set-Cookie: %v)", name, r.Header.Values("Set-Cookie"))
	return nil
}

// withCookie is a fresh client holding only the given session token, as
// an attacker who copied it would.
func (e *env) withCookie(token string) *client {
	c := e.client()
	u, _ := url.Parse(e.srv.URL)
	c.c.Jar.SetCookies(u, []*http.Cookie{{Name: SessionCookie, Value: token, Path: "/"}})
	return c
}

func TestSessionRotatedAtLoginAndEndedAtLogout(t *testing.T) {
	e := setup(t)
	c := e.client()
	r := c.post("/login", url.Values{"username": {"clerk"}, "password": {password}})
	a := setCookie(t, r, SessionCookie)
	if !a.HttpOnly || a.SameSite != http.SameSiteLaxMode || a.Secure || a.Path != "/" || a.Value == "" {
		t.Fatalf("session cookie flags over plain HTTP: %+v", a)
	}
	if r := e.withCookie(a.Value).get("/households"); r.StatusCode != http.StatusOK {
		t.Fatalf("first session: %d", r.StatusCode)
	}
	// Log in again in the same browser: the token it held is ended
	// server-side and a new one issued.
	r = c.post("/login", url.Values{"username": {"clerk"}, "password": {password}})
	b := setCookie(t, r, SessionCookie)
	if b.Value == "" || b.Value == a.Value {
		t.Fatalf("session not rotated at login: old %q new %q", a.Value, b.Value)
	}
	if r := e.withCookie(a.Value).get("/households"); r.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("the token from before the login still authenticates: %d", r.StatusCode)
	}
	// A token planted by someone else (who logged in themselves) dies when
	// the victim logs in with it in the jar: no session fixation.
	planted := e.client()
	pr := planted.post("/login", url.Values{"username": {"admin"}, "password": {password}})
	fix := setCookie(t, pr, SessionCookie).Value
	victim := e.withCookie(fix)
	vr := victim.post("/login", url.Values{"username": {"clerk"}, "password": {password}})
	if v := setCookie(t, vr, SessionCookie).Value; v == fix {
		t.Fatal("login kept the planted token")
	}
	if r := e.withCookie(fix).get("/"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("planted token still valid after the victim's login: %d", r.StatusCode)
	}
	// Logout ends the session on the server: a copy of the cookie is useless.
	if r := c.post("/logout", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.StatusCode)
	}
	if r := e.withCookie(b.Value).get("/households"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("session valid after logout: %d", r.StatusCode)
	}
	// Over TLS the cookie is Secure.
	e.a.TLS = true
	r = e.client().post("/login", url.Values{"username": {"clerk"}, "password": {password}})
	if s := setCookie(t, r, SessionCookie); !s.Secure || !s.HttpOnly {
		t.Fatalf("session cookie over TLS: %+v", s)
	}
}

func TestIdleTimeoutSaysSo(t *testing.T) {
	e := setup(t)
	now := time.Now()
	e.a.DB.SetClock(func() time.Time { return now })
	c := e.login("clerk")
	now = now.Add(16 * time.Minute)
	r := c.get("/households")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login?next=%2Fhouseholds" {
		t.Fatalf("after the idle timeout: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if r := c.get("/login?next=%2Fhouseholds"); !strings.Contains(r.body, "登录已超时") {
		t.Fatal("login page does not say the session timed out")
	}
}

var secretRE = regexp.MustCompile(`data-secret="([A-Z2-7]+)"`)

// An administrator without a second factor is sent to enrol right after
// the password and reaches no other page until the enrolment is confirmed.
func TestAdminForcedToEnrolOverHTTP(t *testing.T) {
	e := setup(t)
	testenv.User(t, e.a.DB, "sysadm", county, authz.SystemAdmin)
	u, _ := e.a.DB.UserByName(bg, "sysadm")
	if err := e.a.DB.InTx(bg, testenv.Admin(), func(tx *store.Tx) error {
		if err := tx.ClearTOTP(bg, u.ID); err != nil {
			return err
		}
		return tx.Audit(bg, store.Entry{Action: "test.totp"})
	}); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	r := c.post("/login", url.Values{"username": {"sysadm"}, "password": {testenv.Password}, "next": {"/policy"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login/enrol?next=%2Fpolicy" {
		t.Fatalf("password step: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	pc := setCookie(t, r, loginCookie)
	if !pc.HttpOnly || pc.SameSite != http.SameSiteStrictMode || pc.Path != "/login" || pc.MaxAge != 300 {
		t.Fatalf("pending-login cookie: %+v", pc)
	}
	for _, c0 := range r.Cookies() {
		if c0.Name == SessionCookie && c0.Value != "" {
			t.Fatal("a session was issued before the second factor")
		}
	}
	for _, path := range []string{"/", "/policy", "/account/security", "/users"} {
		if r := c.get(path); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Fatalf("%s before enrolment: %d", path, r.StatusCode)
		}
	}
	r = c.get("/login/enrol?next=%2Fpolicy")
	m := secretRE.FindStringSubmatch(r.body)
	if r.StatusCode != 200 || m == nil || !strings.Contains(r.body, "otpauth://totp/") {
		t.Fatalf("enrolment page: %d %s", r.StatusCode, r.body)
	}
	k, _ := totp.DecodeSecret(m[1])
	r = c.post("/login/enrol", url.Values{"code": {"000000"}, "next": {"/policy"}})
	if r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "动态验证码错误") || !strings.Contains(r.body, m[1]) {
		t.Fatalf("wrong enrolment code: %d", r.StatusCode)
	}
	r = c.post("/login/enrol", url.Values{"code": {totp.CodeAt(k, totp.Step(e.a.DB.Now()))}, "next": {"/policy"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/policy" {
		t.Fatalf("enrolment: %d %s %s", r.StatusCode, r.Header.Get("Location"), r.body)
	}
	setCookie(t, r, SessionCookie)
	if r := c.get("/account/security"); r.StatusCode != 200 || !strings.Contains(r.body, "已启用") || !strings.Contains(r.body, `id="totp-required"`) {
		t.Fatalf("security page after enrolment: %d", r.StatusCode)
	}
}

func TestCodeStepAndResetOverHTTP(t *testing.T) {
	e := setup(t)
	e.addSecAdmin()
	c := e.client()
	r := c.post("/login", url.Values{"username": {"auditor"}, "password": {password}})
	if r.Header.Get("Location") != "/login/totp?next=%2F" {
		t.Fatalf("password step: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if r := c.get("/login/totp"); r.StatusCode != 200 || !strings.Contains(r.body, `id="code"`) {
		t.Fatalf("code page: %d", r.StatusCode)
	}
	r = c.post("/login/totp", url.Values{"code": {"12345x"}})
	if r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "动态验证码错误") {
		t.Fatalf("wrong code: %d", r.StatusCode)
	}
	r = c.post("/login/totp", url.Values{"code": {testenv.TOTPCode(t, e.a.DB, "auditor")}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Fatalf("code step: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if u, _ := e.a.DB.UserByName(bg, "auditor"); u.FailedLogins != 0 {
		t.Fatalf("failures not cleared after the login: %d", u.FailedLogins)
	}
	// Without the pending cookie the code page sends back to the password.
	if r := e.client().get("/login/totp"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("code page without a pending login: %d", r.StatusCode)
	}
	// The security administrator resets the auditor's second factor.
	sec := e.login("secadmin")
	aud := e.userByName("auditor")
	if r := sec.get("/users/" + strconv.FormatInt(aud.ID, 10)); !strings.Contains(r.body, `id="totp-reset"`) {
		t.Fatal("no reset button on the account page")
	}
	r = sec.post("/users/"+strconv.FormatInt(aud.ID, 10)+"/totp-reset", nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d %s", r.StatusCode, r.body)
	}
	if r := c.get("/"); r.StatusCode != http.StatusSeeOther {
		t.Fatal("the auditor's session survived the reset")
	}
	r = e.client().post("/login", url.Values{"username": {"auditor"}, "password": {password}})
	if !strings.HasPrefix(r.Header.Get("Location"), "/login/enrol") {
		t.Fatalf("after reset: %s", r.Header.Get("Location"))
	}
	if r := e.login("clerk").post("/users/"+strconv.FormatInt(aud.ID, 10)+"/totp-reset", nil); r.StatusCode != http.StatusForbidden {
		t.Fatalf("clerk resets: %d", r.StatusCode)
	}
}

func TestSelfServicePasswordChangeOverHTTP(t *testing.T) {
	e := setup(t)
	c := e.login("clerk")
	if r := c.get("/account/security"); r.StatusCode != 200 || !strings.Contains(r.body, `id="totp-start"`) {
		t.Fatalf("security page: %d", r.StatusCode)
	}
	r := c.post("/account/password", url.Values{"current_password": {password}, "new_password": {"Aa123456789!"},
		"new_password_confirm": {"Aa123456789!"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "常见弱口令") {
		t.Fatalf("common password: %d", r.StatusCode)
	}
	r = c.post("/account/password", url.Values{"current_password": {password}, "new_password": {"Hebei-Pingan-2027"},
		"new_password_confirm": {"Hebei-Pingan-2028"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "不一致") {
		t.Fatalf("mismatch: %d", r.StatusCode)
	}
	other := e.login("clerk")
	r = c.post("/account/password", url.Values{"current_password": {password}, "new_password": {"Hebei-Pingan-2027"},
		"new_password_confirm": {"Hebei-Pingan-2027"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("change: %d %s", r.StatusCode, r.body)
	}
	if r := c.get("/households"); r.StatusCode != 200 {
		t.Fatalf("the changing browser was signed out: %d", r.StatusCode)
	}
	if r := other.get("/households"); r.StatusCode != http.StatusSeeOther {
		t.Fatal("another session survived the password change")
	}
	// Optional 2FA for a clerk: start, confirm.
	c.post("/account/2fa/start", nil)
	r = c.get("/account/security")
	m := secretRE.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no secret shown: %s", r.body)
	}
	k, _ := totp.DecodeSecret(m[1])
	if r := c.post("/account/2fa/confirm", url.Values{"code": {totp.CodeAt(k, totp.Step(e.a.DB.Now()))}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d %s", r.StatusCode, r.body)
	}
	if u, _ := e.a.DB.UserByName(bg, "clerk"); !u.TOTPEnabled() || access.RequiresTOTP(u.Roles) {
		t.Fatal("clerk's optional second factor not enabled")
	}
}
