package main

import (
	"context"
	"fmt"
	"io"

	"dibao/internal/demo"
	"dibao/internal/region"
	"dibao/internal/scale"
	"dibao/internal/store"
)

// prepareBench writes the scale data the scenarios run on and returns the
// counties holding recipients: the demo county (its accounts log in to the
// exam and api scenarios) and the province of `dibao demo --households n`
// (scale.Load), whose counties it returns. A store already holding the
// same province (same n, the demo seed) is used as it is.
func prepareBench(ctx context.Context, db *store.DB, n int, progress io.Writer) ([]region.Code, error) {
	if _, err := demo.Load(ctx, db, demo.Generate(demoSeed, timeNow())); err != nil {
		return nil, err
	}
	st, err := scale.Loaded(ctx, db)
	if err != nil {
		return nil, err
	}
	switch {
	case st.Complete && st.Households == n && st.Seed == demoSeed:
		if progress != nil {
			fmt.Fprintf(progress, "province of %d households already generated: reused\n", n)
		}
	default:
		if _, err := scale.Load(ctx, db, scale.Options{Households: n, Seed: demoSeed, Progress: progress}); err != nil {
			return nil, err
		}
	}
	return scale.CountiesWithRecipients(ctx, db)
}
