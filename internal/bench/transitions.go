package bench

import (
	"context"
	"errors"
)

// Transitions: workflow transitions through the service layer at
// env.Concurrency against raw UPDATE + INSERT transactions. (Issue 8: a
// helper fills this in.)
func Transitions(ctx context.Context, env Env) ([]Result, error) {
	return nil, errors.New("bench transitions: not built yet")
}
