package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"time"

	"dibao/internal/errs"
	"dibao/internal/idcard"
	"dibao/internal/region"
)

// KindLedgerFile seals an uploaded ledger workbook (it holds ID numbers).
const KindLedgerFile = "ledger_file"

// LedgerImport is one uploaded ledger (台账) and what became of it.
type LedgerImport struct {
	ID         int64
	County     region.Code
	Filename   string
	SHA256     string
	Size       int64
	UploadedBy string
	UploadedAt time.Time
	Status     string // checked, imported, cancelled
	Rows       int
	Valid      int
	Errors     string // JSON [{row, column, message}]
	Imported   int
	Skipped    int
	Households string // JSON ids of the imported households
	FinishedBy string
	FinishedAt time.Time
}

const ledgerCols = `id, county, filename, sha256, size, uploaded_by, uploaded_at, status, row_count, valid_count, errors,
	imported, skipped, households, finished_by, finished_at`

func scanLedger(s scanner) (LedgerImport, error) {
	var l LedgerImport
	var county string
	var up, fin int64
	err := s.Scan(&l.ID, &county, &l.Filename, &l.SHA256, &l.Size, &l.UploadedBy, &up, &l.Status, &l.Rows, &l.Valid,
		&l.Errors, &l.Imported, &l.Skipped, &l.Households, &l.FinishedBy, &fin)
	l.County, l.UploadedAt, l.FinishedAt = region.Code(county), fromMS(up), fromMS(fin)
	return l, err
}

func notFoundLedger() error {
	return errs.New(errs.NotFound, "", "导入批次不存在或不在您的管辖范围内")
}

// CreateLedgerImport stores a checked upload with its workbook sealed.
func (tx *Tx) CreateLedgerImport(ctx context.Context, l *LedgerImport, content []byte) error {
	sealed, err := tx.db.seal(KindLedgerFile, base64.StdEncoding.EncodeToString(content))
	if err != nil {
		return err
	}
	l.UploadedAt, l.Status, l.UploadedBy = tx.db.now(), "checked", tx.p.Username
	if l.Errors == "" {
		l.Errors = "[]"
	}
	l.ID, err = tx.insertID(ctx, `INSERT INTO ledger_imports (county, filename, sha256, size, content, uploaded_by,
		uploaded_at, status, row_count, valid_count, errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(l.County), l.Filename, l.SHA256, l.Size, sealed, l.UploadedBy, ms(l.UploadedAt), l.Status, l.Rows, l.Valid,
		l.Errors)
	return mapErr(err, "保存导入批次失败")
}

// LedgerImport reads one batch within scope.
func (db *DB) LedgerImport(ctx context.Context, scope region.Scope, id int64) (LedgerImport, error) {
	l, err := scanLedger(db.queryRow(ctx, "SELECT "+ledgerCols+" FROM ledger_imports WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.Contains(l.County)) {
		return LedgerImport{}, notFoundLedger()
	}
	return l, mapErr(err, "读取导入批次失败")
}

// LedgerImports lists the batches of the counties within scope, newest first.
func (db *DB) LedgerImports(ctx context.Context, scope region.Scope, limit int) ([]LedgerImport, error) {
	return collect(ctx, db, db.r, "读取导入批次失败", "SELECT "+ledgerCols+
		" FROM ledger_imports WHERE county >= ? AND county < ? ORDER BY id DESC LIMIT ?",
		[]any{string(scope.Lo), string(scope.Hi), limit}, scanLedger)
}

// LedgerFile returns a batch's workbook, unsealed.
func (db *DB) LedgerFile(ctx context.Context, scope region.Scope, id int64) ([]byte, error) {
	if _, err := db.LedgerImport(ctx, scope, id); err != nil {
		return nil, err
	}
	var sealed string
	if err := db.queryRow(ctx, "SELECT content FROM ledger_imports WHERE id = ?", id).Scan(&sealed); err != nil {
		return nil, mapErr(err, "读取导入文件失败")
	}
	return db.unsealLedger(sealed)
}

func (db *DB) unsealLedger(sealed string) ([]byte, error) {
	b64, err := db.open(KindLedgerFile, sealed)
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errs.Wrap(err, "导入文件已损坏")
	}
	return b, nil
}

// LedgerImportForUpdate reads a batch within scope with its workbook inside
// the transaction, locking the row on PostgreSQL (SQLite transactions are
// exclusive), so that two confirmations cannot both see status checked.
func (tx *Tx) LedgerImportForUpdate(ctx context.Context, scope region.Scope, id int64) (LedgerImport, []byte, error) {
	q := "SELECT " + ledgerCols + ", content FROM ledger_imports WHERE id = ?"
	if tx.db.dialect == Postgres {
		q += " FOR UPDATE"
	}
	var sealed string
	var l LedgerImport
	var county string
	var up, fin int64
	err := tx.queryRow(ctx, q, id).Scan(&l.ID, &county, &l.Filename, &l.SHA256, &l.Size, &l.UploadedBy, &up, &l.Status,
		&l.Rows, &l.Valid, &l.Errors, &l.Imported, &l.Skipped, &l.Households, &l.FinishedBy, &fin, &sealed)
	l.County, l.UploadedAt, l.FinishedAt = region.Code(county), fromMS(up), fromMS(fin)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.Contains(l.County)) {
		return LedgerImport{}, nil, notFoundLedger()
	}
	if err != nil {
		return LedgerImport{}, nil, mapErr(err, "读取导入批次失败")
	}
	content, err := tx.db.unsealLedger(sealed)
	return l, content, err
}

// FinishLedgerImport records a batch's outcome (imported or cancelled).
func (tx *Tx) FinishLedgerImport(ctx context.Context, l *LedgerImport) error {
	l.FinishedBy, l.FinishedAt = tx.p.Username, tx.db.now()
	if l.Households == "" {
		l.Households = "[]"
	}
	_, err := tx.exec(ctx, `UPDATE ledger_imports SET status = ?, imported = ?, skipped = ?, households = ?,
		finished_by = ?, finished_at = ? WHERE id = ? AND status = 'checked'`,
		l.Status, l.Imported, l.Skipped, l.Households, l.FinishedBy, ms(l.FinishedAt), l.ID)
	return mapErr(err, "保存导入批次失败")
}

// IDRegistered reports whether a member with this ID number is registered
// in any household (the blind index the household form checks).
func (db *DB) IDRegistered(ctx context.Context, id idcard.ID) (bool, error) {
	var n int
	err := db.queryRow(ctx, "SELECT COUNT(*) FROM members WHERE id_index = ?", db.IDIndex(id)).Scan(&n)
	return n > 0, mapErr(err, "核对身份证号失败")
}

// IDRegistered is DB.IDRegistered inside the transaction.
func (tx *Tx) IDRegistered(ctx context.Context, id idcard.ID) (bool, error) {
	var n int
	err := tx.queryRow(ctx, "SELECT COUNT(*) FROM members WHERE id_index = ?", tx.db.IDIndex(id)).Scan(&n)
	return n > 0, mapErr(err, "核对身份证号失败")
}
