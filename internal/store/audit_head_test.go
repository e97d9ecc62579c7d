package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"dibao/internal/authz"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// TestAuditHeadGuess: two handles on one SQLite file (two processes, in
// effect) append to the chain in turn, and a transaction that audits and
// then fails rolls back; each handle's remembered head goes stale, and
// the chain still verifies with every committed record and nothing else.
// On PostgreSQL the same writes through two handles.
func TestAuditHeadGuess(t *testing.T) {
	ctx := context.Background()
	p := authz.System("test")
	write := func(t *testing.T, db *store.DB, action string, fail bool) {
		t.Helper()
		boom := errors.New("boom")
		err := db.InTx(ctx, p, func(tx *store.Tx) error {
			for i := 0; i < 2; i++ { // two records in one transaction
				if err := tx.Audit(ctx, store.Entry{Action: action, Object: "test"}); err != nil {
					return err
				}
			}
			if fail {
				return boom
			}
			return nil
		})
		if fail != errors.Is(err, boom) || (!fail && err != nil) {
			t.Fatalf("%s: %v", action, err)
		}
	}
	check := func(t *testing.T, db *store.DB, want int64) {
		t.Helper()
		if n, err := db.VerifyAudit(ctx); err != nil || n != want {
			t.Fatalf("chain: %d records (%v), want %d", n, err, want)
		}
	}
	run := func(t *testing.T, a, b *store.DB) {
		base, err := a.VerifyAudit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		write(t, a, "a1", false)
		write(t, b, "b1", false)
		write(t, a, "a2", false) // a's head is stale: b wrote since
		write(t, a, "a3", true)  // rolled back
		write(t, a, "a4", false)
		write(t, b, "b2", false)
		check(t, a, base+10)
		check(t, b, base+10)
	}
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dibao.db")
		a, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if err := a.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		b, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		run(t, a, b)
	})
	t.Run("postgres", func(t *testing.T) {
		a, dsn := testenv.PostgresDSN(t)
		b, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		run(t, a, b)
	})
}
