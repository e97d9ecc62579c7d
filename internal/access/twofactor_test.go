package access_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"dibao/internal/access"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/totp"
)

// code is the secret's code at step.
func code(t *testing.T, secret string, step int64) string {
	t.Helper()
	k, err := totp.DecodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	return totp.CodeAt(k, step)
}

func wantField(t *testing.T, what string, err error, code errs.Code, field, msg string) {
	t.Helper()
	e := errs.As(err)
	if err == nil || e.Code != code || e.Field != field || !strings.Contains(e.Message, msg) {
		t.Fatalf("%s: %v (%s, field %q), want %s on %q containing %q", what, err, e.Code, e.Field, code, field, msg)
	}
}

func TestRequiresTOTP(t *testing.T) {
	for _, r := range authz.AllRoles {
		want := r == authz.SystemAdmin || r == authz.SecurityAdmin || r == authz.Auditor
		if got := access.RequiresTOTP([]authz.Role{r}); got != want {
			t.Errorf("%s: RequiresTOTP = %v", r, got)
		}
	}
}

// An administrator without a second factor enrols at the first login; the
// pending login grants nothing else; the code then guards every login,
// once per step, and wrong codes lock the account like wrong passwords.
func TestAdminEnrolsThenLogsInWithCode(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		s, now := setup(t, db)
		testenv.User(t, db, "sec", testenv.County, authz.SecurityAdmin)
		// testenv enrols admins; start this one from scratch, as `dibao user add` leaves it.
		sec := testenv.User(t, db, "sys", testenv.County, authz.SystemAdmin)
		if err := s.ResetTOTP(ctx, sec0(t, db), sec.UserID); err != nil {
			t.Fatal(err)
		}

		if _, _, err := s.Login(ctx, "sys", testenv.Password, "api", "r"); err == nil {
			t.Fatal("API login of an admin without a second factor succeeded")
		} else {
			wantField(t, "API login before enrolment", err, errs.Forbidden, "totp", "须启用双因素认证")
		}
		res, err := s.LoginStep(ctx, "sys", testenv.Password, "r")
		if err != nil || res.Stage != access.StageEnrol || res.Token == "" {
			t.Fatalf("password step: %+v %v, want the enrolment step", res, err)
		}
		// The pending login is not a session of any kind.
		for _, kind := range []string{"web", "api"} {
			if _, err := s.Authenticate(ctx, res.Token, kind); errs.CodeOf(err) != errs.Unauthorized {
				t.Fatalf("pending login authenticates as %s: %v", kind, err)
			}
		}
		// A session opened behind the second factor's back is not honoured.
		var side string
		if err := db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
			var err error
			side, err = s.OpenSession(ctx, tx, sec.UserID, "web", db.Now())
			if err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test.session"})
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, side, "web"); errs.CodeOf(err) != errs.Unauthorized {
			t.Fatalf("admin session without a second factor: %v", err)
		}

		en, err := s.PendingEnrolment(ctx, res.Token, "r")
		if err != nil || len(en.Secret) != 32 || !strings.HasPrefix(en.URI, "otpauth://totp/") || !strings.Contains(en.URI, en.Secret) {
			t.Fatalf("enrolment: %+v %v", en, err)
		}
		if again, err := s.PendingEnrolment(ctx, res.Token, "r"); err != nil || again.Secret != en.Secret {
			t.Fatalf("enrolment shown again: %+v %v", again, err)
		}
		u, _ := db.UserByName(ctx, "sys")
		if u.TOTPPending == "" || strings.Contains(u.TOTPPending, en.Secret) {
			t.Fatalf("pending secret not sealed: %q", u.TOTPPending)
		}
		if _, _, err := s.ConfirmEnrolment(ctx, res.Token, "000000", "r"); err == nil {
			t.Fatal("wrong enrolment code accepted")
		} else {
			wantField(t, "wrong enrolment code", err, errs.Unauthorized, "totp", "动态验证码错误")
		}
		step := totp.Step(*now)
		token, _, err := s.ConfirmEnrolment(ctx, res.Token, code(t, en.Secret, step), "r")
		if err != nil {
			t.Fatalf("enrolment: %v", err)
		}
		if p, err := s.Authenticate(ctx, token, "web"); err != nil || p.Username != "sys" {
			t.Fatalf("session after enrolment: %+v %v", p, err)
		}
		if _, _, err := s.ConfirmEnrolment(ctx, res.Token, code(t, en.Secret, step+1), "r"); errs.CodeOf(err) != errs.Unauthorized {
			t.Fatalf("pending login used twice: %v", err)
		}
		u, _ = db.UserByName(ctx, "sys")
		if !u.TOTPEnabled() || u.TOTPPending != "" || u.FailedLogins != 0 || strings.Contains(u.TOTPSecret, en.Secret) {
			t.Fatalf("after enrolment: %+v", u)
		}

		// Next login: the code step. The code just used is refused.
		res, err = s.LoginStep(ctx, "sys", testenv.Password, "r")
		if err != nil || res.Stage != access.StageTOTP {
			t.Fatalf("second login: %+v %v", res, err)
		}
		if _, _, err := s.CompleteLogin(ctx, res.Token, code(t, en.Secret, step), "r"); err == nil {
			t.Fatal("a used code was accepted again")
		}
		if _, _, err := s.CompleteLogin(ctx, res.Token, code(t, en.Secret, step+2), "r"); err == nil {
			t.Fatal("a code two steps ahead was accepted")
		}
		if token, _, err = s.CompleteLogin(ctx, res.Token, code(t, en.Secret, step+1), "r"); err != nil {
			t.Fatalf("next step's code: %v", err)
		}
		// API: the code in the request; missing or reused is a clear error.
		if _, _, err := s.Login(ctx, "sys", testenv.Password, "api", "r"); err == nil {
			t.Fatal("API login without a code")
		} else {
			wantField(t, "API login without a code", err, errs.Unauthorized, "totp", "请提供动态验证码")
		}
		*now = now.Add(30 * time.Second)
		if _, _, err := s.LoginWithCode(ctx, "sys", testenv.Password, code(t, en.Secret, step+1), "api", "r"); err == nil {
			t.Fatal("API accepted a used code")
		} else {
			wantField(t, "API reused code", err, errs.Unauthorized, "totp", "已使用")
		}
		if _, _, err := s.LoginWithCode(ctx, "sys", testenv.Password, code(t, en.Secret, step+2), "api", "r"); err != nil {
			t.Fatalf("API with a fresh code: %v", err)
		}

		// Wrong codes count toward the lockout: the password alone does not
		// reset the counter, so alternating cannot guess codes forever.
		*now = now.Add(time.Minute)
		for i := 0; i < 4; i++ {
			res, err = s.LoginStep(ctx, "sys", testenv.Password, "r")
			if err != nil || res.Stage != access.StageTOTP {
				t.Fatalf("password step %d: %+v %v", i, res, err)
			}
			if _, _, err := s.CompleteLogin(ctx, res.Token, "999999"[:5]+string(rune('0'+i)), "r"); err == nil {
				t.Fatalf("wrong code %d accepted", i)
			}
		}
		res, _ = s.LoginStep(ctx, "sys", testenv.Password, "r")
		_, _, err = s.CompleteLogin(ctx, res.Token, "123450", "r")
		if err == nil || !strings.Contains(errs.As(err).Message, "已锁定") {
			t.Fatalf("fifth wrong code: %v, want locked", err)
		}
		if _, err := s.Authenticate(ctx, token, "web"); errs.CodeOf(err) != errs.Unauthorized {
			t.Fatal("the lock did not end the sessions")
		}
		if _, err := s.LoginStep(ctx, "sys", testenv.Password, "r"); err == nil || !strings.Contains(errs.As(err).Message, "已锁定") {
			t.Fatalf("login while locked: %v", err)
		}
		if n := auditCount(t, db, "auth.lock", "ok"); n != 1 {
			t.Fatalf("%d lock records", n)
		}
		if auditCount(t, db, "auth.login", "pending") < 6 || auditCount(t, db, "auth.totp_enable", "ok") != 1 ||
			auditCount(t, db, "auth.totp_enrol_start", "ok") != 1 || auditCount(t, db, "user.totp_reset", "ok") != 1 {
			t.Fatalf("second-factor steps not audited: %d %d %d %d", auditCount(t, db, "auth.login", "pending"), auditCount(t, db, "auth.totp_enable", "ok"), auditCount(t, db, "auth.totp_enrol_start", "ok"), auditCount(t, db, "user.totp_reset", "ok"))
		}
	})
}

