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

// sandboxSchema is the PostgreSQL schema of the sandbox store.
const sandboxSchema = "sandbox"

// sandboxDSN is where the sandbox store lives: DATA/sandbox.db next to the
// main SQLite file, or the same PostgreSQL database with search_path set to
// the sandbox schema.
func (c *config) sandboxDSN() string {
	dsn := c.dsn()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return filepath.Join(c.data, "sandbox.db")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	q.Set("search_path", sandboxSchema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openSandbox opens and migrates the sandbox store (same migrations, own
// audit chain), writes the sandbox county and wires the practical service.
func openSandbox(ctx context.Context, c *config, main *store.DB, a *app.App, log *slog.Logger) error {
	if main.Dialect() == store.Postgres {
		if err := main.ExecRaw(ctx, "CREATE SCHEMA IF NOT EXISTS "+sandboxSchema); err != nil {
			return fmt.Errorf("create sandbox schema: %w", err)
		}
	}
	sb, err := store.Open(ctx, c.sandboxDSN())
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
	a.Sandbox = &practical.Service{DB: main, Sandbox: sb, Now: main.Now, Checker: &crosscheck.Simulator{Seed: demoSeed}}
	go func() { <-ctx.Done(); sb.Close() }()
	log.Info("sandbox store ready", "dialect", sb.Dialect(), "county", practical.SandboxCounty)
	return nil
}

// keyring reads the same field-encryption keys the main store uses (open
// has created the key file if it was missing).
func keyring(c *config) (*fieldcrypt.Keyring, bool, error) {
	return fieldcrypt.FromEnv(os.Getenv, filepath.Join(c.data, "dibao.key"))
}
