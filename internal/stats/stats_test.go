package stats_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/benefit"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/stats"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

var ctx = context.Background()

// Fixture is the hand-counted county of the dashboard tests.
//
// Recipients (active unless said): village A (township A) 赵一 rural A 300
// yuan 2 persons, supplement elderly from the case; 钱二 urban B 500 yuan 3
// persons, the decision in force pays disability and elderly (its case said
// minor); 孙三 rural B 150 yuan stopped after 2026-04. Village B (township
// B): 李四 rural A 800 yuan 4 persons; twelve rural C at 100 yuan.
//
// Applications (seed profile), with times in days from 1 March:
//
//	k1 village A: draft 0 → submitted 1 → accepted 4 (step due 03-10: overdue)
//	k2 village A: draft 0 → submitted 0.5 → accepted 2 → forwarded 3 (due 03-17: due soon)
//	k3 village B: draft 0 → submitted 4 (total due 03-14: overdue)
//	k4 village B: draft -28 → withdrawn -26, closed
//
// Completed stays: draft 1, 0.5, 4, 2 (median 1.5; township A 1 and 0.5:
// 0.75 → 0.8); submitted 3 and 1.5 (median 2.25 → 2.3); accepted 1.
func fixture(t *testing.T, db *store.DB) {
	t.Helper()
	ben := func(cats string) string { return `{"Outcome":"eligible","Eligible":true,"Categories":` + cats + `}` }
	// 赵一's case holds a real decision of the engine, explanation and all:
	// an old man without income gets the elderly supplement.
	h := household.Household{Region: testenv.VillageA, Members: []household.Member{{Name: "赵一", Relation: "head",
		IDNumber: idcard.Make("130199", time.Date(1950, 5, 1, 0, 0, 0, 0, time.UTC), 11), Labour: "none", Health: "healthy",
		CoResident: true}}}
	r := benefit.Compute(h, benefit.DefaultParams(), time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
	if !r.Eligible || fmt.Sprint(r.Categories) != "[elderly]" || len(r.Lines) < 3 {
		t.Fatalf("engine fixture: %+v", r)
	}
	real, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Recipient(t, db, testenv.RecipientSpec{Village: testenv.VillageA, Head: "赵一", Category: "A",
		Amount: money.FromYuan(300), Members: 2, CaseBenefit: string(real)})
	testenv.Recipient(t, db, testenv.RecipientSpec{Village: testenv.VillageA, Head: "钱二", Urban: true, Category: "B",
		Amount: money.FromYuan(500), Members: 3, CaseBenefit: ben(`["minor"]`), Benefit: ben(`["disability","elderly"]`)})
	testenv.Recipient(t, db, testenv.RecipientSpec{Village: testenv.VillageA, Head: "孙三", Category: "B",
		Amount: money.FromYuan(150), Status: "stopped", EndMonth: "2026-04"})
	testenv.Recipient(t, db, testenv.RecipientSpec{Village: testenv.VillageB, Head: "李四", Category: "A",
		Amount: money.FromYuan(800), Members: 4})
	for i := range 12 {
		testenv.Recipient(t, db, testenv.RecipientSpec{Village: testenv.VillageB, Head: fmt.Sprintf("吴%d", i), Category: "C",
			Amount: money.FromYuan(100)})
	}
	d := func(days float64) time.Time {
		return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(days * float64(24*time.Hour)))
	}
	st := func(to string, days float64) testenv.Step { return testenv.Step{To: to, At: d(days)} }
	testenv.Case(t, db, testenv.CaseSpec{Village: testenv.VillageA, Head: "甲", DueDate: "2026-03-10", TotalDue: "2026-04-30",
		Steps: []testenv.Step{st("draft", 0), st("submitted", 1), st("accepted", 4)}})
	testenv.Case(t, db, testenv.CaseSpec{Village: testenv.VillageA, Head: "乙", DueDate: "2026-03-17", TotalDue: "2026-04-30",
		Steps: []testenv.Step{st("draft", 0), st("submitted", 0.5), st("accepted", 2), st("forwarded", 3)}})
	testenv.Case(t, db, testenv.CaseSpec{Village: testenv.VillageB, Head: "丙", TotalDue: "2026-03-14",
		Steps: []testenv.Step{st("draft", 0), st("submitted", 4)}})
	testenv.Case(t, db, testenv.CaseSpec{Village: testenv.VillageB, Head: "丁", DueDate: "2026-01-01", Closed: true,
		Steps: []testenv.Step{st("draft", -28), st("withdrawn", -26)}})
}

