package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/region"
)

// User is a staff account.
type User struct {
	ID            int64
	Username      string
	DisplayName   string
	PasswordHash  string
	Region        region.Code
	Roles         []authz.Role
	Posts         string
	HireDate      string
	Active        bool
	FailedLogins  int
	FirstFailedAt time.Time
	LockedUntil   time.Time
	Version       int64
	// TOTPSecret and TOTPPending are the sealed second-factor secret and
	// one being enrolled ("" when none); open them with OpenTOTP.
	TOTPSecret   string
	TOTPPending  string
	TOTPLastStep int64 // the last TOTP time step accepted (replay guard)
}

// TOTPEnabled reports whether the account has a second factor.
func (u User) TOTPEnabled() bool { return u.TOTPSecret != "" }

// Principal is the user as a caller.
func (u User) Principal() authz.Principal {
	return authz.Principal{UserID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Roles: u.Roles, Region: u.Region}
}

const userCols = `id, username, display_name, password_hash, region_code, roles, posts, hire_date, active,
	failed_logins, first_failed_at, locked_until, version, totp_secret_enc, totp_pending_enc, totp_last_step`

type scanner interface{ Scan(...any) error }

func scanUser(s scanner) (User, error) {
	var u User
	var rc, roles string
	var active int64
	var first, locked int64
	err := s.Scan(&u.ID, &u.Username, &u.DisplayName, &u.PasswordHash, &rc, &roles, &u.Posts, &u.HireDate,
		&active, &u.FailedLogins, &first, &locked, &u.Version, &u.TOTPSecret, &u.TOTPPending, &u.TOTPLastStep)
	u.Region, u.Roles, u.Active = region.Code(rc), authz.ParseRoles(roles), active == 1
	u.FirstFailedAt, u.LockedUntil = fromMS(first), fromMS(locked)
	return u, err
}

// CreateUser inserts an account; roles must already satisfy authz.CheckRoles.
func (tx *Tx) CreateUser(ctx context.Context, u User) (int64, error) {
	if err := authz.CheckRoles(u.Roles); err != nil {
		return 0, err
	}
	now := ms(tx.db.now())
	id, err := tx.insertID(ctx, `INSERT INTO users (username, display_name, password_hash, region_code, roles, posts,
		hire_date, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.Username, u.DisplayName, u.PasswordHash, string(u.Region), authz.JoinRoles(u.Roles), u.Posts,
		u.HireDate, boolInt(u.Active), now, now)
	if isUnique(err, "username") {
		return 0, errs.New(errs.Conflict, "username", "用户名已存在")
	}
	return id, mapErr(err, "保存账号失败")
}

// UserForLogin reads an account inside the login transaction, locking the
// row on PostgreSQL so that concurrent failures are all counted.
func (tx *Tx) UserForLogin(ctx context.Context, username string) (User, error) {
	q := "SELECT " + userCols + " FROM users WHERE username = ?"
	if tx.db.dialect == Postgres {
		q += " FOR UPDATE"
	}
	u, err := scanUser(tx.queryRow(ctx, q, username))
	if errors.Is(err, sql.ErrNoRows) {
		return u, errs.New(errs.NotFound, "username", "用户不存在")
	}
	return u, mapErr(err, "读取账号失败")
}

// SetLoginState stores the failure counter and lock of an account.
func (tx *Tx) SetLoginState(ctx context.Context, id int64, failed int, firstFailed, lockedUntil time.Time) error {
	_, err := tx.exec(ctx, `UPDATE users SET failed_logins = ?, first_failed_at = ?, locked_until = ? WHERE id = ?`,
		failed, ms(firstFailed), ms(lockedUntil), id)
	return mapErr(err, "保存登录状态失败")
}

// SetUserRoles replaces an account's roles with optimistic concurrency.
func (tx *Tx) SetUserRoles(ctx context.Context, id int64, roles []authz.Role, version int64) error {
	if err := authz.CheckRoles(roles); err != nil {
		return err
	}
	res, err := tx.exec(ctx, `UPDATE users SET roles = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?`,
		authz.JoinRoles(roles), ms(tx.db.now()), id, version)
	if err != nil {
		return mapErr(err, "保存角色失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.Conflict, "version", "该账号已被他人修改，请刷新后重试")
	}
	return nil
}

// UserByID returns an account.
func (db *DB) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(db.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, errs.New(errs.NotFound, "", "账号不存在")
	}
	return u, mapErr(err, "读取账号失败")
}

// Users lists the accounts whose region lies within scope.
func (db *DB) Users(ctx context.Context, scope region.Scope) ([]User, error) {
	rows, err := db.query(ctx, "SELECT "+userCols+` FROM users WHERE region_code >= ? AND region_code < ?
		ORDER BY region_code, username`, string(scope.Lo), string(scope.Hi))
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
