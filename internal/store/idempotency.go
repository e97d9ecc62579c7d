package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"dibao/internal/authz"
	"dibao/internal/errs"
)

// The API's generic Idempotency-Key layer (internal/api/idempotency.go)
// keeps its claims and captured answers in api_idempotency (migration
// 00024). The services' own replies (Replay/Remember, table idempotency)
// stay as they are: they are written in the transaction of the effect and
// also serve the web forms, which do not pass through the API layer.
//
// Crash safety. The answer of a generic route cannot be written in the
// effect's transaction (the handler renders it after the commit), so the
// claim fences the effect instead: a request's context carries its claim,
// and every write transaction of that request, before it commits, marks
// the claim applied — on the same database inside the transaction itself,
// so the mark and the effect commit together or not at all. The mark
// requires the claim's owner token; a claim taken over by a retry after
// its lease ran out leaves the old request unable to commit. So after a
// crash between the effect's commit and the stored answer, a retry finds
// a stale pending claim with applied > 0 and is told the result is
// unknown instead of running the handler again; applied = 0 means no
// write of that request committed and the retry may take the claim over.

// Idempotency claim states.
const (
	IdemPending = "pending"
	IdemDone    = "done"
)

// Applied values of a claim.
const (
	IdemNothing  = 0 // no write transaction of the request committed
	IdemApplied  = 1 // a write committed; its answer exists only once stored
	IdemSelfKept = 2 // every committed write also recorded the service's own reply under the key (Remember)
)

// IdemRecord is one api_idempotency row.
type IdemRecord struct {
	UserID    int64
	Key       string
	Method    string
	Path      string // path and query of the request
	BodyHash  string // hex SHA-256 of the request body
	State     string // IdemPending or IdemDone
	Owner     string
	Applied   int
	Status    int
	Headers   string // JSON object of the answer's headers
	Body      []byte
	CreatedAt time.Time
	ClaimedAt time.Time
}

// Same reports whether r answers the request described by req.
func (r IdemRecord) Same(req IdemRecord) bool {
	return r.Method == req.Method && r.Path == req.Path && r.BodyHash == req.BodyHash
}

// IdemClaim is a held claim on (user, key). Put it in the request context
// with WithIdemClaim so the request's write transactions are fenced.
type IdemClaim struct {
	db     *DB
	UserID int64
	Key    string
	Owner  string
	ended  atomic.Bool
}

type idemCtxKey struct{}

// WithIdemClaim returns ctx carrying c: write transactions run with it
// check and mark the claim before they commit.
func WithIdemClaim(ctx context.Context, c *IdemClaim) context.Context {
	return context.WithValue(ctx, idemCtxKey{}, c)
}

// End stops fencing: work the handler left running in the background
// (a standard change applied after its 202) is not part of the answered
// request, and must not fail because the claim has been answered or
// purged.
func (c *IdemClaim) End() { c.ended.Store(true) }

func idemClaimFrom(ctx context.Context) *IdemClaim {
	c, _ := ctx.Value(idemCtxKey{}).(*IdemClaim)
	if c == nil || c.ended.Load() {
		return nil
	}
	return c
}

func newOwner() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// idemExec runs one bookkeeping statement in a commit of its own. On
// PostgreSQL that commit does not wait for the WAL flush (synchronous_commit
// off, for this transaction only): it is made durable by the next flush, at
// the latest by the effect's own commit, which flushes the WAL in order —
// so a claim is durable whenever an effect under it is. An answer lost to a
// crash leaves its claim pending, which a retry treats as a crash (result
// unknown if a write committed, else run again). The fence of another
// database's transaction (fenceIdem) is not bookkeeping: it commits
// synchronously.
func (db *DB) idemExec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if db.dialect != Postgres {
		return db.w.ExecContext(ctx, db.rebind(q), args...)
	}
	tx, err := db.w.begin(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SET LOCAL synchronous_commit TO OFF"); err != nil {
		return nil, err
	}
	res, err := tx.ExecContext(ctx, db.rebind(q), args...)
	if err != nil {
		return nil, err
	}
	return res, tx.Commit()
}

const idemCols = `user_id, key, method, path, body_hash, state, owner, applied, status, headers, body, created_at, claimed_at`

