package main

import (
	"context"
	"io"

	"dibao/internal/bench"
	"dibao/internal/demo"
	"dibao/internal/region"
	"dibao/internal/store"
)

// prepareBench writes the scale data the scenarios run on and returns the
// counties holding recipients: for now the demo county with n recipient
// households (bench.Register). (Issue 8: the province of `dibao demo
// --households N`.)
func prepareBench(ctx context.Context, db *store.DB, n int, progress io.Writer) ([]region.Code, error) {
	if _, err := demo.Load(ctx, db, demo.Generate(demoSeed, timeNow())); err != nil {
		return nil, err
	}
	county := region.Code(demo.Accounts()[0].Region).County()
	if _, err := bench.Register(ctx, db, county, n, progress); err != nil {
		return nil, err
	}
	return []region.Code{county}, nil
}
