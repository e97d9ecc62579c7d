package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"dibao/internal/region"
)

// Certification gating and assessment reports (issue 6 items 5–7): the
// attendance behind a daily-performance score, the certifications that
// expired, the results of a period for the appraisal export.

// PlanAttendance counts the sessions of a plan that started before
// before (the ones a person could have attended) and, per person, how many
// of them they attended.
func (db *DB) PlanAttendance(ctx context.Context, planID int64, before time.Time) (held int, attended map[int64]int, err error) {
	err = db.r.QueryRowContext(ctx, db.rebind("SELECT COUNT(*) FROM training_sessions WHERE plan_id = ? AND starts_at < ?"),
		planID, ms(before)).Scan(&held)
	if err != nil {
		return 0, nil, mapErr(err, "读取培训场次失败")
	}
	rows, err := db.r.QueryContext(ctx, db.rebind(`SELECT a.person_id, COUNT(*) FROM attendance a
		JOIN training_sessions s ON s.id = a.session_id WHERE s.plan_id = ? AND s.starts_at < ? GROUP BY a.person_id`),
		planID, ms(before))
	if err != nil {
		return 0, nil, mapErr(err, "读取签到记录失败")
	}
	defer rows.Close()
	attended = map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return 0, nil, mapErr(err, "读取签到记录失败")
		}
		attended[id] = n
	}
	return held, attended, mapErr(rows.Err(), "读取签到记录失败")
}

// EnrollmentCycle is the training cycle of a person's enrollment in a plan
// (1 + retraining rounds: failed make-ups and expired certifications); 0
// when not enrolled.
func (tx *Tx) EnrollmentCycle(ctx context.Context, personID, planID int64) (int, error) {
	return tx.enrollmentCycle(ctx, personID, planID, false)
}

// LockEnrollmentCycle is EnrollmentCycle in a writing transaction that
// also locks the enrollment on PostgreSQL, so that results recorded at once
// for the same person and plan queue up and each sees the one before (the
// make-up rule reads what it writes against).
func (tx *Tx) LockEnrollmentCycle(ctx context.Context, personID, planID int64) (int, error) {
	return tx.enrollmentCycle(ctx, personID, planID, true)
}

func (tx *Tx) enrollmentCycle(ctx context.Context, personID, planID int64, lock bool) (int, error) {
	var c int
	q := "SELECT cycle FROM enrollments WHERE person_id = ? AND plan_id = ?"
	if lock && tx.db.dialect == Postgres {
		q += " FOR UPDATE"
	}
	err := tx.queryRow(ctx, q, personID, planID).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return c, mapErr(err, "读取培训报名失败")
}

// ExpiredCertifications lists the certifications granted by a plan that
// are not revoked but whose last valid day is before day (YYYY-MM-DD): the
// expiry sweep's work list.
func (db *DB) ExpiredCertifications(ctx context.Context, day string) ([]Certification, error) {
	return collect(ctx, db, db.r, "读取岗位认证失败", "SELECT "+certCols+
		" FROM certifications WHERE revoked_at = 0 AND valid_until <> '' AND valid_until < ? AND plan_id IS NOT NULL ORDER BY id",
		[]any{day}, scanCert)
}

// CertificationByID re-reads a certification inside the transaction
// (the sweep checks it is still unrevoked before acting on it).
func (tx *Tx) CertificationByID(ctx context.Context, id int64) (Certification, error) {
	c, err := scanCert(tx.queryRow(ctx, "SELECT "+certCols+" FROM certifications WHERE id = ?", id))
	return c, mapErr(err, "读取岗位认证失败")
}

// ResultsIn lists the assessment results recorded in [from, to) of the
// people whose region lies within scope, by person, plan and order — the
// appraisal export of a period.
func (db *DB) ResultsIn(ctx context.Context, scope region.Scope, from, to time.Time) ([]AssessmentResult, error) {
	return collect(ctx, db, db.r, "读取考核成绩失败", `SELECT r.id, r.person_id, r.plan_id, r.kind, r.cycle, r.attempt,
		COALESCE(r.score, -1), r.passed, r.source, r.recorded_by, r.recorded_at FROM assessment_results r
		JOIN users u ON u.id = r.person_id WHERE u.region_code >= ? AND u.region_code < ?
		AND r.recorded_at >= ? AND r.recorded_at < ? ORDER BY r.person_id, r.plan_id, r.id`,
		[]any{string(scope.Lo), string(scope.Hi), ms(from), ms(to)}, scanResult)
}
