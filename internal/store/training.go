package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"dibao/internal/errs"
	"dibao/internal/region"
)

// TrainingPlan is a stored training plan. The rule fields stay in their
// stored form (audience JSON, comma list of categories); package training
// turns them into an enroll.Plan.
type TrainingPlan struct {
	ID              int64
	Kind            string
	Title           string
	Region          region.Code // the audience never reaches beyond this region
	PeriodStart     string      // YYYY-MM-DD
	PeriodEnd       string      // YYYY-MM-DD, inclusive
	Audience        string      // JSON of the audience rule
	RequiredMinutes int
	Categories      string // comma list
	SpecialStart    string // YYYY-MM-DD, special plans only
	Assessments     string // comma list of assess.Kind the plan requires ("" = none)
	Certifies       string // comma list of certification names passing the plan grants
	ValidityMonths  int    // how long those certifications last; 0 = no expiry
	CreatedBy       int64
	CreatedAt       time.Time
}

const planCols = `id, kind, title, region_code, period_start, period_end, audience, required_minutes, categories,
	special_start, assessments, certifies, validity_months, created_by, created_at`

func scanPlan(s scanner) (TrainingPlan, error) {
	var p TrainingPlan
	var rc string
	var by sql.NullInt64
	var created int64
	err := s.Scan(&p.ID, &p.Kind, &p.Title, &rc, &p.PeriodStart, &p.PeriodEnd, &p.Audience, &p.RequiredMinutes,
		&p.Categories, &p.SpecialStart, &p.Assessments, &p.Certifies, &p.ValidityMonths, &by, &created)
	p.Region, p.CreatedBy, p.CreatedAt = region.Code(rc), by.Int64, fromMS(created)
	return p, err
}

func notFoundPlan() error { return errs.New(errs.NotFound, "", "培训计划不存在") }

