package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"dibao/internal/authz"
	"dibao/internal/bench"
	"dibao/internal/demo"
	"dibao/internal/region"
)

// cmdBench runs `dibao bench households`: by default on a scratch SQLite
// store in a temp dir (so no real data is touched); --db points it at a
// PostgreSQL database that it may write to.
func cmdBench(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 || (args[0] != "households" && args[0] != "cases" && args[0] != "all") {
		return fmt.Errorf("usage: dibao bench households|cases|all [--n 500] [--db URL]")
	}
	what := args[0]
	fs := flag.NewFlagSet("bench "+what, flag.ContinueOnError)
	n := fs.Int("n", 500, "households to create (list pages: max(n, 50); cases: n/10)")
	db := fs.String("db", "", "store to use (default: a scratch SQLite file in a temp dir)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *n < 1 || *n > 1_000_000 {
		return fmt.Errorf("--n must be between 1 and 1000000")
	}
	tmp, err := os.MkdirTemp("", "dibao-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	c := config{data: tmp, db: *db}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := c.open(ctx, quiet)
	if err != nil {
		return err
	}
	defer store.Close()
	// The demo county gives the benchmark realistic neighbours in the tables.
	if _, err := demo.Load(ctx, store, demo.Generate(demoSeed, timeNow())); err != nil {
		return err
	}
	village := region.Code(demo.Accounts()[0].Region)
	fmt.Fprintf(stdout, "dibao bench %s: store %s, n=%d\n", what, store.Dialect(), *n)
	var results []bench.Result
	if what != "cases" {
		rs, err := bench.Households(ctx, store, village, *n, os.Stderr)
		if err != nil {
			return err
		}
		results = append(results, rs...)
	}
	if what != "households" {
		clerk := authz.Principal{Username: "bench", Roles: []authz.Role{authz.VillageClerk}, Region: village}
		r, err := bench.Cases(ctx, store, clerk, max(*n/10, 1), os.Stderr)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	for _, r := range results {
		fmt.Fprintln(stdout, r)
	}
	fmt.Fprintln(stdout, "ratio = time through the services ÷ the same rows with raw SQL (no validation, sealing, scope or audit)")
	return nil
}

var timeNow = time.Now
