package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"dibao/internal/authz"
	"dibao/internal/fieldcrypt"
	"dibao/internal/store"
)

// cmdKeyRotate puts a fresh key first in the key file (old keys stay for
// reading); `dibao key reseal` then moves every value onto it.
func cmdKeyRotate(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("key rotate", flag.ContinueOnError)
	var c config
	c.flags(fs)
	path := fs.String("key-file", os.Getenv(fieldcrypt.EnvKeyFile), "key file to rotate (default DIBAO_KEY_FILE, else DATA/dibao.key)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if os.Getenv(fieldcrypt.EnvKey) != "" && *path == "" {
		return fmt.Errorf("the keys come from %s: rotate a copy with --key-file FILE and put the result in your secret store", fieldcrypt.EnvKey)
	}
	if *path == "" {
		*path = filepath.Join(c.data, "dibao.key")
	}
	if _, err := fieldcrypt.Load(*path); err != nil { // also refuses a file others can read
		return err
	}
	content, err := os.ReadFile(*path)
	if err != nil {
		return err
	}
	out, id, err := fieldcrypt.Rotate(content)
	if err != nil {
		return err
	}
	if err := fieldcrypt.Replace(*path, out); err != nil {
		return fmt.Errorf("write %s: %w", *path, err)
	}
	fmt.Fprintf(stdout, "key %s added to %s and now seals new values; old keys are kept for reading.\n", id, *path)
	fmt.Fprintf(stdout, "next: restart dibao serve, run `dibao key reseal`, back the key file up apart from the database;\n")
	fmt.Fprintf(stdout, "only after the re-seal may the old key lines be removed.\n")
	return nil
}

// cmdKeyReseal re-encrypts every sealed value under the active key, in
// audited batches; it can be interrupted and run again.
func cmdKeyReseal(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("key reseal", flag.ContinueOnError)
	var c config
	c.flags(fs)
	batch := fs.Int("batch", 500, "values per transaction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := c.open(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()
	p := authz.Principal{Username: "system:cli", Roles: []authz.Role{authz.SecurityAdmin}}
	res, err := db.Reseal(ctx, p, *batch, nil)
	if err != nil {
		return err
	}
	// The practical-assessment sandbox seals its practice households with
	// the same keys, so it is re-sealed too (serve creates it on start).
	sres, err := resealSandbox(ctx, &c, db, p, *batch)
	if err != nil {
		return fmt.Errorf("sandbox store: %w", err)
	}
	for k, v := range sres.ByColumn {
		res.ByColumn["sandbox "+k] += v
	}
	res.Scanned, res.Resealed = res.Scanned+sres.Scanned, res.Resealed+sres.Resealed
	cols := make([]string, 0, len(res.ByColumn))
	for k := range res.ByColumn {
		cols = append(cols, k)
	}
	sort.Strings(cols)
	for _, k := range cols {
		fmt.Fprintf(stdout, "  %-24s %d\n", k, res.ByColumn[k])
	}
	fmt.Fprintf(stdout, "re-seal done: %d values scanned, %d re-sealed with the active key\n", res.Scanned, res.Resealed)
	return nil
}

func resealSandbox(ctx context.Context, c *config, main *store.DB, p authz.Principal, batch int) (store.ResealResult, error) {
	dsn, schema, err := c.sandboxDSN()
	if err != nil {
		return store.ResealResult{}, err
	}
	if schema != "" {
		if err := main.ExecRaw(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
			return store.ResealResult{}, err
		}
	}
	sb, err := store.Open(ctx, dsn)
	if err != nil {
		return store.ResealResult{}, err
	}
	defer sb.Close()
	if err := sb.Migrate(ctx); err != nil {
		return store.ResealResult{}, err
	}
	kr, _, err := keyring(c)
	if err != nil {
		return store.ResealResult{}, err
	}
	sb.SetSealer(kr)
	return sb.Reseal(ctx, p, batch, nil)
}
