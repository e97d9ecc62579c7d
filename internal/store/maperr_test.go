package store

import (
	"errors"
	"testing"

	"dibao/internal/errs"
)

// TestMapErrRetryable: what a racing writer can meet in the driver — a
// busy SQLite, a PostgreSQL serialization failure, deadlock or lock
// timeout, a unique key taken by the other side — reaches the caller as a
// conflict (HTTP 409), never as an internal error.
func TestMapErrRetryable(t *testing.T) {
	for _, msg := range []string{
		"database is locked (5) (SQLITE_BUSY)",
		"ERROR: could not serialize access due to concurrent update (SQLSTATE 40001)",
		"ERROR: deadlock detected (SQLSTATE 40P01)",
		"ERROR: canceling statement due to lock timeout (SQLSTATE 55P03)",
		"constraint failed: UNIQUE constraint failed: rosters.county, rosters.month (2067)",
		`ERROR: duplicate key value violates unique constraint "cases_one_open" (SQLSTATE 23505)`,
	} {
		if got := errs.CodeOf(mapErr(errors.New(msg), "保存失败")); got != errs.Conflict {
			t.Errorf("%q → %s, want conflict", msg, got)
		}
	}
	if got := errs.CodeOf(mapErr(errors.New("ERROR: relation does not exist (SQLSTATE 42P01)"), "x")); got != errs.Internal {
		t.Errorf("a real fault → %s, want internal", got)
	}
}
