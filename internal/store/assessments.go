package store

import (
	"context"

	"time"

	"dibao/internal/errs"
)

// AssessmentResult is one recorded assessment result (assess.Result with
// who, what and where it came from).
type AssessmentResult struct {
	ID         int64
	PersonID   int64
	PlanID     int64
	Kind       string // assess.Kind
	Cycle      int
	Attempt    string // assess.Attempt
	Score      int    // -1 for a make-up (pass/fail only)
	Passed     bool
	Source     string // exam_attempt:12, practical_run:3, trainer …
	RecordedBy string
	RecordedAt time.Time
}

const resultCols = `id, person_id, plan_id, kind, cycle, attempt, COALESCE(score, -1), passed, source, recorded_by, recorded_at`

func scanResult(s scanner) (AssessmentResult, error) {
	var r AssessmentResult
	var passed int
	var at int64
	err := s.Scan(&r.ID, &r.PersonID, &r.PlanID, &r.Kind, &r.Cycle, &r.Attempt, &r.Score, &passed, &r.Source,
		&r.RecordedBy, &at)
	r.Passed, r.RecordedAt = passed == 1, fromMS(at)
	return r, err
}

// MsgResultExists refuses a second result for the same attempt: the make-up
// rule admits one first attempt and one make-up per kind and cycle.
const MsgResultExists = "该次考核成绩已经登记，不能重复登记（每项考核只能补考一次）"

