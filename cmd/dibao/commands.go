package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"dibao/internal/api"
	"dibao/internal/app"
	"dibao/internal/archive"
	"dibao/internal/audit"
	"dibao/internal/casework"
	"dibao/internal/crosscheck"
	"dibao/internal/demo"
	"dibao/internal/exams"
	"dibao/internal/fieldcrypt"
	"dibao/internal/recipients"
	"dibao/internal/scale"
	"dibao/internal/server"
	"dibao/internal/store"
	"dibao/internal/training"
	"dibao/internal/workflow"
)

func cmdServe(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var c config
	c.flags(fs)
	addr := fs.String("addr", envOr("DIBAO_ADDR", "127.0.0.1:8080"), "listen address")
	withDemo := fs.Bool("demo", false, "load the demo county (once) and list demo accounts on the login page")
	cert := fs.String("tls-cert", "", "TLS certificate file (enables HTTPS and Secure cookies)")
	key := fs.String("tls-key", "", "TLS key file")
	checker := fs.String("crosscheck", "", "cross-check platform: simulator, batch:DIR (outbox/inbox under DIR), an https:// URL, or manual (default: simulator with --demo, else manual)")
	idle := fs.Duration("idle-timeout", 15*time.Minute, "sign a session out after this much inactivity")
	maxAge := fs.Duration("session-max", 8*time.Hour, "sign every session out this long after login")
	memLimit := fs.Int("memory-limit", 192, "soft limit of the Go heap in MiB (0: none; GOMEMLIMIT, if set, wins): the garbage collector works harder near it instead of letting a batch job's garbage swell the process")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *memLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(*memLimit) << 20)
	}
	// The workflow definitions are data: refuse to serve a broken one.
	for _, d := range workflow.Profiles() {
		if err := workflow.Validate(d); err != nil {
			return fmt.Errorf("workflow profile %s: %w", d.Name, err)
		}
	}
	db, err := c.open(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if *withDemo {
		if err := loadDemo(ctx, db, stdout, log); err != nil {
			return err
		}
	}
	a := app.New(db, log)
	a.Demo, a.Version, a.TLS = *withDemo, version, *cert != ""
	if err := openSandbox(ctx, &c, db, a, log); err != nil { // the practical-assessment sandbox (issue 6)
		return err
	}
	if *idle <= 0 || *maxAge <= 0 || *idle > *maxAge {
		return fmt.Errorf("--idle-timeout and --session-max must be positive, idle no longer than max")
	}
	a.Access.Policy.IdleTimeout, a.Access.Policy.AbsoluteTimeout = *idle, *maxAge
	if *checker == "" && *withDemo {
		*checker = "simulator"
	}
	if a.Cases.Checker, err = crossChecker(*checker); err != nil {
		return err
	}
	go recipients.ResumeStandardChanges(ctx, a.Payments, log)              // a standard change left applying continues
	go recipients.GenerateReviewsEvery(ctx, a.Payments, 24*time.Hour, log) // periodic review tasks fall due by themselves
	go exams.SweepEvery(ctx, a.Exams, 5*time.Second, log)
	go anchorEvery(ctx, db, &c, time.Hour, log) // SM2-signed audit anchors outside the database
	go api.PurgeIdempotencyEvery(ctx, db, time.Hour, log) // Idempotency-Key records kept ≥ 24 h, purged after 48 h (audited)
	// Expired certifications send their holders back to retraining.
	go training.ExpireCertificationsEvery(ctx, a.Training, 24*time.Hour, log)
	go archive.Every(ctx, &archive.Service{DB: db}, 24*time.Hour, log) // training archive: catalogue sync and retention sweep (issue 7)
	h, err := server.Handler(a)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second}
	scheme := "http"
	if a.TLS {
		scheme = "https"
	}
	log.Info("dibao listening", "url", scheme+"://"+ln.Addr().String()+"/", "version", version)
	fmt.Fprintf(stdout, "dibao %s serving on %s://%s/\n", version, scheme, ln.Addr())
	errc := make(chan error, 1)
	go func() {
		if a.TLS {
			errc <- srv.ServeTLS(ln, *cert, *key)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

// loadDemo loads the demo county once and prints the demo accounts.
func loadDemo(ctx context.Context, db *store.DB, stdout io.Writer, log *slog.Logger) error {
	res, err := demo.Load(ctx, db, demo.Generate(demoSeed, time.Now()))
	if err != nil {
		return fmt.Errorf("load demo data: %w", err)
	}
	if res.AlreadyLoaded {
		log.Info("demo data already loaded", "at", res.LoadedAt.Format(time.RFC3339))
	} else {
		log.Info("demo data loaded", "regions", res.Regions, "users", res.Users, "households", res.Households,
			"members", res.Members, "ms", res.Duration.Milliseconds())
	}
	cases, err := demo.LoadCases(ctx, db, &casework.Service{DB: db, Now: db.Now, Checker: &crosscheck.Simulator{Seed: demoSeed}})
	if err != nil {
		return fmt.Errorf("load demo applications: %w", err)
	}
	if !cases.AlreadyLoaded {
		log.Info("demo applications loaded", "cases", cases.Cases)
	}
	if rs, err := demo.LoadRecipients(ctx, db, db.Now()); err != nil {
		return fmt.Errorf("load demo recipients: %w", err)
	} else if !rs.AlreadyLoaded {
		log.Info("demo recipients loaded", "recipients", rs.Recipients)
	}
	if _, err := demo.LoadTraining(ctx, db, &training.Service{DB: db, Now: db.Now}); err != nil {
		return fmt.Errorf("load demo training: %w", err)
	}
	if _, err := demo.LoadRosters(ctx, db, &recipients.Service{DB: db, Now: db.Now}); err != nil {
		return fmt.Errorf("load demo rosters: %w", err)
	}
	if _, err := demo.LoadReports(ctx, db, &recipients.Service{DB: db, Now: db.Now}); err != nil {
		return fmt.Errorf("load demo change reports: %w", err)
	}
	if _, err := demo.LoadExams(ctx, db, &exams.Service{DB: db, Now: db.Now}); err != nil {
		return fmt.Errorf("load demo exams: %w", err)
	}
	fmt.Fprintf(stdout, "demo accounts (password %s):\n", demo.Password)
	for _, a := range demo.Accounts() {
		fmt.Fprintf(stdout, "  %-12s %s · %s\n", a.Username, a.RoleLabel, a.RegionName)
	}
	return nil
}

func cmdMigrate(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var c config
	c.flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := c.open(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

func cmdDemo(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var c config
	c.flags(fs)
	households := fs.Int("households", 0, "also generate a province of N households (1–5,000,000) beside the demo county")
	seed := fs.Uint64("seed", demoSeed, "seed of the generated province (with --households)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	province := flagSet(fs, "households")
	if province {
		if err := scale.CheckHouseholds(*households); err != nil {
			return err
		}
	}
	db, err := c.open(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := loadDemo(ctx, db, stdout, log); err != nil || !province {
		return err
	}
	return loadProvince(ctx, db, *households, *seed, stdout)
}

func cmdAuditVerify(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	var c config
	var af anchorFlags
	c.flags(fs)
	af.flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := c.open(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.VerifyAudit(ctx)
	var be *audit.BreakError
	if errors.As(err, &be) {
		return exitError{code: 3, msg: fmt.Sprintf("audit chain BROKEN at record seq=%d: %s (%d records before it verified)",
			be.Seq, be.Reason, n)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "audit chain OK: %d records verified\n", n)
	return verifyAnchors(ctx, db, &c, af, n, stdout)
}

func cmdKeyGenerate(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("key generate", flag.ContinueOnError)
	out := fs.String("out", "", "write to this file (mode 0600) instead of standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	content, err := fieldcrypt.Generate()
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = stdout.Write(content)
		return err
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%s exists; refusing to overwrite a key file (data sealed with it would be lost)", *out)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(*out, content, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "key file written to %s (mode 0600); back it up apart from the database\n", *out)
	return nil
}

// demoSeed fixes the demo county so every fresh install shows the same data.
const demoSeed = 2026

// crossChecker builds the cross-check adapter named by the --crosscheck flag.
func crossChecker(spec string) (crosscheck.Adapter, error) {
	switch {
	case spec == "" || spec == "manual":
		return nil, nil
	case spec == "simulator":
		return &crosscheck.Simulator{Seed: demoSeed}, nil
	case strings.HasPrefix(spec, "batch:"):
		dir := strings.TrimPrefix(spec, "batch:")
		for _, sub := range []string{"outbox", "inbox"} {
			if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
				return nil, err
			}
		}
		return &crosscheck.BatchAdapter{Outbox: filepath.Join(dir, "outbox"), Inbox: filepath.Join(dir, "inbox")}, nil
	case strings.HasPrefix(spec, "http://") || strings.HasPrefix(spec, "https://"):
		return &crosscheck.HTTPAdapter{BaseURL: spec, Token: os.Getenv("DIBAO_CROSSCHECK_TOKEN")}, nil
	}
	return nil, fmt.Errorf("--crosscheck: unknown adapter %q (simulator, batch:DIR, https://…, manual)", spec)
}
