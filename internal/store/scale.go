package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/money"
	"dibao/internal/region"
)

// FOR DEMO SCALE AND BENCHMARKS ONLY (`dibao demo --households N`, issue
// 8). The province writer puts a million households in minutes: the rows
// are sealed in parallel outside the transaction (PrepareScale), then one
// transaction per chunk writes them — COPY on PostgreSQL, multi-row INSERTs
// on SQLite — with explicit ids reserved up front, and one audit
// record. Every sensitive field is sealed exactly like CreateHousehold
// (same Sealer kinds, same blind index), so the services read these rows
// like any other; but the per-row checks of the services are the caller's
// (package scale): villages that exist, ID numbers that are new, amounts
// the benefit engine gives.

// ScaleEvent is one case event of a generated case.
type ScaleEvent struct {
	Transition, From, To, Reason string
	Actor                        string // username shown in the timeline
}

// ScaleCase is the case of a generated household: a closed approved case
// standing for a recipient's decision, or an application in any state.
type ScaleCase struct {
	Number     string // unique
	State      string
	Closed     bool
	Amount     money.Fen
	Category   string
	StartMonth string
	Events     []ScaleEvent
}

// ScaleRecipient is the register row of a generated recipient.
type ScaleRecipient struct {
	Status     string // active or stopped
	Category   string
	Amount     money.Fen
	Persons    int
	StartMonth string // YYYY-MM
	EndMonth   string // stopped: the last month paid
	StopReason string
}

// ScaleHousehold is one generated household with its case and, for a
// recipient, its register row.
type ScaleHousehold struct {
	Household household.Household // Region, Address, Urban, Phone, BankName, BankAccount, Members, Incomes, Properties
	Case      ScaleCase
	Recipient *ScaleRecipient // nil: an applicant, not in the register
}

// ScaleBatch is a chunk of households sealed and laid out as rows, ready
// for WriteScale. Ids in it are local (0-based within the batch) until
// WriteScale offsets them by the ids it reserves.
type ScaleBatch struct {
	Households                          int
	Members                             int
	hh, mm, inc, prop, cs, ev, rr, hist [][]any
	written                             bool
}

// column positions of the local ids PrepareScale writes and WriteScale
// offsets.
const (
	hhID = 0 // households.id
	mmHH = 0 // members.household_id
	inHH = 0 // income_items.household_id
	prHH = 0 // property_items.household_id
	csID = 0 // cases.id
	csHH = 2 // cases.household_id
	evCS = 0 // case_events.case_id
	rrHH = 0 // recipients.household_id
	rrCS = 1 // recipients.case_id
	hiHH = 0 // recipient_history.household_id
	hiCS = 7 // recipient_history.case_id
)

var scaleCols = struct{ hh, mm, inc, prop, cs, ev, rr, hist []string }{
	hh: []string{"id", "region_code", "head_name", "address", "urban", "phone_enc", "bank_name", "bank_enc", "notes",
		"created_by", "created_at", "updated_at", "version"},
	mm: []string{"household_id", "position", "name", "relation", "id_enc", "id_index", "sex", "birth_date",
		"disability_grade", "disability_enc", "labour", "health", "health_enc", "co_resident"},
	inc:  []string{"household_id", "kind", "description", "amount_fen", "cost_fen", "months"},
	prop: []string{"household_id", "kind", "description", "value_fen", "quantity", "exempt"},
	cs: []string{"id", "number", "household_id", "region_code", "profile", "state", "version", "state_since", "policy",
		"benefit", "amount_fen", "category", "start_month", "closed", "created_by", "created_at", "updated_at"},
	ev: []string{"case_id", "seq", "transition", "from_state", "to_state", "actor", "actor_name", "at", "reason",
		"data", "documents"},
	rr: []string{"household_id", "case_id", "region_code", "category", "amount_fen", "members", "start_month", "status",
		"approved_at", "end_month"},
	hist: []string{"household_id", "at", "kind", "old_amount", "new_amount", "effective_month", "reason", "case_id",
		"actor"},
}

