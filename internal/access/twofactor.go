package access

import (
	"context"
	"errors"
	"time"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/store"
	"dibao/internal/totp"
)

// Issuer names the system in authenticator apps.
const Issuer = "低保系统"

// PendingTimeout is how long a login may wait between the password and
// the second factor (or the enrolment of one).
const PendingTimeout = 5 * time.Minute

// RequiresTOTP reports whether an account with roles must use a second
// factor: the three administrators of 三员分立 — system administrator,
// security administrator and the audit administrator (authz.Auditor,
// 审计管理员). Others may enrol one.
func RequiresTOTP(roles []authz.Role) bool {
	for _, r := range roles {
		if r == authz.SystemAdmin || r == authz.SecurityAdmin || r == authz.Auditor {
			return true
		}
	}
	return false
}

func pendingExpired() error {
	return errs.New(errs.Unauthorized, "", "登录已超时，请重新输入用户名和密码")
}

// Enrolment is what the enrolment page shows: the secret in base32 and
// the otpauth:// URI the apps import.
type Enrolment struct {
	Username string
	Secret   string // base32, for typing in
	Grouped  string // the same in groups of four
	URI      string
}

func enrolment(username, secret string) Enrolment {
	return Enrolment{Username: username, Secret: secret, Grouped: totp.Group(secret), URI: totp.URI(Issuer, username, secret)}
}

// challenge reads a pending login of purpose for a step inside tx; an
// expired, unknown or other-purpose one ends here.
func (s *Service) challenge(ctx context.Context, tx *store.Tx, token, purpose string, now time.Time) (store.User, error) {
	if token == "" || len(token) > 100 {
		return store.User{}, pendingExpired()
	}
	c, u, err := tx.ChallengeForUpdate(ctx, tokenHash(token))
	if err != nil {
		return store.User{}, err
	}
	if c.Purpose != purpose || !now.Before(c.ExpiresAt) {
		return store.User{}, pendingExpired()
	}
	return u, nil
}

// CompleteLogin is the web login's second step: the code for a pending
// login of Stage "totp". A wrong code counts toward the lockout like a
// wrong password. It returns a new web session.
func (s *Service) CompleteLogin(ctx context.Context, pending, code, requestID string) (string, store.User, error) {
	return s.second(ctx, pending, StageTOTP, code, requestID)
}

// ConfirmEnrolment finishes the forced enrolment of an administrator: the
// first code from the app confirms the pending secret, which becomes the
// account's second factor, and the login completes with a web session.
func (s *Service) ConfirmEnrolment(ctx context.Context, pending, code, requestID string) (string, store.User, error) {
	return s.second(ctx, pending, StageEnrol, code, requestID)
}

