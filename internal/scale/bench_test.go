package scale_test

import (
	"context"
	"testing"

	"dibao/internal/scale"
	"dibao/internal/testenv"
)

// BenchmarkLoadSQLite generates b.N×1000 households into a fresh SQLite
// store (for profiling: go test -bench LoadSQLite -benchtime 30x -cpuprofile F).
func BenchmarkLoadSQLite(b *testing.B) {
	db := testenv.SQLite(b)
	b.ResetTimer()
	if _, err := scale.Load(context.Background(), db, scale.Options{Households: b.N * 1000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
}
