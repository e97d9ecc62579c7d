package store

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
)

// The memo keeps values derived from slowly changing tables (the policy
// set in force for a region on a day, the working-day calendar) for the
// life of the DB, each under a token that the caller reads from the
// database every time: a value is reused only while its token is
// unchanged, so a change by this process or another is seen at once.

type memoEntry struct {
	token string
	v     any
}

// maxMemo bounds the memo; past it, the memo starts afresh.
const maxMemo = 20000

type memo struct {
	m sync.Map
	n atomic.Int32
}

// Memo returns the value stored under key if it was stored with token.
func (db *DB) Memo(key, token string) (any, bool) {
	e, ok := db.memo.m.Load(key)
	if !ok || e.(memoEntry).token != token {
		return nil, false
	}
	return e.(memoEntry).v, true
}

// SetMemo stores v under key with token.
func (db *DB) SetMemo(key, token string, v any) {
	if db.memo.n.Load() >= maxMemo {
		db.memo.m.Clear()
		db.memo.n.Store(0)
	}
	if _, loaded := db.memo.m.Swap(key, memoEntry{token: token, v: v}); !loaded {
		db.memo.n.Add(1)
	}
}

// PolicyGeneration is the memo token of the policy versions: their count.
// Versions are only ever added (never updated or deleted), so any
// committed change changes the count. Read it before the versions it
// guards.
func (db *DB) PolicyGeneration(ctx context.Context) (string, error) {
	var n int64
	if err := db.queryRow(ctx, "SELECT COUNT(*) FROM policy_values").Scan(&n); err != nil {
		return "", mapErr(err, "读取政策参数失败")
	}
	return strconv.FormatInt(n, 10), nil
}