// PrepareScale seals hs (on every CPU) and lays them out as rows. at is
// the time every row records; it touches no table.
func (db *DB) PrepareScale(hs []ScaleHousehold, at time.Time) (*ScaleBatch, error) {
	now := ms(at)
	type sealed struct {
		phone, bank string
		ids, idx    []string
	}
	out := make([]sealed, len(hs))
	workers := max(1, runtime.GOMAXPROCS(0))
	per := (len(hs) + workers - 1) / workers
	var wg sync.WaitGroup
	errsOf := make([]error, workers)
	for w := 0; w < workers; w++ {
		lo, hi := w*per, min((w+1)*per, len(hs))
		if lo >= hi {
			break
		}
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				h := &hs[i].Household
				s := &out[i]
				var err error
				if s.phone, err = db.seal(KindPhone, h.Phone); err != nil {
					errsOf[w] = err
					return
				}
				if s.bank, err = db.seal(KindBank, h.BankAccount); err != nil {
					errsOf[w] = err
					return
				}
				s.ids, s.idx = make([]string, len(h.Members)), make([]string, len(h.Members))
				for j, m := range h.Members {
					if s.ids[j], err = db.seal(KindIDCard, string(m.IDNumber)); err != nil {
						errsOf[w] = err
						return
					}
					s.idx[j] = db.IDIndex(m.IDNumber)
					if m.DisabilityDetail != "" || m.HealthDetail != "" {
						errsOf[w] = errors.New("store: scale households carry no disability or health detail")
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errsOf...); err != nil {
		return nil, err
	}
	b := &ScaleBatch{Households: len(hs)}
	b.hh = make([][]any, 0, len(hs))
	b.cs = make([][]any, 0, len(hs))
	for i := range hs {
		x := &hs[i]
		h := &x.Household
		li := int64(i)
		b.hh = append(b.hh, []any{li, string(h.Region), h.HeadName(), h.Address, boolInt(h.Urban), out[i].phone,
			h.BankName, out[i].bank, h.Notes, nil, now, now, int64(1)})
		for j, m := range h.Members {
			b.mm = append(b.mm, []any{li, int64(j), m.Name, string(m.Relation), out[i].ids[j], out[i].idx[j],
				m.IDNumber.Sex().Code(), m.IDNumber.BirthDate().Format(time.DateOnly), int64(m.DisabilityGrade), "",
				string(m.Labour), string(m.Health), "", boolInt(m.CoResident)})
		}
		b.Members += len(h.Members)
		for _, in := range h.Incomes {
			b.inc = append(b.inc, []any{li, string(in.Kind), in.Description, int64(in.Amount), int64(in.Cost),
				int64(in.Months)})
		}
		for _, p := range h.Properties {
			b.prop = append(b.prop, []any{li, string(p.Kind), p.Description, int64(p.Value), int64(max(p.Quantity, 1)),
				boolInt(p.Exempt)})
		}
		c := &x.Case
		b.cs = append(b.cs, []any{li, c.Number, li, string(h.Region), "seed", c.State, int64(1 + len(c.Events)), now, "{}",
			"", int64(c.Amount), c.Category, c.StartMonth, boolInt(c.Closed), nil, now, now})
		for k, e := range c.Events {
			b.ev = append(b.ev, []any{li, int64(k + 1), e.Transition, e.From, e.To, e.Actor, e.Actor, now, e.Reason,
				"{}", ""})
		}
		if r := x.Recipient; r != nil {
			b.rr = append(b.rr, []any{li, li, string(h.Region), r.Category, int64(r.Amount), int64(r.Persons),
				r.StartMonth, r.Status, now, r.EndMonth})
			b.hist = append(b.hist, []any{li, now, "enrolled", int64(0), int64(r.Amount), r.StartMonth,
				"经审批纳入最低生活保障", li, "system:scale"})
			if r.Status == "stopped" {
				b.hist = append(b.hist, []any{li, now, "stop", int64(r.Amount), int64(0), r.EndMonth, r.StopReason, li,
					"system:scale"})
			}
		}
	}
	return b, nil
}

// WriteScale writes a prepared batch in one transaction acting as p:
// households (within p's scope — the caller checked the villages), members,
// income and property items, cases with their events, register rows and
// their history, then the audit record e. On PostgreSQL several may run at
// once (ids come from the identity sequences). extra runs in the same transaction before the
// audit (the caller records its progress there).
func (db *DB) WriteScale(ctx context.Context, p authz.Principal, b *ScaleBatch, e Entry, extra func(tx *Tx) error) error {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return errs.Wrap(err, "数据库暂时不可用，请稍后再试")
	}
	defer conn.Close()
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return errs.Wrap(err, "数据库暂时不可用，请稍后再试")
	}
	tx := &Tx{db: db, tx: &cachedTx{Tx: sqlTx}, p: p} // no statement cache: a dedicated connection
	if err := tx.writeScale(ctx, conn, b); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if extra != nil {
		if err := extra(tx); err != nil {
			_ = sqlTx.Rollback()
			return err
		}
	}
	if err := tx.Audit(ctx, e); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return mapErr(err, "保存失败，请重试")
	}
	db.committed(tx.head)
	return nil
}

