package store

import (
	"context"
	"database/sql"
	"errors"

	"dibao/internal/region"
)

// CaseRead reads a case within the caller's scope inside the transaction
// without locking it: for read-only transactions (ReadTx), where
// PostgreSQL refuses FOR UPDATE.
func (tx *Tx) CaseRead(ctx context.Context, id int64) (Case, error) {
	c, err := scanCase(tx.queryRow(ctx, "SELECT "+caseCols+" FROM cases c JOIN households h ON h.id = c.household_id WHERE c.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !tx.p.Scope().Contains(c.Region)) {
		return Case{}, notFoundCase()
	}
	return c, mapErr(err, "读取案件失败")
}

// CaseVersions reads, within the caller's scope, the current version of a
// case and of its household, locking the case on PostgreSQL like
// CaseForUpdate: a service that prepared a change from an earlier read
// checks with it that neither moved since.
func (tx *Tx) CaseVersions(ctx context.Context, id int64) (caseVersion, householdVersion int64, err error) {
	q := "SELECT c.region_code, c.version, h.version FROM cases c JOIN households h ON h.id = c.household_id WHERE c.id = ?"
	if tx.db.dialect == Postgres {
		q += " FOR UPDATE OF c"
	}
	var rc string
	err = tx.queryRow(ctx, q, id).Scan(&rc, &caseVersion, &householdVersion)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !tx.p.Scope().Contains(region.Code(rc))) {
		return 0, 0, notFoundCase()
	}
	return caseVersion, householdVersion, mapErr(err, "读取案件失败")
}
