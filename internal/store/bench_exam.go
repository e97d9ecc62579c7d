package store

import (
	"context"
	"time"
)

// The raw baseline of `dibao bench exam-day`: the rows an exam day writes
// (an attempt, its answer log, its submit) as plain SQL, each in its own
// transaction like the application's, without session, checks, grading
// or audit.

// RawStartAttempt inserts an open attempt with a prepared items snapshot
// and returns its id.
func (db *DB) RawStartAttempt(ctx context.Context, examID, personID int64, items string, now, deadline time.Time, passMark int) (int64, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var id int64
	if err := tx.QueryRowContext(ctx, db.rebind(`INSERT INTO exam_attempts (exam_id, person_id, kind, status, seed, items,
		started_at, deadline, pass_mark) VALUES (?, ?, 'first', 'open', 1, ?, ?, ?, ?) RETURNING id`),
		examID, personID, items, ms(now), ms(deadline), passMark).Scan(&id); err != nil {
		return 0, err
	}
	return id, tx.Commit()
}

// RawSaveAnswer appends one answer record.
func (db *DB) RawSaveAnswer(ctx context.Context, attemptID int64, n int, answer string, now time.Time) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO attempt_answers (attempt_id, question, answer, saved_at)
		VALUES (?, ?, ?, ?)`), attemptID, n, answer, ms(now)); err != nil {
		return err
	}
	return tx.Commit()
}

// RawSubmitAttempt closes an attempt with a given score.
func (db *DB) RawSubmitAttempt(ctx context.Context, attemptID int64, score int, passed bool, now time.Time) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE exam_attempts SET status = 'submitted', submitted_at = ?, score = ?,
		passed = ? WHERE id = ? AND status = 'open'`), ms(now), score, boolInt(passed), attemptID); err != nil {
		return err
	}
	return tx.Commit()
}