func (s *Service) second(ctx context.Context, pending, stage, code, requestID string) (string, store.User, error) {
	var token string
	var user store.User
	var outcome error
	err := s.DB.InTx(ctx, authz.Principal{RequestID: requestID}, func(tx *store.Tx) error {
		now := s.DB.Now()
		u, err := s.challenge(ctx, tx, pending, stage, now)
		if err != nil {
			if errs.CodeOf(err) != errs.Unauthorized {
				return err
			}
			if _, err := tx.DeleteChallenge(ctx, tokenHash(pending)); err != nil {
				return err
			}
			outcome = pendingExpired()
			return tx.Audit(ctx, store.Entry{Action: "auth.login", Object: "user:?", Result: "denied",
				Detail: stage + ": pending login unknown or expired"})
		}
		p := u.Principal()
		p.RequestID = requestID
		tx.SetPrincipal(p)
		obj := "user:" + itoa(u.ID)
		st := LoginState{Failed: u.FailedLogins, FirstFailed: u.FirstFailedAt, LockedUntil: u.LockedUntil}
		if !u.Active || st.Locked(now) {
			if _, err := tx.DeleteChallenge(ctx, tokenHash(pending)); err != nil {
				return err
			}
			outcome = pendingExpired()
			if st.Locked(now) {
				outcome = lockedErr(st.LockedUntil)
			}
			return tx.Audit(ctx, store.Entry{Action: "auth.login", Object: obj, Result: "denied", Detail: stage + ": inactive or locked"})
		}
		sealed := u.TOTPSecret
		if stage == StageEnrol {
			sealed = u.TOTPPending
		}
		if sealed == "" {
			outcome = errs.New(errs.Conflict, "totp", "绑定已失效，请刷新页面重新绑定")
			return tx.Audit(ctx, store.Entry{Action: "auth.login", Object: obj, Result: "denied", Detail: stage + ": no secret"})
		}
		secret, err := s.DB.OpenTOTP(sealed)
		if err != nil {
			return err
		}
		step, ok := totp.Verify(secret, code, now, u.TOTPLastStep)
		if ok && stage == StageTOTP {
			if ok, err = tx.UseTOTPStep(ctx, u.ID, step); err != nil {
				return err
			}
		}
		if !ok {
			outcome, err = s.fail(ctx, tx, u, st, now, stage+": bad code", badCode())
			return err
		}
		if stage == StageEnrol {
			if err := tx.EnableTOTP(ctx, u.ID, step); err != nil {
				return err
			}
			if err := tx.Audit(ctx, store.Entry{Action: "auth.totp_enable", Object: obj, Detail: "at login"}); err != nil {
				return err
			}
		}
		if _, err := tx.DeleteChallenge(ctx, tokenHash(pending)); err != nil {
			return err
		}
		if err := tx.SetLoginState(ctx, u.ID, 0, time.Time{}, time.Time{}); err != nil {
			return err
		}
		if token, err = s.OpenSession(ctx, tx, u.ID, "web", now); err != nil {
			return err
		}
		user = u
		return tx.Audit(ctx, store.Entry{Action: "auth.login", Object: obj, Result: "ok", Detail: "web totp"})
	})
	if err != nil {
		return "", store.User{}, err
	}
	if outcome != nil {
		return "", store.User{}, outcome
	}
	return token, user, nil
}

// PendingEnrolment returns the secret to show an administrator who must
// enrol during login, creating (and auditing) it on first view.
func (s *Service) PendingEnrolment(ctx context.Context, pending, requestID string) (Enrolment, error) {
	if pending == "" || len(pending) > 100 {
		return Enrolment{}, pendingExpired()
	}
	c, u, err := s.DB.ChallengeUser(ctx, tokenHash(pending))
	if err != nil {
		return Enrolment{}, err
	}
	if c.Purpose != StageEnrol || !s.DB.Now().Before(c.ExpiresAt) {
		return Enrolment{}, pendingExpired()
	}
	if u.TOTPPending != "" {
		secret, err := s.DB.OpenTOTP(u.TOTPPending)
		if err != nil {
			return Enrolment{}, err
		}
		return enrolment(u.Username, secret), nil
	}
	var en Enrolment
	err = s.DB.InTx(ctx, authz.Principal{RequestID: requestID}, func(tx *store.Tx) error {
		u, err := s.challenge(ctx, tx, pending, StageEnrol, s.DB.Now())
		if err != nil {
			return err
		}
		p := u.Principal()
		p.RequestID = requestID
		tx.SetPrincipal(p)
		if u.TOTPPending != "" { // created by a concurrent view
			secret, err := s.DB.OpenTOTP(u.TOTPPending)
			en = enrolment(u.Username, secret)
			if err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "auth.totp_enrol_start", Object: "user:" + itoa(u.ID), Detail: "shown again"})
		}
		en, err = s.pendingSecret(ctx, tx, u)
		return err
	})
	return en, err
}

// pendingSecret returns u's pending secret, creating one if there is none.
func (s *Service) pendingSecret(ctx context.Context, tx *store.Tx, u store.User) (Enrolment, error) {
	if u.TOTPPending != "" {
		secret, err := s.DB.OpenTOTP(u.TOTPPending)
		if err != nil {
			return Enrolment{}, err
		}
		return enrolment(u.Username, secret), nil
	}
	secret, err := totp.NewSecret()
	if err != nil {
		return Enrolment{}, errs.Wrap(err, "生成密钥失败，请重试")
	}
	if err := tx.SetTOTPPending(ctx, u.ID, secret); err != nil {
		return Enrolment{}, err
	}
	return enrolment(u.Username, secret), tx.Audit(ctx, store.Entry{Action: "auth.totp_enrol_start", Object: "user:" + itoa(u.ID)})
}

// TOTPState is what the account's 2FA page shows.
type TOTPState struct {
	Enabled  bool
	Required bool
	Pending  *Enrolment // an enrolment started and not yet confirmed
}

