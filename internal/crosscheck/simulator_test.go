package crosscheck

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
)

// population is n requests of five people each, born 1930–2020, so that
// every age band is well represented.
func population(n int) []Request {
	var reqs []Request
	for i := range n {
		r := sampleRequest()
		r.ID = fmt.Sprintf("HD-130199-2026-%06d-01", i)
		r.CaseNumber = fmt.Sprintf("SQ-%06d", i)
		r.Persons = nil
		for j := range 5 {
			k := i*5 + j
			birth := date(1930+k*7%90, time.Month(1+k%12), 1+k%28)
			r.Persons = append(r.Persons, Person{Name: "某", IDNumber: idcard.Make("130199", birth, k%1000)})
		}
		reqs = append(reqs, r)
	}
	return reqs
}

func TestSimulatorDeterministic(t *testing.T) {
	reqs := population(50)
	a, b, c := &Simulator{Seed: 7}, &Simulator{Seed: 7}, &Simulator{Seed: 8}
	differ := false
	for _, r := range reqs {
		ra, rb, rc := a.Report(r), b.Report(r), c.Report(r)
		if !reflect.DeepEqual(ra, rb) {
			t.Fatalf("same seed, different reports for %s", r.ID)
		}
		if !reflect.DeepEqual(ra, a.Report(r)) {
			t.Fatalf("same simulator, different reports for %s", r.ID)
		}
		differ = differ || !reflect.DeepEqual(ra.Findings, rc.Findings)
	}
	if !differ {
		t.Fatal("another seed changed nothing")
	}
}

func TestSimulatorPlausible(t *testing.T) {
	type band struct{ lo, hi money.Fen }
	monthly := map[household.IncomeKind]band{
		"pension": {100_00, 300_00},
		"wage":    {1500_00, 3500_00},
	}
	value := map[household.PropertyKind]band{
		"vehicle":    {20000_00, 80000_00},
		"deposit":    {1000_00, 60000_00},
		"house":      {120000_00, 350000_00},
		"business":   {10000_00, 100000_00},
		"securities": {1000_00, 20000_00},
		"other":      {2000_00, 15000_00},
	}
	s := &Simulator{Seed: 2026}
	count := map[string]int{}
	elderly, adults := 0, 0
	for _, req := range population(400) {
		for _, p := range req.Persons {
			if a := p.IDNumber.Age(req.RequestedAt); a >= 60 {
				elderly++
			} else if a >= 18 {
				adults++
			}
		}
		rep := s.Report(req)
		if rep.Status != StatusComplete || len(rep.Checked) != len(req.Persons)*len(req.Scope) || rep.Notes != SimulatorNote {
			t.Fatalf("report %s: status %s, %d checked", req.ID, rep.Status, len(rep.Checked))
		}
		if err := Match(req, rep); err != nil {
			t.Fatalf("Match: %q", messages(err))
		}
		for _, f := range rep.Findings {
			age := f.IDNumber.Age(req.RequestedAt)
			switch f.Kind {
			case KindIncome:
				b, ok := monthly[f.IncomeKind]
				m := f.Amount / money.Fen(f.Months)
				if !ok || m < b.lo || m > b.hi || f.Amount%money.Fen(f.Months) != 0 {
					t.Fatalf("implausible income %+v", f)
				}
				if f.IncomeKind == "pension" && age < 60 || f.IncomeKind == "wage" && (age < 18 || age >= 60) {
					t.Fatalf("%s at age %d", f.IncomeKind, age)
				}
				count[string(f.IncomeKind)]++
			case KindProperty:
				b, ok := value[f.PropertyKind]
				if !ok || f.Amount < b.lo || f.Amount > b.hi || f.Quantity != 1 {
					t.Fatalf("implausible property %+v", f)
				}
				if age < 16 {
					t.Fatalf("%s owned at age %d", f.PropertyKind, age)
				}
				count[string(f.PropertyKind)]++
			}
		}
	}
	// Rates, loosely: most elderly have a pension, some adults work, few
	// own a vehicle.
	share := func(k string, of int) float64 { return float64(count[k]) / float64(of) }
	checks := []struct {
		what   string
		got    float64
		lo, hi float64
	}{
		{"pension among elderly", share("pension", elderly), 0.75, 0.95},
		{"wage among working age", share("wage", adults), 0.2, 0.4},
		{"vehicle among adults", share("vehicle", adults+elderly), 0.03, 0.15},
		{"deposit among adults", share("deposit", adults+elderly), 0.3, 0.6},
	}
	for _, c := range checks {
		if c.got < c.lo || c.got > c.hi {
			t.Errorf("%s: %.2f, want %.2f–%.2f (counts %v)", c.what, c.got, c.lo, c.hi, count)
		}
	}
	for _, k := range []string{"house", "business", "other"} {
		if count[k] == 0 {
			t.Errorf("no %s found in the whole population", k)
		}
	}
}