// IdemClaimKey claims (req.UserID, req.Key) for req in the pending state.
// ok is false when the key already has a row (read it with IdemGet). The
// claim is committed on its own, before the handler runs.
func (db *DB) IdemClaimKey(ctx context.Context, req IdemRecord) (*IdemClaim, bool, error) {
	owner, now := newOwner(), ms(db.now())
	res, err := db.idemExec(ctx, `INSERT INTO api_idempotency (user_id, key, method, path, body_hash, state,
		owner, applied, status, headers, created_at, claimed_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, '', ?, ?)
		ON CONFLICT (user_id, key) DO NOTHING`, req.UserID, req.Key, req.Method, req.Path, req.BodyHash, IdemPending, owner,
		now, now)
	if err != nil {
		return nil, false, mapErr(err, "保存幂等记录失败")
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return nil, false, mapErr(err, "保存幂等记录失败")
	}
	return &IdemClaim{db: db, UserID: req.UserID, Key: req.Key, Owner: owner}, true, nil
}

// IdemGet reads the row of (user, key); ok is false when there is none.
func (db *DB) IdemGet(ctx context.Context, userID int64, key string) (IdemRecord, bool, error) {
	var r IdemRecord
	var created, claimed int64
	err := db.queryRow(ctx, "SELECT "+idemCols+" FROM api_idempotency WHERE user_id = ? AND key = ?", userID, key).
		Scan(&r.UserID, &r.Key, &r.Method, &r.Path, &r.BodyHash, &r.State, &r.Owner, &r.Applied, &r.Status,
			&r.Headers, &r.Body, &created, &claimed)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	r.CreatedAt, r.ClaimedAt = fromMS(created), fromMS(claimed)
	return r, err == nil, mapErr(err, "读取幂等记录失败")
}

// IdemTakeOver moves a pending claim whose holder went away (claimed before
// staleBefore) to a new owner, if no write of the old holder committed
// (applied 0) or every one recorded the service's own reply (applied 2,
// so the service replays it). ok is false when the row changed meanwhile.
func (db *DB) IdemTakeOver(ctx context.Context, prev IdemRecord, staleBefore time.Time) (*IdemClaim, bool, error) {
	owner := newOwner()
	res, err := db.idemExec(ctx, `UPDATE api_idempotency SET owner = ?, claimed_at = ?
		WHERE user_id = ? AND key = ? AND owner = ? AND state = ? AND applied IN (0, 2) AND claimed_at < ?`,
		owner, ms(db.now()), prev.UserID, prev.Key, prev.Owner, IdemPending, ms(staleBefore))
	if err != nil {
		return nil, false, mapErr(err, "保存幂等记录失败")
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return nil, false, mapErr(err, "保存幂等记录失败")
	}
	return &IdemClaim{db: db, UserID: prev.UserID, Key: prev.Key, Owner: owner}, true, nil
}

// Finish stores the answer of the claimed request; ok is false when the
// claim is no longer held (taken over: nothing of this request committed).
func (c *IdemClaim) Finish(ctx context.Context, status int, headers string, body []byte) (bool, error) {
	if body == nil {
		body = []byte{}
	}
	res, err := c.db.idemExec(ctx, `UPDATE api_idempotency SET state = ?, status = ?, headers = ?, body = ?,
		done_at = ? WHERE user_id = ? AND key = ? AND owner = ?`, IdemDone, status, headers, body, ms(c.db.now()),
		c.UserID, c.Key, c.Owner)
	if err != nil {
		return false, mapErr(err, "保存幂等记录失败")
	}
	n, err := res.RowsAffected()
	return n == 1, mapErr(err, "保存幂等记录失败")
}

// Release deletes the claim if nothing of its request committed, so a
// retry runs afresh (a failure the client may retry); released is false
// when a write did commit — then the answer must be kept instead.
func (c *IdemClaim) Release(ctx context.Context) (released bool, err error) {
	res, err := c.db.idemExec(ctx, `DELETE FROM api_idempotency
		WHERE user_id = ? AND key = ? AND owner = ? AND applied = 0`, c.UserID, c.Key, c.Owner)
	if err != nil {
		return false, mapErr(err, "删除幂等记录失败")
	}
	n, err := res.RowsAffected()
	return n == 1, mapErr(err, "删除幂等记录失败")
}

