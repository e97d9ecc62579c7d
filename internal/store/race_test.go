package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"dibao/internal/store"
	"dibao/internal/testenv"
)

// TestWritersReadOnThePool (issue 9, races): as many write transactions as
// PostgreSQL has writer connections are all open at once, and each then
// reads on the pool before it commits (as services do: a policy, a user, a
// list). With one pool for both this hung for good, every writer holding
// a connection and waiting for another; the reads have their own pool now.
// On SQLite the writers take turns and read on the reader pool.
func TestWritersReadOnThePool(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		testenv.SeedRegions(t, db)
		n := store.PostgresWriters
		inside := make(chan struct{}, n)
		all := make(chan struct{})
		go func() {
			if db.Dialect() != store.Postgres {
				close(all) // one SQLite writer at a time: nobody waits for the others
				return
			}
			for range n {
				select {
				case <-inside:
				case <-ctx.Done():
					return
				}
			}
			close(all)
		}()
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
					inside <- struct{}{}
					select {
					case <-all:
					case <-ctx.Done():
						return ctx.Err()
					}
					if _, err := db.QueryStrings(ctx, "SELECT name FROM regions ORDER BY code"); err != nil {
						return err
					}
					return tx.Audit(ctx, store.Entry{Action: "test.read_inside", Object: "regions"})
				})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("writer %d: %v", i, err)
			}
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