type stage struct {
	cases, overdue, soon, samples int
	median                        float64
}

func stagesOf(c stats.County) map[string]stage {
	out := map[string]stage{}
	for _, s := range c.Stages {
		out[s.State] = stage{s.Cases, s.Overdue, s.DueSoon, s.Samples, s.MedianDays}
	}
	return out
}

func TestCountyDashboard(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		testenv.SeedRegions(t, db)
		fixture(t, db)
		now := time.Date(2026, 3, 15, 10, 0, 0, 0, calendar.Location())
		db.SetClock(func() time.Time { return now })
		svc := &stats.Service{DB: db, Now: func() time.Time { return now }}
		admin := testenv.Admin()

		c, err := svc.County(ctx, admin, "")
		if err != nil {
			t.Fatal(err)
		}
		if c.Households != 15 || c.Persons != 21 || c.Amount != money.FromYuan(2800) || c.Urban != 1 || c.Rural != 14 {
			t.Errorf("totals: %d households %d persons %s yuan urban %d rural %d", c.Households, c.Persons, c.Amount.Yuan(), c.Urban, c.Rural)
		}
		var cats []string
		for _, x := range c.ByCategory {
			cats = append(cats, fmt.Sprintf("%s %d/%d %d %s", x.Category, x.UrbanHouseholds, x.RuralHouseholds, x.Persons, x.Amount.Yuan()))
		}
		if got, want := fmt.Sprint(cats), "[A 0/2 6 1,100.00 B 1/0 3 500.00 C 0/12 12 1,200.00]"; got != want {
			t.Errorf("by category %s, want %s", got, want)
		}
		if c.ByCategory[0].Label != "A类（重点保障）" {
			t.Errorf("category label %q", c.ByCategory[0].Label)
		}
		var sups []string
		for _, x := range c.BySupplement {
			sups = append(sups, fmt.Sprintf("%s:%s:%d", x.Code, x.Label, x.Households))
		}
		// Default order elderly, minor, disability, illness; the case's
		// minor was replaced by the decision in force.
		if got, want := fmt.Sprint(sups), "[elderly:老年人:2 disability:重度残疾人:1]"; got != want {
			t.Errorf("by supplement %s, want %s", got, want)
		}
		var towns []string
		for _, x := range c.ByTownship {
			towns = append(towns, fmt.Sprintf("%s %d %d/%d %d %s", x.Code, x.Households, x.Urban, x.Rural, x.Persons, x.Amount.Yuan()))
		}
		if got, want := fmt.Sprint(towns), "[130199101000 2 1/1 5 800.00 130199102000 13 0/13 16 2,000.00]"; got != want {
			t.Errorf("by township %s, want %s", got, want)
		}

		// No roster yet: the twelve months up to March from the register.
		if c.MonthsSource != "register" || len(c.Months) != 12 || c.Months[0].Month != "2025-04" || c.Months[11].Month != "2026-03" {
			t.Fatalf("months %s %+v", c.MonthsSource, c.Months)
		}
		if m := c.Months[9]; m.Month != "2026-01" || m.Households != 16 || m.Amount != money.FromYuan(2950) {
			t.Errorf("January from the register: %+v, want 16 households 2950 yuan", m)
		}
		if m := c.Months[8]; m.Amount != 0 || m.Households != 0 {
			t.Errorf("December before anyone was enrolled: %+v", m)
		}

		// Applications: every recipient's approving case is closed as approved.
		st := stagesOf(c)
		for state, want := range map[string]stage{
			"approved":  {cases: 16},
			"draft":     {samples: 4, median: 1.5},
			"submitted": {cases: 1, overdue: 1, samples: 2, median: 2.3},
			"accepted":  {cases: 1, overdue: 1, samples: 1, median: 1},
			"forwarded": {cases: 1, soon: 1},
			"withdrawn": {cases: 1},
		} {
			if st[state] != want {
				t.Errorf("stage %s: %+v, want %+v", state, st[state], want)
			}
		}
		if len(st) != 6 {
			t.Errorf("stages %v", st)
		}
		if c.OpenCases != 3 || c.Overdue != 2 || c.DueSoon != 1 {
			t.Errorf("open %d overdue %d due soon %d, want 3 2 1", c.OpenCases, c.Overdue, c.DueSoon)
		}

		// A roster replaces the estimate; township A sees only its rows.
		err = db.InTx(ctx, admin, func(tx *store.Tx) error {
			r := store.Roster{County: testenv.County, Month: "2026-02"}
			if err := tx.CreateRoster(ctx, &r); err != nil {
				return err
			}
			regs, err := tx.Register(ctx, admin.Scope(), store.RegisterFilter{Category: "A"})
			if err != nil {
				return err
			}
			var rows []store.RosterRow
			for _, e := range regs {
				rows = append(rows, store.RosterRow{HouseholdID: e.HouseholdID, Region: e.Region, Amount: e.Amount})
			}
			if err := tx.ReplaceRosterRows(ctx, &r, rows); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test.roster", Object: "roster"})
		})
		if err != nil {
			t.Fatal(err)
		}
		c, err = svc.County(ctx, admin, "")
		if err != nil {
			t.Fatal(err)
		}
		if c.MonthsSource != "roster" || fmt.Sprint(c.Months) != "[{2026-02 2 1100.00}]" {
			t.Errorf("roster months %s %v", c.MonthsSource, c.Months)
		}

		ta, err := svc.County(ctx, admin, string(testenv.TownA))
		if err != nil {
			t.Fatal(err)
		}
		if ta.Households != 2 || ta.Amount != money.FromYuan(800) || fmt.Sprint(ta.Months) != "[{2026-02 1 300.00}]" {
			t.Errorf("township A: %d households %s, months %v", ta.Households, ta.Amount.Yuan(), ta.Months)
		}
		st = stagesOf(ta)
		if st["draft"] != (stage{samples: 2, median: 0.8}) || st["approved"].cases != 3 || ta.Overdue != 1 || ta.DueSoon != 1 {
			t.Errorf("township A stages %+v overdue %d soon %d", st, ta.Overdue, ta.DueSoon)
		}

		// Who may look, and where.
		town := testenv.User(t, db, "officer", testenv.TownA, authz.TownshipOfficer)
		if _, err := svc.County(ctx, town, ""); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("township officer: %v, want forbidden", err)
		}
		approverA := authz.Principal{Username: "x", Roles: []authz.Role{authz.CountyApprover}, Region: testenv.TownA}
		if _, err := svc.County(ctx, approverA, string(testenv.TownB)); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("outside scope: %v, want forbidden", err)
		}
		if _, err := svc.County(ctx, admin, "abc"); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("bad region: %v, want invalid", err)
		}
		if _, err := svc.County(ctx, admin, string(testenv.VillageA)); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("village region: %v, want invalid", err)
		}
	})
}

func TestMedianDays(t *testing.T) {
	day := int64(24 * time.Hour / time.Millisecond)
	for _, c := range []struct {
		in   []int64
		want float64
	}{
		{nil, 0},
		{[]int64{3 * day}, 3},
		{[]int64{4 * day, day, 2 * day}, 2},
		{[]int64{day, 2 * day}, 1.5},
		{[]int64{day / 2, day}, 0.8}, // 0.75 rounds half up
		{[]int64{day / 3}, 0.3},
	} {
		if got := stats.MedianDays(c.in); got != c.want {
			t.Errorf("MedianDays(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
