package bench

import (
	"context"
	"errors"
)

// ExamDay: env.Candidates candidates start one exam, autosave env.Answers
// answers each and submit. (Issue 8: a helper fills this in.)
func ExamDay(ctx context.Context, env Env) ([]Result, error) {
	return nil, errors.New("bench exam-day: not built yet")
}
