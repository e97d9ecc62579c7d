package web

import (
	"context"
	"slices"
	"strconv"

	"dibao/internal/store"
)

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
	ids, err := s.a.DB.TrainerSessionIDs(ctx, trainerID, all)
	if err != nil {
		return nil, err
	}
	return s.sessionsByIDs(ctx, ids)
}

// enrolledSessions lists the sessions of the plans a person is enrolled in
// (dropped items left out), newest first.
func (s *server) enrolledSessions(ctx context.Context, personID int64) ([]store.TrainingSession, error) {
	ids, err := s.a.DB.EnrolledSessionIDs(ctx, personID)
	if err != nil {
		return nil, err
	}
	return s.sessionsByIDs(ctx, ids)
}

// attendees lists the people who checked in to a session, in check-in
// order.
func (s *server) attendees(ctx context.Context, sessionID int64) ([]int64, error) {
	return s.a.DB.SessionAttendees(ctx, sessionID)
}

// attendedSessions lists the sessions a person checked in to.
func (s *server) attendedSessions(ctx context.Context, personID int64) ([]int64, error) {
	return s.a.DB.AttendedSessionIDs(ctx, personID)
}

// ratedSessions lists the sessions a person has already rated.
func (s *server) ratedSessions(ctx context.Context, personID int64) ([]int64, error) {
	return s.a.DB.RatedSessionIDs(ctx, personID)
}

// planEnrollees lists the people with an open or done item in a plan.
func (s *server) planEnrollees(ctx context.Context, planID int64) ([]int64, error) {
	return s.a.DB.PlanEnrollees(ctx, planID)
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
