package bench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"dibao/internal/authz"
	"dibao/internal/casework"
	"dibao/internal/errs"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// TransitionCases is how many cases the transitions scenario takes through
// intake → accept → forward (three transitions each), through the services
// and again raw.
const TransitionCases = 1000

// transitionSteps are the three counter transitions each case takes.
var transitionSteps = [3]struct{ id, from, to string }{
	{"intake", "draft", "submitted"}, {"accept", "submitted", "accepted"}, {"forward", "accepted", "forwarded"},
}

// Transitions runs TransitionsOf with TransitionCases cases.
func Transitions(ctx context.Context, env Env) ([]Result, error) {
	r, err := TransitionsOf(ctx, env, TransitionCases)
	if err != nil {
		return nil, err
	}
	return []Result{r}, nil
}

// TransitionsOf measures workflow transitions through the service layer
// (casework.Service.Act: scope, guards, facts, deadlines, the audit chain,
// the optimistic version) at env.Concurrency against the same number of
// transitions done raw (store.RawStep: one INSERT of the event and one
// UPDATE of the case per transaction) at the same concurrency.
//
// The fixture, untimed: 2n applications opened for recipient households of
// env.Counties[0] by their village clerk, the first n with the material
// checklist complete (the app's cases), the other n for the raw run. Each
// worker takes whole cases, so no two workers meet on one case. Afterwards
// every case must hold exactly its three new events with seq 2–4, be
// forwarded at its version + 3, and the chain must hold exactly 3n new
// case records; anything else counts as an error.
func TransitionsOf(ctx context.Context, env Env, n int) (Result, error) {
	db := env.DB
	if len(env.Counties) == 0 {
		return Result{}, errors.New("bench transitions: no county")
	}
	workers := env.Concurrency
	if workers <= 0 {
		workers = 8
	}
	svc := &casework.Service{DB: db, Now: db.Now}
	// Recipients of the counties in order, as many as the fixture needs.
	var recs []store.Recipient
	for _, c := range env.Counties {
		rs, err := db.Recipients(ctx, region.ScopeOf(c))
		if err != nil {
			return Result{}, err
		}
		recs = append(recs, rs...)
		if len(recs) >= 4*n {
			break
		}
	}
	clerks := map[region.Code]authz.Principal{}
	clerk := func(v region.Code) authz.Principal {
		p, ok := clerks[v]
		if !ok {
			p = authz.Principal{Username: "bench-clerk-" + string(v), DisplayName: "压测经办人", Roles: []authz.Role{authz.VillageClerk}, Region: v}
			clerks[v] = p
		}
		return p
	}
	ok := make([]casework.MaterialInput, 0, len(casework.Materials))
	for _, m := range casework.Materials {
		ok = append(ok, casework.MaterialInput{Code: m.Code, Status: "ok"})
	}
	type fcase struct {
		c store.Case
		p authz.Principal
	}
	var app, raw []fcase
	for _, r := range recs {
		if len(raw) == n {
			break
		}
		p := clerk(r.Region)
		c, err := svc.Open(ctx, p, r.HouseholdID, casework.Declaration{None: true})
		if err != nil && errs.As(err).Code == errs.Conflict {
			continue // the household has an open application already (an earlier run)
		}
		if err != nil {
			return Result{}, fmt.Errorf("bench transitions: open for household %d: %w", r.HouseholdID, err)
		}
		if len(app) < n {
			if c, err = svc.SetMaterials(ctx, p, c.ID, c.Version, ok); err != nil {
				return Result{}, fmt.Errorf("bench transitions: materials of case %d: %w", c.ID, err)
			}
			app = append(app, fcase{c, p})
		} else {
			raw = append(raw, fcase{c, p})
		}
		if env.Progress != nil && (len(app)+len(raw))%max(n/5, 1) == 0 {
			fmt.Fprintf(env.Progress, "\rtransitions fixture %3d%%", (len(app)+len(raw))*100/(2*n))
		}
	}
	if env.Progress != nil {
		fmt.Fprintln(env.Progress)
	}
	if len(raw) < n {
		// A small store: as many cases as it has households for, half each.
		if len(app) < 2 {
			return Result{}, fmt.Errorf("bench transitions: %d recipient households without an open case, need at least 2",
				len(app)+len(raw))
		}
		n = (len(app) + len(raw)) / 2
		raw = append(app[n:], raw...)
		app = app[:n]
		raw = raw[:n]
	}
	var head int64
	if xs, err := db.QueryStrings(ctx, "SELECT seq FROM audit_head WHERE id = 1"); err != nil || len(xs) != 1 {
		return Result{}, fmt.Errorf("bench transitions: audit head: %v", err)
	} else if head, err = strconv.ParseInt(xs[0], 10, 64); err != nil {
		return Result{}, err
	}

	today := db.Now().Format(time.DateOnly)
	res := Result{Name: "workflow transitions", Ops: 3 * n, Unit: "transitions"}
	var firstErr atomic.Value
	note := func(err error) {
		firstErr.CompareAndSwap(nil, err.Error())
	}
	appStep := func(i int, lat []time.Duration) ([]time.Duration, int) {
		c := app[i].c
		for _, s := range transitionSteps {
			var in workflow.Input
			if s.id == "intake" {
				in.Values = map[string][]string{"application_date": {today}}
			}
			start := time.Now()
			out, err := svc.Act(ctx, app[i].p, casework.Action{CaseID: c.ID, Version: c.Version, Transition: s.id, Input: in})
			lat = append(lat, time.Since(start))
			if err != nil {
				note(fmt.Errorf("app case %d %s: %w", c.ID, s.id, err))
				return lat, 1
			}
			c = out.Case
		}
		return lat, 0
	}
	rawStep := func(i int, lat []time.Duration) ([]time.Duration, int) {
		c := raw[i].c
		for k, s := range transitionSteps {
			start := time.Now()
			err := db.RawStep(ctx, c.ID, c.Version+int64(k), 2+k, s.id, s.from, s.to)
			lat = append(lat, time.Since(start))
			if err != nil {
				note(fmt.Errorf("raw case %d %s: %w", c.ID, s.id, err))
				return lat, 1
			}
		}
		return lat, 0
	}
	// The two sides take turns in rounds, so both meet the same load on a
	// shared machine (a load that comes and goes would otherwise land on
	// one side only and move the ratio).
	var appLat, rawLat []time.Duration
	var appErrs, rawErrs int
	round := max(n/10, 4*workers)
	for lo := 0; lo < n; lo += round {
		hi := min(lo+round, n)
		lat, e, d := parallel(workers, lo, hi, appStep)
		appLat, appErrs, res.App = append(appLat, lat...), appErrs+e, res.App+d
		lat, e, d = parallel(workers, lo, hi, rawStep)
		rawLat, rawErrs, res.Raw = append(rawLat, lat...), rawErrs+e, res.Raw+d
	}
	res.Errors = appErrs + rawErrs
	res.AppP50, res.AppP95, res.AppP99 = percentile(appLat, 50), percentile(appLat, 95), percentile(appLat, 99)
	res.RawP50, res.RawP95, res.RawP99 = percentile(rawLat, 50), percentile(rawLat, 95), percentile(rawLat, 99)
	res.Ratio = ratio(res.App, res.Raw)

	// Every transition done exactly once, on both sides.
	scope := region.All()
	check := func(side string, fc fcase) {
		c, err := db.Case(ctx, scope, fc.c.ID)
		if err != nil {
			note(err)
			res.Errors++
			return
		}
		evs, err := db.Events(ctx, fc.c.ID)
		if err != nil {
			note(err)
			res.Errors++
			return
		}
		bad := c.State != "forwarded" || c.Version != fc.c.Version+3 || len(evs) != 4
		for k := 0; !bad && k < 3; k++ {
			e := evs[k+1]
			bad = e.Seq != k+2 || e.Transition != transitionSteps[k].id || e.From != transitionSteps[k].from || e.To != transitionSteps[k].to
		}
		if bad {
			note(fmt.Errorf("%s case %d: state %s version %d (want forwarded %d), %d events", side, c.ID, c.State, c.Version,
				fc.c.Version+3, len(evs)))
			res.Errors++
		}
	}
	for i := range app {
		check("app", app[i])
		check("raw", raw[i])
	}
	audited, err := db.QueryStrings(ctx, "SELECT COUNT(*) FROM audit_log WHERE seq > ? AND action IN ('case.intake', 'case.accept', 'case.forward')", head)
	if err != nil {
		return res, err
	}
	if len(audited) != 1 || audited[0] != strconv.Itoa(3*n) {
		note(fmt.Errorf("audit records of the transitions: %v, want %d", audited, 3*n))
		res.Errors++
	}
	res.Note = fmt.Sprintf("%d cases × 3, concurrency %d", n, workers)
	if e, ok := firstErr.Load().(string); ok {
		res.Note += "; first error: " + e
	}
	res.Check("≥ 0.5× raw", res.Errors == 0 && res.Ratio > 0 && res.Ratio <= 2)
	return res, nil
}

// parallel runs do(i) for i in [lo, hi) on workers goroutines and returns
// every latency do recorded, the errors it counted and the wall time.
func parallel(workers, lo, hi int, do func(i int, lat []time.Duration) ([]time.Duration, int)) ([]time.Duration, int, time.Duration) {
	lats := make([][]time.Duration, workers)
	bad := make([]int, workers)
	wall := fanOut(context.Background(), workers, lo, hi, func(w, i int) {
		var e int
		lats[w], e = do(i, lats[w])
		bad[w] += e
	})
	var all []time.Duration
	failed := 0
	for w := range lats {
		all = append(all, lats[w]...)
		failed += bad[w]
	}
	return all, failed, wall
}
