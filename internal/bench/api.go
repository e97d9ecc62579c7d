package bench

import (
	"context"
	"errors"
)

// API: an HTTP mix over loopback at env.Connections. (Issue 8: a helper
// fills this in.)
func API(ctx context.Context, env Env) ([]Result, error) {
	return nil, errors.New("bench api: not built yet")
}
