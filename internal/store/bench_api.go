package store

import (
	"context"
	"database/sql"
	"strings"
)

// The raw counterparts of the `dibao bench api` requests (issue 8): the same
// rows and columns the API's reads fetch, as plain SQL on the read pool,
// with nothing decrypted, checked or rendered. Each returns the rows read.

// rawRows runs q and reads every column of every row.
func (db *DB) rawRows(ctx context.Context, q string, args ...any) (int, error) {
	rows, err := db.r.QueryContext(ctx, db.rebind(q), args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]sql.RawBytes, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return 0, err
		}
		n++
	}
	return n, rows.Err()
}

// RawQueue reads the open cases within [lo, hi) in one of states as the
// work queue does (the case columns with the head's name, due first, at
// most limit).
func (db *DB) RawQueue(ctx context.Context, lo, hi string, states []string, limit int) (int, error) {
	args := []any{lo, hi}
	for _, s := range states {
		args = append(args, s)
	}
	return db.rawRows(ctx, "SELECT "+caseCols+` FROM cases c JOIN households h ON h.id = c.household_id
		WHERE c.region_code >= ? AND c.region_code < ? AND c.state IN (?`+strings.Repeat(", ?", len(states)-1)+`) AND c.closed = 0
		ORDER BY c.closed, CASE WHEN c.due_date = '' THEN '9999' ELSE c.due_date END, c.id LIMIT ?`, append(args, limit)...)
}

// RawHouseholdPage counts the households within [lo, hi) (urban: "", "urban"
// or "rural") and reads one page of the list, newest first, with the head's
// sealed ID and the household size.
func (db *DB) RawHouseholdPage(ctx context.Context, lo, hi, urban string, limit, offset int) (rows, total int, err error) {
	cond := "h.region_code >= ? AND h.region_code < ?"
	switch urban {
	case "urban":
		cond += " AND h.urban = 1"
	case "rural":
		cond += " AND h.urban = 0"
	}
	if err := db.queryRow(ctx, "SELECT COUNT(*) FROM households h WHERE "+cond, lo, hi).Scan(&total); err != nil {
		return 0, 0, err
	}
	rows, err = db.rawRows(ctx, `SELECT p.id, p.region_code, p.head_name, COALESCE(m.id_enc, ''), p.urban, p.address, p.updated_at,
		(SELECT COUNT(*) FROM members c WHERE c.household_id = p.id)
		FROM (SELECT h.id, h.region_code, h.head_name, h.urban, h.address, h.updated_at FROM households h
		      WHERE `+cond+` ORDER BY h.id DESC LIMIT ? OFFSET ?) p
		LEFT JOIN members m ON m.household_id = p.id AND m.position = 0
		ORDER BY p.id DESC`, lo, hi, limit, offset)
	return rows, total, err
}

// RawHouseholdByIndex finds the household within [lo, hi) having a member
// whose blind index is idIndex: the count and the list row.
func (db *DB) RawHouseholdByIndex(ctx context.Context, lo, hi, idIndex string) (int, error) {
	var total int
	if err := db.queryRow(ctx, `SELECT COUNT(*) FROM households h JOIN members x ON x.household_id = h.id
		WHERE x.id_index = ? AND h.region_code >= ? AND h.region_code < ?`, idIndex, lo, hi).Scan(&total); err != nil {
		return 0, err
	}
	return db.rawRows(ctx, `SELECT h.id, h.region_code, h.head_name, COALESCE(m.id_enc, ''), h.urban, h.address, h.updated_at,
		(SELECT COUNT(*) FROM members c WHERE c.household_id = h.id)
		FROM households h JOIN members x ON x.household_id = h.id
		LEFT JOIN members m ON m.household_id = h.id AND m.position = 0
		WHERE x.id_index = ? AND h.region_code >= ? AND h.region_code < ?`, idIndex, lo, hi)
}

// RawCasePage reads what a case page shows: the case with its head's name,
// the household with its members, incomes and properties, and the case's
// events, visits, objections, materials, relatives, documents and files.
func (db *DB) RawCasePage(ctx context.Context, caseID int64) (int, error) {
	var hid int64
	if err := db.queryRow(ctx, "SELECT household_id FROM cases WHERE id = ?", caseID).Scan(&hid); err != nil {
		return 0, err
	}
	total := 0
	for _, q := range []struct {
		sql string
		arg int64
	}{
		{"SELECT " + caseCols + " FROM cases c JOIN households h ON h.id = c.household_id WHERE c.id = ?", caseID},
		{"SELECT * FROM households WHERE id = ?", hid},
		{"SELECT * FROM members WHERE household_id = ? ORDER BY position", hid},
		{"SELECT * FROM income_items WHERE household_id = ? ORDER BY id", hid},
		{"SELECT * FROM property_items WHERE household_id = ? ORDER BY id", hid},
		{"SELECT * FROM case_events WHERE case_id = ? ORDER BY seq", caseID},
		{"SELECT * FROM case_visits WHERE case_id = ? ORDER BY id", caseID},
		{"SELECT * FROM case_objections WHERE case_id = ? ORDER BY id", caseID},
		{"SELECT * FROM case_materials WHERE case_id = ? ORDER BY code", caseID},
		{"SELECT * FROM case_relatives WHERE case_id = ? ORDER BY id", caseID},
		{"SELECT id, case_id, kind, number, issued_at, data FROM documents WHERE case_id = ? ORDER BY id", caseID},
		{"SELECT id, token, material, name, content_type, size, checksum FROM case_files WHERE case_id = ? ORDER BY id", caseID},
	} {
		n, err := db.rawRows(ctx, q.sql, q.arg)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}
