package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"dibao/internal/scale"
	"dibao/internal/store"
)

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// loadProvince generates the province of `dibao demo --households N`
// beside the demo county, with its progress line on stderr.
func loadProvince(ctx context.Context, db *store.DB, n int, seed uint64, stdout io.Writer) error {
	res, err := scale.Load(ctx, db, scale.Options{Households: n, Seed: seed, Progress: os.Stderr})
	if err != nil {
		return fmt.Errorf("generate province: %w", err)
	}
	resumed := ""
	if res.Resumed {
		resumed = " (continued an interrupted load)"
	}
	fmt.Fprintf(stdout, "province generated%s: %d counties, %d households written (%d members; %d recipients, %d stopped, %d applications) in %s\n",
		resumed, len(res.Counties), res.Households, res.Members, res.Active, res.Stopped, res.Applications,
		res.Duration.Round(time.Millisecond))
	fmt.Fprintf(stdout, "province staff: e.g. %s, %s, %s (password %s)\n", scale.Username(res.Counties[0], "approver"),
		scale.Username(res.Counties[0][:6]+"101000", "officer"), scale.Username(res.Counties[0][:6]+"101001", "clerk"),
		scale.Password)
	return nil
}
