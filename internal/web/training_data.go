package web

import (
	"context"
	"slices"
	"strconv"

	"dibao/internal/store"
)

// The training store has readers for one session, one person's
// enrollments and the compliance lists, but none yet for "the sessions of
// a trainer", "who attended a session" or "who is enrolled in a plan".
// Until it does, these few lookups read ids with store.QueryStrings (the
// statements are fixed, every value is a bound parameter) and load the
// records through the ordinary store readers. They live here, in one
// place, so that replacing them with store methods touches one file.

// ids runs a fixed query whose first column is an id.
func (s *server) ids(ctx context.Context, q string, args ...any) ([]int64, error) {
	rows, err := s.a.DB.QueryStrings(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	out := make([]int64, 0, len(rows))
	for _, r := range rows {
		if n, err := strconv.ParseInt(r, 10, 64); err == nil && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// sessionsByIDs loads sessions, skipping any that vanished meanwhile.
func (s *server) sessionsByIDs(ctx context.Context, ids []int64) ([]store.TrainingSession, error) {
	out := make([]store.TrainingSession, 0, len(ids))
	for _, id := range ids {
		t, err := s.a.DB.TrainingSession(ctx, id)
		if err != nil {
			continue
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b store.TrainingSession) int { return b.StartsAt.Compare(a.StartsAt) })
	return out, nil
}

// trainerSessions lists the sessions a trainer runs, or every session when
// all is set (a training admin), newest first.
func (s *server) trainerSessions(ctx context.Context, trainerID int64, all bool) ([]store.TrainingSession, error) {
	var ids []int64
	var err error
	if all {
		ids, err = s.ids(ctx, "SELECT id FROM training_sessions ORDER BY starts_at DESC, id DESC")
	} else {
		ids, err = s.ids(ctx, "SELECT id FROM training_sessions WHERE trainer_user_id = ? ORDER BY starts_at DESC, id DESC", trainerID)
	}
	if err != nil {
		return nil, err
	}
	return s.sessionsByIDs(ctx, ids)
}

// enrolledSessions lists the sessions of the plans a person is enrolled in
// (dropped items left out), newest first.
func (s *server) enrolledSessions(ctx context.Context, personID int64) ([]store.TrainingSession, error) {
	ids, err := s.ids(ctx, `SELECT s.id FROM training_sessions s JOIN enrollments e ON e.plan_id = s.plan_id
		WHERE e.person_id = ? AND e.status <> ? ORDER BY s.starts_at DESC, s.id DESC`, personID, store.EnrollDropped)
	if err != nil {
		return nil, err
	}
	return s.sessionsByIDs(ctx, ids)
}

// attendees lists the people who checked in to a session, in check-in
// order.
func (s *server) attendees(ctx context.Context, sessionID int64) ([]int64, error) {
	return s.ids(ctx, "SELECT person_id FROM attendance WHERE session_id = ? ORDER BY checked_in_at, person_id", sessionID)
}

// attendedSessions lists the sessions a person checked in to.
func (s *server) attendedSessions(ctx context.Context, personID int64) ([]int64, error) {
	return s.ids(ctx, "SELECT session_id FROM attendance WHERE person_id = ?", personID)
}

// ratedSessions lists the sessions a person has already rated.
func (s *server) ratedSessions(ctx context.Context, personID int64) ([]int64, error) {
	return s.ids(ctx, "SELECT session_id FROM feedback WHERE person_id = ?", personID)
}

// planEnrollees lists the people with an open or done item in a plan.
func (s *server) planEnrollees(ctx context.Context, planID int64) ([]int64, error) {
	return s.ids(ctx, "SELECT person_id FROM enrollments WHERE plan_id = ? AND status <> ? ORDER BY person_id",
		planID, store.EnrollDropped)
}

// userName is a person's display name, or their id when unknown.
func (s *server) userName(ctx context.Context, id int64) string {
	u, err := s.a.DB.UserByID(ctx, id)
	if err != nil {
		return "#" + strconv.FormatInt(id, 10)
	}
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Username
}
