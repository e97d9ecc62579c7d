package testenv

import (
	"testing"

	"dibao/internal/store"
)

// SandboxStore opens a second, separate store of the same dialect as main,
// as the sandbox of practical assessments: a SQLite file of its own, or a
// PostgreSQL schema of its own — the same isolation the server sets up
// (DATA/sandbox.db, or the "sandbox" schema).
func SandboxStore(t testing.TB, main *store.DB) *store.DB {
	t.Helper()
	if main.Dialect() == store.Postgres {
		return Postgres(t)
	}
	return SQLite(t)
}
