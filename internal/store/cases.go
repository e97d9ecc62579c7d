package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"dibao/internal/errs"
	"dibao/internal/money"
	"dibao/internal/region"
)

// Case is an application's current state; its history is in Events.
type Case struct {
	ID             int64
	Number         string
	HouseholdID    int64
	Region         region.Code // the household's village
	Profile        string
	State          string
	Version        int64
	RelativeFlag   bool
	RelativeNote   string
	StateSince     time.Time
	DueDate        string // YYYY-MM-DD of the current step, "" when none
	StartedOn      string // the day the total time limit started (acceptance)
	TotalDue       string // YYYY-MM-DD of the total time limit
	Extended       bool
	ExtensionNote  string
	PublicityStart string
	PublicityEnd   string
	Policy         string // JSON: parameter name → version id used by this case
	Benefit        string // JSON: the last computed benefit result with its explanation
	Amount         money.Fen
	Category       string
	StartMonth     string // YYYY-MM
	Closed         bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Joined for lists and pages.
	HeadName string
}

const caseCols = `c.id, c.number, c.household_id, c.region_code, c.profile, c.state, c.version, c.relative_flag, c.relative_note,
	c.state_since, c.due_date, c.started_on, c.total_due, c.extended, c.extension_note, c.publicity_start, c.publicity_end,
	c.policy, c.benefit, c.amount_fen, c.category, c.start_month, c.closed, c.created_at, c.updated_at, h.head_name`

func scanCase(s scanner) (Case, error) {
	var c Case
	var rc string
	var rel, ext, closed, since, created, updated, amt int64
	err := s.Scan(&c.ID, &c.Number, &c.HouseholdID, &rc, &c.Profile, &c.State, &c.Version, &rel, &c.RelativeNote,
		&since, &c.DueDate, &c.StartedOn, &c.TotalDue, &ext, &c.ExtensionNote, &c.PublicityStart, &c.PublicityEnd,
		&c.Policy, &c.Benefit, &amt, &c.Category, &c.StartMonth, &closed, &created, &updated, &c.HeadName)
	c.Region, c.RelativeFlag, c.Extended, c.Closed = region.Code(rc), rel == 1, ext == 1, closed == 1
	c.StateSince, c.CreatedAt, c.UpdatedAt, c.Amount = fromMS(since), fromMS(created), fromMS(updated), money.Fen(amt)
	return c, err
}

func notFoundCase() error {
	return errs.New(errs.NotFound, "", "案件不存在或不在您的管辖范围内")
}

// NextNumber returns the next value of a named counter inside the
// transaction (case and document numbers: gap-free per county and year).
func (tx *Tx) NextNumber(ctx context.Context, name string) (int64, error) {
	q := `INSERT INTO counters (name, value) VALUES (?, 1)
		ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value`
	var v int64
	if err := tx.queryRow(ctx, q, name).Scan(&v); err != nil {
		return 0, mapErr(err, "生成编号失败")
	}
	return v, nil
}

