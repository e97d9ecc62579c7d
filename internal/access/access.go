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
	"dibao/internal/store"
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

// Login checks a password and opens a session of kind "web" or "api". It
// returns the session token, which is shown once and stored only hashed.
func (s *Service) Login(ctx context.Context, username, password, kind, requestID string) (string, store.User, error) {
	if username == "" || password == "" {
		return "", store.User{}, errs.New(errs.Invalid, "username", "请输入用户名和密码")
	}
	if len(username) > 64 || len(password) > 256 {
		return "", store.User{}, badCredentials()
	}
	var token string
	var user store.User
	var outcome error
	anon := authz.Principal{Username: username, RequestID: requestID}
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
		p.RequestID = requestID
		tx.SetPrincipal(p)
		obj := "user:" + itoa(u.ID)
		st := LoginState{Failed: u.FailedLogins, FirstFailed: u.FirstFailedAt, LockedUntil: u.LockedUntil}
		if !u.Active {
			outcome = errs.New(errs.Forbidden, "username", "账号已停用，请联系安全管理员")
			return tx.Audit(ctx, store.Entry{Action: "auth.login", Object: obj, Result: "denied", Detail: "inactive"})
		}
		if st.Locked(now) {
			outcome = lockedErr(st.LockedUntil)
			return tx.Audit(ctx, store.Entry{Action: "auth.login", Object: obj, Result: "denied", Detail: "locked"})
		}
		ok, err := CheckPassword(u.PasswordHash, password)
		if err != nil {
			return errs.Wrap(err, "账号数据异常，请联系安全管理员")
		}
		if !ok {
			next, locked := s.Policy.AfterFailure(st, now)
			if err := tx.SetLoginState(ctx, u.ID, next.Failed, next.FirstFailed, next.LockedUntil); err != nil {
				return err
			}
			outcome = badCredentials()
			if err := tx.Audit(ctx, store.Entry{Action: "auth.login", Object: obj, Result: "failed", Detail: "bad password"}); err != nil {
				return err
			}
			if locked {
				outcome = lockedErr(next.LockedUntil)
				if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
					return err
				}
				return tx.Audit(ctx, store.Entry{Action: "auth.lock", Object: obj, Result: "ok",
					Detail: "locked until " + next.LockedUntil.Format(time.RFC3339)})
			}
			return nil
		}
		if err := tx.SetLoginState(ctx, u.ID, 0, time.Time{}, time.Time{}); err != nil {
			return err
		}
		if token, err = s.OpenSession(ctx, tx, u.ID, kind, now); err != nil {
			return err
		}
		user = u
		return tx.Audit(ctx, store.Entry{Action: "auth.login", Object: obj, Result: "ok", Detail: kind})
	})
	if err != nil {
		return "", store.User{}, err
	}
	if outcome != nil {
		return "", store.User{}, outcome
	}
	return token, user, nil
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
