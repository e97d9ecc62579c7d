// Package bench measures the application's hot paths against the same work
// done raw on the database in the same run, and reports the ratio: the
// price of validation, encryption, scope checks and audit.
package bench

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"dibao/internal/authz"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/region"
	"dibao/internal/registry"
	"dibao/internal/store"
)

// Result is one workload's timing.
type Result struct {
	Scenario string        `json:"scenario"` // the `dibao bench` scenario that produced it
	Name     string        `json:"name"`
	Ops      int           `json:"ops"`
	App      time.Duration `json:"app_ns"` // through the services
	Raw      time.Duration `json:"raw_ns"` // the same rows, raw SQL (0 = no raw counterpart)
	Ratio    float64       `json:"ratio"`  // App / Raw

	// Unit is what Ops counts: "" (operations: time per op is printed),
	// "rows", "households", "transitions" … (throughput per second is
	// printed) or "pages"/"requests" (latency percentiles are printed).
	Unit   string        `json:"unit"`
	AppP50 time.Duration `json:"app_p50_ns,omitempty"` // latency workloads
	AppP95 time.Duration `json:"app_p95_ns,omitempty"`
	AppP99 time.Duration `json:"app_p99_ns,omitempty"`
	RawP50 time.Duration `json:"raw_p50_ns,omitempty"`
	RawP95 time.Duration `json:"raw_p95_ns,omitempty"`
	RawP99 time.Duration `json:"raw_p99_ns,omitempty"`
	Errors int           `json:"errors"`
	Note   string        `json:"note"` // printed after the ratio

	// Target is the target for this result in words (e.g.
	// "≥ 0.5× raw", "p95 < 50 ms"); Met tells whether this run met it.
	Target string `json:"target,omitempty"`
	Met    *bool  `json:"met,omitempty"`
}

// Check sets the target and whether ok met it.
func (r *Result) Check(target string, ok bool) {
	r.Target, r.Met = target, &ok
}

// AppRate and RawRate are Ops per second.
func (r Result) AppRate() float64 { return rate(r.Ops, r.App) }

// RawRate is Ops per second of the raw run.
func (r Result) RawRate() float64 { return rate(r.Ops, r.Raw) }

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func (r Result) String() string {
	per := func(d time.Duration) string {
		return (d / time.Duration(max(r.Ops, 1))).Round(time.Microsecond).String()
	}
	ratio := "—"
	if r.Raw > 0 {
		ratio = fmt.Sprintf("%.2f×", r.Ratio)
	}
	var s string
	switch r.Unit {
	case "":
		s = fmt.Sprintf("%-22s %6d ops   app %10s/op   raw %10s/op   ratio %s", r.Name, r.Ops, per(r.App), per(r.Raw), ratio)
	case "MB": // a measured size (the api scenario's serve RSS)
		s = fmt.Sprintf("%-22s %6d MB", r.Name, r.Ops)
	case "pages", "requests":
		ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
		s = fmt.Sprintf("%-22s %6d %-10s app p50 %8s p95 %8s p99 %8s   raw p50 %8s p95 %8s p99 %8s   ratio %s", r.Name, r.Ops, r.Unit,
			ms(r.AppP50), ms(r.AppP95), ms(r.AppP99), ms(r.RawP50), ms(r.RawP95), ms(r.RawP99), ratio)
	default:
		raw := "—"
		if r.Raw > 0 {
			raw = fmt.Sprintf("%7.3fs %9.0f/s", r.Raw.Seconds(), r.RawRate())
		}
		s = fmt.Sprintf("%-22s %6d %-10s app %7.3fs %9.0f/s   raw %18s   ratio %s", r.Name, r.Ops, r.Unit,
			r.App.Seconds(), r.AppRate(), raw, ratio)
	}
	if r.Errors > 0 {
		s += fmt.Sprintf("   %d ERRORS", r.Errors)
	}
	if r.Target != "" {
		verdict := "met"
		if r.Met == nil || !*r.Met {
			verdict = "NOT MET"
		}
		s += "   target " + r.Target + ": " + verdict
	}
	if r.Note != "" {
		s += "   (" + r.Note + ")"
	}
	return s
}

// Table prints results one a line under a title line, then what the
// ratio means.
func Table(w io.Writer, title string, rs []Result) {
	fmt.Fprintln(w, title)
	for _, r := range rs {
		fmt.Fprintln(w, "  "+r.String())
	}
	fmt.Fprintln(w, "ratio = time through the services ÷ the same rows with raw SQL (no validation, policy, sealing, scope or audit)")
}