// State returns the caller's second-factor state.
func (s *Service) State(ctx context.Context, p authz.Principal) (TOTPState, error) {
	u, err := s.DB.UserByID(ctx, p.UserID)
	if err != nil {
		return TOTPState{}, err
	}
	st := TOTPState{Enabled: u.TOTPEnabled(), Required: RequiresTOTP(u.Roles)}
	if !st.Enabled && u.TOTPPending != "" {
		secret, err := s.DB.OpenTOTP(u.TOTPPending)
		if err != nil {
			return TOTPState{}, err
		}
		en := enrolment(u.Username, secret)
		st.Pending = &en
	}
	return st, nil
}

// own reads the caller's account for a change of their second factor.
func (s *Service) own(ctx context.Context, tx *store.Tx, p authz.Principal) (store.User, error) {
	if p.UserID == 0 {
		return store.User{}, errs.New(errs.Forbidden, "", "仅工作人员账号可设置双因素认证")
	}
	return tx.UserForUpdate(ctx, p.Scope(), p.UserID)
}

// StartEnrolment gives a signed-in user without a second factor a new
// pending secret (replacing an unconfirmed one).
func (s *Service) StartEnrolment(ctx context.Context, p authz.Principal) (Enrolment, error) {
	var en Enrolment
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		u, err := s.own(ctx, tx, p)
		if err != nil {
			return err
		}
		if u.TOTPEnabled() {
			return errs.New(errs.Conflict, "totp", "已启用双因素认证；如需更换手机，请先停用再重新绑定")
		}
		u.TOTPPending = ""
		en, err = s.pendingSecret(ctx, tx, u)
		return err
	})
	return en, err
}

// ConfirmOwn confirms the caller's pending secret with a code.
func (s *Service) ConfirmOwn(ctx context.Context, p authz.Principal, code string) error {
	return s.ownCode(ctx, p, code, true)
}

// DisableOwn removes the caller's second factor; it takes a current code,
// and the administrators, who must keep one, cannot.
func (s *Service) DisableOwn(ctx context.Context, p authz.Principal, code string) error {
	return s.ownCode(ctx, p, code, false)
}

func (s *Service) ownCode(ctx context.Context, p authz.Principal, code string, enable bool) error {
	var outcome error
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		now := s.DB.Now()
		u, err := s.own(ctx, tx, p)
		if err != nil {
			return err
		}
		obj := "user:" + itoa(u.ID)
		sealed := u.TOTPSecret
		switch {
		case enable && u.TOTPEnabled():
			return errs.New(errs.Conflict, "totp", "已启用双因素认证")
		case enable:
			sealed = u.TOTPPending
			if sealed == "" {
				return errs.New(errs.Conflict, "totp", "绑定已失效，请重新开始绑定")
			}
		case !u.TOTPEnabled():
			return errs.New(errs.Conflict, "totp", "尚未启用双因素认证")
		case RequiresTOTP(u.Roles):
			return errs.New(errs.Forbidden, "totp", "系统管理员、安全管理员、审计管理员必须使用双因素认证，不能停用；更换手机请联系安全管理员重置")
		}
		secret, err := s.DB.OpenTOTP(sealed)
		if err != nil {
			return err
		}
		step, ok := totp.Verify(secret, code, now, u.TOTPLastStep)
		if ok && !enable {
			if ok, err = tx.UseTOTPStep(ctx, u.ID, step); err != nil {
				return err
			}
		}
		if !ok {
			st := LoginState{Failed: u.FailedLogins, FirstFailed: u.FirstFailedAt, LockedUntil: u.LockedUntil}
			outcome, err = s.fail(ctx, tx, u, st, now, "totp change: bad code", badCode())
			return err
		}
		if enable {
			if err := tx.EnableTOTP(ctx, u.ID, step); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "auth.totp_enable", Object: obj, Detail: "self-service"})
		}
		if err := tx.ClearTOTP(ctx, u.ID); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "auth.totp_disable", Object: obj, Detail: "self-service"})
	})
	if err != nil {
		return err
	}
	return outcome
}