// InsertAssessmentResult records r; the unique key refuses a second result
// for the same person, plan, kind, cycle and attempt with MsgResultExists.
func (tx *Tx) InsertAssessmentResult(ctx context.Context, r *AssessmentResult) error {
	r.RecordedAt = tx.db.now()
	if r.RecordedBy == "" {
		r.RecordedBy = tx.p.Username
	}
	var score any
	if r.Score >= 0 {
		score = r.Score
	}
	var err error
	r.ID, err = tx.insertID(ctx, `INSERT INTO assessment_results (person_id, plan_id, kind, cycle, attempt, score, passed,
		source, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.PersonID, r.PlanID, r.Kind, r.Cycle,
		r.Attempt, score, boolInt(r.Passed), r.Source, r.RecordedBy, ms(r.RecordedAt))
	if isUnique(err, "assessment_results") {
		return errs.New(errs.Conflict, "", MsgResultExists)
	}
	return mapErr(err, "保存考核成绩失败")
}

// AssessmentResults returns a person's results in a plan in the order
// recorded; inside a transaction so that the make-up rule sees what it
// writes against.
func (tx *Tx) AssessmentResults(ctx context.Context, personID, planID int64) ([]AssessmentResult, error) {
	return collect(ctx, tx.db, tx.tx, "读取考核成绩失败", "SELECT "+resultCols+
		" FROM assessment_results WHERE person_id = ? AND plan_id = ? ORDER BY id", []any{personID, planID}, scanResult)
}

// PlanResults returns every result of a plan, by person then order.
func (db *DB) PlanResults(ctx context.Context, planID int64) ([]AssessmentResult, error) {
	return collect(ctx, db, db.r, "读取考核成绩失败", "SELECT "+resultCols+
		" FROM assessment_results WHERE plan_id = ? ORDER BY person_id, id", []any{planID}, scanResult)
}

// PersonResults returns every result of a person, newest first.
func (db *DB) PersonResults(ctx context.Context, personID int64) ([]AssessmentResult, error) {
	return collect(ctx, db, db.r, "读取考核成绩失败", "SELECT "+resultCols+
		" FROM assessment_results WHERE person_id = ? ORDER BY id DESC", []any{personID}, scanResult)
}

// Certification is a post certification a person holds or held.
type Certification struct {
	ID           int64
	PersonID     int64
	Name         string // workflow.Certifications key, or case_work
	PlanID       int64  // 0 = granted otherwise (recorded in the audit)
	GrantedAt    time.Time
	ValidUntil   string // YYYY-MM-DD, last valid day; "" = no expiry
	RevokedAt    time.Time
	RevokeReason string
}

// ValidOn reports whether the certification is in force on day (YYYY-MM-DD).
func (c Certification) ValidOn(day string) bool {
	return c.RevokedAt.IsZero() && (c.ValidUntil == "" || day <= c.ValidUntil)
}

const certCols = `id, person_id, name, COALESCE(plan_id, 0), granted_at, valid_until, revoked_at, revoke_reason`

func scanCert(s scanner) (Certification, error) {
	var c Certification
	var granted, revoked int64
	err := s.Scan(&c.ID, &c.PersonID, &c.Name, &c.PlanID, &granted, &c.ValidUntil, &revoked, &c.RevokeReason)
	c.GrantedAt = fromMS(granted)
	if revoked != 0 {
		c.RevokedAt = fromMS(revoked)
	}
	return c, err
}

// GrantCertification records a new certification.
func (tx *Tx) GrantCertification(ctx context.Context, c *Certification) error {
	c.GrantedAt = tx.db.now()
	var err error
	c.ID, err = tx.insertID(ctx, `INSERT INTO certifications (person_id, name, plan_id, granted_at, valid_until)
		VALUES (?, ?, ?, ?, ?)`, c.PersonID, c.Name, nullID(c.PlanID), ms(c.GrantedAt), c.ValidUntil)
	return mapErr(err, "保存岗位认证失败")
}

// RevokeCertification revokes a certification that is not yet revoked;
// it reports whether it did.
func (tx *Tx) RevokeCertification(ctx context.Context, id int64, reason string) (bool, error) {
	res, err := tx.exec(ctx, "UPDATE certifications SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at = 0",
		ms(tx.db.now()), reason, id)
	if err != nil {
		return false, mapErr(err, "撤销岗位认证失败")
	}
	n, err := res.RowsAffected()
	return n == 1, mapErr(err, "撤销岗位认证失败")
}

// PersonCertifications returns every certification of a person, newest
// first, inside a transaction.
func (tx *Tx) PersonCertifications(ctx context.Context, personID int64) ([]Certification, error) {
	return collect(ctx, tx.db, tx.tx, "读取岗位认证失败", "SELECT "+certCols+
		" FROM certifications WHERE person_id = ? ORDER BY id DESC", []any{personID}, scanCert)
}

// Certifications returns every certification of a person, newest first.
func (db *DB) Certifications(ctx context.Context, personID int64) ([]Certification, error) {
	return collect(ctx, db, db.r, "读取岗位认证失败", "SELECT "+certCols+
		" FROM certifications WHERE person_id = ? ORDER BY id DESC", []any{personID}, scanCert)
}

// CertifiedNames returns the names of the certifications a person holds on
// day (YYYY-MM-DD): granted, not revoked, not expired.
func (db *DB) CertifiedNames(ctx context.Context, personID int64, day string) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, db.rebind(`SELECT DISTINCT name FROM certifications
		WHERE person_id = ? AND revoked_at = 0 AND (valid_until = '' OR valid_until >= ?) ORDER BY name`), personID, day)
	if err != nil {
		return nil, mapErr(err, "读取岗位认证失败")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, mapErr(err, "读取岗位认证失败")
		}
		out = append(out, n)
	}
	return out, mapErr(rows.Err(), "读取岗位认证失败")
}

// SetEnrollmentCycle moves a person's enrollment in a plan to a new
// training cycle (retraining after a failed make-up): open again with no
// minutes credited — the plan's hours are owed again — due on due, with the
// reason.
func (tx *Tx) SetEnrollmentCycle(ctx context.Context, personID, planID int64, cycle int, due, reason string) error {
	res, err := tx.exec(ctx, `UPDATE enrollments SET cycle = ?, status = 'open', due = ?, reason = ?, completed_at = 0,
		minutes_credited = 0, updated_at = ? WHERE person_id = ? AND plan_id = ?`, cycle, due, reason, ms(tx.db.now()), personID, planID)
	if err != nil {
		return mapErr(err, "更新培训安排失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.NotFound, "", "该人员未参加此培训计划")
	}
	return nil
}
