package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"dibao/internal/bench"
	"dibao/internal/demo"
	"dibao/internal/region"
)

// extraBench are workloads kept from earlier issues; `all` does not run
// them.
var extraBench = []string{"households", "register"}

func benchUsage() string {
	var names []string
	for _, s := range bench.Scenarios {
		names = append(names, s.Name)
	}
	return "usage: dibao bench " + strings.Join(append(append(names, extraBench...), "all"), "|") +
		" [--households 20000] [--db URL] [--json FILE] [--cpuprofile FILE] [--n 500] [--pages 200] [--candidates 5000] [--requests 20000]"
}

// cmdBench runs `dibao bench <scenario>`: by default on a scratch SQLite
// store in a temp dir (so no real data is touched); --db points it at a
// PostgreSQL database that it may write to. It first writes the scale data
// (--households households, prepareBench), then runs the scenario (all:
// every scenario of bench.Scenarios in order), prints the table with each
// ratio beside its target and writes the results as JSON.
func cmdBench(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("%s", benchUsage())
	}
	what := args[0]
	var chosen []bench.Scenario
	for _, s := range bench.Scenarios {
		if what == "all" || what == s.Name {
			chosen = append(chosen, s)
		}
	}
	extra := false
	for _, e := range extraBench {
		extra = extra || e == what
	}
	if len(chosen) == 0 && !extra {
		return fmt.Errorf("%s", benchUsage())
	}
	fs := flag.NewFlagSet("bench "+what, flag.ContinueOnError)
	households := fs.Int("households", 20000, "households of the scale data the scenarios run on")
	n := fs.Int("n", 500, "households to create (households: list pages max(n, 50))")
	pages := fs.Int("pages", 200, "random register pages to read (register)")
	db := fs.String("db", "", "store to use (default: a scratch SQLite file in a temp dir)")
	jsonOut := fs.String("json", "", "write the results as JSON to this file (default bench-SCENARIO-DIALECT.json)")
	cpu := fs.String("cpuprofile", "", "write a CPU profile of the timed workloads to this file")
	env := bench.Env{Concurrency: 8, Connections: 64, Seed: 1}
	fs.IntVar(&env.Candidates, "candidates", 5000, "exam-day: candidates")
	fs.IntVar(&env.Answers, "answers", 50, "exam-day: autosaves per candidate")
	fs.IntVar(&env.Requests, "requests", 20000, "api: requests in the mix")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *households < 1 || *households > 5_000_000 {
		return fmt.Errorf("--households must be between 1 and 5000000")
	}
	if *n < 1 || *n > 1_000_000 {
		return fmt.Errorf("--n must be between 1 and 1000000")
	}
	if *pages < 1 || *pages > 100_000 {
		return fmt.Errorf("--pages must be between 1 and 100000")
	}
	if env.Candidates < 1 || env.Answers < 1 || env.Requests < 1 {
		return fmt.Errorf("--candidates, --answers and --requests must be positive")
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
	env.DB, env.Households, env.Progress = store, *households, os.Stderr
	env.Data, env.DSN = tmp, c.dsn()
	if exe, err := os.Executable(); err == nil && !strings.HasSuffix(exe, ".test") {
		env.Exe = exe
	}
	fmt.Fprintf(stdout, "dibao bench %s: store %s, %d households, %d CPUs\n", what, store.Dialect(), *households, runtime.NumCPU())
	start := time.Now()
	if env.Counties, err = prepareBench(ctx, store, *households, os.Stderr); err != nil {
		return fmt.Errorf("scale data: %w", err)
	}
	fmt.Fprintf(stdout, "scale data: %d households in %d counties in %s\n", *households, len(env.Counties), time.Since(start).Round(time.Millisecond))
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
	var results []bench.Result
	for _, s := range chosen {
		fmt.Fprintf(stdout, "scenario %s …\n", s.Name)
		start := time.Now()
		rs, err := s.Run(ctx, env)
		if err != nil {
			return fmt.Errorf("bench %s: %w", s.Name, err)
		}
		for i := range rs {
			rs[i].Scenario = s.Name
		}
		bench.Table(stdout, fmt.Sprintf("%s (%s):", s.Name, time.Since(start).Round(time.Millisecond)), rs)
		results = append(results, rs...)
	}
	if extra {
		rs, err := extraWorkload(ctx, what, env, *n, *pages)
		if err != nil {
			return err
		}
		for i := range rs {
			rs[i].Scenario = what
		}
		results = append(results, rs...)
	}
	if what == "all" || extra {
		bench.Table(stdout, "results:", results)
	}
	path := *jsonOut
	if path == "" {
		path = fmt.Sprintf("bench-%s-%s.json", what, store.Dialect())
	}
	if err := bench.WriteJSON(path, bench.Report{Dialect: string(store.Dialect()), Households: *households, At: time.Now(),
		CPUs: runtime.NumCPU(), Results: results}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "results written to %s\n", path)
	return nil
}

// extraWorkload runs the workloads kept from earlier issues.
func extraWorkload(ctx context.Context, what string, env bench.Env, n, pages int) ([]bench.Result, error) {
	village := region.Code(demo.Accounts()[0].Region)
	switch what {
	case "households":
		return bench.Households(ctx, env.DB, village, n, os.Stderr)
	default: // register
		r, err := bench.RegisterPages(ctx, env.DB, env.Counties[0], pages, 1)
		return []bench.Result{r}, err
	}
}

var timeNow = time.Now
