package store

import (
	"context"
	"database/sql"
	"errors"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/region"
)

// UserFilter narrows the account list within the caller's scope.
type UserFilter struct {
	Region region.Code // only accounts at or beneath this region; "" for the whole scope
	Query  string      // part of the username or display name
	Role   authz.Role  // only accounts holding this role
	Status string      // "active", "inactive", "locked"; "" for all
	Limit  int         // 0 = no limit
}

// UsersFiltered lists the accounts within scope that match f, ordered by
// region and username. A filter region outside scope narrows to nothing:
// the scope filter stays in the SQL whatever the filter says.
func (db *DB) UsersFiltered(ctx context.Context, scope region.Scope, f UserFilter) ([]User, error) {
	q := "SELECT " + userCols + " FROM users WHERE region_code >= ? AND region_code < ?"
	args := []any{string(scope.Lo), string(scope.Hi)}
	if f.Region != "" {
		sub := region.ScopeOf(f.Region)
		q += " AND region_code >= ? AND region_code < ?"
		args = append(args, string(sub.Lo), string(sub.Hi))
	}
	if f.Query != "" {
		q += " AND (username LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\')"
		like := "%" + likeEscaped(f.Query) + "%"
		args = append(args, like, like)
	}
	if f.Role != "" {
		// roles is a comma-joined list; wrapping it in commas makes the
		// match exact (trainer must not match training_admin).
		q += " AND (',' || roles || ',') LIKE ? ESCAPE '\\'"
		args = append(args, "%,"+likeEscaped(string(f.Role))+",%")
	}
	now := ms(db.now())
	switch f.Status {
	case "active":
		q += " AND active = 1"
	case "inactive":
		q += " AND active = 0"
	case "locked":
		q += " AND locked_until > ?"
		args = append(args, now)
	}
	q += " ORDER BY region_code, username"
	if f.Limit > 0 {
		q += " LIMIT " + itoa(int64(f.Limit))
	}
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err, "读取账号失败")
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, mapErr(err, "读取账号失败")
		}
		out = append(out, u)
	}
	return out, mapErr(rows.Err(), "读取账号失败")
}

// likeEscaped escapes the LIKE wildcards of s for ESCAPE '\'.
func likeEscaped(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '%', '_', '\\':
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// UserInScope returns an account whose region lies within scope; an
// account outside it is reported as not found, not as forbidden, so that
// its existence is not disclosed.
func (db *DB) UserInScope(ctx context.Context, scope region.Scope, id int64) (User, error) {
	u, err := scanUser(db.queryRow(ctx, "SELECT "+userCols+` FROM users
		WHERE id = ? AND region_code >= ? AND region_code < ?`, id, string(scope.Lo), string(scope.Hi)))
	if errors.Is(err, sql.ErrNoRows) {
		return u, errs.New(errs.NotFound, "", "账号不存在")
	}
	return u, mapErr(err, "读取账号失败")
}

// UserSessionCount is the number of open sessions of an account (shown to
// the security administrator; expired ones are counted until swept).
func (db *DB) UserSessionCount(ctx context.Context, id int64) (int, error) {
	var n int
	err := db.queryRow(ctx, "SELECT COUNT(*) FROM sessions WHERE user_id = ? AND expires_at > ?", id, ms(db.now())).Scan(&n)
	return n, mapErr(err, "读取会话失败")
}

// UserForUpdate reads an account inside a transaction, locking the row on
// PostgreSQL so that two administrators' changes are applied one after the
// other (SQLite write transactions are already exclusive).
func (tx *Tx) UserForUpdate(ctx context.Context, scope region.Scope, id int64) (User, error) {
	q := "SELECT " + userCols + " FROM users WHERE id = ? AND region_code >= ? AND region_code < ?"
	if tx.db.dialect == Postgres {
		q += " FOR UPDATE"
	}
	u, err := scanUser(tx.queryRow(ctx, q, id, string(scope.Lo), string(scope.Hi)))
	if errors.Is(err, sql.ErrNoRows) {
		return u, errs.New(errs.NotFound, "", "账号不存在")
	}
	return u, mapErr(err, "读取账号失败")
}

// SetUserActive enables or disables an account read at version.
func (tx *Tx) SetUserActive(ctx context.Context, id int64, active bool, version int64) error {
	res, err := tx.exec(ctx, `UPDATE users SET active = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?`,
		boolInt(active), ms(tx.db.now()), id, version)
	return versioned(res, err, "保存账号状态失败")
}

// SetUserPassword replaces the password hash of an account read at version
// and clears its failure counter and lock: the new password is the way back
// in for a locked-out user.
func (tx *Tx) SetUserPassword(ctx context.Context, id int64, hash string, version int64) error {
	res, err := tx.exec(ctx, `UPDATE users SET password_hash = ?, failed_logins = 0, first_failed_at = 0, locked_until = 0,
		version = version + 1, updated_at = ? WHERE id = ? AND version = ?`, hash, ms(tx.db.now()), id, version)
	return versioned(res, err, "保存密码失败")
}

func versioned(res sql.Result, err error, msg string) error {
	if err != nil {
		return mapErr(err, msg)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.Conflict, "version", "该账号已被他人修改，请刷新后重试")
	}
	return nil
}

// RegionExists reports whether a region code is on file, inside the
// transaction so that the answer holds until it commits.
func (tx *Tx) RegionExists(ctx context.Context, code region.Code) (bool, error) {
	var n int
	err := tx.queryRow(ctx, "SELECT COUNT(*) FROM regions WHERE code = ?", string(code)).Scan(&n)
	return n > 0, mapErr(err, "读取行政区划失败")
}