func TestSimulatorFetch(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name    string
		pending int
	}{
		{"ready at once", 0},
		{"ready on the third fetch", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := today.AddDate(0, 0, 3)
			s := &Simulator{Seed: 1, PendingFetches: c.pending, Now: func() time.Time { return now }}
			req := sampleRequest()
			ticket, err := s.Submit(ctx, req)
			if err != nil || ticket != "SIM-"+req.ID {
				t.Fatalf("Submit = %q, %v", ticket, err)
			}
			for i := range c.pending {
				if _, ready, err := s.Fetch(ctx, ticket); ready || err != nil {
					t.Fatalf("fetch %d: ready %v, %v", i+1, ready, err)
				}
			}
			rep, ready, err := s.Fetch(ctx, ticket)
			if err != nil || !ready || !rep.ReceivedAt.Equal(now) {
				t.Fatalf("ready %v, %v, received %v", ready, err, rep.ReceivedAt)
			}
			want := s.Report(req)
			want.ReceivedAt = now
			if !reflect.DeepEqual(rep, want) {
				t.Fatal("fetched report differs from Report")
			}
		})
	}
	t.Run("unknown ticket", func(t *testing.T) {
		_, _, err := (&Simulator{}).Fetch(ctx, "SIM-X")
		if errs.CodeOf(err) != errs.NotFound || errs.As(err).Message != "找不到凭证号为“SIM-X”的核对请求" {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("invalid request", func(t *testing.T) {
		r := sampleRequest()
		r.Scope = nil
		if _, err := (&Simulator{}).Submit(ctx, r); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("error %v", err)
		}
	})
}

// declared is the sample household's own declaration.
func declared() household.Household {
	return household.Household{
		Members: []household.Member{
			{ID: 1, Name: "张三", IDNumber: idHead},
			{ID: 2, Name: "李四", IDNumber: idWife},
			{ID: 3, Name: "张小明", IDNumber: idSon},
		},
		Incomes: []household.Income{
			{MemberID: 1, Kind: "pension", Description: "养老金", Amount: 240000, Months: 12},
			{MemberID: 3, Kind: "wage", Description: "县城打工", Amount: 2400000, Months: 12},
			{MemberID: 2, Kind: "transfer", Description: "子女赡养费", Amount: 120000, Months: 12}, // no platform sees this
		},
		Properties: []household.Property{
			{Kind: "deposit", Description: "农信社存款", Value: 800000, Quantity: 1},
			{Kind: "insurance", Description: "商业保险", Value: 300000, Quantity: 1}, // nor this
		},
	}
}

func TestSimulatorScenarios(t *testing.T) {
	agreed := []Finding{
		{IDNumber: idHead, Source: SocialInsurance, Kind: KindIncome, IncomeKind: "pension", Description: "养老金", Amount: 240000, Months: 12},
		{IDNumber: idHead, Source: Deposit, Kind: KindProperty, PropertyKind: "deposit", Description: "农信社存款", Amount: 800000, Quantity: 1},
		{IDNumber: idSon, Source: SocialInsurance, Kind: KindIncome, IncomeKind: "wage", Description: "县城打工", Amount: 2400000, Months: 12},
	}
	cases := []struct {
		name     string
		scenario Scenario
		scope    []Source
		decl     func(h *household.Household)
		extra    Source // the source of the undeclared finding, "" for none
		lo, hi   money.Fen
	}{
		{"agree", ScenarioAgree, AllSources(), nil, "", 0, 0},
		{"undeclared vehicle", ScenarioUndeclared, AllSources(), nil, Vehicle, 20000_00, 80000_00},
		{"vehicle declared, so a deposit", ScenarioUndeclared, AllSources(), func(h *household.Household) {
			h.Properties = append(h.Properties, household.Property{Kind: "vehicle", Description: "三轮车", Value: 300000, Quantity: 1})
		}, Deposit, 30000_00, 60000_00},
		{"vehicles not checked, so a deposit", ScenarioUndeclared, []Source{SocialInsurance, Deposit}, nil, Deposit, 30000_00, 60000_00},
		{"only social insurance, so wages", ScenarioUndeclared, []Source{SocialInsurance}, nil, SocialInsurance, 18000_00, 42000_00},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := declared()
			if c.decl != nil {
				c.decl(&h)
			}
			req := sampleRequest()
			req.Scope = c.scope
			s := &Simulator{Seed: 99}
			s.Declare(req.CaseNumber, h, c.scenario)
			rep := s.Report(req)
			if err := Match(req, rep); err != nil {
				t.Fatalf("Match: %q", messages(err))
			}
			inScope := map[Source]bool{}
			for _, src := range c.scope {
				inScope[src] = true
			}
			var want []Finding
			for _, f := range agreed {
				if inScope[f.Source] {
					want = append(want, f)
				}
			}
			if c.decl != nil {
				want = append(want, Finding{IDNumber: idHead, Source: Vehicle, Kind: KindProperty, PropertyKind: "vehicle", Description: "三轮车", Amount: 300000, Quantity: 1})
			}
			var extra []Finding
			for _, f := range rep.Findings {
				if i := indexOf(want, f); i >= 0 {
					want = append(want[:i], want[i+1:]...)
				} else {
					extra = append(extra, f)
				}
			}
			if len(want) != 0 {
				t.Fatalf("declared items not reported: %+v", want)
			}
			if c.extra == "" {
				if len(extra) != 0 {
					t.Fatalf("undeclared items in an agreeing report: %+v", extra)
				}
				return
			}
			if len(extra) != 1 || extra[0].Source != c.extra || extra[0].Amount < c.lo || extra[0].Amount > c.hi {
				t.Fatalf("undeclared items %+v; want one from %s within %v–%v", extra, c.extra, c.lo, c.hi)
			}
			if age := extra[0].IDNumber.Age(today); age < 18 {
				t.Fatalf("undeclared item owned by a child of %d", age)
			}
		})
	}
}

