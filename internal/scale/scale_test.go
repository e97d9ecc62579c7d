package scale_test

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"dibao/internal/authz"
	"dibao/internal/benefit"
	"dibao/internal/calendar"
	"dibao/internal/casework"
	"dibao/internal/idcard"
	"dibao/internal/policy"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/scale"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// TestLoadProvince generates a small province on both stores and reads it
// back through the services: the province's shape, the register page of
// every county, an ID look-up through the blind index, the amounts the
// benefit engine gives for the households as the store returns them,
// cases in every workflow state, staff and training, an intact audit chain,
// and a second run refused.
func TestLoadProvince(t *testing.T) {
	const n = 500
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		res, err := scale.Load(ctx, db, scale.Options{Households: n, Seed: 7, Chunk: 200})
		if err != nil {
			t.Fatal(err)
		}
		if res.Households != n || res.Active+res.Stopped+res.Applications != n || res.Members < 2*n || res.Members > 3*n {
			t.Fatalf("result %+v", res)
		}
		if res.Active < n*7/10 || res.Stopped == 0 || res.Applications < n/20 {
			t.Fatalf("mix: %d active, %d stopped, %d applications", res.Active, res.Stopped, res.Applications)
		}
		if res.Users != 3*scale.Counties+2*scale.Townships+scale.Villages {
			t.Fatalf("users %d", res.Users)
		}

		regs, err := db.Regions(ctx, region.All())
		if err != nil {
			t.Fatal(err)
		}
		levels := map[region.Level]int{}
		for _, r := range regs {
			if strings.HasPrefix(string(r.Code), "41") {
				levels[r.Level]++
			}
		}
		if levels[region.County] != 15 || levels[region.Township] != 100 || levels[region.Village] != 2000 {
			t.Fatalf("province shape %v", levels)
		}

		// The register page of each county lists its active recipients.
		svc := &recipients.Service{DB: db, Now: db.Now}
		listed := 0
		for _, c := range res.Counties {
			p := authz.Principal{Username: "t", Roles: []authz.Role{authz.CountyApprover}, Region: c}
			rows, total, err := svc.RegisterPage(ctx, p, store.RegisterFilter{Limit: 20})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != min(total, 20) {
				t.Fatalf("%s: page of %d rows, total %d", c, len(rows), total)
			}
			listed += total
		}
		if listed != res.Active {
			t.Fatalf("register lists %d, %d active", listed, res.Active)
		}

		// The same generation again: its members are found by ID number
		// and their households' amounts are what the engine gives.
		today := calendar.DayOf(db.Now())
		var params []benefit.Params
		for _, c := range scale.ProvinceCounties() {
			set, err := policy.Resolve(ctx, db, c.Code, today)
			if err != nil {
				t.Fatal(err)
			}
			if set.Money(policy.StandardUrban) != c.UrbanStandard || set.Money(policy.StandardRural) != c.RuralStandard {
				t.Fatalf("%s standards not in force", c.Code)
			}
			params = append(params, set.BenefitParams())
		}
		hs, _ := scale.NewGen(7, today, params).Next(n)
		checked := 0
		for i, x := range hs {
			if x.Recipient == nil || x.Recipient.Status != "active" || checked >= 25 {
				continue
			}
			id := x.Household.Members[len(x.Household.Members)-1].IDNumber
			county := x.Household.Region.County()
			rows, total, err := db.Households(ctx, region.ScopeOf(county), store.HouseholdFilter{IDNumber: id, PageSize: 10, Page: 1})
			if err != nil || total != 1 || len(rows) != 1 {
				t.Fatalf("household %d: look-up by ID number: %d rows (%v)", i, total, err)
			}
			h, err := db.Household(ctx, region.ScopeOf(county), rows[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if h.Phone != x.Household.Phone || h.BankAccount != x.Household.BankAccount || len(h.Members) != len(x.Household.Members) ||
				h.Members[0].IDNumber != x.Household.Members[0].IDNumber || len(h.Incomes) != len(x.Household.Incomes) {
				t.Fatalf("household %d read back differs", i)
			}
			set, err := policy.Resolve(ctx, db, county, today)
			if err != nil {
				t.Fatal(err)
			}
			want := benefit.Compute(h, set.BenefitParams(), today)
			r, err := db.RegisterEntry(ctx, region.ScopeOf(county), h.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !want.Eligible || r.Amount != want.Amount || r.Members != want.Persons || r.Status != "active" {
				t.Fatalf("household %d: register %v for %d persons, engine %v for %d (%s)", i, r.Amount, r.Members,
					want.Amount, want.Persons, want.Outcome)
			}
			checked++
		}
		if checked < 25 {
			t.Fatalf("checked %d recipients", checked)
		}

		states, err := db.QueryStrings(ctx, "SELECT DISTINCT state FROM cases WHERE region_code >= '41' AND region_code < '42'")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{"approved": true}
		for _, f := range scale.Flows {
			want[f.State] = true
		}
		got := map[string]bool{}
		for _, s := range states {
			got[s] = true
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("case states %v, want %v", states, want)
		}
		// Every state's case opens on the case page of its county, with
		// its timeline; the township queues hold the open ones.
		cw := &casework.Service{DB: db, Now: db.Now}
		ids, err := db.QueryStrings(ctx, "SELECT CAST(MIN(id) AS TEXT) FROM cases WHERE region_code >= '41' AND region_code < '42' GROUP BY state")
		if err != nil || len(ids) != len(want) {
			t.Fatalf("case ids %v (%v)", ids, err)
		}
		for _, s := range ids {
			id, _ := strconv.ParseInt(s, 10, 64)
			c, err := db.Case(ctx, region.All(), id)
			if err != nil {
				t.Fatal(err)
			}
			p := authz.Principal{Username: "t", Roles: []authz.Role{authz.CountyApprover}, Region: c.Region.County()}
			v, err := cw.Get(ctx, p, id)
			if err != nil {
				t.Fatalf("case %d (%s): %v", id, c.State, err)
			}
			if v.State.ID != c.State || (c.State != "draft" && len(v.Events) == 0) || len(v.Household.Members) == 0 {
				t.Fatalf("case %d: state %q, %d events, %d members", id, v.State.ID, len(v.Events), len(v.Household.Members))
			}
		}
		if att, err := db.QueryStrings(ctx, "SELECT CAST(COUNT(*) AS TEXT) FROM attendance"); err != nil || att[0] == "0" {
			t.Fatalf("attendance %v (%v)", att, err)
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}

		_, err = scale.Load(ctx, db, scale.Options{Households: n, Seed: 7, Chunk: 200})
		if err == nil || !strings.Contains(err.Error(), "already holds") {
			t.Fatalf("second load: %v", err)
		}
	})
}

// TestGenDeterministic: the same seed gives the same households, another
// seed others; ID numbers are distinct and valid.
func TestGenDeterministic(t *testing.T) {
	today := calendar.Date(2026, 11, 27)
	params := defaultParams()
	a, ca := scale.NewGen(3, today, params).Next(3000)
	b, _ := scale.NewGen(3, today, params).Next(3000)
	c, _ := scale.NewGen(4, today, params).Next(3000)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different households")
	}
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds, same households")
	}
	seen := map[string]bool{}
	for _, h := range a {
		if n := len(h.Household.Members); n < 1 || n > 5 {
			t.Fatalf("%d members", n)
		}
		for _, m := range h.Household.Members {
			if seen[string(m.IDNumber)] {
				t.Fatalf("ID number %s twice", m.IDNumber)
			}
			seen[string(m.IDNumber)] = true
			if _, err := idcard.Parse(string(m.IDNumber), today); err != nil {
				t.Fatalf("ID number %s: %v", m.IDNumber, err)
			}
			if string(m.IDNumber[:6]) != string(h.Household.Region[:6]) {
				t.Fatalf("ID number %s outside county %s", m.IDNumber, h.Household.Region)
			}
		}
	}
	if avg := float64(ca.Members) / float64(ca.Households); avg < 2.2 || avg > 2.8 {
		t.Fatalf("%.2f members per household", avg)
	}
	if len(ca.States) != len(scale.Flows) {
		t.Fatalf("states %v", ca.States)
	}
	if err := scale.CheckHouseholds(0); err == nil {
		t.Fatal("0 households accepted")
	}
	if err := scale.CheckHouseholds(scale.MaxHouseholds + 1); err == nil {
		t.Fatal("too many households accepted")
	}
}

