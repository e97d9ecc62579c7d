package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"dibao/internal/region"
)

// The register list's filtering, counting and paging (issue 4): the
// condition is built once, so the page, its count and the export of the
// same filter always agree.

// registerWhere builds the WHERE clause of a register query: the scope
// intersected with f.Region, then f's other conditions.
func registerWhere(scope region.Scope, f RegisterFilter) (string, []any) {
	lo, hi := scope.Lo, scope.Hi
	if f.Region != "" {
		rs := region.ScopeOf(f.Region) // an invalid code gives the empty scope: nothing matches
		lo, hi = max(lo, rs.Lo), min(hi, rs.Hi)
	}
	where := " WHERE r.region_code >= ? AND r.region_code < ?"
	args := []any{string(lo), string(hi)}
	switch f.Status {
	case "":
		where += " AND r.status = 'active'"
	case "all":
	default:
		where += " AND r.status = ?"
		args = append(args, f.Status)
	}
	if f.Category != "" {
		where += " AND r.category = ?"
		args = append(args, f.Category)
	}
	switch f.Urban {
	case "urban":
		where += " AND h.urban = 1"
	case "rural":
		where += " AND h.urban = 0"
	}
	if f.MinAmount > 0 {
		where += " AND r.amount_fen >= ?"
		args = append(args, int64(f.MinAmount))
	}
	if f.MaxAmount > 0 {
		where += " AND r.amount_fen <= ?"
		args = append(args, int64(f.MaxAmount))
	}
	if f.ReviewDueBy != "" {
		where += " AND EXISTS (SELECT 1 FROM review_tasks t WHERE t.household_id = r.household_id AND t.status <> 'decided' AND t.due <= ?)"
		args = append(args, f.ReviewDueBy)
	}
	return where, args
}

// registerQuery is the full list query of f: every matching row in list
// order, or, with f.Limit, one page. A page is chosen on the bare keys
// first, so the joined columns and the review-due subquery are computed
// for the page's rows only, however deep the offset.
func registerQuery(scope region.Scope, f RegisterFilter) (string, []any) {
	where, args := registerWhere(scope, f)
	const order = " ORDER BY r.region_code, r.household_id"
	if f.Limit <= 0 {
		return "SELECT " + registerCols + registerFrom + where + order, args
	}
	args = append(args, f.Limit, max(f.Offset, 0))
	return "SELECT " + registerCols + registerFrom + ` WHERE r.household_id IN (SELECT r.household_id
		FROM recipients r JOIN households h ON h.id = r.household_id` + where + order + " LIMIT ? OFFSET ?)" + order, args
}

// RegisterCount counts the recipients within scope matching f (its Limit
// and Offset are ignored).
func (db *DB) RegisterCount(ctx context.Context, scope region.Scope, f RegisterFilter) (int, error) {
	where, args := registerWhere(scope, f)
	// Every recipient has its household (a foreign key): the join is only
	// needed to filter on the household, and without it the count of a
	// county reads one index instead of a row per recipient (issue 8).
	from := "SELECT COUNT(*) FROM recipients r"
	if f.Urban != "" {
		from += " JOIN households h ON h.id = r.household_id"
	}
	var n int
	err := db.r.QueryRowContext(ctx, db.rebind(from+where), args...).Scan(&n)
	return n, mapErr(err, "读取保障对象失败")
}

// RegisterEach calls fn for every recipient within scope matching f, in
// list order, without holding them all in memory (exports).
func (db *DB) RegisterEach(ctx context.Context, scope region.Scope, f RegisterFilter, fn func(RegisterEntry) error) error {
	q, args := registerQuery(scope, f)
	rows, err := db.r.QueryContext(ctx, db.rebind(q), args...)
	if err != nil {
		return mapErr(err, "读取保障对象失败")
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanRegister(rows)
		if err != nil {
			return mapErr(err, "读取保障对象失败")
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return mapErr(rows.Err(), "读取保障对象失败")
}

// RegisterEntry reads one recipient, whatever its status, if its household
// is within scope.
func (db *DB) RegisterEntry(ctx context.Context, scope region.Scope, householdID int64) (RegisterEntry, error) {
	e, err := scanRegister(db.r.QueryRowContext(ctx, db.rebind("SELECT "+registerCols+registerFrom+" WHERE r.household_id = ?"),
		householdID))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.Contains(e.Region)) {
		return RegisterEntry{}, notFoundRecipient()
	}
	return e, mapErr(err, "读取保障对象失败")
}

// AppendHistoryAt appends h as having happened at at (loading records of
// the past: demo data, ledger imports); AppendHistory stamps the present.
func (tx *Tx) AppendHistoryAt(ctx context.Context, h *HistoryEntry, at time.Time) error {
	if err := tx.AppendHistory(ctx, h); err != nil {
		return err
	}
	h.At = at
	_, err := tx.exec(ctx, "UPDATE recipient_history SET at = ? WHERE id = ?", ms(at), h.ID)
	return mapErr(err, "保存变更记录失败")
}

// AppendEventAt appends a case event as having happened at at (loading
// past records); AppendEvent stamps the present.
func (tx *Tx) AppendEventAt(ctx context.Context, e *Event, at time.Time) error {
	if err := tx.AppendEvent(ctx, e); err != nil {
		return err
	}
	e.At = at
	_, err := tx.exec(ctx, "UPDATE case_events SET at = ? WHERE id = ?", ms(at), e.ID)
	return mapErr(err, "保存办理记录失败")
}
