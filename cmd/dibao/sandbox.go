package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"dibao/internal/app"
	"dibao/internal/crosscheck"
	"dibao/internal/fieldcrypt"
	"dibao/internal/practical"
	"dibao/internal/store"
)

// sandboxDSN is where the sandbox store lives: DATA/sandbox.db next to the
// main SQLite file, or, on PostgreSQL, the same database with search_path
// set to the sandbox schema: "sandbox", or "<schema>_sandbox" when the main
// store itself lives in a named schema. schema is "" for SQLite.
func (c *config) sandboxDSN() (dsn, schema string, err error) {
	dsn = c.dsn()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return filepath.Join(c.data, "sandbox.db"), "", nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", "", fmt.Errorf("sandbox store: parse the database URL: %w", err)
	}
	q := u.Query()
	schema = "sandbox"
	if sp := q.Get("search_path"); sp != "" && sp != "public" {
		schema = sp + "_sandbox"
	}
	if !validSchema(schema) {
		return "", "", fmt.Errorf("sandbox store: unusable schema name %q", schema)
	}
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema, nil
}

func validSchema(s string) bool {
	if s == "" || len(s) > 60 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// openSandbox opens and migrates the sandbox store (same migrations, own
// audit chain), writes the sandbox county and wires the practical service.
func openSandbox(ctx context.Context, c *config, main *store.DB, a *app.App, log *slog.Logger) error {
	dsn, schema, err := c.sandboxDSN()
	if err != nil {
		return err
	}
	if schema != "" {
		if err := main.ExecRaw(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
			return fmt.Errorf("create sandbox schema: %w", err)
		}
	}
	sb, err := store.Open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("open sandbox store: %w", err)
	}
	if err := sb.Migrate(ctx); err != nil {
		sb.Close()
		return fmt.Errorf("migrate sandbox store: %w", err)
	}
	kr, _, err := keyring(c)
	if err != nil {
		sb.Close()
		return err
	}
	sb.SetSealer(kr)
	if err := practical.Prepare(ctx, sb); err != nil {
		sb.Close()
		return fmt.Errorf("prepare sandbox county: %w", err)
	}
	a.Sandbox = &practical.Service{DB: main, Sandbox: sb, Now: main.Now, Checker: &crosscheck.Simulator{Seed: demoSeed},
		OnScored: a.PracticalScored}
	go func() { <-ctx.Done(); sb.Close() }()
	log.Info("sandbox store ready", "dialect", sb.Dialect(), "county", practical.SandboxCounty)
	return nil
}

// keyring reads the same field-encryption keys the main store uses (open
// has created the key file if it was missing).
func keyring(c *config) (*fieldcrypt.Keyring, bool, error) {
	return fieldcrypt.FromEnv(os.Getenv, filepath.Join(c.data, "dibao.key"))
}
