package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"dibao/internal/errs"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/region"
)

// Payment results of the monthly rosters (issue 4 item 6): the list of a
// county's rosters with their payment counts, the rows with what the pages
// and the Excel export show, and the bank's result files.

// RosterSummary is a roster with the counts of its rows paid and failed.
type RosterSummary struct {
	Roster
	Paid, Failed int
}

// Rosters lists the rosters of county (within scope), newest month first;
// month "" means every month.
func (db *DB) Rosters(ctx context.Context, scope region.Scope, county region.Code, month string) ([]RosterSummary, error) {
	if !scope.Contains(county) {
		return nil, nil
	}
	q := `SELECT ` + rosterCols + `,
		(SELECT COUNT(*) FROM roster_rows x WHERE x.roster_id = rosters.id AND x.pay_status = 'paid'),
		(SELECT COUNT(*) FROM roster_rows x WHERE x.roster_id = rosters.id AND x.pay_status = 'failed')
		FROM rosters WHERE county = ?`
	args := []any{string(county)}
	if month != "" {
		q += " AND month = ?"
		args = append(args, month)
	}
	q += " ORDER BY month DESC"
	return collect(ctx, db, db.r, "读取发放名册失败", q, args, func(s scanner) (RosterSummary, error) {
		var r RosterSummary
		var c string
		var created, built, approved, total int64
		err := s.Scan(&r.ID, &c, &r.Month, &r.Status, &created, &built, &r.ApprovedBy, &approved, &total, &r.Rows,
			&r.Paid, &r.Failed)
		r.County, r.CreatedAt, r.BuiltAt, r.ApprovedAt, r.Total = region.Code(c), fromMS(created), fromMS(built), fromMS(approved), money.Fen(total)
		return r, err
	})
}