// CreateTrainingPlan inserts a plan; the caller has validated it.
func (tx *Tx) CreateTrainingPlan(ctx context.Context, p *TrainingPlan) error {
	now := tx.db.now()
	var err error
	p.ID, err = tx.insertID(ctx, `INSERT INTO training_plans (kind, title, region_code, period_start, period_end, audience,
		required_minutes, categories, special_start, assessments, certifies, validity_months, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.Kind, p.Title, string(p.Region), p.PeriodStart, p.PeriodEnd, p.Audience, p.RequiredMinutes, p.Categories,
		p.SpecialStart, p.Assessments, p.Certifies, p.ValidityMonths, nullID(tx.p.UserID), ms(now))
	if err != nil {
		return mapErr(err, "保存培训计划失败")
	}
	p.CreatedBy, p.CreatedAt = tx.p.UserID, now
	return nil
}

// TrainingPlan reads one plan inside the transaction.
func (tx *Tx) TrainingPlan(ctx context.Context, id int64) (TrainingPlan, error) {
	p, err := scanPlan(tx.queryRow(ctx, "SELECT "+planCols+" FROM training_plans WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, notFoundPlan()
	}
	return p, mapErr(err, "读取培训计划失败")
}

// PlanVisibility is the SQL condition (and its arguments) of the training
// plans a caller at r may address: the plans of r's scope and those of the
// regions above r (a county's plan trains everyone in the county). A
// sibling's or another county's plan is not there for the caller; an empty
// r (a batch principal) sees none.
func PlanVisibility(col string, r region.Code) (string, []any) {
	sc := region.ScopeOf(r)
	return "((" + col + " >= ? AND " + col + " < ?) OR " + col + " = ? OR " + col + " = ?)",
		[]any{string(sc.Lo), string(sc.Hi), string(r.County()), string(r.Township())}
}

// TrainingPlanFor reads a plan the caller at r may address (PlanVisibility);
// any other plan is not found.
func (db *DB) TrainingPlanFor(ctx context.Context, r region.Code, id int64) (TrainingPlan, error) {
	cond, args := PlanVisibility("region_code", r)
	p, err := scanPlan(db.queryRow(ctx, "SELECT "+planCols+" FROM training_plans WHERE id = ? AND "+cond, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return p, notFoundPlan()
	}
	return p, mapErr(err, "读取培训计划失败")
}

// TrainingPlan reads one plan.
func (db *DB) TrainingPlan(ctx context.Context, id int64) (TrainingPlan, error) {
	p, err := scanPlan(db.queryRow(ctx, "SELECT "+planCols+" FROM training_plans WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, notFoundPlan()
	}
	return p, mapErr(err, "读取培训计划失败")
}

// TrainingPlans lists every plan inside the transaction, oldest first: the
// enrollment rules need all of them, whoever runs them.
func (tx *Tx) TrainingPlans(ctx context.Context) ([]TrainingPlan, error) {
	return collect(ctx, tx.db, tx.tx, "读取培训计划失败", "SELECT "+planCols+" FROM training_plans ORDER BY id", nil, scanPlan)
}

// TrainingStaff lists every account, active or not, for the enrollment
// rules (which skip inactive staff themselves and keep their history).
func (tx *Tx) TrainingStaff(ctx context.Context) ([]User, error) {
	return collect(ctx, tx.db, tx.tx, "读取人员失败", "SELECT "+userCols+" FROM users ORDER BY id", nil, scanUser)
}

// SetStaffProfile sets an account's posts (comma list, as people.ParsePosts
// returns it) and hire date (YYYY-MM-DD or ""), the two facts the
// enrollment rules read; the caller re-runs the rules afterwards.
func (tx *Tx) SetStaffProfile(ctx context.Context, userID int64, posts, hireDate string) error {
	res, err := tx.exec(ctx, `UPDATE users SET posts = ?, hire_date = ?, version = version + 1, updated_at = ? WHERE id = ?`,
		posts, hireDate, ms(tx.db.now()), userID)
	if err != nil {
		return mapErr(err, "保存岗位和入职日期失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.NotFound, "", "账号不存在")
	}
	return nil
}

// Enrollment statuses.
const (
	EnrollOpen    = "open"
	EnrollDone    = "done"
	EnrollDropped = "dropped"
)

// Enrollment is one person's item in one plan, with the plan facts that
// every list of enrollments shows.
type Enrollment struct {
	ID              int64
	PersonID        int64
	PlanID          int64
	Due             string // YYYY-MM-DD, inclusive
	Reason          string
	Status          string // EnrollOpen, EnrollDone, EnrollDropped
	MinutesCredited int
	CompletedAt     time.Time
	// Attended reports whether the person has any attendance in a session
	// of the plan: a record behind the item, even if not yet done.
	Attended bool
	// Cycle is the training cycle (1 + retraining rounds after a failed
	// make-up or an expired certification).
	Cycle int
	// Joined from the plan.
	PlanKind        string
	PlanTitle       string
	PlanCategories  string
	PlanRequired    int
	PlanPeriodStart string
	PlanPeriodEnd   string
	// Joined from the person.
	PersonRegion region.Code
}

const enrollmentSelect = `SELECT e.id, e.person_id, e.plan_id, e.due, e.reason, e.status, e.minutes_credited, e.completed_at,
	EXISTS (SELECT 1 FROM attendance a JOIN training_sessions s ON s.id = a.session_id
		WHERE s.plan_id = e.plan_id AND a.person_id = e.person_id), e.cycle,
	p.kind, p.title, p.categories, p.required_minutes, p.period_start, p.period_end, u.region_code
	FROM enrollments e JOIN training_plans p ON p.id = e.plan_id JOIN users u ON u.id = e.person_id`

func scanEnrollment(s scanner) (Enrollment, error) {
	var e Enrollment
	var completed int64
	var rc string
	err := s.Scan(&e.ID, &e.PersonID, &e.PlanID, &e.Due, &e.Reason, &e.Status, &e.MinutesCredited, &completed,
		&e.Attended, &e.Cycle, &e.PlanKind, &e.PlanTitle, &e.PlanCategories, &e.PlanRequired, &e.PlanPeriodStart,
		&e.PlanPeriodEnd, &rc)
	e.CompletedAt, e.PersonRegion = fromMS(completed), region.Code(rc)
	return e, err
}

// AllEnrollments lists every enrollment, dropped ones included, for the
// enrollment rules.
func (tx *Tx) AllEnrollments(ctx context.Context) ([]Enrollment, error) {
	return collect(ctx, tx.db, tx.tx, "读取培训报名失败", enrollmentSelect+" ORDER BY e.person_id, e.plan_id", nil, scanEnrollment)
}

// EnrollmentFor reads the enrollment of a person in a plan inside the
// transaction; NotFound if there is none.
func (tx *Tx) EnrollmentFor(ctx context.Context, personID, planID int64) (Enrollment, error) {
	e, err := scanEnrollment(tx.queryRow(ctx, enrollmentSelect+" WHERE e.person_id = ? AND e.plan_id = ?", personID, planID))
	if errors.Is(err, sql.ErrNoRows) {
		return e, errs.New(errs.NotFound, "", "未参加该培训计划")
	}
	return e, mapErr(err, "读取培训报名失败")
}

// PersonEnrollments lists one person's enrollments that are not dropped,
// earliest due first.
func (db *DB) PersonEnrollments(ctx context.Context, personID int64) ([]Enrollment, error) {
	return collect(ctx, db, db.r, "读取培训报名失败", enrollmentSelect+
		" WHERE e.person_id = ? AND e.status <> 'dropped' ORDER BY e.due, e.id", []any{personID}, scanEnrollment)
}

// EnrollmentsIn lists the enrollments, dropped ones excluded, of the
// people whose region lies within scope.
func (db *DB) EnrollmentsIn(ctx context.Context, scope region.Scope) ([]Enrollment, error) {
	return collect(ctx, db, db.r, "读取培训报名失败", enrollmentSelect+
		" WHERE u.region_code >= ? AND u.region_code < ? AND e.status <> 'dropped' ORDER BY e.person_id, e.plan_id",
		[]any{string(scope.Lo), string(scope.Hi)}, scanEnrollment)
}

// InsertEnrollment adds an open enrollment.
func (tx *Tx) InsertEnrollment(ctx context.Context, e *Enrollment) error {
	now := ms(tx.db.now())
	var err error
	e.ID, err = tx.insertID(ctx, `INSERT INTO enrollments (person_id, plan_id, due, reason, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'open', ?, ?)`, e.PersonID, e.PlanID, e.Due, e.Reason, now, now)
	if isUnique(err, "") {
		return errs.New(errs.Conflict, "", "该人员已参加此培训计划")
	}
	e.Status = EnrollOpen
	return mapErr(err, "保存培训报名失败")
}

// UpdateEnrollment rewrites the due date, reason and status of an
// enrollment (a moved hire date, a reopened or dropped item).
func (tx *Tx) UpdateEnrollment(ctx context.Context, id int64, due, reason, status string) error {
	_, err := tx.exec(ctx, "UPDATE enrollments SET due = ?, reason = ?, status = ?, updated_at = ? WHERE id = ?",
		due, reason, status, ms(tx.db.now()), id)
	return mapErr(err, "保存培训报名失败")
}

// CreditEnrollment adds minutes to an enrollment and marks it done, at
// now, once the credited minutes reach required. It reports whether this
// credit completed it.
func (tx *Tx) CreditEnrollment(ctx context.Context, id int64, minutes, required int) (completed bool, err error) {
	now := ms(tx.db.now())
	var status string
	err = tx.queryRow(ctx, `UPDATE enrollments SET minutes_credited = minutes_credited + ?,
		status = CASE WHEN status = 'open' AND minutes_credited + ? >= ? THEN 'done' ELSE status END,
		completed_at = CASE WHEN status = 'open' AND minutes_credited + ? >= ? THEN ? ELSE completed_at END,
		updated_at = ? WHERE id = ? RETURNING status`,
		minutes, minutes, required, minutes, required, now, now, id).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return false, errs.New(errs.NotFound, "", "未参加该培训计划")
	}
	if err != nil {
		return false, mapErr(err, "记录培训学时失败")
	}
	return status == EnrollDone, nil
}

// TrainingSession is a scheduled classroom session, practice or seminar.
type TrainingSession struct {
	ID            int64
	PlanID        int64
	Kind          string // classroom, practice, seminar
	Title         string
	StartsAt      time.Time
	EndsAt        time.Time
	Place         string
	TrainerUserID int64 // 0 when an invited expert runs it
	ExpertName    string
	Secret        []byte // check-in key; never shown
	Minutes       int    // credited to each attendee
	CreatedBy     int64
	CreatedAt     time.Time
}

const sessionCols = `id, plan_id, kind, title, starts_at, ends_at, place, trainer_user_id, expert_name, checkin_secret,
	minutes, created_by, created_at`

func scanSession(s scanner) (TrainingSession, error) {
	var t TrainingSession
	var starts, ends, created int64
	var trainer, by sql.NullInt64
	var secret string
	err := s.Scan(&t.ID, &t.PlanID, &t.Kind, &t.Title, &starts, &ends, &t.Place, &trainer, &t.ExpertName, &secret,
		&t.Minutes, &by, &created)
	t.StartsAt, t.EndsAt, t.CreatedAt = fromMS(starts), fromMS(ends), fromMS(created)
	t.TrainerUserID, t.CreatedBy = trainer.Int64, by.Int64
	if err == nil {
		t.Secret, err = hex.DecodeString(secret)
	}
	return t, err
}

func notFoundSession() error { return errs.New(errs.NotFound, "", "培训场次不存在") }

// CreateTrainingSession inserts a session.
func (tx *Tx) CreateTrainingSession(ctx context.Context, t *TrainingSession) error {
	now := tx.db.now()
	var err error
	t.ID, err = tx.insertID(ctx, `INSERT INTO training_sessions (plan_id, kind, title, starts_at, ends_at, place,
		trainer_user_id, expert_name, checkin_secret, minutes, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.PlanID, t.Kind, t.Title, ms(t.StartsAt), ms(t.EndsAt), t.Place, nullID(t.TrainerUserID), t.ExpertName,
		hex.EncodeToString(t.Secret), t.Minutes, nullID(tx.p.UserID), ms(now))
	if err != nil {
		return mapErr(err, "保存培训场次失败")
	}
	t.CreatedBy, t.CreatedAt = tx.p.UserID, now
	return nil
}

// TrainingSession reads a session inside the transaction, locking it on
// PostgreSQL so that check-ins to one session queue up.
func (tx *Tx) TrainingSession(ctx context.Context, id int64) (TrainingSession, error) {
	q := "SELECT " + sessionCols + " FROM training_sessions WHERE id = ?"
	if tx.db.dialect == Postgres {
		q += " FOR UPDATE"
	}
	t, err := scanSession(tx.queryRow(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, notFoundSession()
	}
	return t, mapErr(err, "读取培训场次失败")
}

// TrainingSessionFor reads a session of a plan the caller at r may address
// (PlanVisibility); another county's or a sibling's session is not found.
func (db *DB) TrainingSessionFor(ctx context.Context, r region.Code, id int64) (TrainingSession, error) {
	cond, args := PlanVisibility("region_code", r)
	t, err := scanSession(db.queryRow(ctx, "SELECT "+sessionCols+" FROM training_sessions WHERE id = ? AND plan_id IN (SELECT id FROM training_plans WHERE "+cond+")",
		append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return t, notFoundSession()
	}
	return t, mapErr(err, "读取培训场次失败")
}

// TrainingSession reads a session.
func (db *DB) TrainingSession(ctx context.Context, id int64) (TrainingSession, error) {
	t, err := scanSession(db.queryRow(ctx, "SELECT "+sessionCols+" FROM training_sessions WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, notFoundSession()
	}
	return t, mapErr(err, "读取培训场次失败")
}

// Attendance is one person's presence at one session.
type Attendance struct {
	SessionID   int64
	PersonID    int64
	CheckedInAt time.Time
	Method      string // "code" or "manual"
	Minutes     int
	RecordedBy  int64  // the trainer, for a manual check-in
	Reason      string // why a manual check-in was needed
}

// InsertAttendance records a check-in; a second one for the same person
// and session is a Conflict.
func (tx *Tx) InsertAttendance(ctx context.Context, a Attendance) error {
	_, err := tx.exec(ctx, `INSERT INTO attendance (session_id, person_id, checked_in_at, method, minutes, recorded_by, reason)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, a.SessionID, a.PersonID, ms(a.CheckedInAt), a.Method, a.Minutes,
		nullID(a.RecordedBy), a.Reason)
	if isUnique(err, "") {
		return errs.New(errs.Conflict, "", "已签到，无需重复签到")
	}
	return mapErr(err, "保存签到记录失败")
}

// Attended reports whether the person checked in to the session.
func (tx *Tx) Attended(ctx context.Context, sessionID, personID int64) (bool, error) {
	var n int
	err := tx.queryRow(ctx, "SELECT COUNT(*) FROM attendance WHERE session_id = ? AND person_id = ?", sessionID, personID).Scan(&n)
	return n > 0, mapErr(err, "读取签到记录失败")
}

// AttendedMinutes is one attendance with the session and plan it counts for.
type AttendedMinutes struct {
	SessionID  int64
	PlanID     int64
	StartsAt   time.Time // the session's start: when the training happened
	Minutes    int
	Categories string // the plan's comma list
}

// PersonAttendance lists a person's attendance at sessions that started
// within [from, to). The session's start counts, not the check-in time, so
// that a manual check-in recorded the next day lands in the right quarter.
func (db *DB) PersonAttendance(ctx context.Context, personID int64, from, to time.Time) ([]AttendedMinutes, error) {
	return collect(ctx, db, db.r, "读取签到记录失败", `SELECT a.session_id, s.plan_id, s.starts_at, a.minutes, p.categories
		FROM attendance a JOIN training_sessions s ON s.id = a.session_id JOIN training_plans p ON p.id = s.plan_id
		WHERE a.person_id = ? AND s.starts_at >= ? AND s.starts_at < ? ORDER BY s.starts_at, a.session_id`,
		[]any{personID, ms(from), ms(to)}, func(s scanner) (AttendedMinutes, error) {
			var a AttendedMinutes
			var at int64
			err := s.Scan(&a.SessionID, &a.PlanID, &at, &a.Minutes, &a.Categories)
			a.StartsAt = fromMS(at)
			return a, err
		})
}

// CheckinFailures returns the times of the wrong check-in codes stored for
// a person and session, oldest first.
func (tx *Tx) CheckinFailures(ctx context.Context, sessionID, personID int64) ([]time.Time, error) {
	var s string
	err := tx.queryRow(ctx, "SELECT failures FROM checkin_attempts WHERE session_id = ? AND person_id = ?",
		sessionID, personID).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, mapErr(err, "读取签到记录失败")
	}
	var out []time.Time
	for _, f := range strings.Split(s, ",") {
		if v, err := strconv.ParseInt(f, 10, 64); err == nil {
			out = append(out, time.UnixMilli(v))
		}
	}
	return out, nil
}

// SetCheckinFailures replaces the stored wrong-code times of a person and
// session; an empty list clears them.
func (tx *Tx) SetCheckinFailures(ctx context.Context, sessionID, personID int64, failures []time.Time) error {
	parts := make([]string, len(failures))
	for i, t := range failures {
		parts[i] = itoa(ms(t))
	}
	_, err := tx.exec(ctx, `INSERT INTO checkin_attempts (session_id, person_id, failures) VALUES (?, ?, ?)
		ON CONFLICT (session_id, person_id) DO UPDATE SET failures = excluded.failures`,
		sessionID, personID, strings.Join(parts, ","))
	return mapErr(err, "保存签到记录失败")
}

// Feedback is one trainee's rating of one session.
type Feedback struct {
	SessionID int64
	PersonID  int64
	Content   int // 1–5
	Method    int // 1–5
	Trainer   int // 1–5
	Comment   string
	CreatedAt time.Time
}

// InsertFeedback stores a rating; a second one by the same person for the
// same session is a Conflict.
func (tx *Tx) InsertFeedback(ctx context.Context, f Feedback) error {
	_, err := tx.exec(ctx, `INSERT INTO feedback (session_id, person_id, content, method, trainer, comment, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, f.SessionID, f.PersonID, f.Content, f.Method, f.Trainer, f.Comment, ms(tx.db.now()))
	if isUnique(err, "") {
		return errs.New(errs.Conflict, "", "您已评价过本次培训，每次培训只能评价一次")
	}
	return mapErr(err, "保存培训评价失败")
}

// FeedbackFilter selects feedback by session or by trainer; zero fields
// do not filter.
type FeedbackFilter struct {
	SessionID     int64
	TrainerUserID int64
}

// FeedbackList lists the feedback matching f, oldest first.
func (db *DB) FeedbackList(ctx context.Context, f FeedbackFilter) ([]Feedback, error) {
	q := `SELECT f.session_id, f.person_id, f.content, f.method, f.trainer, f.comment, f.created_at
		FROM feedback f JOIN training_sessions s ON s.id = f.session_id WHERE 1 = 1`
	var args []any
	if f.SessionID != 0 {
		q += " AND f.session_id = ?"
		args = append(args, f.SessionID)
	}
	if f.TrainerUserID != 0 {
		q += " AND s.trainer_user_id = ?"
		args = append(args, f.TrainerUserID)
	}
	return collect(ctx, db, db.r, "读取培训评价失败", q+" ORDER BY f.created_at, f.session_id, f.person_id", args,
		func(s scanner) (Feedback, error) {
			var x Feedback
			var at int64
			err := s.Scan(&x.SessionID, &x.PersonID, &x.Content, &x.Method, &x.Trainer, &x.Comment, &at)
			x.CreatedAt = fromMS(at)
			return x, err
		})
}

// StaffIn lists the active accounts whose region lies within scope.
func (db *DB) StaffIn(ctx context.Context, scope region.Scope) ([]User, error) {
	return collect(ctx, db, db.r, "读取人员失败", "SELECT "+userCols+
		" FROM users WHERE active = 1 AND region_code >= ? AND region_code < ? ORDER BY region_code, id",
		[]any{string(scope.Lo), string(scope.Hi)}, scanUser)
}
