package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"dibao/internal/audit"
	"dibao/internal/authz"
	"dibao/internal/errs"
)

// Tx is a write transaction bound to the principal on whose behalf it runs.
// Every Tx must append at least one audit record before it commits: a write
// without an audit trail is refused, so no service can forget it.
type Tx struct {
	db      *DB
	tx      *cachedTx
	p       authz.Principal
	audited int
	head    auditHead // the last audit record this transaction wrote
	// remembered is the key a service stored its own reply under
	// (IdempotentPut); see fenceIdem.
	remembered string
}

// ErrUnaudited is returned when a transaction tries to commit without an
// audit record.
var ErrUnaudited = errors.New("store: transaction wrote no audit record")

// InTx runs fn in one write transaction. fn's error rolls back everything,
// audit records included; a failed audit write fails the whole change.
func (db *DB) InTx(ctx context.Context, p authz.Principal, fn func(tx *Tx) error) error {
	sqlTx, err := db.w.begin(ctx, nil)
	if err != nil {
		return beginErr(err)
	}
	tx := &Tx{db: db, tx: sqlTx, p: p}
	if err := fn(tx); err != nil {
		return afterFailure(err, sqlTx.Rollback())
	}
	if tx.audited == 0 {
		_ = sqlTx.Rollback()
		return errs.Wrap(ErrUnaudited, "系统内部错误：操作未记录审计日志")
	}
	if err := tx.fenceIdem(ctx); err != nil { // an Idempotency-Key claim commits with the effect (idempotency.go)
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return mapErr(err, "保存失败，请重试")
	}
	db.committed(tx.head)
	return nil
}

// Principal is the caller the transaction acts for.
func (tx *Tx) Principal() authz.Principal { return tx.p }

func (tx *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(ctx, tx.db.rebind(q), args...)
}

func (tx *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, tx.db.rebind(q), args...)
}

func (tx *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, tx.db.rebind(q), args...)
}

// insertID runs an INSERT … RETURNING id.
func (tx *Tx) insertID(ctx context.Context, q string, args ...any) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, q+" RETURNING id", args...).Scan(&id)
	return id, err
}

// Entry is what a service says about a change; the store fills in who,
// when and the chain.
type Entry struct {
	Action string // e.g. "household.create"
	Object string // e.g. "household:42"
	Result string // "ok", "denied", "failed"; "" means ok
	Detail string // free text; never an ID number, phone or bank account
}

// Audit appends one record to the chain inside the transaction.
func (tx *Tx) Audit(ctx context.Context, e Entry) error {
	if e.Result == "" {
		e.Result = "ok"
	}
	// On SQLite, whose write transactions run one at a time, the head is
	// usually the one this transaction or the last commit of this process
	// left: the record is sealed on that guess, and the head row moves only
	// if it still holds exactly that seq and hash. A wrong guess (another
	// process wrote, a transaction rolled back) moves nothing and falls
	// back to reading the head, so the chain is always built on the real
	// one. PostgreSQL sessions overlap, so there it reads the head first.
	if tx.db.dialect == SQLite {
		guess, ok := tx.head, tx.head.seq > 0
		if !ok {
			guess, ok = tx.db.lastHead()
		}
		if ok {
			done, err := tx.appendAudit(ctx, e, guess, true)
			if err != nil || done {
				return err
			}
		}
	}
	// Lock the head row first: on PostgreSQL FOR UPDATE serialises concurrent
	// appenders; SQLite transactions are already exclusive (_txlock=immediate).
	q := "SELECT seq, hash FROM audit_head WHERE id = 1"
	if tx.db.dialect == Postgres {
		q += " FOR UPDATE"
	}
	var head auditHead
	if err := tx.queryRow(ctx, q).Scan(&head.seq, &head.hash); err != nil {
		return errs.Wrap(err, "审计日志写入失败，操作已取消")
	}
	_, err := tx.appendAudit(ctx, e, head, false)
	return err
}

// auditHead is the last record of the chain.
type auditHead struct {
	seq  int64
	hash string
}

