package store

import "context"

// Small id lookups the training pages need; the records themselves are
// loaded through the ordinary readers.

func (db *DB) ids(ctx context.Context, msg, q string, args ...any) ([]int64, error) {
	return collect(ctx, db, db.r, msg, q, args, func(r scanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
}

// TrainerSessionIDs lists the sessions a trainer runs (all of them when
// all is set), newest first.
func (db *DB) TrainerSessionIDs(ctx context.Context, trainerID int64, all bool) ([]int64, error) {
	if all {
		return db.ids(ctx, "读取培训场次失败", "SELECT id FROM training_sessions ORDER BY starts_at DESC, id DESC")
	}
	return db.ids(ctx, "读取培训场次失败",
		"SELECT id FROM training_sessions WHERE trainer_user_id = ? ORDER BY starts_at DESC, id DESC", trainerID)
}

// EnrolledSessionIDs lists the sessions of the plans a person is enrolled
// in (dropped items left out), newest first.
func (db *DB) EnrolledSessionIDs(ctx context.Context, personID int64) ([]int64, error) {
	return db.ids(ctx, "读取培训场次失败", `SELECT s.id FROM training_sessions s
		JOIN enrollments e ON e.plan_id = s.plan_id WHERE e.person_id = ? AND e.status <> ?
		GROUP BY s.id, s.starts_at ORDER BY s.starts_at DESC, s.id DESC`, personID, EnrollDropped)
}

// SessionAttendees lists who checked in to a session, in check-in order.
func (db *DB) SessionAttendees(ctx context.Context, sessionID int64) ([]int64, error) {
	return db.ids(ctx, "读取签到记录失败",
		"SELECT person_id FROM attendance WHERE session_id = ? ORDER BY checked_in_at, person_id", sessionID)
}

// AttendedSessionIDs lists the sessions a person checked in to.
func (db *DB) AttendedSessionIDs(ctx context.Context, personID int64) ([]int64, error) {
	return db.ids(ctx, "读取签到记录失败", "SELECT session_id FROM attendance WHERE person_id = ? ORDER BY session_id", personID)
}

// RatedSessionIDs lists the sessions a person has rated.
func (db *DB) RatedSessionIDs(ctx context.Context, personID int64) ([]int64, error) {
	return db.ids(ctx, "读取培训评价失败", "SELECT session_id FROM feedback WHERE person_id = ? ORDER BY session_id", personID)
}

// PlanEnrollees lists the people with an open or done item in a plan.
func (db *DB) PlanEnrollees(ctx context.Context, planID int64) ([]int64, error) {
	return db.ids(ctx, "读取报名记录失败",
		"SELECT person_id FROM enrollments WHERE plan_id = ? AND status <> ? ORDER BY person_id", planID, EnrollDropped)
}

// SessionAttendance lists a session's check-ins in order, with how each was
// recorded and, for manual ones and mentoring records, the note.
func (db *DB) SessionAttendance(ctx context.Context, sessionID int64) ([]Attendance, error) {
	return collect(ctx, db, db.r, "读取签到记录失败", `SELECT session_id, person_id, checked_in_at, method, minutes,
		COALESCE(recorded_by, 0), reason FROM attendance WHERE session_id = ? ORDER BY checked_in_at, person_id`,
		[]any{sessionID}, func(r scanner) (Attendance, error) {
			var a Attendance
			var at int64
			err := r.Scan(&a.SessionID, &a.PersonID, &at, &a.Method, &a.Minutes, &a.RecordedBy, &a.Reason)
			a.CheckedInAt = fromMS(at)
			return a, err
		})
}
