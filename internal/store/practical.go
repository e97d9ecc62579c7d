package store

import (
	"context"
	"database/sql"
	"dibao/internal/region"
	"errors"
	"time"

	"dibao/internal/errs"
)

// PracticalRun is one practical-assessment run (issue 6 item 4). The case
// it names lives in the sandbox store, never in this one.
type PracticalRun struct {
	ID                 int64
	Scenario           string
	UserID             int64
	Username           string
	Attempt            string // first, makeup
	SandboxCaseID      int64
	SandboxHouseholdID int64
	ClockDays          int   // working days the sandbox clock was moved forward
	ExpectedAmount     int64 // fen
	DeclaredAmount     int64 // fen; -1 none
	Status             string
	StartedAt          time.Time
	FinishedAt         time.Time
	AutoPoints         int
	RubricPoints       int
	Score              int
	Passed             bool
	ScoredBy           string
	ScoredAt           time.Time
	Version            int64
}

// PracticalScore is one scored item of a run.
type PracticalScore struct {
	Item     string
	Kind     string // auto, rubric
	Label    string
	Expected string
	Done     string
	Points   int
	Max      int
}

const practicalCols = `id, scenario, user_id, username, attempt, sandbox_case_id, sandbox_household_id, clock_days,
	expected_amount, declared_amount, status, started_at, finished_at, auto_points, rubric_points, score, passed,
	scored_by, scored_at, version`

func scanPractical(s scanner) (PracticalRun, error) {
	var r PracticalRun
	var started, finished, scored, passed int64
	err := s.Scan(&r.ID, &r.Scenario, &r.UserID, &r.Username, &r.Attempt, &r.SandboxCaseID, &r.SandboxHouseholdID,
		&r.ClockDays, &r.ExpectedAmount, &r.DeclaredAmount, &r.Status, &started, &finished, &r.AutoPoints,
		&r.RubricPoints, &r.Score, &passed, &r.ScoredBy, &scored, &r.Version)
	r.StartedAt, r.FinishedAt, r.ScoredAt, r.Passed = fromMS(started), fromMS(finished), fromMS(scored), passed != 0
	return r, err
}

func notFoundRun() error { return errs.New(errs.NotFound, "", "实操考核记录不存在") }

// CreatePracticalRun inserts a run.
func (tx *Tx) CreatePracticalRun(ctx context.Context, r *PracticalRun) error {
	id, err := tx.insertID(ctx, `INSERT INTO practical_runs (scenario, user_id, username, attempt, sandbox_case_id,
		sandbox_household_id, expected_amount, status, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Scenario, r.UserID, r.Username, r.Attempt, r.SandboxCaseID, r.SandboxHouseholdID, r.ExpectedAmount,
		r.Status, ms(r.StartedAt))
	if err != nil {
		return mapErr(err, "保存实操考核记录失败")
	}
	r.ID, r.Version = id, 1
	return nil
}

// PracticalRunForUpdate reads a run inside a write transaction.
func (tx *Tx) PracticalRunForUpdate(ctx context.Context, id int64) (PracticalRun, error) {
	q := "SELECT " + practicalCols + " FROM practical_runs WHERE id = ?"
	if tx.db.dialect == Postgres {
		q += " FOR UPDATE"
	}
	r, err := scanPractical(tx.queryRow(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFoundRun()
	}
	return r, mapErr(err, "读取实操考核记录失败")
}

// SavePracticalRun writes a run's mutable fields if version is current.
func (tx *Tx) SavePracticalRun(ctx context.Context, r *PracticalRun, version int64) error {
	res, err := tx.exec(ctx, `UPDATE practical_runs SET clock_days = ?, declared_amount = ?, status = ?, finished_at = ?,
		auto_points = ?, rubric_points = ?, score = ?, passed = ?, scored_by = ?, scored_at = ?, version = version + 1
		WHERE id = ? AND version = ?`,
		r.ClockDays, r.DeclaredAmount, r.Status, ms(r.FinishedAt), r.AutoPoints, r.RubricPoints, r.Score,
		boolInt(r.Passed), r.ScoredBy, ms(r.ScoredAt), r.ID, version)
	if err != nil {
		return mapErr(err, "保存实操考核记录失败")
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.New(errs.Conflict, "version", "该实操考核记录已被他人更新，请刷新后再操作")
	}
	r.Version = version + 1
	return nil
}

// PutPracticalScores replaces the items of one kind of a run.
func (tx *Tx) PutPracticalScores(ctx context.Context, runID int64, kind string, items []PracticalScore) error {
	if _, err := tx.exec(ctx, "DELETE FROM practical_scores WHERE run_id = ? AND kind = ?", runID, kind); err != nil {
		return mapErr(err, "保存评分失败")
	}
	for _, it := range items {
		if _, err := tx.exec(ctx, `INSERT INTO practical_scores (run_id, item, kind, label, expected, done, points, max_points)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, runID, it.Item, kind, it.Label, it.Expected, it.Done, it.Points, it.Max); err != nil {
			return mapErr(err, "保存评分失败")
		}
	}
	return nil
}

// practicalScope limits runs to trainees within a scope: the trainee's own
// run always lies in the trainee's scope, an examiner sees the trainees of
// their region only.
const practicalScope = " AND user_id IN (SELECT u.id FROM users u WHERE u.region_code >= ? AND u.region_code < ?)"

// PracticalRun reads one run of a trainee within scope.
func (db *DB) PracticalRun(ctx context.Context, scope region.Scope, id int64) (PracticalRun, error) {
	r, err := scanPractical(db.queryRow(ctx, "SELECT "+practicalCols+" FROM practical_runs WHERE id = ?"+practicalScope,
		id, string(scope.Lo), string(scope.Hi)))
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFoundRun()
	}
	return r, mapErr(err, "读取实操考核记录失败")
}

// PracticalRunByCase finds the run that owns a sandbox case, among the
// runs of trainees within scope.
func (db *DB) PracticalRunByCase(ctx context.Context, scope region.Scope, sandboxCaseID int64) (PracticalRun, error) {
	r, err := scanPractical(db.queryRow(ctx, "SELECT "+practicalCols+" FROM practical_runs WHERE sandbox_case_id = ?"+practicalScope+" ORDER BY id DESC LIMIT 1",
		sandboxCaseID, string(scope.Lo), string(scope.Hi)))
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFoundRun()
	}
	return r, mapErr(err, "读取实操考核记录失败")
}

// PracticalRuns lists the runs of trainees within scope, newest first:
// one user's (userID > 0) or all.
func (db *DB) PracticalRuns(ctx context.Context, scope region.Scope, userID int64, limit int) ([]PracticalRun, error) {
	q := "SELECT " + practicalCols + " FROM practical_runs WHERE 1 = 1" + practicalScope
	args := []any{string(scope.Lo), string(scope.Hi)}
	if userID > 0 {
		q += " AND user_id = ?"
		args = append(args, userID)
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit)
	return collect(ctx, db, db.r, "读取实操考核记录失败", q, args, scanPractical)
}

// PracticalScores lists a run's scored items, automatic first.
func (db *DB) PracticalScores(ctx context.Context, runID int64) ([]PracticalScore, error) {
	return collect(ctx, db, db.r, "读取评分失败", `SELECT item, kind, label, expected, done, points, max_points
		FROM practical_scores WHERE run_id = ? ORDER BY kind, item`, []any{runID}, func(s scanner) (PracticalScore, error) {
		var x PracticalScore
		err := s.Scan(&x.Item, &x.Kind, &x.Label, &x.Expected, &x.Done, &x.Points, &x.Max)
		return x, err
	})
}
