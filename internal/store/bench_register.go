package store

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"

	"dibao/internal/money"
)

// Raw baselines of the register benchmarks (`dibao bench roster|
// standard-change|register`): the same rows the recipient services write
// and read, without validation, policy, sealing, scope checks or audit, so
// that the benchmark can print what those cost as a ratio. Benchmarks only.

// RawBuildRoster builds a draft roster of the county for month in one
// transaction with a single INSERT … SELECT over the register: every active
// recipient started by month, its amount as stored. It returns the roster's
// id and row count; RawDropRoster removes it again.
func (db *DB) RawBuildRoster(ctx context.Context, lo, hi, county, month string) (id int64, rows int, err error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, db.rebind(`INSERT INTO rosters (county, month, status, created_at, built_at)
		VALUES (?, ?, 'draft', 0, 0) RETURNING id`), county, month).Scan(&id); err != nil {
		return 0, 0, err
	}
	res, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO roster_rows (roster_id, household_id, region_code, amount_fen, note)
		SELECT ?, r.household_id, r.region_code, r.amount_fen, '' FROM recipients r
		WHERE r.region_code >= ? AND r.region_code < ? AND r.status = 'active' AND r.start_month <= ? AND r.amount_fen > 0`),
		id, lo, hi, month)
	if err != nil {
		return 0, 0, err
	}
	n, _ := res.RowsAffected()
	if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE rosters SET row_count = ?,
		total_fen = (SELECT COALESCE(SUM(amount_fen), 0) FROM roster_rows WHERE roster_id = ?) WHERE id = ?`), n, id, id); err != nil {
		return 0, 0, err
	}
	return id, int(n), tx.Commit()
}

// RawDropRoster deletes a roster RawBuildRoster made, with its rows.
func (db *DB) RawDropRoster(ctx context.Context, id int64) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{"DELETE FROM roster_rows WHERE roster_id = ?", "DELETE FROM rosters WHERE id = ?"} {
		if _, err := tx.ExecContext(ctx, db.rebind(q), id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// RawBankCSV writes a roster's rows with the payees' bank columns as read
// (the account stays sealed) to w with encoding/csv and returns the number
// of rows.
func (db *DB) RawBankCSV(ctx context.Context, rosterID int64, w io.Writer) (int, error) {
	rows, err := db.r.QueryContext(ctx, db.rebind(`SELECT x.household_id, x.region_code, h.head_name, h.bank_name, h.bank_enc,
		x.amount_fen FROM roster_rows x JOIN households h ON h.id = x.household_id
		WHERE x.roster_id = ? ORDER BY x.region_code, x.household_id`), rosterID)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"序号", "户编号", "区划", "户主", "开户行", "账号", "金额"}); err != nil {
		return 0, err
	}
	n := 0
	for rows.Next() {
		var id, amt int64
		var rc, name, bank, acct string
		if err := rows.Scan(&id, &rc, &name, &bank, &acct, &amt); err != nil {
			return 0, err
		}
		n++
		if err := cw.Write([]string{strconv.Itoa(n), strconv.FormatInt(id, 10), rc, name, bank, acct,
			money.Fen(amt).String()}); err != nil {
			return 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	cw.Flush()
	return n, cw.Error()
}

// RawAdjustment is one recipient's new amount for RawApplyAmounts.
type RawAdjustment struct {
	HouseholdID          int64
	OldAmount, NewAmount money.Fen
	Members              int
	Benefit              string
	Kind                 string // increase, decrease
}

// RawApplyAmounts writes each adjustment as an UPDATE of the recipient and
// an INSERT of its history entry (reason as given, no change id), chunk
// adjustments per transaction, and returns how many it wrote.
func (db *DB) RawApplyAmounts(ctx context.Context, adj []RawAdjustment, month, reason string, chunk int) (int, error) {
	now := ms(db.now())
	n := 0
	for lo := 0; lo < len(adj); lo += max(chunk, 1) {
		hi := min(lo+max(chunk, 1), len(adj))
		tx, err := db.w.BeginTx(ctx, nil)
		if err != nil {
			return n, err
		}
		for _, a := range adj[lo:hi] {
			if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE recipients SET amount_fen = ?, members = ?, benefit = ?,
				version = version + 1 WHERE household_id = ?`), int64(a.NewAmount), a.Members, a.Benefit, a.HouseholdID); err != nil {
				tx.Rollback()
				return n, err
			}
			if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO recipient_history (household_id, at, kind, old_amount, new_amount,
				effective_month, reason, actor) VALUES (?, ?, ?, ?, ?, ?, ?, 'raw')`), a.HouseholdID, now, a.Kind,
				int64(a.OldAmount), int64(a.NewAmount), month, reason); err != nil {
				tx.Rollback()
				return n, err
			}
		}
		if err := tx.Commit(); err != nil {
			return n, err
		}
		n += hi - lo
	}
	return n, nil
}

// RawRegisterPage runs the register list's count and one page (region
// then household order) for a scope and category without the review-due
// subquery or any scope logic, and returns the rows read and the count.
func (db *DB) RawRegisterPage(ctx context.Context, lo, hi, category string, limit, offset int) (rows, total int, err error) {
	if err := db.r.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM recipients r
		WHERE r.region_code >= ? AND r.region_code < ? AND r.status = 'active' AND r.category = ?`), lo, hi, category).
		Scan(&total); err != nil {
		return 0, 0, err
	}
	rs, err := db.r.QueryContext(ctx, db.rebind(`SELECT r.household_id, r.region_code, r.category, r.amount_fen, r.members,
		r.start_month, r.status, h.head_name, h.urban FROM recipients r JOIN households h ON h.id = r.household_id
		WHERE r.region_code >= ? AND r.region_code < ? AND r.status = 'active' AND r.category = ?
		ORDER BY r.region_code, r.household_id LIMIT ? OFFSET ?`), lo, hi, category, limit, offset)
	if err != nil {
		return 0, 0, err
	}
	defer rs.Close()
	for rs.Next() {
		var id, amt, members, urban int64
		var rc, cat, start, status, head string
		if err := rs.Scan(&id, &rc, &cat, &amt, &members, &start, &status, &head, &urban); err != nil {
			return 0, 0, err
		}
		rows++
	}
	return rows, total, rs.Err()
}

// RawStandardBenefits reads the recomputed benefit JSON of each item of a
// standard change, so that the raw baseline writes the same recipient
// columns as the service.
func (db *DB) RawStandardBenefits(ctx context.Context, changeID int64) (map[int64]string, error) {
	rows, err := db.r.QueryContext(ctx, db.rebind(`SELECT household_id, benefit FROM standard_change_items WHERE change_id = ?`), changeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var b string
		if err := rows.Scan(&id, &b); err != nil {
			return nil, err
		}
		out[id] = b
	}
	return out, rows.Err()
}