// cancelOnWrite cancels a context at the first progress line: the load
// stops after its first committed batch, as if the process were killed.
type cancelOnWrite struct{ cancel context.CancelFunc }

func (w cancelOnWrite) Write(b []byte) (int, error) { w.cancel(); return len(b), nil }

// TestLoadResumes: a load interrupted after some batches is refused with
// other options and finished by the same command, without writing any
// household twice.
func TestLoadResumes(t *testing.T) {
	const n = 300
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		o := scale.Options{Households: n, Seed: 9, Chunk: 100, Progress: cancelOnWrite{cancel}}
		if _, err := scale.Load(ctx, db, o); err == nil {
			t.Fatal("interrupted load reported success")
		}
		bg := context.Background()
		st, err := scale.Loaded(bg, db)
		if err != nil || !st.Started || st.Complete {
			t.Fatalf("after interruption: %+v (%v)", st, err)
		}
		if _, err := scale.Load(bg, db, scale.Options{Households: n + 1, Seed: 9, Chunk: 100}); err == nil ||
			!strings.Contains(err.Error(), "half-written") {
			t.Fatalf("other size: %v", err)
		}
		res, err := scale.Load(bg, db, scale.Options{Households: n, Seed: 9, Chunk: 100})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Resumed || res.Households >= n || res.Households == 0 {
			t.Fatalf("resumed load wrote %d households (resumed %v)", res.Households, res.Resumed)
		}
		hs, ms, err := db.CountHouseholds(bg, region.Scope{Lo: "410000000000", Hi: "420000000000"})
		if err != nil || hs != n {
			t.Fatalf("households %d, members %d (%v), want %d households", hs, ms, err, n)
		}
		_, c := scale.NewGen(9, calendar.DayOf(db.Now()), defaultParams()).Next(n)
		if ms != c.Members {
			t.Fatalf("members %d, generated %d", ms, c.Members)
		}
		if _, err := db.VerifyAudit(bg); err != nil {
			t.Fatal(err)
		}
	})
}

func defaultParams() []benefit.Params {
	params := make([]benefit.Params, scale.Counties)
	for i, c := range scale.ProvinceCounties() {
		params[i] = policy.Defaults().BenefitParams()
		params[i].UrbanStandard, params[i].RuralStandard = c.UrbanStandard, c.RuralStandard
	}
	return params
}
