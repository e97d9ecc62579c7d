package store

import (
	"context"
	"database/sql"
	"errors"

	"dibao/internal/errs"
)

// Reads inside a write transaction (issue 9, races). On PostgreSQL a
// writer holds one pooled connection for its whole transaction; a read it
// makes on the pool (db.UserByID, db.Cases…) needs a second one. With as
// many writers in flight as the pool has connections (16), every one of
// them waits for a connection none will give back: the server hangs. So a
// writer reads what it needs before it begins, or on its own connection
// with these.

// UserByID reads an account on the transaction's own connection.
func (tx *Tx) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(tx.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, errs.New(errs.NotFound, "", "账号不存在")
	}
	return u, mapErr(err, "读取账号失败")
}

// OpenCaseNumber returns the number of an open case of the household, ""
// if it has none, read on the transaction's own connection.
func (tx *Tx) OpenCaseNumber(ctx context.Context, householdID int64) (string, error) {
	var n string
	err := tx.queryRow(ctx, "SELECT number FROM cases WHERE household_id = ? AND closed = 0 ORDER BY id LIMIT 1", householdID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return n, mapErr(err, "读取案件列表失败")
}
