package main

import (
	"context"
	"errors"
	"io"

	"dibao/internal/demo"
	"dibao/internal/region"
	"dibao/internal/scale"
	"dibao/internal/store"
)

// prepareBench writes the scale data the scenarios run on and returns the
// counties holding recipients: the demo county (its accounts log in to the
// exam and api scenarios) and the province of `dibao demo --households n`
// (scale.Load), whose counties it returns. Each bench run seals with the
// new key of its scratch data directory, so a store that already holds a
// province (sealed with an earlier key) is refused rather than reused.
func prepareBench(ctx context.Context, db *store.DB, n int, progress io.Writer) ([]region.Code, error) {
	st, err := scale.Loaded(ctx, db)
	if err != nil {
		return nil, err
	}
	if st.Started {
		return nil, errors.New("the store already holds a generated province, sealed with an earlier run's key: " +
			"drop and recreate the database between bench runs")
	}
	if _, err := demo.Load(ctx, db, demo.Generate(demoSeed, timeNow())); err != nil {
		return nil, err
	}
	if _, err := scale.Load(ctx, db, scale.Options{Households: n, Seed: demoSeed, Progress: progress}); err != nil {
		return nil, err
	}
	return scale.CountiesWithRecipients(ctx, db)
}