func sha(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// sec0 is the security administrator "sec" as a principal.
func sec0(t *testing.T, db *store.DB) authz.Principal {
	t.Helper()
	u, err := db.UserByName(ctx, "sec")
	if err != nil {
		t.Fatal(err)
	}
	return u.Principal()
}

func TestPendingLoginExpires(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		s, now := setup(t, db)
		testenv.User(t, db, "aud", testenv.County, authz.Auditor)
		res, err := s.LoginStep(ctx, "aud", testenv.Password, "r")
		if err != nil || res.Stage != access.StageTOTP {
			t.Fatalf("%+v %v", res, err)
		}
		*now = now.Add(access.PendingTimeout + time.Second)
		_, _, err = s.CompleteLogin(ctx, res.Token, code(t, testenv.TOTPSecret, totp.Step(*now)), "r")
		wantField(t, "expired pending login", err, errs.Unauthorized, "", "登录已超时")
		if _, _, err := s.CompleteLogin(ctx, "forged", "123456", "r"); errs.CodeOf(err) != errs.Unauthorized {
			t.Fatalf("forged pending login: %v", err)
		}
		// A pending login of the code step cannot be used for enrolment;
		// a new pending login sweeps the expired ones.
		stale, _ := s.LoginStep(ctx, "aud", testenv.Password, "r")
		*now = now.Add(access.PendingTimeout)
		res, _ = s.LoginStep(ctx, "aud", testenv.Password, "r")
		if _, _, err := db.ChallengeUser(ctx, sha(stale.Token)); errs.CodeOf(err) != errs.Unauthorized {
			t.Fatalf("expired pending login not swept: %v", err)
		}
		if _, err := s.PendingEnrolment(ctx, res.Token, "r"); errs.CodeOf(err) != errs.Unauthorized {
			t.Fatalf("code-step login used to enrol: %v", err)
		}
	})
}

