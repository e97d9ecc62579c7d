package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Statements of `dibao backup` and `dibao restore` (internal/backup): the
// table list, per-table row counts and the audit head, read in one
// consistent snapshot, and the SQLite snapshot copy itself.

// Snapshot is what a backup's manifest records of the data it holds.
type Snapshot struct {
	Tables   map[string]int64 // every table of the store, goose's bookkeeping included
	HeadSeq  int64            // audit_head: the last record's seq and hash
	HeadHash string
}

// quoteIdent quotes a table name for both dialects.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// tableNames lists the base tables of the store (SQLite: the file; PostgreSQL:
// the current schema, the one search_path names first).
func tableNames(ctx context.Context, d Dialect, q querier) ([]string, error) {
	query := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
	if d == Postgres {
		query = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func snapshotIn(ctx context.Context, d Dialect, q querier) (Snapshot, error) {
	names, err := tableNames(ctx, d, q)
	if err != nil {
		return Snapshot{}, fmt.Errorf("list tables: %w", err)
	}
	s := Snapshot{Tables: make(map[string]int64, len(names))}
	for _, n := range names {
		var c int64
		if err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteIdent(n)).Scan(&c); err != nil {
			return Snapshot{}, fmt.Errorf("count %s: %w", n, err)
		}
		s.Tables[n] = c
	}
	if _, ok := s.Tables["audit_head"]; ok {
		if err := q.QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&s.HeadSeq, &s.HeadHash); err != nil {
			return Snapshot{}, fmt.Errorf("read audit head: %w", err)
		}
	}
	return s, nil
}

// Snapshot counts every table's rows and reads the audit head, all in one
// read transaction (REPEATABLE READ on PostgreSQL), so the numbers agree
// with each other even while the application writes.
func (db *DB) Snapshot(ctx context.Context) (Snapshot, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	} else {
		opts = nil
	}
	tx, err := db.r.DB.BeginTx(ctx, opts)
	if err != nil {
		return Snapshot{}, err
	}
	defer tx.Rollback()
	return snapshotIn(ctx, db.dialect, tx)
}

// ExportSnapshot (PostgreSQL) opens a REPEATABLE READ transaction, exports
// its snapshot and reads the counts and the audit head in it, then calls fn
// with the snapshot id while the transaction stays open: pg_dump
// --snapshot=id then dumps exactly the data the counts describe, however
// much the application writes meanwhile.
func (db *DB) ExportSnapshot(ctx context.Context, fn func(id string, s Snapshot) error) error {
	if db.dialect != Postgres {
		return fmt.Errorf("ExportSnapshot: PostgreSQL only")
	}
	tx, err := db.r.DB.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var id string
	if err := tx.QueryRowContext(ctx, "SELECT pg_export_snapshot()").Scan(&id); err != nil {
		return fmt.Errorf("export snapshot: %w", err)
	}
	s, err := snapshotIn(ctx, db.dialect, tx)
	if err != nil {
		return err
	}
	return fn(id, s)
}

// VacuumInto (SQLite) writes a consistent copy of the whole database to
// path, which must not exist. VACUUM INTO reads inside one read
// transaction: in WAL mode writers go on committing meanwhile and the copy
// is the database as of the transaction's start, compacted, with no -wal.
// In-process it waits for this process's own writer connection.
func (db *DB) VacuumInto(ctx context.Context, path string) error {
	if db.dialect != SQLite {
		return fmt.Errorf("VacuumInto: SQLite only")
	}
	// The writer connection of this process: the readers are query_only,
	// which refuses VACUUM. VACUUM INTO takes only a read lock on the
	// source, so another process's writer (serve) is not blocked.
	_, err := db.w.DB.ExecContext(ctx, "VACUUM INTO ?", path)
	return err
}

// CurrentSchema (PostgreSQL) is the schema the connection's search_path
// resolves to; "" if none of its schemas exists.
func (db *DB) CurrentSchema(ctx context.Context) (string, error) {
	var s sql.NullString
	err := db.r.QueryRowContext(ctx, "SELECT current_schema()").Scan(&s)
	return s.String, err
}

// SearchPath (PostgreSQL) is the connection's search_path setting.
func (db *DB) SearchPath(ctx context.Context) (string, error) {
	var s string
	err := db.r.QueryRowContext(ctx, "SHOW search_path").Scan(&s)
	return s, err
}

// SchemaTables (PostgreSQL) counts the tables of schema.
func (db *DB) SchemaTables(ctx context.Context, schema string) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1", schema).Scan(&n)
	return n, err
}

// ResetSchema (PostgreSQL) drops schema with everything in it and creates
// it empty: `dibao restore --force` only.
func (db *DB) ResetSchema(ctx context.Context, schema string) error {
	if _, err := db.w.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+quoteIdent(schema)+" CASCADE"); err != nil {
		return err
	}
	_, err := db.w.ExecContext(ctx, "CREATE SCHEMA "+quoteIdent(schema))
	return err
}
