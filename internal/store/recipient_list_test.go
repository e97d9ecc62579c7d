package store_test

import (
	"fmt"
	"testing"

	"dibao/internal/money"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// registerFixture writes 16 recipients: three in village A (one stopped),
// thirteen in village B (twelve of them category C at 100 yuan).
func registerFixture(t *testing.T, db *store.DB) (ids []int64) {
	t.Helper()
	add := func(s testenv.RecipientSpec) {
		id, _ := testenv.Recipient(t, db, s)
		ids = append(ids, id)
	}
	add(testenv.RecipientSpec{Village: villageA, Head: "赵一", Category: "A", Amount: money.FromYuan(300), Members: 2, ReviewDue: "2026-03-01"})
	add(testenv.RecipientSpec{Village: villageA, Head: "钱二", Urban: true, Category: "B", Amount: money.FromYuan(500), Members: 3})
	add(testenv.RecipientSpec{Village: villageA, Head: "孙三", Category: "B", Amount: money.FromYuan(150), Status: "stopped", EndMonth: "2026-04"})
	add(testenv.RecipientSpec{Village: villageB, Head: "李四", Category: "A", Amount: money.FromYuan(800), Members: 4, ReviewDue: "2026-06-01"})
	for i := range 12 {
		add(testenv.RecipientSpec{Village: villageB, Head: fmt.Sprintf("吴%d", i), Category: "C", Amount: money.FromYuan(100)})
	}
	return ids
}

func TestRegisterFilterAndPages(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		seedRegions(t, db)
		ids := registerFixture(t, db)
		all := region.ScopeOf(county)
		for _, c := range []struct {
			name string
			sc   region.Scope
			f    store.RegisterFilter
			want int
		}{
			{"active in the county", all, store.RegisterFilter{}, 15},
			{"every status", all, store.RegisterFilter{Status: "all"}, 16},
			{"stopped", all, store.RegisterFilter{Status: "stopped"}, 1},
			{"township A", all, store.RegisterFilter{Region: townA}, 2},
			{"village B", all, store.RegisterFilter{Region: villageB}, 13},
			{"category B", all, store.RegisterFilter{Category: "B"}, 1},
			{"category B, any status", all, store.RegisterFilter{Category: "B", Status: "all"}, 2},
			{"urban", all, store.RegisterFilter{Urban: "urban"}, 1},
			{"rural", all, store.RegisterFilter{Urban: "rural"}, 14},
			{"at least 300", all, store.RegisterFilter{MinAmount: money.FromYuan(300)}, 3},
			{"at most 300", all, store.RegisterFilter{MaxAmount: money.FromYuan(300)}, 13},
			{"200 to 600", all, store.RegisterFilter{MinAmount: money.FromYuan(200), MaxAmount: money.FromYuan(600)}, 2},
			{"review due by April", all, store.RegisterFilter{ReviewDueBy: "2026-04-01"}, 1},
			{"review due by year end", all, store.RegisterFilter{ReviewDueBy: "2026-12-31"}, 2},
			// A township scope never widens to another township's village.
			{"township A scope asking for village B", region.ScopeOf(townA), store.RegisterFilter{Region: villageB}, 0},
			{"township A scope", region.ScopeOf(townA), store.RegisterFilter{}, 2},
			{"a bad region code matches nothing", all, store.RegisterFilter{Region: "13019910"}, 0},
		} {
			n, err := db.RegisterCount(ctx, c.sc, c.f)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			rows, err := db.Register(ctx, c.sc, c.f)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if n != c.want || len(rows) != c.want {
				t.Errorf("%s: count %d, rows %d, want %d", c.name, n, len(rows), c.want)
			}
		}

		// Pages: ten, then the remaining five, in region then household order.
		f := store.RegisterFilter{Limit: 10}
		p1, err := db.Register(ctx, all, f)
		if err != nil {
			t.Fatal(err)
		}
		f.Offset = 10
		p2, err := db.Register(ctx, all, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(p1) != 10 || len(p2) != 5 {
			t.Fatalf("pages of %d and %d rows, want 10 and 5", len(p1), len(p2))
		}
		want := append(append([]int64{}, ids[0], ids[1]), ids[3:]...) // the stopped one is not listed
		var got []int64
		for _, e := range append(p1, p2...) {
			got = append(got, e.HouseholdID)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("paged order %v, want %v", got, want)
		}
		if p1[0].HeadName != "赵一" || p1[0].ReviewDue != "2026-03-01" || p1[0].Members != 2 {
			t.Errorf("first row %+v", p1[0])
		}

		// Every row of a filter, streamed, equals the list.
		var each []int64
		if err := db.RegisterEach(ctx, all, store.RegisterFilter{Region: villageB}, func(e store.RegisterEntry) error {
			each = append(each, e.HouseholdID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(each) != fmt.Sprint(ids[3:]) {
			t.Errorf("each %v, want %v", each, ids[3:])
		}

		// One entry, whatever its status, only within scope.
		e, err := db.RegisterEntry(ctx, all, ids[2])
		if err != nil || e.Status != "stopped" || e.EndMonth != "2026-04" {
			t.Fatalf("entry: %+v %v", e, err)
		}
		if _, err := db.RegisterEntry(ctx, region.ScopeOf(townA), ids[3]); err == nil {
			t.Error("a township read another township's recipient")
		}
	})
}
