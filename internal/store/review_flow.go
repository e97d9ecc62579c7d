package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"dibao/internal/errs"
	"dibao/internal/region"
)

// Review tasks as a workflow (workflow.RecipientReview): the versioned
// task, its event history and the notice a decision issues.

// ReviewEvent is one transition recorded on a review task.
type ReviewEvent struct {
	ID         int64
	TaskID     int64
	Seq        int64 // 1, 2, … per task
	Transition string
	From, To   string
	Actor      string // username
	At         time.Time
	Record     string // JSON of the recorded fields
	Reason     string
}

const reviewEventCols = `id, task_id, seq, transition, from_state, to_state, actor, at, record, reason`

func scanReviewEvent(s scanner) (ReviewEvent, error) {
	var e ReviewEvent
	var at int64
	err := s.Scan(&e.ID, &e.TaskID, &e.Seq, &e.Transition, &e.From, &e.To, &e.Actor, &at, &e.Record, &e.Reason)
	e.At = fromMS(at)
	return e, err
}

// AppendReviewEvent records a transition of a task with the next sequence
// number; the actor is the transaction's principal.
func (tx *Tx) AppendReviewEvent(ctx context.Context, e *ReviewEvent) error {
	if err := tx.queryRow(ctx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM review_task_events WHERE task_id = ?", e.TaskID).
		Scan(&e.Seq); err != nil {
		return mapErr(err, "保存复核记录失败")
	}
	if e.Record == "" {
		e.Record = "{}"
	}
	e.Actor, e.At = tx.p.Username, tx.db.now()
	var err error
	e.ID, err = tx.insertID(ctx, `INSERT INTO review_task_events (task_id, seq, transition, from_state, to_state, actor, at,
		record, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.TaskID, e.Seq, e.Transition, e.From, e.To, e.Actor, ms(e.At),
		e.Record, e.Reason)
	return mapErr(err, "保存复核记录失败")
}

// ReviewEvents returns a task's history in order.
func (tx *Tx) ReviewEvents(ctx context.Context, taskID int64) ([]ReviewEvent, error) {
	return collect(ctx, tx.db, tx.tx, "读取复核记录失败", "SELECT "+reviewEventCols+
		" FROM review_task_events WHERE task_id = ? ORDER BY seq", []any{taskID}, scanReviewEvent)
}

// ReviewTask reads a task within scope without locking it.
func (tx *Tx) ReviewTask(ctx context.Context, scope region.Scope, id int64) (ReviewTask, error) {
	t, err := scanTask(tx.queryRow(ctx, "SELECT "+taskCols+" FROM review_tasks WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.Contains(t.Region)) {
		return ReviewTask{}, errs.New(errs.NotFound, "", "复核任务不存在或不在您的管辖范围内")
	}
	return t, mapErr(err, "读取复核任务失败")
}

// ReviewRecipient reads one register entry within scope without locking it
// (pages and read transactions).
func (tx *Tx) ReviewRecipient(ctx context.Context, scope region.Scope, householdID int64) (RegisterEntry, error) {
	e, err := scanRegister(tx.queryRow(ctx, "SELECT "+registerCols+registerFrom+" WHERE r.household_id = ?", householdID))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.Contains(e.Region)) {
		return RegisterEntry{}, notFoundRecipient()
	}
	return e, mapErr(err, "读取保障对象失败")
}

// UpdateReviewTask writes the task's workflow fields if its version is
// still version, and bumps it: of two people acting on the same task only
// the first succeeds, the other gets a conflict.
func (tx *Tx) UpdateReviewTask(ctx context.Context, t *ReviewTask, version int64) error {
	res, err := tx.exec(ctx, `UPDATE review_tasks SET status = ?, proposal = ?, proposed_by = ?, decided_by = ?, decided_at = ?,
		decision = ?, version = version + 1 WHERE id = ? AND version = ?`, t.Status, t.Proposal, t.ProposedBy, t.DecidedBy,
		ms(t.DecidedAt), t.Decision, t.ID, version)
	if err != nil {
		return mapErr(err, "保存复核任务失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.Conflict, "version", "该复核任务已被他人处理，请刷新页面查看最新状态后再操作")
	}
	t.Version = version + 1
	return nil
}

// ReviewNotice is the notice issued with a review decision: the JSON
// snapshot of exactly what was printed.
type ReviewNotice struct {
	TaskID   int64
	Kind     string // docs kind, review_notice
	Number   string
	IssuedAt time.Time
	Data     string
}

// AddReviewNotice stores the notice of a task (one per task).
func (tx *Tx) AddReviewNotice(ctx context.Context, n *ReviewNotice) error {
	n.IssuedAt = tx.db.now()
	_, err := tx.exec(ctx, "INSERT INTO review_notices (task_id, kind, number, issued_at, data) VALUES (?, ?, ?, ?, ?)",
		n.TaskID, n.Kind, n.Number, ms(n.IssuedAt), n.Data)
	return mapErr(err, "保存告知书失败")
}

// ReviewNotice returns the notice of a task; ok is false when none was
// issued.
func (tx *Tx) ReviewNotice(ctx context.Context, taskID int64) (n ReviewNotice, ok bool, err error) {
	var at int64
	err = tx.queryRow(ctx, "SELECT task_id, kind, number, issued_at, data FROM review_notices WHERE task_id = ?", taskID).
		Scan(&n.TaskID, &n.Kind, &n.Number, &at, &n.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return ReviewNotice{}, false, nil
	}
	n.IssuedAt = fromMS(at)
	return n, err == nil, mapErr(err, "读取告知书失败")
}

// ReviewTaskFilter narrows the review work queue.
type ReviewTaskFilter struct {
	Kind      string // "" = any
	Status    string // "" = any, "undecided" = open or proposed, else one status
	DueBefore string // YYYY-MM-DD: due on or before it
	Limit     int    // 0 = no limit
	Offset    int
}

// ReviewTaskRow is a task in the work queue, with its household's head
// name and amount in force.
type ReviewTaskRow struct {
	ReviewTask
	HeadName string
	Amount   int64 // fen
}

// ReviewTaskList lists the tasks within scope matching f, by due date, and
// the number matching without the limit.
func (db *DB) ReviewTaskList(ctx context.Context, scope region.Scope, f ReviewTaskFilter) ([]ReviewTaskRow, int, error) {
	where := " WHERE t.region_code >= ? AND t.region_code < ?"
	args := []any{string(scope.Lo), string(scope.Hi)}
	if f.Kind != "" {
		where += " AND t.kind = ?"
		args = append(args, f.Kind)
	}
	switch f.Status {
	case "":
	case "undecided":
		where += " AND t.status <> 'decided'"
	default:
		where += " AND t.status = ?"
		args = append(args, f.Status)
	}
	if f.DueBefore != "" {
		where += " AND t.due <= ?"
		args = append(args, f.DueBefore)
	}
	from := " FROM review_tasks t JOIN households h ON h.id = t.household_id LEFT JOIN recipients r ON r.household_id = t.household_id"
	var total int
	if err := db.queryRow(ctx, "SELECT COUNT(*)"+from+where, args...).Scan(&total); err != nil {
		return nil, 0, mapErr(err, "读取复核任务失败")
	}
	q := `SELECT t.id, t.household_id, t.region_code, t.kind, t.due, t.reason, t.status, t.proposal, t.proposed_by,
		t.decided_by, t.decided_at, t.decision, t.seed, COALESCE(t.spot_check_id, 0), t.created_at, t.version, h.head_name,
		COALESCE(r.amount_fen, 0)` + from + where +
		" ORDER BY t.due, t.household_id, t.id"
	if f.Limit > 0 {
		q += " LIMIT ? OFFSET ?"
		args = append(args, f.Limit, max(f.Offset, 0)) // an overflowed page offset is negative
	}
	rows, err := collect(ctx, db, db.r, "读取复核任务失败", q, args, func(s scanner) (ReviewTaskRow, error) {
		var r ReviewTaskRow
		var rc string
		var dec, created int64
		err := s.Scan(&r.ID, &r.HouseholdID, &rc, &r.Kind, &r.Due, &r.Reason, &r.Status, &r.Proposal, &r.ProposedBy,
			&r.DecidedBy, &dec, &r.Decision, &r.Seed, &r.SpotCheckID, &created, &r.Version, &r.HeadName, &r.Amount)
		r.Region, r.DecidedAt, r.CreatedAt = region.Code(rc), fromMS(dec), fromMS(created)
		return r, err
	})
	return rows, total, err
}

// Replay returns the stored first reply of an idempotent request: ok is
// false when the key is unused; a key already used for another operation
// (path) is a conflict. The stored body is decoded into out.
func (db *DB) Replay(ctx context.Context, userID int64, key, path string, out any) (ok bool, err error) {
	if len(key) > 100 {
		return false, errs.Invalidf("Idempotency-Key", "幂等键过长（最多100个字符）")
	}
	prev, ok, err := db.IdempotentGet(ctx, userID, key)
	if err != nil || !ok {
		return false, err
	}
	if prev.Path != path {
		return false, errs.New(errs.Conflict, "Idempotency-Key", "该幂等键已用于另一项操作")
	}
	if err := json.Unmarshal([]byte(prev.Body), out); err != nil {
		return false, errs.Wrap(err, "读取幂等记录失败")
	}
	return true, nil
}

// Remember stores the first reply of an idempotent POST inside the
// transaction of the change it answers.
func (tx *Tx) Remember(ctx context.Context, key, path string, reply any) error {
	body, err := json.Marshal(reply)
	if err != nil {
		return errs.Wrap(err, "保存幂等记录失败")
	}
	return tx.IdempotentPut(ctx, key, IdempotentReply{Method: "POST", Path: path, Status: 200, Body: string(body)})
}