// Households runs the household workloads on db: n creations through the
// registry (validate, seal, audit, one transaction each) against n raw
// inserts, then list pages through the store (scope + decrypting masked
// head IDs) against the raw list query; the raw inserts run last. village must be a village code that
// exists in db; the principal acts as a village clerk there.
func Households(ctx context.Context, db *store.DB, village region.Code, n int, progress io.Writer) ([]Result, error) {
	p := authz.Principal{Username: "bench", Roles: []authz.Role{authz.VillageClerk}, Region: village}
	now := time.Now()
	svc := &registry.Service{DB: db, Now: func() time.Time { return now }}
	ids := newIDs()
	report := func(stage string, i int) {
		if progress != nil && (i%max(n/10, 1) == 0 || i == n) {
			fmt.Fprintf(progress, "\r%s %3d%%", stage, i*100/max(n, 1))
			if i == n {
				fmt.Fprintln(progress)
			}
		}
	}

	create := Result{Name: "household create", Ops: n}
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := svc.Create(ctx, p, draft(village, ids, i)); err != nil {
			return nil, fmt.Errorf("create %d: %w", i, err)
		}
		report("create (app)", i+1)
	}
	create.App = time.Since(start)
	pages := max(n, 50)
	list := Result{Name: "household list page", Ops: pages}
	scope := region.ScopeOf(village.County())
	// App and raw queries alternate so both meet the same table statistics
	// (PostgreSQL's autovacuum analyses the fresh rows while this runs).
	for i := 0; i < pages; i++ {
		start = time.Now()
		if _, _, err := db.Households(ctx, scope, store.HouseholdFilter{Page: 1, PageSize: 20}); err != nil {
			return nil, err
		}
		list.App += time.Since(start)
		start = time.Now()
		if _, err := db.RawListHouseholds(ctx, string(scope.Lo), string(scope.Hi), 20); err != nil {
			return nil, err
		}
		list.Raw += time.Since(start)
	}
	list.Ratio = ratio(list.App, list.Raw)
	// Raw inserts run last: their placeholder column values are not sealed,
	// so the decrypting list above must not meet them.
	start = time.Now()
	for i := 0; i < n; i++ {
		ms := [][2]string{{"压测甲", "x"}, {"压测乙", "x"}, {"压测丙", "x"}}
		if err := db.RawInsertHousehold(ctx, string(village), "压测甲", ms); err != nil {
			return nil, fmt.Errorf("raw insert %d: %w", i, err)
		}
		report("create (raw)", i+1)
	}
	create.Raw = time.Since(start)
	create.Ratio = ratio(create.App, create.Raw)

	return []Result{create, list}, nil
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// newIDs returns a generator of distinct valid ID numbers for one run (the
// run's time picks the starting point, so repeated runs on one store do
// not collide).
func newIDs() func(i, j int) idcard.ID {
	base := time.Now().UnixNano() % 1_000_000
	return func(i, j int) idcard.ID {
		k := int(base) + i*7 + j
		return idcard.Make("990101", time.Date(1940+k%60, time.Month(1+k/60%12), 1+k/720%28, 0, 0, 0, 0, time.UTC), k/20160%1000)
	}
}

// draft is the i-th benchmark household: three members, zero income.
func draft(village region.Code, ids func(i, j int) idcard.ID, i int) household.Draft {
	return household.Draft{Region: string(village), Address: "压测路" + strconv.Itoa(i) + "号", Urban: "rural",
		Phone: "13800000000", BankName: "农村信用社", BankAccount: "6228480000000000000",
		Members: []household.MemberDraft{
			{Name: "压测甲", IDNumber: string(ids(i, 0)), Labour: "full", Health: "healthy", CoResident: "1"},
			{Name: "压测乙", Relation: "spouse", IDNumber: string(ids(i, 1)), Labour: "full", Health: "healthy", CoResident: "1"},
			{Name: "压测丙", Relation: "child", IDNumber: string(ids(i, 2)), Labour: "none", Health: "healthy", CoResident: "1"},
		}}
}

// fanOut calls do(w, i) for every i in [lo, hi) on n goroutines (w is the
// goroutine's number, 0 ≤ w < n), each taking the next i until none is
// left or ctx is done, and returns the wall time. do records its results
// itself (in slots indexed by i or by w, or under its own lock).
func fanOut(ctx context.Context, n, lo, hi int, do func(w, i int)) time.Duration {
	var next atomic.Int64
	next.Store(int64(lo))
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= hi || ctx.Err() != nil {
					return
				}
				do(w, i)
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}
