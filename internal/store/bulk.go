package store

import (
	"context"
	"database/sql"
	"strings"
)

// Multi-row INSERTs for writes of many rows at once (a county's roster,
// the benchmark fixture): one statement per chunk instead of one per row.

// bulkParams bounds the placeholders of one statement (SQLite allows 32766,
// PostgreSQL 65535).
const bulkParams = 16000

// insertMany runs "INSERT INTO <into> VALUES (…), (…) <suffix>" over rows in
// chunks; with scan, the suffix is a RETURNING clause and scan reads each
// returned row. msg is the Chinese message of a failure.
func (tx *Tx) insertMany(ctx context.Context, msg, into string, rows [][]any, suffix string, scan func(*sql.Rows) error) error {
	if len(rows) == 0 {
		return nil
	}
	cols := len(rows[0])
	per := max(1, min(1000, bulkParams/cols))
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	for lo := 0; lo < len(rows); lo += per {
		hi := min(lo+per, len(rows))
		var b strings.Builder
		b.WriteString("INSERT INTO " + into + " VALUES ")
		args := make([]any, 0, (hi-lo)*cols)
		for i := lo; i < hi; i++ {
			if i > lo {
				b.WriteString(", ")
			}
			b.WriteString(tuple)
			args = append(args, rows[i]...)
		}
		b.WriteString(" " + suffix)
		if scan == nil {
			if _, err := tx.exec(ctx, b.String(), args...); err != nil {
				return mapErr(err, msg)
			}
			continue
		}
		rs, err := tx.query(ctx, b.String(), args...)
		if err != nil {
			return mapErr(err, msg)
		}
		for rs.Next() {
			if err := scan(rs); err != nil {
				rs.Close()
				return mapErr(err, msg)
			}
		}
		if err := rs.Close(); err != nil {
			return mapErr(err, msg)
		}
		if err := rs.Err(); err != nil {
			return mapErr(err, msg)
		}
	}
	return nil
}
