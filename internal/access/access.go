// Package access is the login use case: password check, lockout, sessions
// and bearer tokens, every outcome audited.
package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"time"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/piiscan"
	"dibao/internal/store"
	"dibao/internal/totp"
)

// Service logs people in and out and resolves tokens to principals.
type Service struct {
	DB     *store.DB
	Policy Policy
}

// dummyHash keeps the time of a login for an unknown user close to that of
// a wrong password, so usernames cannot be probed by timing.
var dummyHash, _ = HashPassword("not-a-real-password")

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func badCredentials() error {
	return errs.New(errs.Unauthorized, "password", "用户名或密码错误")
}

// Login checks a password (and, for an account with a second factor, the
// TOTP code) and opens a session of kind "web" or "api". It returns the
// session token, which is shown once and stored only hashed. It is
// LoginStep without a pending step: an account that needs one gets an
// error on field "totp" saying what is missing.
func (s *Service) Login(ctx context.Context, username, password, kind, requestID string) (string, store.User, error) {
	return s.LoginWithCode(ctx, username, password, "", kind, requestID)
}

// LoginWithCode is Login with a TOTP code (the API's optional "totp").
func (s *Service) LoginWithCode(ctx context.Context, username, password, code, kind, requestID string) (string, store.User, error) {
	res, err := s.login(ctx, LoginRequest{Username: username, Password: password, TOTP: code, Kind: kind,
		RequestID: requestID})
	if err != nil {
		return "", store.User{}, err
	}
	return res.Token, res.User, nil
}

// LoginStep is the web login's password step: a session when no second
// factor is involved, else a pending login (Stage "totp" or "enrol") whose
// token the next step takes.
func (s *Service) LoginStep(ctx context.Context, username, password, requestID string) (LoginResult, error) {
	return s.login(ctx, LoginRequest{Username: username, Password: password, Kind: "web", RequestID: requestID, Pending: true})
}

// LoginRequest is one login attempt.
type LoginRequest struct {
	Username, Password string
	TOTP               string // the 6-digit code, if the caller sent one
	Kind               string // "web" or "api"
	RequestID          string
	Pending            bool // answer a missing second factor with a pending login, not an error
}

// Stages of a login after the password.
const (
	StageDone  = ""      // Token is a session
	StageTOTP  = "totp"  // Token is a pending login waiting for the code
	StageEnrol = "enrol" // Token is a pending login of an admin who must enrol a second factor
)

// LoginResult is the outcome of a password step.
type LoginResult struct {
	Token string
	Stage string
	User  store.User
}

