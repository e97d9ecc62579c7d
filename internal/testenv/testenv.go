// Package testenv gives tests the real parts: a migrated SQLite store in a
// temp dir, the PostgreSQL store named by DIBAO_TEST_PG, and a Chromium
// binary. Outside CI a missing part skips with a visible reason; under
// CI=true it fails, so a green CI run proves the real parts ran.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"dibao/internal/fieldcrypt"
	"dibao/internal/store"
)

// InCI reports whether the tests run under CI=true.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing skips the test, or fails it under CI, because a real part is absent.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("CI=true and a required part is missing: %s", msg)
	}
	t.Skipf("skipping: %s (set it up, or run under CI=true to make this a failure)", msg)
}

// Keyring returns a fresh in-memory keyring.
func Keyring(t testing.TB) *fieldcrypt.Keyring {
	t.Helper()
	content, err := fieldcrypt.Generate()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := fieldcrypt.Parse(content)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// SQLite opens a migrated SQLite store in a temp dir.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "dibao.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db.SetSealer(Keyring(t))
	return db
}

// PostgresURL returns DIBAO_TEST_PG or reports the part missing.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("DIBAO_TEST_PG")
	if u == "" {
		Missing(t, "DIBAO_TEST_PG is not set (a postgres:// URL of a database the tests may use)")
	}
	return u
}

// Postgres opens a fresh schema in the test PostgreSQL database, so tests
// can run in parallel without seeing each other's rows.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	db, _ := PostgresDSN(t)
	return db
}

// PostgresDSN is Postgres that also returns the DSN of the fresh schema
// (with its search_path), for a test that hands the database to a child
// process such as the dibao binary.
func PostgresDSN(t testing.TB) (*store.DB, string) {
	t.Helper()
	base := PostgresURL(t)
	ctx := context.Background()
	admin, err := store.Open(ctx, base)
	if err != nil {
		Missing(t, "cannot reach PostgreSQL at DIBAO_TEST_PG: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if err := admin.ExecRaw(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	dsn := base + sep + "search_path=" + schema
	db, err := store.Open(ctx, dsn)
	if err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		_ = admin.ExecRaw(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db.SetSealer(Keyring(t))
	return db, dsn
}

// Stores runs fn once per real store: SQLite always, PostgreSQL when
// available (required under CI).
func Stores(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// Chromium returns the path of a Chromium binary or reports it missing.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("DIBAO_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Missing(t, "no chromium binary on PATH (apt-get install chromium)")
	return ""
}