const scaleMsg = "批量写入演示数据失败"

func (tx *Tx) writeScale(ctx context.Context, conn *sql.Conn, b *ScaleBatch) error {
	if len(b.hh) == 0 {
		return nil
	}
	scope := tx.p.Scope()
	for _, r := range b.hh {
		if !scope.Contains(region.Code(r[1].(string))) {
			return outOfScope()
		}
	}
	if b.written {
		return errors.New("store: scale batch written twice")
	}
	b.written = true
	hIDs, err := tx.reserveIDs(ctx, "households", len(b.hh))
	if err != nil {
		return err
	}
	cIDs, err := tx.reserveIDs(ctx, "cases", len(b.cs))
	if err != nil {
		return err
	}
	shift := func(rows [][]any, col int, ids []int64) {
		for _, r := range rows {
			r[col] = ids[r[col].(int64)]
		}
	}
	shift(b.hh, hhID, hIDs)
	shift(b.mm, mmHH, hIDs)
	shift(b.inc, inHH, hIDs)
	shift(b.prop, prHH, hIDs)
	shift(b.cs, csID, cIDs)
	shift(b.cs, csHH, hIDs)
	shift(b.ev, evCS, cIDs)
	shift(b.rr, rrHH, hIDs)
	shift(b.rr, rrCS, cIDs)
	shift(b.hist, hiHH, hIDs)
	shift(b.hist, hiCS, cIDs)
	actor := nullID(tx.p.UserID)
	for _, r := range b.hh {
		r[9] = actor
	}
	for _, r := range b.cs {
		r[14] = actor
	}
	for _, t := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"households", scaleCols.hh, b.hh}, {"members", scaleCols.mm, b.mm}, {"income_items", scaleCols.inc, b.inc},
		{"property_items", scaleCols.prop, b.prop}, {"cases", scaleCols.cs, b.cs}, {"case_events", scaleCols.ev, b.ev},
		{"recipients", scaleCols.rr, b.rr}, {"recipient_history", scaleCols.hist, b.hist},
	} {
		if err := tx.copyRows(ctx, conn, t.table, t.cols, t.rows); err != nil {
			return err
		}
	}
	return nil
}