func indexOf(list []Finding, f Finding) int {
	for i, g := range list {
		if g == f {
			return i
		}
	}
	return -1
}

func TestSimulatorUnavailableAndBatchFile(t *testing.T) {
	s := &Simulator{Seed: 3, Unavailable: []Source{RealEstate, Securities}}
	req := sampleRequest()
	rep := s.Report(req)
	if rep.Status != StatusPartial || len(rep.Gaps) != 2*len(req.Persons) {
		t.Fatalf("status %s with %d gaps", rep.Status, len(rep.Gaps))
	}
	for _, g := range rep.Gaps {
		if g.Reason != MsgSimulatorUnavailable || (g.Source != RealEstate && g.Source != Securities) {
			t.Fatalf("gap %+v", g)
		}
	}
	s.Unavailable = AllSources()
	if st := s.Report(req).Status; st != StatusFailed {
		t.Fatalf("nothing available: status %s", st)
	}

	// A simulated report makes a result file for batch-exchange training.
	s.Unavailable = []Source{Tax}
	var reps []Report
	for _, r := range population(20) {
		reps = append(reps, s.Report(r))
	}
	var buf bytes.Buffer
	if err := WriteResultCSV(&buf, reps); err != nil {
		t.Fatalf("write: %q", messages(err))
	}
	back, err := ReadResultCSV(&buf)
	if err != nil {
		t.Fatalf("read: %q", messages(err))
	}
	for i := range reps {
		reps[i].Notes = ""
	}
	if !reflect.DeepEqual(back, reps) {
		t.Fatal("simulated reports do not survive the result file")
	}
}

func TestSimulatorConcurrent(t *testing.T) {
	s := &Simulator{Seed: 11, PendingFetches: 1}
	ctx := context.Background()
	reqs := population(16)
	done := make(chan error, len(reqs))
	for i, r := range reqs {
		go func() {
			s.Declare(r.CaseNumber, declared(), Scenario(i%3))
			ticket, err := s.Submit(ctx, r)
			if err != nil {
				done <- err
				return
			}
			for {
				rep, ready, err := s.Fetch(ctx, ticket)
				if err != nil || ready {
					if err == nil && rep.RequestID != r.ID {
						err = fmt.Errorf("report for %s under ticket %s", rep.RequestID, ticket)
					}
					done <- err
					return
				}
			}
		}()
	}
	for range reqs {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