// ResetTOTP removes the second factor of another account in the security
// administrator's scope (a lost phone) and ends its sessions; an
// administrator account must enrol again at its next login.
func (s *Service) ResetTOTP(ctx context.Context, p authz.Principal, id int64) error {
	if err := p.Require(authz.UserManage); err != nil {
		return err
	}
	if id == p.UserID {
		return errs.New(errs.Forbidden, "totp", "不能重置本人的双因素认证，请联系另一位安全管理员")
	}
	return s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		u, err := tx.UserForUpdate(ctx, p.Scope(), id)
		if err != nil {
			return err
		}
		if err := tx.ClearTOTP(ctx, id); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, id); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "user.totp_reset", Object: "user:" + itoa(id),
			Detail: "username=" + u.Username + " sessions ended"})
	})
}

// Discard ends whatever session or pending login token names (a cookie
// left from before a new login), so that the new login never reuses an
// old token: the session is rotated. It reports whether one existed.
func (s *Service) Discard(ctx context.Context, token, requestID string) (bool, error) {
	if token == "" || len(token) > 100 {
		return false, nil
	}
	var found bool
	h := tokenHash(token)
	// The record names whose session ends, when it can be read.
	who := authz.Principal{RequestID: requestID}
	if _, u, err := s.DB.SessionUser(ctx, h); err == nil {
		who = u.Principal()
	} else if _, u, err := s.DB.ChallengeUser(ctx, h); err == nil {
		who = u.Principal()
	}
	who.RequestID = requestID
	err := s.DB.InTx(ctx, who, func(tx *store.Tx) error {
		a, err := tx.DeleteSession(ctx, h)
		if err != nil {
			return err
		}
		b, err := tx.DeleteChallenge(ctx, h)
		if err != nil {
			return err
		}
		if found = a || b; !found {
			return errNothing // roll back: nothing to audit
		}
		return tx.Audit(ctx, store.Entry{Action: "auth.logout", Object: "user:" + itoa(who.UserID), Detail: "replaced by a new login"})
	})
	if errors.Is(err, errNothing) {
		err = nil
	}
	return found, err
}

var errNothing = errors.New("access: nothing to do")

// ChangePassword is the self-service password change: the current
// password, then the policy for the new one. Every session of the account
// ends (the one in use too) and a new web session is returned, so a
// session stolen before the change does not outlive it. A wrong current
// password counts toward the lockout.
func (s *Service) ChangePassword(ctx context.Context, p authz.Principal, current, newPassword string) (string, error) {
	if p.UserID == 0 {
		return "", errs.New(errs.Forbidden, "", "仅工作人员账号可修改密码")
	}
	if current == "" {
		return "", errs.New(errs.Invalid, "current_password", "请输入当前密码")
	}
	if err := CheckPolicy(newPassword, p.Username); err != nil {
		return "", err
	}
	if current == newPassword {
		return "", errs.New(errs.Invalid, "password", "新密码不能与当前密码相同")
	}
	u, err := s.DB.UserByID(ctx, p.UserID)
	if err != nil {
		return "", err
	}
	// argon2 runs outside the write transaction (tens of milliseconds the
	// single SQLite writer should not wait for); the version guards the gap.
	okCurrent, err := CheckPassword(u.PasswordHash, current)
	if err != nil {
		return "", errs.Wrap(err, "账号数据异常，请联系安全管理员")
	}
	var hash string
	if okCurrent {
		if hash, err = HashPassword(newPassword); err != nil {
			return "", errs.Wrap(err, "修改密码失败，请重试")
		}
	}
	var token string
	var outcome error
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		now := s.DB.Now()
		cur, err := s.own(ctx, tx, p)
		if err != nil {
			return err
		}
		obj := "user:" + itoa(cur.ID)
		if !okCurrent {
			st := LoginState{Failed: cur.FailedLogins, FirstFailed: cur.FirstFailedAt, LockedUntil: cur.LockedUntil}
			outcome, err = s.fail(ctx, tx, cur, st, now, "password change: bad current password",
				errs.New(errs.Invalid, "current_password", "当前密码不正确"))
			return err
		}
		if err := tx.SetUserPassword(ctx, cur.ID, hash, u.Version); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, cur.ID); err != nil {
			return err
		}
		if token, err = s.OpenSession(ctx, tx, cur.ID, "web", now); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "auth.password_change", Object: obj, Detail: "self-service; sessions rotated"})
	})
	if err != nil {
		return "", err
	}
	return token, outcome
}
