package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"dibao/internal/errs"
)

// Session is a login, stored by the hash of its token so that a copy of
// the database cannot be used to impersonate anyone.
type Session struct {
	TokenHash string
	UserID    int64
	Kind      string // "web" or "api"
	CreatedAt time.Time
	LastSeen  time.Time
	ExpiresAt time.Time // absolute end
}

// CreateSession stores a new session.
func (tx *Tx) CreateSession(ctx context.Context, s Session) error {
	_, err := tx.exec(ctx, `INSERT INTO sessions (token_hash, user_id, kind, created_at, last_seen_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, s.TokenHash, s.UserID, s.Kind, ms(s.CreatedAt), ms(s.LastSeen), ms(s.ExpiresAt))
	return mapErr(err, "创建会话失败")
}

// DeleteSession ends a session; it reports whether one existed.
func (tx *Tx) DeleteSession(ctx context.Context, tokenHash string) (bool, error) {
	res, err := tx.exec(ctx, "DELETE FROM sessions WHERE token_hash = ?", tokenHash)
	if err != nil {
		return false, mapErr(err, "注销失败")
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// DeleteUserSessions ends every session of a user (lock, role change),
// and every login of theirs waiting for its second factor.
func (tx *Tx) DeleteUserSessions(ctx context.Context, userID int64) error {
	if _, err := tx.exec(ctx, "DELETE FROM login_challenges WHERE user_id = ?", userID); err != nil {
		return mapErr(err, "注销会话失败")
	}
	_, err := tx.exec(ctx, "DELETE FROM sessions WHERE user_id = ?", userID)
	return mapErr(err, "注销会话失败")
}

// SessionByHash returns a session.
func (db *DB) SessionByHash(ctx context.Context, tokenHash string) (Session, error) {
	var s Session
	var c, l, e int64
	err := db.queryRow(ctx, `SELECT token_hash, user_id, kind, created_at, last_seen_at, expires_at FROM sessions
		WHERE token_hash = ?`, tokenHash).Scan(&s.TokenHash, &s.UserID, &s.Kind, &c, &l, &e)
	if errors.Is(err, sql.ErrNoRows) {
		return s, errs.New(errs.Unauthorized, "", "登录已失效，请重新登录")
	}
	s.CreatedAt, s.LastSeen, s.ExpiresAt = fromMS(c), fromMS(l), fromMS(e)
	return s, mapErr(err, "读取会话失败")
}

// TouchSession records activity. It is session bookkeeping, not a business
// change, so it runs outside InTx and is not audited (login and logout are).
func (db *DB) TouchSession(ctx context.Context, tokenHash string, at time.Time) error {
	_, err := db.w.ExecContext(ctx, db.rebind("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?"), ms(at), tokenHash)
	return mapErr(err, "更新会话失败")
}

// ExpireSession deletes a timed-out session (not audited, like Touch).
func (db *DB) ExpireSession(ctx context.Context, tokenHash string) error {
	_, err := db.w.ExecContext(ctx, db.rebind("DELETE FROM sessions WHERE token_hash = ?"), tokenHash)
	return mapErr(err, "删除会话失败")
}

// SessionUser returns a session with its account in one round trip (every
// authenticated request asks for both).
func (db *DB) SessionUser(ctx context.Context, tokenHash string) (Session, User, error) {
	var s Session
	var c, l, e int64
	row := db.queryRow(ctx, `SELECT s.token_hash, s.user_id, s.kind, s.created_at, s.last_seen_at, s.expires_at, `+userCols+`
		FROM sessions s JOIN users ON users.id = s.user_id WHERE s.token_hash = ?`, tokenHash)
	u, err := scanUser(prefixScanner{row, []any{&s.TokenHash, &s.UserID, &s.Kind, &c, &l, &e}})
	if errors.Is(err, sql.ErrNoRows) {
		return s, u, errs.New(errs.Unauthorized, "", "登录已失效，请重新登录")
	}
	s.CreatedAt, s.LastSeen, s.ExpiresAt = fromMS(c), fromMS(l), fromMS(e)
	return s, u, mapErr(err, "读取会话失败")
}

// prefixScanner scans leading columns into pre, the rest into the
// destinations its caller gives.
type prefixScanner struct {
	s   scanner
	pre []any
}

func (p prefixScanner) Scan(dest ...any) error { return p.s.Scan(append(p.pre, dest...)...) }
