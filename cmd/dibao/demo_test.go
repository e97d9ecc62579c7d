package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dibao/internal/demo"
	"dibao/internal/piiscan"
)

// TestDemoDatabaseHasNoClearIDs loads the whole demo (county and
// applications, with their documents and cross-check reports) and searches
// the raw SQLite files for every demo ID number, phone and bank account.
func TestDemoDatabaseHasNoClearIDs(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"demo", "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("demo: %d %s", code, errb.String())
	}
	var raw []byte
	for _, f := range []string{"dibao.db", "dibao.db-wal", "dibao.db-shm"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err == nil {
			raw = append(raw, b...)
		}
	}
	if len(raw) < 100_000 {
		t.Fatalf("database files too small (%d bytes): nothing loaded?", len(raw))
	}
	ds := demo.Generate(demoSeed, time.Now())
	checked := 0
	for _, h := range ds.Households {
		secrets := []string{h.Phone, h.BankAccount}
		for _, m := range h.Members {
			secrets = append(secrets, string(m.IDNumber))
		}
		for _, s := range secrets {
			if s == "" {
				continue
			}
			checked++
			if bytes.Contains(raw, []byte(s)) {
				t.Fatalf("clear sensitive value %q found in the SQLite files", s)
			}
		}
	}
	// And no valid ID or card number at all, demo or not (the scanner of
	// TestNoClearPersonalData, which also covers logs, exports and backups).
	if hits := piiscan.Scan(raw, time.Now()); len(hits) > 0 {
		t.Fatalf("%d clear numbers in the SQLite files, first %s", len(hits), hits[0])
	}
	// Control: names are stored in clear, so the search does read the data.
	if !bytes.Contains(raw, []byte(ds.Households[0].Members[0].Name)) {
		t.Fatal("control value not found: the search is not reading the data")
	}
	t.Logf("searched %d bytes for %d sensitive values", len(raw), checked)
}
