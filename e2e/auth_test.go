package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/server"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/totp"
)

// authWorld is the server on a clock the test moves (lockout and session
// timeouts are measured by the store's clock) and one headless Chromium.
type authWorld struct {
	t    *testing.T
	ctx  context.Context
	base string
	db   *store.DB
	skew atomic.Int64 // how far the server's clock is ahead of real time
}

func newAuthWorld(t *testing.T) *authWorld {
	chromium := testenv.Chromium(t)
	w := &authWorld{t: t, db: testenv.SQLite(t)}
	w.db.SetClock(func() time.Time { return time.Now().Add(time.Duration(w.skew.Load())) })
	testenv.SeedRegions(t, w.db)
	testenv.User(t, w.db, "village", testenv.VillageA, authz.VillageClerk)
	testenv.User(t, w.db, "auditor", testenv.County, authz.Auditor) // enrolled with testenv.TOTPSecret
	sys := testenv.User(t, w.db, "sysadm", testenv.County, authz.SystemAdmin)
	// As `dibao user add` leaves an admin: no second factor yet.
	if err := w.db.InTx(context.Background(), testenv.Admin(), func(tx *store.Tx) error {
		if err := tx.ClearTOTP(context.Background(), sys.UserID); err != nil {
			return err
		}
		return tx.Audit(context.Background(), store.Entry{Action: "test.totp"})
	}); err != nil {
		t.Fatal(err)
	}
	a := app.New(w.db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	// The production login limits, on the server's clock: the half hour
	// the test moves past the lockout refills them as it would in life.
	cfg := server.DefaultConfig()
	cfg.Now = w.db.Now
	h, err := server.HandlerWith(a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	w.base = srv.URL
	w.ctx = startBrowser(t, chromium)
	return w
}

func (w *authWorld) advance(d time.Duration) { w.skew.Add(int64(d)) }

func (w *authWorld) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	if err := chromedp.Do(w.ctx, steps...); err != nil {
		w.t.Fatalf("%s: %v", what, err)
	}
}

func (w *authWorld) text(sel string) string {
	w.t.Helper()
	s, err := chromedp.Run(w.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		w.t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (w *authWorld) path() string {
	w.t.Helper()
	p, err := chromedp.Run(w.ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

// submitLogin fills the password step and waits for whatever page answers.
func (w *authWorld) submitLogin(user, password, wait string) {
	w.t.Helper()
	w.do("password step for "+user,
		chromedp.Navigate(w.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SetValue(chromedp.CSS("#username"), user),
		chromedp.SetValue(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS(wait)))
}

// session is the browser's session cookie.
func (w *authWorld) session() *network.Cookie {
	w.t.Helper()
	res, err := chromedp.Call(w.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{w.base + "/"}})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == "dibao_session" {
			return c
		}
	}
	return nil
}

// plant puts a session token back into the browser, as someone who had
// copied it would.
func (w *authWorld) plant(token string) {
	w.t.Helper()
	httpOnly := true
	if _, err := chromedp.Call(w.ctx, network.SetCookie, network.SetCookieParams{Name: "dibao_session", Value: token,
		URL: w.base + "/", Path: "/", HTTPOnly: &httpOnly, SameSite: network.CookieSameSiteLax}); err != nil {
		w.t.Fatal(err)
	}
}

// backAtLogin checks that opening a page lands on the login page with the
// timed-out message.
func (w *authWorld) backAtLogin(what string) {
	w.t.Helper()
	w.do(what, chromedp.Navigate(w.base+"/households"), chromedp.WaitVisible(chromedp.CSS("#username")))
	if p := w.path(); p != "/login" {
		w.t.Fatalf("%s: at %s, want the login page", what, p)
	}
	if msg := w.text("#flash"); !strings.Contains(msg, "登录已超时") {
		w.t.Fatalf("%s: login page says %q, want the timed-out message", what, msg)
	}
}

func TestAuthenticationEndToEnd(t *testing.T) {
	w := newAuthWorld(t)

	// Lockout: five wrong passwords, then even the right one is refused.
	for i := 1; i <= 5; i++ {
		w.submitLogin("village", "Wrong-password-"+string(rune('0'+i)), "#login-error")
		msg := w.text("#login-error")
		if i < 5 && !strings.Contains(msg, "用户名或密码错误") {
			t.Fatalf("wrong password %d: %q", i, msg)
		}
		if i == 5 && !strings.Contains(msg, "已锁定") {
			t.Fatalf("fifth wrong password: %q, want the locked message", msg)
		}
	}
	w.submitLogin("village", testenv.Password, "#login-error")
	if msg := w.text("#login-error"); !strings.Contains(msg, "已锁定") {
		t.Fatalf("right password while locked: %q", msg)
	}
	w.advance(31 * time.Minute) // the lock lasts 30 minutes

	// Login: the cookie is HttpOnly and SameSite=Lax (not Secure over plain HTTP).
	w.submitLogin("village", testenv.Password, "#logout")
	a := w.session()
	if a == nil || !a.HTTPOnly || a.SameSite != network.CookieSameSiteLax || a.Secure {
		t.Fatalf("session cookie %+v", a)
	}
	// Signing in again in the same browser rotates the session: the old
	// token no longer works even when put back.
	w.do("second login while signed in", evaluate(`(() => {
		const f = document.createElement("form"); f.method = "post"; f.action = "/login";
		for (const [k, v] of [["username", "village"], ["password", `+"`"+testenv.Password+"`"+`]]) {
			const i = document.createElement("input"); i.name = k; i.value = v; f.appendChild(i);
		}
		document.body.appendChild(f); setTimeout(() => f.submit(), 0); return true;
	})()`))
	// Wait for the answer to the new login: a session cookie other than a.
	var b *network.Cookie
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if b = w.session(); b != nil && b.Value != a.Value {
			break
		}
	}
	if b == nil || b.Value == a.Value {
		t.Fatal("the session token was not rotated at login")
	}
	w.do("signed in with the new session", chromedp.WaitVisible(chromedp.CSS("#logout")))
	w.plant(a.Value)
	w.backAtLogin("old token after a new login")

	// Logout ends the session on the server: the copied cookie is dead.
	w.submitLogin("village", testenv.Password, "#logout")
	c := w.session()
	w.do("logout", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#username")))
	w.plant(c.Value)
	w.backAtLogin("token after logout")

	// Idle timeout: 16 minutes without a request.
	w.submitLogin("village", testenv.Password, "#logout")
	w.advance(14 * time.Minute)
	w.do("still signed in after 14 minutes", chromedp.Navigate(w.base+"/households"), chromedp.WaitVisible(chromedp.CSS("#logout")))
	w.advance(16 * time.Minute)
	w.backAtLogin("idle timeout")

	// Absolute timeout: busy all day, out after 8 hours all the same.
	w.submitLogin("village", testenv.Password, "#logout")
	for elapsed := time.Duration(0); elapsed < 7*time.Hour+50*time.Minute; elapsed += 14 * time.Minute {
		w.advance(14 * time.Minute)
		w.do("active at "+elapsed.String(), chromedp.Navigate(w.base+"/"), chromedp.WaitVisible(chromedp.CSS("#logout")))
	}
	w.advance(14 * time.Minute)
	w.backAtLogin("absolute timeout")

	// An administrator without a second factor enrols right after the
	// password, and reaches no other page before.
	w.submitLogin("sysadm", testenv.Password, "#enrol-submit")
	w.do("another page before enrolment", chromedp.Navigate(w.base+"/users"), chromedp.WaitVisible(chromedp.CSS("#username")))
	w.do("back to enrolment", chromedp.Navigate(w.base+"/login/enrol"), chromedp.WaitVisible(chromedp.CSS("#enrol-submit")))
	sv, err := chromedp.Run(w.ctx, chromedp.AttributeValue(chromedp.CSS("#totp-secret"), "data-secret"))
	if err != nil || !sv.Exists {
		t.Fatalf("no secret on the enrolment page: %v", err)
	}
	if uri := w.text("#totp-uri"); !strings.HasPrefix(uri, "otpauth://totp/") || !strings.Contains(uri, sv.Value) {
		t.Fatalf("otpauth URI %q", uri)
	}
	k, err := totp.DecodeSecret(sv.Value)
	if err != nil {
		t.Fatal(err)
	}
	w.do("enrol", chromedp.SendKeys(chromedp.CSS("#code"), totp.CodeAt(k, totp.Step(w.db.Now()))),
		chromedp.Click(chromedp.CSS("#enrol-submit")), chromedp.WaitVisible(chromedp.CSS("#logout")))
	w.do("logout", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#username")))

	// An enrolled administrator: the code step; a wrong code is refused.
	w.submitLogin("auditor", testenv.Password, "#totp-submit")
	if s := w.session(); s != nil && s.Value != "" {
		t.Fatal("a session cookie exists before the second factor")
	}
	w.do("wrong code", chromedp.SendKeys(chromedp.CSS("#code"), "000000"), chromedp.Click(chromedp.CSS("#totp-submit")),
		chromedp.WaitVisible(chromedp.CSS("#login-error")))
	if msg := w.text("#login-error"); !strings.Contains(msg, "动态验证码错误") {
		t.Fatalf("wrong code: %q", msg)
	}
	w.do("right code", chromedp.SendKeys(chromedp.CSS("#code"), testenv.TOTPCode(t, w.db, "auditor")),
		chromedp.Click(chromedp.CSS("#totp-submit")), chromedp.WaitVisible(chromedp.CSS("#logout")))
	if p := w.path(); p != "/" {
		t.Fatalf("after the code step at %s", p)
	}
}

// evaluate runs a script for its effect.
func evaluate(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](js)(ctx, t)
		return err
	})
}

// secondFactor completes the login of an administrator in the browser
// after the password step: the enrolment a demo admin meets at the first
// login (the secret read off the page), or the code step (the code from
// the secret on file).
func secondFactor(t *testing.T, ctx context.Context, db *store.DB, user string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#logout, #totp-submit, #enrol-submit"))); err != nil {
		t.Fatalf("after the password of %s: %v", user, err)
	}
	p, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		t.Fatal(err)
	}
	var code, button string
	switch p {
	case "/login/enrol":
		sv, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#totp-secret"), "data-secret"))
		if err != nil {
			t.Fatal(err)
		}
		k, err := totp.DecodeSecret(sv.Value)
		if err != nil {
			t.Fatal(err)
		}
		code, button = totp.CodeAt(k, totp.Step(db.Now())), "#enrol-submit"
	case "/login/totp":
		code, button = testenv.TOTPCode(t, db, user), "#totp-submit"
	default:
		return
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Click(chromedp.CSS(button)),
		chromedp.WaitVisible(chromedp.CSS("#logout"))); err != nil {
		t.Fatalf("second factor of %s: %v", user, err)
	}
}
