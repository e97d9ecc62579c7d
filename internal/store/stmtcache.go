package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// The statement cache. modernc.org/sqlite compiles every statement it is
// given anew, and parsing cost more than executing in the transitions
// benchmark (issue 8). So on SQLite each pool keeps its statements
// prepared across transactions: a transaction uses a cached statement
// through sql.Tx.StmtContext (the connection's compiled statement, no
// new compile), and a statement first met inside a transaction runs
// unprepared once and is prepared on the pool before the next transaction
// begins — never inside one, since the writer pool has a single
// connection that the transaction holds. PostgreSQL needs none of this:
// pgx caches prepared statements per connection itself.

// maxCachedStmts bounds each pool's cache (queries built at run time, such
// as IN lists of varying length, would otherwise grow it without end).
const maxCachedStmts = 2000

type stmtCache struct {
	pool     *sql.DB
	mu       sync.RWMutex
	stmts    map[string]*sql.Stmt // nil value: preparing failed, do not try again
	pending  map[string]bool
	npending atomic.Int32
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// get returns q's prepared statement (nil if none) and whether q is known
// to the cache at all.
func (c *stmtCache) get(q string) (*sql.Stmt, bool) {
	c.mu.RLock()
	s, ok := c.stmts[q]
	c.mu.RUnlock()
	return s, ok
}

// want queues q for preparing before the next transaction.
func (c *stmtCache) want(q string) {
	c.mu.Lock()
	if !c.pending[q] && len(c.stmts)+len(c.pending) < maxCachedStmts {
		if _, ok := c.stmts[q]; !ok {
			c.pending[q] = true
			c.npending.Store(int32(len(c.pending)))
		}
	}
	c.mu.Unlock()
}

// flush prepares the queued statements on the pool. The caller must hold
// no connection of the pool.
func (c *stmtCache) flush(ctx context.Context) {
	if c == nil || c.npending.Load() == 0 {
		return
	}
	c.mu.Lock()
	qs := make([]string, 0, len(c.pending))
	for q := range c.pending {
		qs = append(qs, q)
	}
	clear(c.pending)
	c.npending.Store(0)
	c.mu.Unlock()
	for _, q := range qs {
		c.prepare(ctx, q)
	}
}

// prepare prepares q on the pool (once) and returns it, nil if it failed.
func (c *stmtCache) prepare(ctx context.Context, q string) *sql.Stmt {
	if s, ok := c.get(q); ok {
		return s
	}
	s, err := c.pool.PrepareContext(ctx, q)
	if err != nil {
		if ctx.Err() != nil {
			return nil // cancelled, not a bad statement: try again later
		}
		s = nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.stmts[q]; ok { // prepared meanwhile by another caller
		if s != nil {
			s.Close()
		}
		return old
	}
	if len(c.stmts) >= maxCachedStmts {
		if s != nil {
			s.Close()
		}
		return nil
	}
	c.stmts[q] = s
	return s
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, s := range c.stmts {
		if s != nil {
			s.Close()
		}
		delete(c.stmts, q)
	}
}

// pool is a connection pool whose plain queries use the statement cache
// (cache nil: none).
type pool struct {
	*sql.DB
	cache *stmtCache
}

func newPool(db *sql.DB, cached bool) *pool {
	p := &pool{DB: db}
	if cached {
		p.cache = newStmtCache(db)
	}
	return p
}

func (p *pool) stmt(ctx context.Context, q string) *sql.Stmt {
	if p.cache == nil {
		return nil
	}
	return p.cache.prepare(ctx, q)
}

func (p *pool) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if s := p.stmt(ctx, q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return p.DB.ExecContext(ctx, q, args...)
}

func (p *pool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := p.stmt(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, q, args...)
}

func (p *pool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if s := p.stmt(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, q, args...)
}

// begin prepares what earlier transactions queued, then starts a
// transaction whose statements use the cache.
func (p *pool) begin(ctx context.Context, opts *sql.TxOptions) (*cachedTx, error) {
	p.cache.flush(ctx)
	t, err := p.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &cachedTx{Tx: t, cache: p.cache}, nil
}

// cachedTx is a transaction whose statements use its pool's cache.
type cachedTx struct {
	*sql.Tx
	cache *stmtCache
	local map[string]*sql.Stmt
}

func (t *cachedTx) stmt(ctx context.Context, q string) *sql.Stmt {
	if t.cache == nil {
		return nil
	}
	if s, ok := t.local[q]; ok {
		return s
	}
	s, known := t.cache.get(q)
	if s == nil {
		if !known {
			t.cache.want(q)
		}
		return nil
	}
	ts := t.Tx.StmtContext(ctx, s)
	if t.local == nil {
		t.local = make(map[string]*sql.Stmt, 16)
	}
	t.local[q] = ts
	return ts
}

func (t *cachedTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if s := t.stmt(ctx, q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, q, args...)
}

func (t *cachedTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := t.stmt(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, q, args...)
}

func (t *cachedTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if s := t.stmt(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, q, args...)
}

// rebound caches rebind's output per query text (PostgreSQL).
var rebound sync.Map

// reboundN counts the entries of rebound, bounded like the statement cache.
var reboundN atomic.Int32