func TestSelfServiceTOTPAndReset(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		s, now := setup(t, db)
		sec := testenv.User(t, db, "sec", testenv.County, authz.SecurityAdmin)
		clerk, _ := db.UserByName(ctx, "clerk")
		p := clerk.Principal()

		en, err := s.StartEnrolment(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		st, err := s.State(ctx, p)
		if err != nil || st.Enabled || st.Required || st.Pending == nil || st.Pending.Secret != en.Secret {
			t.Fatalf("state while enrolling: %+v %v", st, err)
		}
		step := totp.Step(*now)
		if err := s.ConfirmOwn(ctx, p, "12345"); err == nil {
			t.Fatal("malformed code confirmed")
		}
		if err := s.ConfirmOwn(ctx, p, code(t, en.Secret, step)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StartEnrolment(ctx, p); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("re-enrol while enabled: %v", err)
		}
		// An optional second factor now guards the clerk's login too.
		if res, err := s.LoginStep(ctx, "clerk", testenv.Password, "r"); err != nil || res.Stage != access.StageTOTP {
			t.Fatalf("clerk login after enrolment: %+v %v", res, err)
		}
		if err := s.DisableOwn(ctx, p, code(t, en.Secret, step)); err == nil {
			t.Fatal("disabled with the code already used")
		}
		if err := s.DisableOwn(ctx, p, code(t, en.Secret, step+1)); err != nil {
			t.Fatal(err)
		}
		if res, err := s.LoginStep(ctx, "clerk", testenv.Password, "r"); err != nil || res.Stage != access.StageDone {
			t.Fatalf("clerk login after disabling: %+v %v", res, err)
		}

		// Admins cannot disable theirs; the security admin resets others', not their own.
		err = s.DisableOwn(ctx, sec, code(t, testenv.TOTPSecret, step))
		wantField(t, "admin disables", err, errs.Forbidden, "totp", "不能停用")
		wantField(t, "self reset", s.ResetTOTP(ctx, sec, sec.UserID), errs.Forbidden, "totp", "不能重置本人")
		if err := s.ResetTOTP(ctx, p, sec.UserID); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("clerk resets: %v", err)
		}
		aud := testenv.User(t, db, "aud", testenv.County, authz.Auditor)
		res, err := s.LoginStep(ctx, "aud", testenv.Password, "r")
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := s.CompleteLogin(ctx, res.Token, testenv.TOTPCode(t, db, "aud"), "r")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ResetTOTP(ctx, sec, aud.UserID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, tok, "web"); errs.CodeOf(err) != errs.Unauthorized {
			t.Fatal("reset did not end the sessions")
		}
		if res, err := s.LoginStep(ctx, "aud", testenv.Password, "r"); err != nil || res.Stage != access.StageEnrol {
			t.Fatalf("after reset: %+v %v, want enrolment", res, err)
		}
		if auditCount(t, db, "user.totp_reset", "ok") != 1 || auditCount(t, db, "auth.totp_disable", "ok") != 1 {
			t.Fatal("reset or disable not audited")
		}
	})
}