// appendAudit seals the record after prev and writes it and the new head;
// if onlyIf, nothing is written (and false returned) unless the head row
// still holds prev.
func (tx *Tx) appendAudit(ctx context.Context, e Entry, prev auditHead, onlyIf bool) (bool, error) {
	rec := audit.Record{
		Seq:       prev.seq + 1,
		At:        tx.db.now(),
		Actor:     tx.p.Username,
		Role:      tx.p.RoleString(),
		Region:    string(tx.p.Region),
		Action:    e.Action,
		Object:    e.Object,
		Result:    e.Result,
		RequestID: tx.p.RequestID,
		Detail:    e.Detail,
	}
	rec = audit.Seal(prev.hash, rec)
	args := []any{rec.Seq, ms(rec.At), rec.Actor, rec.Role, rec.Region, rec.Action, rec.Object, rec.Result,
		rec.RequestID, rec.Detail, rec.PrevHash, rec.Hash}
	switch {
	case onlyIf:
		res, err := tx.exec(ctx, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1 AND seq = ? AND hash = ?",
			rec.Seq, rec.Hash, prev.seq, prev.hash)
		if err != nil {
			return false, errs.Wrap(err, "审计日志写入失败，操作已取消")
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return false, nil
		}
		if _, err := tx.exec(ctx, `INSERT INTO audit_log (`+auditCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			args...); err != nil {
			return false, errs.Wrap(err, "审计日志写入失败，操作已取消")
		}
	case tx.db.dialect == Postgres:
		// One round trip instead of two while this transaction holds the
		// head row, which every audited write of every session waits for.
		if _, err := tx.exec(ctx, `WITH rec AS (INSERT INTO audit_log (`+auditCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)) UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`,
			append(args, rec.Seq, rec.Hash)...); err != nil {
			return false, errs.Wrap(err, "审计日志写入失败，操作已取消")
		}
	default:
		if _, err := tx.exec(ctx, `INSERT INTO audit_log (`+auditCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			args...); err != nil {
			return false, errs.Wrap(err, "审计日志写入失败，操作已取消")
		}
		if _, err := tx.exec(ctx, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", rec.Seq, rec.Hash); err != nil {
			return false, errs.Wrap(err, "审计日志写入失败，操作已取消")
		}
	}
	tx.head = auditHead{seq: rec.Seq, hash: rec.Hash}
	tx.audited++
	return true, nil
}

// lastHead is the head the last audited commit of this process left.
func (db *DB) lastHead() (auditHead, bool) {
	db.headMu.Lock()
	defer db.headMu.Unlock()
	return db.head, db.head.seq > 0
}

// committed remembers the head a committed transaction left.
func (db *DB) committed(h auditHead) {
	db.headMu.Lock()
	if h.seq > db.head.seq {
		db.head = h
	}
	db.headMu.Unlock()
}

// mapErr turns driver constraint errors into domain errors.
func mapErr(err error, msg string) error {
	if err == nil {
		return nil
	}
	var de *errs.Error
	if errors.As(err, &de) {
		return err
	}
	if lostConn(err) {
		return unavailable(err)
	}
	s := err.Error()
	switch {
	case strings.Contains(s, "UNIQUE constraint failed"), strings.Contains(s, "SQLSTATE 23505"):
		return &errs.Error{Code: errs.Conflict, Message: msg, Err: err}
	case strings.Contains(s, "FOREIGN KEY constraint failed"), strings.Contains(s, "SQLSTATE 23503"):
		return &errs.Error{Code: errs.Invalid, Message: msg, Err: err}
	case strings.Contains(s, "database is locked"), strings.Contains(s, "SQLSTATE 40001"), strings.Contains(s, "SQLSTATE 40P01"),
		strings.Contains(s, "SQLSTATE 55P03"):
		// Busy, a serialization failure, a deadlock PostgreSQL broke by
		// aborting this side, a lock not available: nothing was written and
		// the request may be retried.
		return &errs.Error{Code: errs.Conflict, Message: "系统繁忙，请稍后重试", Err: err}
	}
	return &errs.Error{Code: errs.Internal, Message: msg, Err: fmt.Errorf("%w", err)}
}

// isUnique reports whether err is a unique-constraint violation on name
// (an index or constraint name appearing in the driver message).
func isUnique(err error, name string) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	if strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505") {
		return name == "" || strings.Contains(s, name)
	}
	return false
}

// SetPrincipal changes whom the rest of the transaction acts for: a login
// starts anonymous and continues as the account once it is identified.
func (tx *Tx) SetPrincipal(p authz.Principal) { tx.p = p }

// ReadTx runs fn in a read-only transaction on the reader pool, so a page
// sees one consistent snapshot of a case and everything around it. Nothing
// is written, so no audit record is required.
func (db *DB) ReadTx(ctx context.Context, p authz.Principal, fn func(tx *Tx) error) error {
	var opts *sql.TxOptions
	if db.dialect == Postgres {
		opts = &sql.TxOptions{ReadOnly: true}
	}
	sqlTx, err := db.r.begin(ctx, opts)
	if err != nil {
		return beginErr(err)
	}
	if err := fn(&Tx{db: db, tx: sqlTx, p: p}); err != nil {
		return afterFailure(err, sqlTx.Rollback())
	}
	_ = sqlTx.Rollback()
	return nil
}

// beginErr reports a transaction that could not start: the database is
// unreachable (or the disk full, errs.As), or something else went wrong.
func beginErr(err error) error {
	if lostConn(err) {
		return unavailable(err)
	}
	return errs.Wrap(err, "数据库暂时不可用，请稍后再试")
}
