package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"dibao/internal/bench"
	"dibao/internal/demo"
	"dibao/internal/region"
)

// cmdBench runs `dibao bench households`: by default on a scratch SQLite
// store in a temp dir (so no real data is touched); --db points it at a
// PostgreSQL database that it may write to.
func cmdBench(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 || args[0] != "households" {
		return fmt.Errorf("usage: dibao bench households [--n 500] [--db URL]")
	}
	fs := flag.NewFlagSet("bench households", flag.ContinueOnError)
	n := fs.Int("n", 500, "households to create (list pages: max(n, 50))")
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
	fmt.Fprintf(stdout, "dibao bench households: store %s, n=%d\n", store.Dialect(), *n)
	results, err := bench.Households(ctx, store, village, *n, os.Stderr)
	if err != nil {
		return err
	}
	for _, r := range results {
		fmt.Fprintln(stdout, r)
	}
	fmt.Fprintln(stdout, "ratio = time through the services ÷ the same rows with raw SQL (no validation, sealing, scope or audit)")
	return nil
}

var timeNow = time.Now