const idemFenceSQL = `UPDATE api_idempotency SET applied = CASE WHEN applied IN (0, ?) THEN ? ELSE 1 END
	WHERE user_id = ? AND key = ? AND owner = ?`

// fenceIdem runs before a write transaction commits. With a claim in ctx
// it marks the claim applied — inside tx when the claim lives in the same
// database (atomic with the effect), else (the sandbox store) in a commit
// of its own just before, so a crash in between reads as "maybe applied",
// never as "not applied". A claim no longer held fails the transaction.
func (tx *Tx) fenceIdem(ctx context.Context) error {
	c := idemClaimFrom(ctx)
	if c == nil {
		return nil
	}
	v := IdemApplied
	var res sql.Result
	var err error
	if c.db == tx.db {
		if tx.remembered == c.Key && tx.p.UserID == c.UserID {
			v = IdemSelfKept
		}
		res, err = tx.exec(ctx, idemFenceSQL, v, v, c.UserID, c.Key, c.Owner)
	} else {
		res, err = c.db.w.ExecContext(ctx, c.db.rebind(idemFenceSQL), v, v, c.UserID, c.Key, c.Owner)
	}
	if err != nil {
		return mapErr(err, "保存幂等记录失败")
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errs.New(errs.Conflict, "Idempotency-Key", "该请求的处理已被同一幂等键的重试接管，本次操作未生效")
	}
	return nil
}

// execFenced runs one unaudited write outside InTx (the exam answer and
// event logs): alone when no Idempotency-Key claim is in ctx, else in a
// transaction with the claim's fence, so a retry after a crash cannot
// append the record twice.
func (db *DB) execFenced(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if idemClaimFrom(ctx) == nil {
		return db.w.ExecContext(ctx, db.rebind(q), args...)
	}
	sqlTx, err := db.w.begin(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer sqlTx.Rollback()
	tx := &Tx{db: db, tx: sqlTx}
	res, err := tx.exec(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return res, err // refused: nothing to fence
	}
	if err := tx.fenceIdem(ctx); err != nil {
		return nil, err
	}
	return res, sqlTx.Commit()
}

// Transient reports whether err is a momentary failure worth retrying
// (the database was busy or a serialisation failed): such an answer is not
// kept under an idempotency key.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	var e *errs.Error
	if errors.As(err, &e) && e.Err != nil {
		s += " " + e.Err.Error()
	}
	return strings.Contains(s, "database is locked") || strings.Contains(s, "SQLSTATE 40001") ||
		strings.Contains(s, "SQLSTATE 40P01")
}

// IdemPurged counts the rows a purge removed.
type IdemPurged struct {
	API     int64 // api_idempotency
	Service int64 // idempotency (the services' own replies)
}

var errNothingPurged = errors.New("nothing purged")

// PurgeIdempotency deletes the idempotency records created before before:
// answered keys, and claims left pending since before (never a younger
// pending claim). A purge that removes anything is audited.
func (db *DB) PurgeIdempotency(ctx context.Context, before time.Time) (IdemPurged, error) {
	var out IdemPurged
	err := db.InTx(ctx, authz.System("idempotency-purge"), func(tx *Tx) error {
		cut := ms(before)
		res, err := tx.exec(ctx, "DELETE FROM api_idempotency WHERE created_at < ? AND claimed_at < ?", cut, cut)
		if err != nil {
			return mapErr(err, "清理幂等记录失败")
		}
		out.API, _ = res.RowsAffected()
		res, err = tx.exec(ctx, "DELETE FROM idempotency WHERE created_at < ?", cut)
		if err != nil {
			return mapErr(err, "清理幂等记录失败")
		}
		out.Service, _ = res.RowsAffected()
		if out.API+out.Service == 0 {
			return errNothingPurged
		}
		return tx.Audit(ctx, Entry{Action: "idempotency.purge", Object: "idempotency",
			Detail: fmt.Sprintf("before=%s api=%d service=%d", before.UTC().Format(time.RFC3339), out.API, out.Service)})
	})
	if errors.Is(err, errNothingPurged) {
		return IdemPurged{}, nil
	}
	return out, err
}
