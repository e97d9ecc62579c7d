// Package store holds every SQL statement of dibao, for SQLite (embedded,
// default) and PostgreSQL (scale). Queries are hand-written with `?`
// placeholders and rebound for PostgreSQL; times are unix milliseconds and
// dates are 'YYYY-MM-DD' text in both dialects so the shim stays small.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Dialect names the SQL flavour of a database.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

//go:embed migrations
var migrations embed.FS

// DB is an open store. SQLite gets one writer connection (SQLite allows one
// writer anyway; a single connection turns lock contention into queueing)
// and a read-only pool. PostgreSQL gets a pool of writer connections and a
// separate pool for reads: a write transaction that also reads on the pool
// (a policy, a user, a list) then never waits for a connection that only
// another writer, itself waiting, could give back. With one shared pool,
// as many such writers in flight as the pool had connections hung the
// server for good (issue 9: 16 case actions, applications or bank exports
// at once).
type DB struct {
	dialect Dialect
	w       *pool // statements prepared once per pool on SQLite (stmtcache.go)
	r       *pool
	now     func() time.Time
	sealer  Sealer
	memo    memo // derived values under a token (memo.go)
	headMu  sync.Mutex
	head    auditHead // the audit head the last commit of this process left (a guess, see Tx.Audit)
}

// Open connects to dsn: a postgres:// URL, or a SQLite file path
// (optionally prefixed with sqlite: or file:).
func Open(ctx context.Context, dsn string) (*DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn)
	}
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:")
	return openSQLite(ctx, path)
}

// PostgresWriters is how many write transactions run at once on
// PostgreSQL (each holds its connection to the end); pgReaders is the
// size of the separate read pool. Twenty backends in all (one shared pool
// had sixteen): with 200 requests racing for one case on two cores,
// twelve writers and eight readers did as well as the shared sixteen, and
// sixteen of each took half as long again.
const (
	PostgresWriters = 12
	pgReaders       = 8
)

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	open := func(n int) (*sql.DB, error) {
		db, err := sql.Open("pgx", withConnectTimeout(dsn))
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n / 2)
		db.SetConnMaxIdleTime(5 * time.Minute)
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("connect postgres: %w", err)
		}
		return db, nil
	}
	w, err := open(PostgresWriters)
	if err != nil {
		return nil, err
	}
	r, err := open(pgReaders)
	if err != nil {
		w.Close()
		return nil, err
	}
	// pgx prepares and caches statements per connection itself.
	return &DB{dialect: Postgres, w: newPool(w, false), r: newPool(r, false), now: time.Now}, nil
}

// withConnectTimeout gives a DSN without connect_timeout one of 5 seconds:
// with none, a database host that drops packets (rather than refusing)
// holds every request for the system's TCP timeout, minutes, instead of
// answering 503 "数据库暂不可用".
func withConnectTimeout(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Query().Has("connect_timeout") {
		return dsn
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "connect_timeout=5"
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("empty sqlite path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
	}
	// busy_timeout must come first so that the other pragmas already wait
	// instead of failing when another process holds the lock.
	base := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
	w, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		w.Close()
		return nil, fmt.Errorf("chmod sqlite file: %w", err)
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite readers: %w", err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	return &DB{dialect: SQLite, w: newPool(w, true), r: newPool(r, true), now: time.Now}, nil
}

// Close closes every pool.
func (db *DB) Close() error {
	db.w.cache.close()
	db.r.cache.close()
	err := db.w.Close()
	if db.r != db.w {
		if e := db.r.Close(); err == nil {
			err = e
		}
	}
	return err
}

// Dialect reports the SQL flavour.
func (db *DB) Dialect() Dialect { return db.dialect }

// SetClock replaces the clock (tests of lockout and session expiry).
func (db *DB) SetClock(now func() time.Time) { db.now = now }

// Now returns the store's current time.
func (db *DB) Now() time.Time { return db.now() }

// Ping checks that the database answers (readiness probe).
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.r.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Migrate applies every pending embedded migration of the dialect.
func (db *DB) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations/"+string(db.dialect))
	if err != nil {
		return err
	}
	gd := goose.DialectSQLite3
	if db.dialect == Postgres {
		gd = goose.DialectPostgres
	}
	p, err := goose.NewProvider(gd, db.w.DB, sub)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// rebind turns `?` placeholders into `$n` for PostgreSQL. Queries in this
// package never contain a literal question mark.
func (db *DB) rebind(q string) string { return rebind(db.dialect, q) }

func rebind(d Dialect, q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	if r, ok := rebound.Load(q); ok {
		return r.(string)
	}
	r := rebindNew(q)
	if reboundN.Load() < maxCachedStmts {
		if _, loaded := rebound.LoadOrStore(q, r); !loaded {
			reboundN.Add(1)
		}
	}
	return r
}

func rebindNew(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

func (db *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return db.r.QueryContext(ctx, db.rebind(q), args...)
}

func (db *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return db.r.QueryRowContext(ctx, db.rebind(q), args...)
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// ExecRaw runs one statement outside any transaction (tests, maintenance).
func (db *DB) ExecRaw(ctx context.Context, q string, args ...any) error {
	_, err := db.w.ExecContext(ctx, db.rebind(q), args...)
	return err
}

// QueryStrings returns the first column of every row as text (tests and
// maintenance checks such as "no clear ID number anywhere").
func (db *DB) QueryStrings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, db.rebind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s.String)
	}
	return out, rows.Err()
}

// collect runs a query and scans every row with scan; msg is the Chinese
// message of any failure. It keeps the many list readers to their SQL and
// their one scan function.
func collect[T any](ctx context.Context, db *DB, q querier, msg, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := q.QueryContext(ctx, db.rebind(query), args...)
	if err != nil {
		return nil, mapErr(err, msg)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, mapErr(err, msg)
		}
		out = append(out, v)
	}
	return out, mapErr(rows.Err(), msg)
}
