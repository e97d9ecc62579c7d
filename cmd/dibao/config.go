package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"dibao/internal/fieldcrypt"
	"dibao/internal/store"
)

// config is what every subcommand needs to reach the store and the keys.
type config struct {
	data string
	db   string
}

func (c *config) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.data, "data", envOr("DIBAO_DATA", "./data"), "data directory (SQLite file, key file)")
	fs.StringVar(&c.db, "db", os.Getenv("DIBAO_DB"), "SQLite path or postgres:// URL (default DATA/dibao.db)")
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func (c *config) dsn() string {
	if c.db != "" {
		return c.db
	}
	return filepath.Join(c.data, "dibao.db")
}

// open connects, migrates and installs the field-encryption keys.
func (c *config) open(ctx context.Context, log *slog.Logger) (*store.DB, error) {
	if err := os.MkdirAll(c.data, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	// Refuse to seal anything with primitives that fail their known answers.
	if err := fieldcrypt.SelfTest(); err != nil {
		return nil, fmt.Errorf("SM3/SM4 self-test failed: %w", err)
	}
	kr, created, err := fieldcrypt.FromEnv(os.Getenv, filepath.Join(c.data, "dibao.key"))
	if err != nil {
		return nil, fmt.Errorf("field-encryption keys: %w", err)
	}
	if kr.IndexDerived() {
		log.Warn("the key file has no 'index' line: the blind index is derived from the first key, so rotating that key would break ID look-ups; add an index line")
	}
	if created {
		log.Warn("created a new field-encryption key file; back it up separately from the database",
			"path", filepath.Join(c.data, "dibao.key"))
	}
	db, err := store.Open(ctx, c.dsn())
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	db.SetSealer(kr)
	log.Info("store ready", "dialect", db.Dialect(), "key", kr.ActiveKeyID())
	return db, nil
}
