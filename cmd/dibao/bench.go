package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"slices"
	"time"

	"dibao/internal/authz"
	"dibao/internal/bench"
	"dibao/internal/demo"
	"dibao/internal/region"
)

// benchNames are the workloads `dibao bench` accepts.
var benchNames = []string{"households", "cases", "roster", "standard-change", "register", "all"}

// cmdBench runs `dibao bench <workload>`: by default on a scratch SQLite
// store in a temp dir (so no real data is touched); --db points it at a
// PostgreSQL database that it may write to. households and cases create
// --n households; roster, standard-change and register first write a
// register of --recipients households in the demo county (bench.Register)
// and then time, in this order, the roster build and its exports, the
// register list pages and a standard change. all runs every workload.
func cmdBench(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 || !slices.Contains(benchNames, args[0]) {
		return fmt.Errorf("usage: dibao bench households|cases|roster|standard-change|register|all [--n 500] [--recipients 20000] [--pages 200] [--db URL] [--cpuprofile FILE]")
	}
	what := args[0]
	fs := flag.NewFlagSet("bench "+what, flag.ContinueOnError)
	n := fs.Int("n", 500, "households to create (list pages: max(n, 50); cases: n/10)")
	nrec := fs.Int("recipients", 20000, "recipient households of the register workloads (roster, standard-change, register)")
	pages := fs.Int("pages", 200, "random register pages to read (register)")
	db := fs.String("db", "", "store to use (default: a scratch SQLite file in a temp dir)")
	cpu := fs.String("cpuprofile", "", "write a CPU profile of the timed workloads to this file")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *n < 1 || *n > 1_000_000 {
		return fmt.Errorf("--n must be between 1 and 1000000")
	}
	if *nrec < 1 || *nrec > 5_000_000 {
		return fmt.Errorf("--recipients must be between 1 and 5000000")
	}
	if *pages < 1 || *pages > 100_000 {
		return fmt.Errorf("--pages must be between 1 and 100000")
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
	county := village.County()
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	run := func(name string) bool { return what == "all" || what == name }
	fmt.Fprintf(stdout, "dibao bench %s: store %s, n=%d, recipients=%d\n", what, store.Dialect(), *n, *nrec)
	var results []bench.Result
	if run("households") {
		rs, err := bench.Households(ctx, store, village, *n, os.Stderr)
		if err != nil {
			return err
		}
		results = append(results, rs...)
	}
	if run("cases") {
		clerk := authz.Principal{Username: "bench", Roles: []authz.Role{authz.VillageClerk}, Region: village}
		r, err := bench.Cases(ctx, store, clerk, max(*n/10, 1), os.Stderr)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	if run("roster") || run("standard-change") || run("register") {
		took, err := bench.Register(ctx, store, county, *nrec, os.Stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "register fixture: %d recipient households in %s (%.0f households/s, batched INSERTs)\n",
			*nrec, took.Round(time.Millisecond), float64(*nrec)/took.Seconds())
	}
	if run("roster") {
		rs, err := bench.Roster(ctx, store, county, os.Stderr)
		if err != nil {
			return err
		}
		results = append(results, rs...)
	}
	if run("register") {
		r, err := bench.RegisterPages(ctx, store, county, *pages, 1)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	if run("standard-change") {
		r, _, err := bench.StandardChange(ctx, store, county, os.Stderr)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	bench.Table(stdout, "results:", results)
	return nil
}

var timeNow = time.Now
