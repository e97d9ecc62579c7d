package store

import (
	"context"
	"fmt"
)

// The raw statements below are the baseline of `dibao bench`: the same rows
// the store writes and reads, without validation, sealing, scope checks or
// audit, so the benchmark can print what those cost as a ratio.

// RawInsertHousehold inserts a household and its members in one
// transaction with pre-computed column values and no audit record.
func (db *DB) RawInsertHousehold(ctx context.Context, region, head string, members [][2]string) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var id int64
	if err := tx.QueryRowContext(ctx, db.rebind(`INSERT INTO households (region_code, head_name, address, urban,
		created_at, updated_at) VALUES (?, ?, 'raw', 0, 0, 0) RETURNING id`), region, head).Scan(&id); err != nil {
		return err
	}
	for i, m := range members {
		if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO members (household_id, position, name, relation, id_enc,
			id_index, sex, birth_date, labour, health) VALUES (?, ?, ?, 'head', ?, ?, '1', '1970-01-01', 'full', 'healthy')`),
			id, i, m[0], m[1], fmt.Sprintf("raw-%d-%d", id, i)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// RawListHouseholds runs the household list query for a scope without
// decrypting anything and returns the number of rows read.
func (db *DB) RawListHouseholds(ctx context.Context, lo, hi string, limit int) (int, error) {
	var total int
	if err := db.queryRow(ctx, "SELECT COUNT(*) FROM households h WHERE h.region_code >= ? AND h.region_code < ?",
		lo, hi).Scan(&total); err != nil {
		return 0, err
	}
	rows, err := db.query(ctx, `SELECT p.id, p.region_code, p.head_name, COALESCE(m.id_enc, ''), p.urban, p.address, p.updated_at,
		(SELECT COUNT(*) FROM members c WHERE c.household_id = p.id)
		FROM (SELECT h.id, h.region_code, h.head_name, h.urban, h.address, h.updated_at FROM households h
		      WHERE h.region_code >= ? AND h.region_code < ? ORDER BY h.id DESC LIMIT ? OFFSET 0) p
		LEFT JOIN members m ON m.household_id = p.id AND m.position = 0
		ORDER BY p.id DESC`, lo, hi, limit)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, urban, updated, size int64
		var rc, head, enc, addr string
		if err := rows.Scan(&id, &rc, &head, &enc, &urban, &addr, &updated, &size); err != nil {
			return 0, err
		}
		n++
	}
	return n, rows.Err()
}

// RawTransition is the baseline of one case transition: read the case,
// append an event and move the state in one transaction, without guards,
// facts, documents or audit.
func (db *DB) RawTransition(ctx context.Context, caseID int64, transition, from, to string) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var version int64
	var seq int
	if err := tx.QueryRowContext(ctx, db.rebind("SELECT version FROM cases WHERE id = ?"), caseID).Scan(&version); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, db.rebind("SELECT COALESCE(MAX(seq), 0) FROM case_events WHERE case_id = ?"), caseID).Scan(&seq); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO case_events (case_id, seq, transition, from_state, to_state, actor,
		actor_name, at) VALUES (?, ?, ?, ?, ?, 'raw', 'raw', 0)`), caseID, seq+1, transition, from, to); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, db.rebind("UPDATE cases SET state = ?, version = version + 1 WHERE id = ? AND version = ?"),
		to, caseID, version); err != nil {
		return err
	}
	return tx.Commit()
}