// RosterRead reads a roster within scope without locking it (for read-only
// transactions).
func (tx *Tx) RosterRead(ctx context.Context, scope region.Scope, id int64) (Roster, error) {
	r, err := scanRoster(tx.queryRow(ctx, "SELECT "+rosterCols+" FROM rosters WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.Contains(r.County)) {
		return Roster{}, notFoundRoster()
	}
	return r, mapErr(err, "读取发放名册失败")
}

// RosterOfMonth reads the county's roster of month without locking it;
// found is false if there is none.
func (tx *Tx) RosterOfMonth(ctx context.Context, county region.Code, month string) (Roster, bool, error) {
	r, err := scanRoster(tx.queryRow(ctx, "SELECT "+rosterCols+" FROM rosters WHERE county = ? AND month = ?", string(county), month))
	if errors.Is(err, sql.ErrNoRows) {
		return Roster{}, false, nil
	}
	return r, err == nil, mapErr(err, "读取发放名册失败")
}

func notFoundRoster() error {
	return errs.New(errs.NotFound, "", "发放名册不存在或不在您的管辖范围内")
}

// RosterRowDetail is a roster row with the household facts the roster
// pages and the Excel export show.
type RosterRowDetail struct {
	RosterRow
	HeadName     string
	HeadIDMasked string // masked ID number of the head, "" if none
	Members      int    // 保障人数
	Urban        bool
	PayStatus    string // pending, paid, failed
	PayNote      string // the bank's reason for a failure
	PaidAt       time.Time
}

// RosterDetails returns a roster's rows by region then household id with
// the head's name, masked ID number, the members covered and the payment
// status.
func (tx *Tx) RosterDetails(ctx context.Context, rosterID int64) ([]RosterRowDetail, error) {
	var out []RosterRowDetail
	err := tx.EachRosterDetail(ctx, rosterID, true, func(d RosterRowDetail) error {
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EachRosterDetail calls fn for every row of a roster as RosterDetails
// returns them, streaming (an export reads the roster once without holding
// it); the head's masked ID number is read and decrypted only if withID.
func (tx *Tx) EachRosterDetail(ctx context.Context, rosterID int64, withID bool, fn func(RosterRowDetail) error) error {
	idCol := "''"
	if withID {
		idCol = `COALESCE((SELECT m.id_enc FROM members m WHERE m.household_id = h.id AND m.relation = 'head' ORDER BY m.position LIMIT 1), '')`
	}
	rows, err := tx.query(ctx, `SELECT x.household_id, x.region_code, x.amount_fen, x.note,
		h.head_name, h.urban, COALESCE(r.members, 0), x.pay_status, x.pay_note, x.paid_at, `+idCol+`
		FROM roster_rows x JOIN households h ON h.id = x.household_id LEFT JOIN recipients r ON r.household_id = x.household_id
		WHERE x.roster_id = ? ORDER BY x.region_code, x.household_id`, rosterID)
	if err != nil {
		return mapErr(err, "读取发放名册失败")
	}
	defer rows.Close()
	for rows.Next() {
		var d RosterRowDetail
		var rc, idEnc string
		var amt, urban, paid int64
		if err := rows.Scan(&d.HouseholdID, &rc, &amt, &d.Note, &d.HeadName, &urban, &d.Members, &d.PayStatus, &d.PayNote, &paid,
			&idEnc); err != nil {
			return mapErr(err, "读取发放名册失败")
		}
		d.Region, d.Amount, d.Urban, d.PaidAt = region.Code(rc), money.Fen(amt), urban == 1, fromMS(paid)
		if idEnc != "" {
			id, err := tx.db.open(KindIDCard, idEnc)
			if err != nil {
				return err
			}
			d.HeadIDMasked = idcard.Mask(id)
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return mapErr(rows.Err(), "读取发放名册失败")
}

// PayMark is the bank's result for one household of a roster.
type PayMark struct {
	HouseholdID int64
	Paid        bool
	Note        string // failure reason
}

// MarkRosterPayments records the bank's results on an approved roster's
// rows; a row already paid stays paid with its first payment time.
func (tx *Tx) MarkRosterPayments(ctx context.Context, rosterID int64, marks []PayMark) error {
	now := ms(tx.db.now())
	for _, m := range marks {
		var err error
		if m.Paid {
			_, err = tx.exec(ctx, `UPDATE roster_rows SET pay_status = 'paid', pay_note = '', paid_at = ?
				WHERE roster_id = ? AND household_id = ? AND pay_status <> 'paid'`, now, rosterID, m.HouseholdID)
		} else {
			_, err = tx.exec(ctx, `UPDATE roster_rows SET pay_status = 'failed', pay_note = ?
				WHERE roster_id = ? AND household_id = ? AND pay_status <> 'paid'`, m.Note, rosterID, m.HouseholdID)
		}
		if err != nil {
			return mapErr(err, "保存发放结果失败")
		}
	}
	return nil
}

// BankImport is one bank result file imported for a roster.
type BankImport struct {
	ID         int64
	RosterID   int64
	SHA256     string // hex of the file's hash
	FileName   string
	Paid       int
	Failed     int
	ImportedBy string
	ImportedAt time.Time
}

// BankImportByHash finds an earlier import of the same file for the roster.
func (tx *Tx) BankImportByHash(ctx context.Context, rosterID int64, sha string) (BankImport, bool, error) {
	xs, err := bankImports(ctx, tx.db, tx.tx, " WHERE roster_id = ? AND sha256 = ?", rosterID, sha)
	if err != nil || len(xs) == 0 {
		return BankImport{}, false, err
	}
	return xs[0], true, nil
}

// RecordBankImport records an imported result file; the same file twice
// for a roster violates UNIQUE(roster_id, sha256).
func (tx *Tx) RecordBankImport(ctx context.Context, b *BankImport) error {
	b.ImportedBy, b.ImportedAt = tx.p.Username, tx.db.now()
	var err error
	b.ID, err = tx.insertID(ctx, `INSERT INTO roster_bank_imports (roster_id, sha256, file_name, rows_paid, rows_failed,
		imported_by, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)`, b.RosterID, b.SHA256, b.FileName, b.Paid, b.Failed,
		b.ImportedBy, ms(b.ImportedAt))
	if isUnique(err, "") {
		return errs.New(errs.Conflict, "file", "该回盘文件已由他人同时导入，请刷新后查看结果")
	}
	return mapErr(err, "保存回盘文件记录失败")
}

// BankImports lists the result files imported for a roster, newest first.
func (tx *Tx) BankImports(ctx context.Context, rosterID int64) ([]BankImport, error) {
	return bankImports(ctx, tx.db, tx.tx, " WHERE roster_id = ?", rosterID)
}

func bankImports(ctx context.Context, db *DB, q querier, where string, args ...any) ([]BankImport, error) {
	return collect(ctx, db, q, "读取回盘文件记录失败", `SELECT id, roster_id, sha256, file_name, rows_paid, rows_failed,
		imported_by, imported_at FROM roster_bank_imports`+where+" ORDER BY id DESC", args, func(s scanner) (BankImport, error) {
		var b BankImport
		var at int64
		err := s.Scan(&b.ID, &b.RosterID, &b.SHA256, &b.FileName, &b.Paid, &b.Failed, &b.ImportedBy, &at)
		b.ImportedAt = fromMS(at)
		return b, err
	})
}
