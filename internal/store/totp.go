package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"dibao/internal/errs"
)

// KindTOTP is the sealing kind of a TOTP secret.
const KindTOTP = "totp"

// OpenTOTP opens a sealed TOTP secret of User.
func (db *DB) OpenTOTP(sealed string) (string, error) { return db.open(KindTOTP, sealed) }

// SetTOTPPending seals and stores a secret being enrolled; it becomes the
// account's second factor only when EnableTOTP confirms it.
func (tx *Tx) SetTOTPPending(ctx context.Context, id int64, secret string) error {
	sealed, err := tx.db.seal(KindTOTP, secret)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, "UPDATE users SET totp_pending_enc = ?, updated_at = ? WHERE id = ?", sealed, ms(tx.db.now()), id)
	return mapErr(err, "保存动态验证码密钥失败")
}

// EnableTOTP makes the pending secret the account's second factor, with
// step (the one the confirming code used) as the last step used.
func (tx *Tx) EnableTOTP(ctx context.Context, id, step int64) error {
	res, err := tx.exec(ctx, `UPDATE users SET totp_secret_enc = totp_pending_enc, totp_pending_enc = '', totp_last_step = ?,
		version = version + 1, updated_at = ? WHERE id = ? AND totp_pending_enc <> ''`, step, ms(tx.db.now()), id)
	if err != nil {
		return mapErr(err, "启用双因素认证失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.Conflict, "totp", "绑定已失效，请刷新页面重新绑定")
	}
	return nil
}

// ClearTOTP removes the second factor and any pending one (disable, reset
// by the security administrator). The last step is kept: it only grows.
func (tx *Tx) ClearTOTP(ctx context.Context, id int64) error {
	_, err := tx.exec(ctx, `UPDATE users SET totp_secret_enc = '', totp_pending_enc = '', version = version + 1,
		updated_at = ? WHERE id = ?`, ms(tx.db.now()), id)
	return mapErr(err, "停用双因素认证失败")
}

// UseTOTPStep records step as used; it reports false when that step or a
// later one was already used, so two requests racing with the same code
// cannot both get in.
func (tx *Tx) UseTOTPStep(ctx context.Context, id, step int64) (bool, error) {
	res, err := tx.exec(ctx, "UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?", step, id, step)
	if err != nil {
		return false, mapErr(err, "保存登录状态失败")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Challenge is a login waiting for its second factor ("totp") or for an
// administrator to enrol one ("enrol"). It is stored by the hash of its
// token and grants nothing but that step.
type Challenge struct {
	TokenHash string
	UserID    int64
	Purpose   string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateChallenge stores a pending login.
func (tx *Tx) CreateChallenge(ctx context.Context, c Challenge) error {
	_, err := tx.exec(ctx, `INSERT INTO login_challenges (token_hash, user_id, purpose, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?)`, c.TokenHash, c.UserID, c.Purpose, ms(c.CreatedAt), ms(c.ExpiresAt))
	return mapErr(err, "登录失败，请重试")
}

// ChallengeForUpdate reads a pending login and its account inside tx,
// locking the account row on PostgreSQL (wrong codes are counted on it).
func (tx *Tx) ChallengeForUpdate(ctx context.Context, tokenHash string) (Challenge, User, error) {
	var c Challenge
	var cr, ex int64
	err := tx.queryRow(ctx, `SELECT token_hash, user_id, purpose, created_at, expires_at FROM login_challenges
		WHERE token_hash = ?`, tokenHash).Scan(&c.TokenHash, &c.UserID, &c.Purpose, &cr, &ex)
	if errors.Is(err, sql.ErrNoRows) {
		return c, User{}, errs.New(errs.Unauthorized, "", "登录已超时，请重新输入用户名和密码")
	}
	if err != nil {
		return c, User{}, mapErr(err, "读取登录状态失败")
	}
	c.CreatedAt, c.ExpiresAt = fromMS(cr), fromMS(ex)
	q := "SELECT " + userCols + " FROM users WHERE id = ?"
	if tx.db.dialect == Postgres {
		q += " FOR UPDATE"
	}
	u, err := scanUser(tx.queryRow(ctx, q, c.UserID))
	return c, u, mapErr(err, "读取账号失败")
}

// ChallengeUser reads a pending login and its account (the enrolment page).
func (db *DB) ChallengeUser(ctx context.Context, tokenHash string) (Challenge, User, error) {
	var c Challenge
	var cr, ex int64
	row := db.queryRow(ctx, `SELECT c.token_hash, c.user_id, c.purpose, c.created_at, c.expires_at, `+userCols+`
		FROM login_challenges c JOIN users ON users.id = c.user_id WHERE c.token_hash = ?`, tokenHash)
	u, err := scanUser(prefixScanner{row, []any{&c.TokenHash, &c.UserID, &c.Purpose, &cr, &ex}})
	if errors.Is(err, sql.ErrNoRows) {
		return c, u, errs.New(errs.Unauthorized, "", "登录已超时，请重新输入用户名和密码")
	}
	c.CreatedAt, c.ExpiresAt = fromMS(cr), fromMS(ex)
	return c, u, mapErr(err, "读取登录状态失败")
}

// DeleteChallenge ends a pending login; it reports whether one existed.
func (tx *Tx) DeleteChallenge(ctx context.Context, tokenHash string) (bool, error) {
	res, err := tx.exec(ctx, "DELETE FROM login_challenges WHERE token_hash = ?", tokenHash)
	if err != nil {
		return false, mapErr(err, "删除登录状态失败")
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// UserByName returns an account by its username.
func (db *DB) UserByName(ctx context.Context, username string) (User, error) {
	u, err := scanUser(db.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE username = ?", username))
	if errors.Is(err, sql.ErrNoRows) {
		return u, errs.New(errs.NotFound, "", "账号不存在")
	}
	return u, mapErr(err, "读取账号失败")
}

// DeleteExpiredChallenges sweeps pending logins past their end (the table
// holds a handful; each new pending login sweeps it).
func (tx *Tx) DeleteExpiredChallenges(ctx context.Context, now time.Time) error {
	_, err := tx.exec(ctx, "DELETE FROM login_challenges WHERE expires_at <= ?", ms(now))
	return mapErr(err, "删除登录状态失败")
}