func TestSessionRotationAndPasswordChange(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		s, _ := setup(t, db)
		old, _, err := s.Login(ctx, "clerk", testenv.Password, "web", "r")
		if err != nil {
			t.Fatal(err)
		}
		if found, err := s.Discard(ctx, old, "r"); err != nil || !found {
			t.Fatalf("discard: %v %v", found, err)
		}
		if _, err := s.Authenticate(ctx, old, "web"); errs.CodeOf(err) != errs.Unauthorized {
			t.Fatal("discarded session still authenticates")
		}
		if found, err := s.Discard(ctx, "never-issued", "r"); err != nil || found {
			t.Fatalf("discard of an unknown token: %v %v", found, err)
		}

		a, _, _ := s.Login(ctx, "clerk", testenv.Password, "web", "r")
		b, _, _ := s.Login(ctx, "clerk", testenv.Password, "api", "r")
		clerk, _ := db.UserByName(ctx, "clerk")
		p := clerk.Principal()
		for _, c := range []struct{ cur, nw, field, msg string }{
			{testenv.Password, "Woaini1314!!", "password", "常见弱口令"},
			{testenv.Password, "short", "password", "至少12位"},
			{testenv.Password, "My-clerk-pass-2026", "password", "不能包含用户名"},
			{testenv.Password, testenv.Password, "password", "不能与当前密码相同"},
			{"", "Another-Pass-2027", "current_password", "请输入当前密码"},
			{"Wrong-pass-2026", "Another-Pass-2027", "current_password", "当前密码不正确"},
		} {
			_, err := s.ChangePassword(ctx, p, c.cur, c.nw)
			wantField(t, c.nw, err, errs.Invalid, c.field, c.msg)
		}
		if u, _ := db.UserByName(ctx, "clerk"); u.FailedLogins != 1 {
			t.Fatalf("a wrong current password was not counted: %d", u.FailedLogins)
		}
		tok, err := s.ChangePassword(ctx, p, testenv.Password, "Another-Pass-2027")
		if err != nil {
			t.Fatal(err)
		}
		for _, old := range []struct{ tok, kind string }{{a, "web"}, {b, "api"}} {
			if _, err := s.Authenticate(ctx, old.tok, old.kind); errs.CodeOf(err) != errs.Unauthorized {
				t.Fatalf("%s session from before the change still valid", old.kind)
			}
		}
		if _, err := s.Authenticate(ctx, tok, "web"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Login(ctx, "clerk", "Another-Pass-2027", "web", "r"); err != nil {
			t.Fatal(err)
		}
		if auditCount(t, db, "auth.password_change", "ok") != 1 || auditCount(t, db, "auth.logout", "ok") != 1 {
			t.Fatal("password change or discard not audited")
		}
	})
}

// A deactivated account says so only to someone who knows its password.
func TestInactiveOnlyAfterPassword(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		s, _ := setup(t, db)
		u, _ := db.UserByName(ctx, "clerk")
		if err := db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
			if err := tx.SetUserActive(ctx, u.ID, false, u.Version); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test.deactivate"})
		}); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.Login(ctx, "clerk", "Wrong-pass-2026", "web", "r")
		wantField(t, "wrong password, inactive account", err, errs.Unauthorized, "password", "用户名或密码错误")
		_, _, err = s.Login(ctx, "clerk", testenv.Password, "web", "r")
		wantField(t, "right password, inactive account", err, errs.Forbidden, "username", "已停用")
	})
}
