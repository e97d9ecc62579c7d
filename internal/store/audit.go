package store

import (
	"context"

	"dibao/internal/audit"
)

const auditCols = "seq, at, actor, role, region, action, object, result, request_id, detail, prev_hash, hash"

func scanAudit(s scanner) (audit.Record, error) {
	var r audit.Record
	var at int64
	err := s.Scan(&r.Seq, &at, &r.Actor, &r.Role, &r.Region, &r.Action, &r.Object, &r.Result, &r.RequestID,
		&r.Detail, &r.PrevHash, &r.Hash)
	r.At = fromMS(at)
	return r, err
}

// VerifyAudit walks the whole chain in order and returns the number of
// records checked, or an *audit.BreakError naming the first broken one.
func (db *DB) VerifyAudit(ctx context.Context) (int64, error) {
	rows, err := db.query(ctx, "SELECT "+auditCols+" FROM audit_log ORDER BY seq")
	if err != nil {
		return 0, mapErr(err, "读取审计日志失败")
	}
	defer rows.Close()
	var scanErr error
	n, err := audit.Verify(func() (audit.Record, bool, error) {
		if !rows.Next() {
			scanErr = rows.Err()
			return audit.Record{}, false, scanErr
		}
		r, err := scanAudit(rows)
		return r, true, err
	})
	if err != nil {
		return n, err
	}
	if scanErr != nil {
		return n, mapErr(scanErr, "读取审计日志失败")
	}
	// The head row must agree with the last record, or records were cut off
	// the end of the chain.
	var headSeq int64
	var headHash string
	if err := db.queryRow(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&headSeq, &headHash); err != nil {
		return n, mapErr(err, "读取审计日志失败")
	}
	if headSeq != n {
		return n, &audit.BreakError{Seq: n + 1, Reason: "records missing at the end of the chain (head says " +
			itoa(headSeq) + ")"}
	}
	return n, nil
}

// AuditFilter narrows the audit list.
type AuditFilter struct {
	Actor  string
	Action string // prefix
	Object string
	Before int64 // seq; 0 = newest
	Limit  int
}

// AuditRecords lists records newest first.
func (db *DB) AuditRecords(ctx context.Context, f AuditFilter) ([]audit.Record, error) {
	q := "SELECT " + auditCols + " FROM audit_log WHERE 1 = 1"
	var args []any
	if f.Actor != "" {
		q += " AND actor = ?"
		args = append(args, f.Actor)
	}
	if f.Action != "" {
		q += " AND action LIKE ?"
		args = append(args, escapeLike(f.Action)+"%")
	}
	if f.Object != "" {
		q += " AND object = ?"
		args = append(args, f.Object)
	}
	if f.Before > 0 {
		q += " AND seq < ?"
		args = append(args, f.Before)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	q += " ORDER BY seq DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err, "读取审计日志失败")
	}
	defer rows.Close()
	var out []audit.Record
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return nil, mapErr(err, "读取审计日志失败")
		}
		out = append(out, r)
	}
	return out, mapErr(rows.Err(), "读取审计日志失败")
}

// AuditHead returns the last record's sequence number and hash, what an
// SM2 anchor signs (seq 0 and the genesis hash for an empty chain).
func (db *DB) AuditHead(ctx context.Context) (int64, string, error) {
	var seq int64
	var hash string
	err := db.queryRow(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&seq, &hash)
	return seq, hash, mapErr(err, "读取审计日志失败")
}

// AuditHashAt returns the stored hash of record seq ("" if there is none).
func (db *DB) AuditHashAt(ctx context.Context, seq int64) (string, error) {
	vals, err := db.QueryStrings(ctx, "SELECT hash FROM audit_log WHERE seq = ?", seq)
	if err != nil || len(vals) == 0 {
		return "", mapErr(err, "读取审计日志失败")
	}
	return vals[0], nil
}