// reserveIDs returns n new ids of table for this transaction: on SQLite,
// whose one writer holds the table, the n after the highest ever used; on
// PostgreSQL n values drawn from the table's identity sequence, so that
// concurrent writers never collide.
func (tx *Tx) reserveIDs(ctx context.Context, table string, n int) ([]int64, error) {
	ids := make([]int64, 0, n)
	if tx.db.dialect == Postgres {
		rs, err := tx.query(ctx, "SELECT nextval(pg_get_serial_sequence('"+table+"', 'id')) FROM generate_series(1, ?)", n)
		if err != nil {
			return nil, mapErr(err, scaleMsg)
		}
		defer rs.Close()
		for rs.Next() {
			var id int64
			if err := rs.Scan(&id); err != nil {
				return nil, mapErr(err, scaleMsg)
			}
			ids = append(ids, id)
		}
		if err := rs.Err(); err != nil || len(ids) != n {
			return nil, mapErr(errors.Join(err, fmt.Errorf("store: %d ids of %d", len(ids), n)), scaleMsg)
		}
		return ids, nil
	}
	var base int64
	if err := tx.queryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM "+table).Scan(&base); err != nil {
		return nil, mapErr(err, scaleMsg)
	}
	var seq sql.NullInt64
	err := tx.queryRow(ctx, "SELECT seq FROM sqlite_sequence WHERE name = ?", table).Scan(&seq)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, mapErr(err, scaleMsg)
	}
	base = max(base, seq.Int64)
	for i := range n {
		ids = append(ids, base+1+int64(i))
	}
	return ids, nil
}

// copyRows writes rows into table: COPY on PostgreSQL (on the
// transaction's own connection, inside it), multi-row INSERTs on SQLite.
func (tx *Tx) copyRows(ctx context.Context, conn *sql.Conn, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if tx.db.dialect != Postgres {
		return tx.insertPrepared(ctx, table, cols, rows)
	}
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: copy: driver connection is %T, not pgx", dc)
		}
		n, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
		if err == nil && n != int64(len(rows)) {
			err = fmt.Errorf("store: copy %s: %d rows of %d", table, n, len(rows))
		}
		return err
	})
	return mapErr(err, scaleMsg)
}

// insertPrepared writes rows with one prepared multi-row INSERT reused for
// every full group of rows (SQLite spends as long parsing a statement of a
// thousand tuples as running it), then one statement for the rest.
func (tx *Tx) insertPrepared(ctx context.Context, table string, cols []string, rows [][]any) error {
	per := max(1, min(500, bulkParams/len(cols)))
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	stmt := func(n int) string {
		return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " +
			strings.TrimSuffix(strings.Repeat(tuple+", ", n), ", ")
	}
	args := make([]any, 0, per*len(cols))
	lo := 0
	if len(rows) >= per {
		st, err := tx.tx.PrepareContext(ctx, stmt(per))
		if err != nil {
			return mapErr(err, scaleMsg)
		}
		defer st.Close()
		for ; lo+per <= len(rows); lo += per {
			args = args[:0]
			for _, r := range rows[lo : lo+per] {
				args = append(args, r...)
			}
			if _, err := st.ExecContext(ctx, args...); err != nil {
				return mapErr(err, scaleMsg)
			}
		}
	}
	if lo == len(rows) {
		return nil
	}
	args = args[:0]
	for _, r := range rows[lo:] {
		args = append(args, r...)
	}
	_, err := tx.exec(ctx, stmt(len(rows)-lo), args...)
	return mapErr(err, scaleMsg)
}

// scaleCachePages is the SQLite page cache the writer gets during a
// province load (-KiB: 256 MiB): the members' blind-index B-tree takes
// random inserts, and with the default 2 MiB cache every one of them
// re-reads its pages from the file.
const scaleCachePages = -262144

// ScaleCache widens (on) or restores (off) the SQLite writer's page cache
// around a bulk load; nothing on PostgreSQL. The writer pool holds one
// connection for good, so the setting lasts until restored.
func (db *DB) ScaleCache(ctx context.Context, on bool) error {
	if db.dialect != SQLite {
		return nil
	}
	size := -2000 // SQLite's default
	if on {
		size = scaleCachePages
	}
	_, err := db.w.ExecContext(ctx, "PRAGMA cache_size = "+strconv.Itoa(size))
	return err
}