func (s *Service) login(ctx context.Context, req LoginRequest) (LoginResult, error) {
	username, password := req.Username, req.Password
	if username == "" || password == "" {
		return LoginResult{}, errs.New(errs.Invalid, "username", "请输入用户名和密码")
	}
	if len(username) > 64 || len(password) > 256 || len(req.TOTP) > 32 {
		return LoginResult{}, badCredentials()
	}
	var res LoginResult
	var outcome error
	// The audit actor of an attempt: what was typed, but an ID or card
	// number typed into the username field is not kept in clear.
	anon := authz.Principal{Username: piiscan.Redact(username), RequestID: req.RequestID}
	err := s.DB.InTx(ctx, anon, func(tx *store.Tx) error {
		now := s.DB.Now()
		u, err := tx.UserForLogin(ctx, username)
		if errs.CodeOf(err) == errs.NotFound {
			_, _ = CheckPassword(dummyHash, password)
			outcome = badCredentials()
			return tx.Audit(ctx, store.Entry{Action: "auth.login", Object: "user:?", Result: "failed", Detail: "unknown user"})
		}
		if err != nil {
			return err
		}
		p := u.Principal()
		p.RequestID = req.RequestID
		tx.SetPrincipal(p)
		obj := "user:" + itoa(u.ID)
		st := LoginState{Failed: u.FailedLogins, FirstFailed: u.FirstFailedAt, LockedUntil: u.LockedUntil}
		if st.Locked(now) {
			outcome = lockedErr(st.LockedUntil)
			return tx.Audit(ctx, store.Entry{Action: "auth.login", Object: obj, Result: "denied", Detail: "locked"})
		}
		ok, err := CheckPassword(u.PasswordHash, password)
		if err != nil {
			return errs.Wrap(err, "账号数据异常，请联系安全管理员")
		}
		if !ok {
			outcome, err = s.fail(ctx, tx, u, st, now, "bad password", badCredentials())
			return err
		}
		// Only after the password: "deactivated" must not tell a guesser
		// that the username exists.
		if !u.Active {
			outcome = errs.New(errs.Forbidden, "username", "账号已停用，请联系安全管理员")
			return tx.Audit(ctx, store.Entry{Action: "auth.login", Object: obj, Result: "denied", Detail: "inactive"})
		}
		switch {
		case u.TOTPEnabled() && req.TOTP != "":
			// The code in the same request (the API).
			secret, err := s.DB.OpenTOTP(u.TOTPSecret)
			if err != nil {
				return err
			}
			step, ok := totp.Verify(secret, req.TOTP, now, u.TOTPLastStep)
			if ok {
				if ok, err = tx.UseTOTPStep(ctx, u.ID, step); err != nil {
					return err
				}
			}
			if !ok {
				outcome, err = s.fail(ctx, tx, u, st, now, "bad totp", badCode())
				return err
			}
		case u.TOTPEnabled() || RequiresTOTP(u.Roles):
			stage, detail := StageTOTP, "password ok, totp required"
			if !u.TOTPEnabled() {
				stage, detail = StageEnrol, "password ok, totp enrolment required"
			}
			if !req.Pending {
				// The failure counter is not reset: the password alone
				// proves nothing more than before.
				if stage == StageEnrol {
					outcome = errs.New(errs.Forbidden, "totp", "管理员账号须启用双因素认证：请先在网页登录，按提示绑定动态验证码后再使用接口")
				} else {
					outcome = errs.New(errs.Unauthorized, "totp", "该账号已启用双因素认证，请提供动态验证码（totp）")
				}
				return tx.Audit(ctx, store.Entry{Action: "auth.login", Object: obj, Result: "denied", Detail: detail + ", none given"})
			}
			token, err := newToken()
			if err != nil {
				return errs.Wrap(err, "登录失败，请重试")
			}
			if err := tx.DeleteExpiredChallenges(ctx, now); err != nil {
				return err
			}
			if err := tx.CreateChallenge(ctx, store.Challenge{TokenHash: tokenHash(token), UserID: u.ID, Purpose: stage,
				CreatedAt: now, ExpiresAt: now.Add(PendingTimeout)}); err != nil {
				return err
			}
			res = LoginResult{Token: token, Stage: stage, User: u}
			return tx.Audit(ctx, store.Entry{Action: "auth.login", Object: obj, Result: "pending", Detail: detail})
		}
		if err := tx.SetLoginState(ctx, u.ID, 0, time.Time{}, time.Time{}); err != nil {
			return err
		}
		token, err := s.OpenSession(ctx, tx, u.ID, req.Kind, now)
		if err != nil {
			return err
		}
		res = LoginResult{Token: token, User: u}
		detail := req.Kind
		if u.TOTPEnabled() {
			detail += " totp"
		}
		return tx.Audit(ctx, store.Entry{Action: "auth.login", Object: obj, Result: "ok", Detail: detail})
	})
	if err != nil {
		return LoginResult{}, err
	}
	if outcome != nil {
		return LoginResult{}, outcome
	}
	return res, nil
}