// CreateCase inserts a case; the household must be within scope.
func (tx *Tx) CreateCase(ctx context.Context, c *Case) error {
	if !tx.p.Scope().Contains(c.Region) {
		return outOfScope()
	}
	now := tx.db.now()
	var err error
	c.ID, err = tx.insertID(ctx, `INSERT INTO cases (number, household_id, region_code, profile, state, version,
		relative_flag, relative_note, state_since, due_date, started_on, total_due, policy, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Number, c.HouseholdID, string(c.Region), c.Profile, c.State, boolInt(c.RelativeFlag), c.RelativeNote, ms(now),
		c.DueDate, c.StartedOn, c.TotalDue, c.Policy, nullID(tx.p.UserID), ms(now), ms(now))
	if isUnique(err, "household_id") || isUnique(err, "cases_one_open") {
		return errs.New(errs.Conflict, "", "该家庭已有正在办理的申请，不能重复申请")
	}
	if err != nil {
		return mapErr(err, "保存案件失败")
	}
	c.Version, c.StateSince, c.CreatedAt, c.UpdatedAt = 1, now, now, now
	return nil
}

// CaseForUpdate reads a case within the caller's scope inside the
// transaction, locking it on PostgreSQL.
func (tx *Tx) CaseForUpdate(ctx context.Context, id int64) (Case, error) {
	q := "SELECT " + caseCols + " FROM cases c JOIN households h ON h.id = c.household_id WHERE c.id = ?"
	if tx.db.dialect == Postgres {
		q += " FOR UPDATE OF c"
	}
	c, err := scanCase(tx.queryRow(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !tx.p.Scope().Contains(c.Region)) {
		return Case{}, notFoundCase()
	}
	return c, mapErr(err, "读取案件失败")
}

// SaveCase writes the case's mutable fields if its version is still the
// one read (optimistic concurrency) and bumps the version.
func (tx *Tx) SaveCase(ctx context.Context, c *Case, readVersion int64) error {
	now := tx.db.now()
	res, err := tx.exec(ctx, `UPDATE cases SET state = ?, version = version + 1, relative_flag = ?, relative_note = ?,
		state_since = ?, due_date = ?, started_on = ?, total_due = ?, extended = ?, extension_note = ?, publicity_start = ?,
		publicity_end = ?, policy = ?, benefit = ?, amount_fen = ?, category = ?, start_month = ?, closed = ?, updated_at = ?
		WHERE id = ? AND version = ?`,
		c.State, boolInt(c.RelativeFlag), c.RelativeNote, ms(c.StateSince), c.DueDate, c.StartedOn, c.TotalDue,
		boolInt(c.Extended), c.ExtensionNote, c.PublicityStart, c.PublicityEnd, c.Policy, c.Benefit, int64(c.Amount),
		c.Category, c.StartMonth, boolInt(c.Closed), ms(now), c.ID, readVersion)
	if err != nil {
		return mapErr(err, "保存案件失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.Conflict, "version", "该案件已被他人处理，请刷新页面查看最新状态后再操作")
	}
	c.Version = readVersion + 1
	c.UpdatedAt = now
	return nil
}

// Case reads a case within scope.
func (db *DB) Case(ctx context.Context, scope region.Scope, id int64) (Case, error) {
	c, err := scanCase(db.queryRow(ctx, "SELECT "+caseCols+
		" FROM cases c JOIN households h ON h.id = c.household_id WHERE c.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.Contains(c.Region)) {
		return Case{}, notFoundCase()
	}
	return c, mapErr(err, "读取案件失败")
}

// CaseFilter narrows case lists and work queues.
type CaseFilter struct {
	States      []string // any of these; empty = all
	Open        string   // "open", "closed" or ""
	HouseholdID int64
	Limit       int
}

// Cases lists cases within scope, oldest due first for open cases.
func (db *DB) Cases(ctx context.Context, scope region.Scope, f CaseFilter) ([]Case, error) {
	where := []string{"c.region_code >= ?", "c.region_code < ?"}
	args := []any{string(scope.Lo), string(scope.Hi)}
	if len(f.States) > 0 {
		where = append(where, "c.state IN (?"+strings.Repeat(", ?", len(f.States)-1)+")")
		for _, s := range f.States {
			args = append(args, s)
		}
	}
	switch f.Open {
	case "open":
		where = append(where, "c.closed = 0")
	case "closed":
		where = append(where, "c.closed = 1")
	}
	if f.HouseholdID != 0 {
		where = append(where, "c.household_id = ?")
		args = append(args, f.HouseholdID)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	return collect(ctx, db, db.r, "读取案件列表失败", "SELECT "+caseCols+" FROM cases c JOIN households h ON h.id = c.household_id WHERE "+
		strings.Join(where, " AND ")+" ORDER BY c.closed, CASE WHEN c.due_date = '' THEN '9999' ELSE c.due_date END, c.id LIMIT ?",
		append(args, f.Limit), scanCase)
}

// Event is one entry of a case's timeline.
type Event struct {
	ID         int64
	CaseID     int64
	Seq        int
	Transition string
	From, To   string
	ActorID    int64
	Actor      string // username
	ActorName  string
	At         time.Time
	Reason     string
	Data       string // JSON of the recorded fields
	Documents  string // comma-separated document numbers
}

// AppendEvent adds the next timeline entry of a case.
func (tx *Tx) AppendEvent(ctx context.Context, e *Event) error {
	var n int
	if err := tx.queryRow(ctx, "SELECT COALESCE(MAX(seq), 0) FROM case_events WHERE case_id = ?", e.CaseID).Scan(&n); err != nil {
		return mapErr(err, "保存办理记录失败")
	}
	e.Seq, e.At = n+1, tx.db.now()
	e.ActorID, e.Actor, e.ActorName = tx.p.UserID, tx.p.Username, tx.p.DisplayName
	if e.Data == "" {
		e.Data = "{}"
	}
	var err error
	e.ID, err = tx.insertID(ctx, `INSERT INTO case_events (case_id, seq, transition, from_state, to_state, actor_id, actor,
		actor_name, at, reason, data, documents) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.CaseID, e.Seq, e.Transition, e.From, e.To, nullID(e.ActorID), e.Actor, e.ActorName, ms(e.At), e.Reason, e.Data,
		e.Documents)
	return mapErr(err, "保存办理记录失败")
}

// Events returns a case's timeline in order.
func (db *DB) Events(ctx context.Context, caseID int64) ([]Event, error) {
	return events(ctx, db, db.r, caseID)
}

// EventsTx returns a case's timeline inside a transaction.
func (tx *Tx) Events(ctx context.Context, caseID int64) ([]Event, error) {
	return events(ctx, tx.db, tx.tx, caseID)
}

func events(ctx context.Context, db *DB, q querier, caseID int64) ([]Event, error) {
	return collect(ctx, db, q, "读取办理记录失败", `SELECT id, case_id, seq, transition, from_state, to_state,
		COALESCE(actor_id, 0), actor, actor_name, at, reason, data, documents FROM case_events WHERE case_id = ? ORDER BY seq`,
		[]any{caseID}, func(r scanner) (Event, error) {
			var e Event
			var at int64
			err := r.Scan(&e.ID, &e.CaseID, &e.Seq, &e.Transition, &e.From, &e.To, &e.ActorID, &e.Actor, &e.ActorName,
				&at, &e.Reason, &e.Data, &e.Documents)
			e.At = fromMS(at)
			return e, err
		})
}

// counterName builds the counter key of a numbered series.
func counterName(kind string, county region.Code, year int) string {
	return fmt.Sprintf("%s:%s:%d", kind, county, year)
}

// NextSerial returns the next serial of kind for a county and year.
func (tx *Tx) NextSerial(ctx context.Context, kind string, county region.Code, year int) (int64, error) {
	return tx.NextNumber(ctx, counterName(kind, county, year))
}
