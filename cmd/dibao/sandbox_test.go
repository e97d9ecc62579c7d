package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dibao/internal/practical"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// serveUntilReady starts serve with args and stops it once it listens.
func serveUntilReady(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	ok := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), "serving on ") {
			ok = true
			break
		}
	}
	go io.Copy(io.Discard, pr)
	cancel()
	select {
	case code := <-done:
		if !ok || code != 0 {
			t.Fatalf("serve: listening %v, exit %d", ok, code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

// checkSandbox asserts the sandbox store is migrated and holds the
// sandbox county and its colleagues, and the main store does not.
func checkSandbox(t *testing.T, main, sb *store.DB) {
	t.Helper()
	ctx := context.Background()
	if r, err := sb.Region(ctx, practical.SandboxVillage); err != nil || r.Name != "示范村" {
		t.Fatalf("sandbox village: %+v %v", r, err)
	}
	users, err := sb.Users(ctx, region.ScopeOf(practical.SandboxCounty))
	if err != nil || len(users) < 3 {
		t.Fatalf("sandbox colleagues: %d %v", len(users), err)
	}
	if _, err := main.Region(ctx, practical.SandboxCounty); err == nil {
		t.Fatal("the sandbox county is in the main store")
	}
	if n, err := sb.QueryStrings(ctx, "SELECT COUNT(*) FROM audit_log"); err != nil || n[0] == "0" {
		t.Fatalf("sandbox audit chain: %v %v", n, err)
	}
}

func TestServeCreatesSandboxSQLite(t *testing.T) {
	dir := t.TempDir()
	serveUntilReady(t, "--data", dir)
	path := filepath.Join(dir, "sandbox.db")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("sandbox.db mode %v", st.Mode().Perm())
	}
	ctx := context.Background()
	main, err := store.Open(ctx, filepath.Join(dir, "dibao.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer main.Close()
	sb, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	checkSandbox(t, main, sb)
	// A second start finds everything in place.
	serveUntilReady(t, "--data", dir)
	checkSandbox(t, main, sb)
}

func TestServeCreatesSandboxPostgres(t *testing.T) {
	main, dsn := testenv.PostgresDSN(t)
	ctx := context.Background()
	c := config{db: dsn}
	sdsn, schema, err := c.sandboxDSN()
	if err != nil || !strings.HasSuffix(schema, "_sandbox") {
		t.Fatalf("sandbox dsn %q schema %q: %v", sdsn, schema, err)
	}
	t.Cleanup(func() { _ = main.ExecRaw(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE") })
	serveUntilReady(t, "--data", t.TempDir(), "--db", dsn)
	sb, err := store.Open(ctx, sdsn)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	checkSandbox(t, main, sb)
}