// fail counts a failed password or code against the account, locks it at
// the limit (ending its sessions and pending logins), audits, and returns
// the error the caller should see.
func (s *Service) fail(ctx context.Context, tx *store.Tx, u store.User, st LoginState, now time.Time, detail string, e error) (error, error) {
	obj := "user:" + itoa(u.ID)
	next, locked := s.Policy.AfterFailure(st, now)
	if err := tx.SetLoginState(ctx, u.ID, next.Failed, next.FirstFailed, next.LockedUntil); err != nil {
		return nil, err
	}
	if err := tx.Audit(ctx, store.Entry{Action: "auth.login", Object: obj, Result: "failed", Detail: detail}); err != nil {
		return nil, err
	}
	if !locked {
		return e, nil
	}
	if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
		return nil, err
	}
	return lockedErr(next.LockedUntil), tx.Audit(ctx, store.Entry{Action: "auth.lock", Object: obj, Result: "ok",
		Detail: "locked until " + next.LockedUntil.Format(time.RFC3339)})
}

func badCode() error {
	return errs.New(errs.Unauthorized, "totp", "动态验证码错误或已使用，请输入手机验证器上当前显示的6位数字")
}

// OpenSession stores a new session of kind for user userID inside tx (the
// caller audits) and returns its token, which is stored only hashed. Login
// calls it after the password check; `dibao bench exam-day` signs its
// candidates in with it without hashing thousands of passwords.
func (s *Service) OpenSession(ctx context.Context, tx *store.Tx, userID int64, kind string, now time.Time) (string, error) {
	token, err := newToken()
	if err != nil {
		return "", errs.Wrap(err, "登录失败，请重试")
	}
	err = tx.CreateSession(ctx, store.Session{TokenHash: tokenHash(token), UserID: userID, Kind: kind,
		CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(s.Policy.AbsoluteTimeout)})
	return token, err
}

func lockedErr(until time.Time) error {
	return errs.New(errs.Forbidden, "username", "登录失败次数过多，账号已锁定至 "+
		until.In(time.FixedZone("CST", 8*3600)).Format("15:04")+"，请稍后再试或联系安全管理员")
}

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Authenticate resolves a token to its principal, enforcing the idle and
// absolute timeouts and the account's current state and roles.
func (s *Service) Authenticate(ctx context.Context, token, kind string) (authz.Principal, error) {
	expired := errs.New(errs.Unauthorized, "", "登录已失效，请重新登录")
	if token == "" || len(token) > 100 {
		return authz.Principal{}, expired
	}
	h := tokenHash(token)
	sess, u, err := s.DB.SessionUser(ctx, h)
	if err != nil {
		return authz.Principal{}, err
	}
	now := s.DB.Now()
	if sess.Kind != kind {
		return authz.Principal{}, expired
	}
	if !s.Policy.SessionAlive(sess.CreatedAt, sess.LastSeen, now) {
		_ = s.DB.ExpireSession(ctx, h)
		return authz.Principal{}, expired
	}
	if !u.Active || now.Before(u.LockedUntil) {
		_ = s.DB.ExpireSession(ctx, h)
		return authz.Principal{}, expired
	}
	// An administrator's session needs the second factor behind it; one
	// opened any other way (or before a reset) is not honoured.
	if RequiresTOTP(u.Roles) && !u.TOTPEnabled() {
		_ = s.DB.ExpireSession(ctx, h)
		return authz.Principal{}, expired
	}
	// One write a minute per session is plenty for a 15-minute idle limit.
	if now.Sub(sess.LastSeen) > time.Minute {
		if err := s.DB.TouchSession(ctx, h, now); err != nil && errs.CodeOf(err) != errs.StorageFull {
			return authz.Principal{}, err // a full disk still lets a signed-in user read (issue 9 item 3)
		}
	}
	return u.Principal(), nil
}

// Logout ends the session server-side.
func (s *Service) Logout(ctx context.Context, p authz.Principal, token string) error {
	return s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		if _, err := tx.DeleteSession(ctx, tokenHash(token)); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "auth.logout", Object: "user:" + itoa(p.UserID)})
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
