package demo

import (
	"context"
	"testing"

	"dibao/internal/casework"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

func TestLoadCases(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := Load(ctx, db, Generate(DefaultSeed, db.Now())); err != nil {
			t.Fatal(err)
		}
		svc := &casework.Service{DB: db, Now: db.Now}
		res, err := LoadCases(ctx, db, svc)
		if err != nil || res.Cases != 5 {
			t.Fatalf("LoadCases: %+v %v", res, err)
		}
		cases, err := db.Cases(ctx, region.All(), store.CaseFilter{})
		if err != nil {
			t.Fatal(err)
		}
		states := map[string]int{}
		for _, c := range cases {
			states[c.State]++
		}
		want := map[string]int{"submitted": 2, "forwarded": 1, "investigating": 1, "publicity": 1}
		for s, n := range want {
			if states[s] != n {
				t.Fatalf("states = %v, want %v", states, want)
			}
		}
		again, err := LoadCases(ctx, db, svc)
		if err != nil || !again.AlreadyLoaded {
			t.Fatalf("second LoadCases: %+v %v", again, err)
		}
		if n, _ := db.Cases(ctx, region.All(), store.CaseFilter{}); len(n) != 5 {
			t.Fatalf("second load added cases: %d", len(n))
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
