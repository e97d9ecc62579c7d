package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"dibao/internal/access"
	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/casework"
	"dibao/internal/idcard"
	"dibao/internal/region"
	"dibao/internal/registry"
	"dibao/internal/server"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// The api scenario (issue 8): an HTTP mix over loopback against the real
// JSON API at env.Connections concurrent connections — a township
// officer's work queue, filtered lists with region scope (the recipient
// register of a county user, the household list of a township officer),
// the ID look-up through the blind index, a case page and a transition —
// against the same reads and writes as plain SQL on the store at the same
// concurrency. With env.Exe the server is `dibao serve`, a child process on
// the same store, whose resident memory is reported too.

// API targets of issue 8 (with 1,000,000 households).
const (
	APIListP95Target   = 50 * time.Millisecond
	APILookupP95Target = 10 * time.Millisecond
	APIRSSTargetMB     = 300
)

// The request kinds of the mix, with their share of the requests.
const (
	kindQueue      = "work queue"
	kindRegister   = "register list"
	kindHouseholds = "household list"
	kindLookup     = "ID look-up"
	kindCase       = "case page"
	kindTransition = "transition"
)

var apiMix = []struct {
	kind   string
	weight int
}{{kindQueue, 15}, {kindRegister, 15}, {kindHouseholds, 15}, {kindLookup, 25}, {kindCase, 20}, {kindTransition, 10}}

// APITransition is the transition the mix takes: a township officer starts
// the investigation of a forwarded case.
const APITransition = "start_investigation"

// rawTransitionName marks the raw counterpart's events (deleted afterwards).
const rawTransitionName = "bench_api_raw"

// apiUsers are the accounts the mix logs in as (created by the fixture).
type apiUser struct {
	username string
	role     authz.Role
	region   region.Code
	token    string
	id       int64
}

// apiRequest is one request of the mix and its raw counterpart.
type apiRequest struct {
	kind   string
	user   *apiUser
	method string
	path   string
	body   []byte
	raw    func(ctx context.Context, db *store.DB) error
}

// apiFixture is what the mix runs on.
type apiFixture struct {
	county, township, village region.Code
	townships                 []region.Code
	countyUser, officer       *apiUser
	password                  string
	ids                       []idcard.ID // ID numbers of members of households in the county
	caseIDs                   []int64     // cases in the township (case pages)
	forwarded                 []store.Case
}

// API runs the mix; see the comment above.
func API(ctx context.Context, env Env) ([]Result, error) {
	conns := env.Connections
	if conns <= 0 {
		conns = 64
	}
	total := env.Requests
	if total <= 0 {
		total = 20000
	}
	if len(env.Counties) == 0 {
		return nil, errors.New("bench api: no county with recipients")
	}
	say := func(format string, a ...any) {
		if env.Progress != nil {
			fmt.Fprintf(env.Progress, format+"\n", a...)
		}
	}
	rng := rand.New(rand.NewPCG(env.Seed, env.Seed^0x5bd1e995))
	kinds := make([]string, total)
	transitions := 0
	sum := 0
	for _, m := range apiMix {
		sum += m.weight
	}
	for i := range kinds {
		x := rng.IntN(sum)
		for _, m := range apiMix {
			if x < m.weight {
				kinds[i] = m.kind
				break
			}
			x -= m.weight
		}
		if kinds[i] == kindTransition {
			transitions++
		}
	}
	say("api: fixture (%d forwarded cases for the transitions)", transitions)
	start := time.Now()
	fx, err := apiSetup(ctx, env.DB, env.Counties[0], transitions, env.Progress)
	if err != nil {
		return nil, fmt.Errorf("bench api: fixture: %w", err)
	}
	say("api: fixture ready in %s", time.Since(start).Round(time.Millisecond))

	// The server: `dibao serve` as a child, or in this process.
	var base string
	var child *exec.Cmd
	note := ""
	if env.Exe != "" && os.Getenv("DIBAO_BENCH_API_INPROCESS") == "" {
		seq, err := env.DB.QueryStrings(ctx, "SELECT COALESCE(MAX(seq), 0) FROM audit_log")
		if err != nil {
			return nil, err
		}
		var stop func()
		child, base, stop, err = startServe(ctx, env)
		if err != nil {
			return nil, fmt.Errorf("bench api: start serve: %w", err)
		}
		defer stop()
		// serve generates the periodic review tasks as it starts (reading
		// the whole register, one transaction): the mix waits for it to
		// finish so it measures the requests, not that job.
		t0 := time.Now()
		say("api: waiting for serve's start-up review generation")
		for {
			done, err := env.DB.QueryStrings(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'review.generate' AND seq > ?", seq[0])
			if err != nil {
				return nil, err
			}
			if done[0] != "0" || time.Since(t0) > 30*time.Minute {
				break
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
		}
		startup := time.Since(t0)
		say("api: serve ready, its review generation took %s", startup.Round(time.Millisecond))
		note = fmt.Sprintf("dibao serve pid %d; its start-up review generation took %s before the mix", child.Process.Pid,
			startup.Round(time.Second))
	} else {
		a := app.New(env.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))
		h, err := server.Handler(a)
		if err != nil {
			return nil, err
		}
		srv := httptest.NewServer(h) // listens on 127.0.0.1
		defer srv.Close()
		base = srv.URL
		note = "server in this process (no serve binary: no RSS result)"
	}
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}}
	defer client.CloseIdleConnections()
	for _, u := range []*apiUser{fx.countyUser, fx.officer} {
		if u.token, err = apiLogin(ctx, client, base, u.username, fx.password); err != nil {
			return nil, fmt.Errorf("bench api: login %s: %w", u.username, err)
		}
	}

	reqs := fx.requests(env.DB, kinds, rng)
	// Warm-up (untimed): a few of each read kind, so both runs meet warm
	// caches and open connections.
	var warm []apiRequest
	for _, r := range reqs {
		if r.kind != kindTransition && len(warm) < min(conns*4, len(reqs)) {
			warm = append(warm, r)
		}
	}
	if _, err := runHTTP(ctx, client, base, warm, conns); err != nil {
		return nil, err
	}
	say("api: %d requests at %d connections (app)", len(reqs), conns)
	// serve's resident set is sampled while the mix runs.
	var peak atomic.Int64
	sampled := make(chan struct{})
	stopSampling := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if child != nil {
				if rss, _, err := procMemory(child.Process.Pid); err == nil && int64(rss) > peak.Load() {
					peak.Store(int64(rss))
				}
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	app, err := runHTTP(ctx, client, base, reqs, conns)
	close(stopSampling)
	<-sampled
	if err != nil {
		return nil, err
	}
	var rss, hwm int
	if child != nil {
		rss, hwm, err = procMemory(child.Process.Pid)
		if err != nil {
			return nil, err
		}
	}
	// The same list and look-up requests again one at a time: their
	// latency without the queueing of 64 connections on the machine's
	// cores (a note beside the mix's percentiles).
	var solo []apiRequest
	per := map[string]int{}
	for _, r := range reqs {
		if (r.kind == kindRegister || r.kind == kindHouseholds || r.kind == kindLookup) && per[r.kind] < 100 {
			per[r.kind]++
			solo = append(solo, r)
		}
	}
	alone, err := runHTTP(ctx, client, base, solo, 1)
	if err != nil {
		return nil, err
	}
	say("api: the same reads and writes raw")
	if _, err := runRaw(ctx, env.DB, warm, conns); err != nil {
		return nil, err
	}
	raw, err := runRaw(ctx, env.DB, reqs, conns)
	if err != nil {
		return nil, err
	}
	if err := env.DB.ExecRaw(ctx, "DELETE FROM case_events WHERE transition = ?", rawTransitionName); err != nil {
		return nil, err
	}
	// Both runs issued every request of the mix, in the same kinds.
	if !slices.Equal(app.kinds, kinds) || !slices.Equal(raw.kinds, kinds) {
		return nil, errors.New("bench api: the app and raw runs did not issue the same requests")
	}

	var out []Result
	for _, m := range apiMix {
		r := apiResult(m.kind, app, raw, func(k string) bool { return k == m.kind })
		if a := apiResult(m.kind, alone, apiRun{}, func(k string) bool { return k == m.kind }); a.Ops > 0 {
			r.Note += fmt.Sprintf("; alone (1 connection, %d requests): p50 %s p95 %s", a.Ops, apiMS(a.AppP50), apiMS(a.AppP95))
			r.Errors += a.Errors
		}
		switch m.kind {
		case kindRegister, kindHouseholds:
			r.Check("p95 < 50 ms", r.Ops > 0 && r.AppP95 < APIListP95Target)
		case kindLookup:
			r.Check("p95 < 10 ms", r.Ops > 0 && r.AppP95 < APILookupP95Target)
		}
		out = append(out, r)
	}
	all := apiResult("api overall", app, raw, func(string) bool { return true })
	all.App, all.Raw = app.wall, raw.wall
	all.Ratio = ratio(all.App, all.Raw)
	all.Note = fmt.Sprintf("app %.0f req/s, raw %.0f req/s; %s", rate(all.Ops, app.wall), rate(all.Ops, raw.wall), note)
	out = append(out, all)
	if child != nil {
		load := int(max(peak.Load(), int64(rss))) / 1024
		m := Result{Name: "serve RSS", Unit: "MB", Ops: load,
			Note: fmt.Sprintf("highest VmRSS sampled under the mix; VmRSS %d MB after it, VmHWM %d MB (with start-up)", rss/1024, hwm/1024)}
		m.Check(fmt.Sprintf("< %d MB", APIRSSTargetMB), load < APIRSSTargetMB)
		out = append(out, m)
	}
	return out, nil
}

func apiMS(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

// apiRun is the outcome of one run of the mix.
type apiRun struct {
	kinds  []string
	lat    []time.Duration
	failed []bool
	wall   time.Duration
	first  string // first failure, for the note
}

func apiResult(name string, app, raw apiRun, match func(string) bool) Result {
	r := Result{Name: name, Unit: "requests"}
	var a, b []time.Duration
	for i, k := range app.kinds {
		if !match(k) {
			continue
		}
		r.Ops++
		a = append(a, app.lat[i])
		r.App += app.lat[i]
		if app.failed[i] {
			r.Errors++
		}
		if i < len(raw.lat) {
			b = append(b, raw.lat[i])
			r.Raw += raw.lat[i]
			if raw.failed[i] {
				r.Errors++
			}
		}
	}
	r.Ratio = ratio(r.App, r.Raw)
	r.AppP50, r.AppP95, r.AppP99 = percentile(a, 50), percentile(a, 95), percentile(a, 99)
	r.RawP50, r.RawP95, r.RawP99 = percentile(b, 50), percentile(b, 95), percentile(b, 99)
	r.Note = fmt.Sprintf("app %.0f req/s, raw %.0f req/s in the mix", rate(len(a), app.wall), rate(len(b), raw.wall))
	if r.Errors > 0 && app.first != "" {
		r.Note += "; first failure: " + app.first
	}
	return r
}

// runHTTP sends reqs over conns connections; a response outside 2xx is a
// failure.
func runHTTP(ctx context.Context, client *http.Client, base string, reqs []apiRequest, conns int) (apiRun, error) {
	run := apiRun{kinds: make([]string, len(reqs)), lat: make([]time.Duration, len(reqs)), failed: make([]bool, len(reqs))}
	var mu sync.Mutex
	run.wall = fanOut(ctx, conns, 0, len(reqs), func(_, i int) {
		r := reqs[i]
		run.kinds[i] = r.kind
		var body io.Reader
		if r.body != nil {
			body = bytes.NewReader(r.body)
		}
		req, err := http.NewRequestWithContext(ctx, r.method, base+r.path, body)
		if err != nil {
			run.failed[i] = true
			return
		}
		req.Header.Set("Authorization", "Bearer "+r.user.token)
		if r.body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		t0 := time.Now()
		resp, err := client.Do(req)
		var msg []byte
		if err == nil {
			if resp.StatusCode/100 != 2 {
				msg, _ = io.ReadAll(io.LimitReader(resp.Body, 300))
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		run.lat[i] = time.Since(t0)
		if err != nil || resp.StatusCode/100 != 2 {
			run.failed[i] = true
			mu.Lock()
			if run.first == "" {
				if err != nil {
					run.first = r.kind + ": " + err.Error()
				} else {
					run.first = fmt.Sprintf("%s %s %s: %d %s", r.kind, r.method, r.path, resp.StatusCode, strings.TrimSpace(string(msg)))
				}
			}
			mu.Unlock()
		}
	})
	return run, ctx.Err()
}

// runRaw runs the raw counterparts of reqs at the same concurrency; the
// first error is returned.
func runRaw(ctx context.Context, db *store.DB, reqs []apiRequest, conns int) (apiRun, error) {
	run := apiRun{kinds: make([]string, len(reqs)), lat: make([]time.Duration, len(reqs)), failed: make([]bool, len(reqs))}
	var once sync.Once
	var first error
	run.wall = fanOut(ctx, conns, 0, len(reqs), func(_, i int) {
		r := reqs[i]
		run.kinds[i] = r.kind
		t0 := time.Now()
		err := r.raw(ctx, db)
		run.lat[i] = time.Since(t0)
		if err != nil {
			run.failed[i] = true
			once.Do(func() { first = fmt.Errorf("raw %s: %w", r.kind, err) })
		}
	})
	if first != nil {
		return run, first
	}
	return run, ctx.Err()
}

// requests builds the mix: kinds[i] decides the i-th request; the rng
// picks pages, filters, ID numbers and cases.
func (fx *apiFixture) requests(db *store.DB, kinds []string, rng *rand.Rand) []apiRequest {
	out := make([]apiRequest, len(kinds))
	county, town := region.ScopeOf(fx.county), region.ScopeOf(fx.township)
	nextCase := 0
	for i, k := range kinds {
		r := apiRequest{kind: k, method: "GET"}
		switch k {
		case kindQueue:
			r.user, r.path = fx.officer, "/api/v1/queue"
			states := casework.QueueStates(authz.Principal{Roles: []authz.Role{fx.officer.role}, Region: fx.officer.region})
			r.raw = func(ctx context.Context, db *store.DB) error {
				_, err := db.RawQueue(ctx, string(town.Lo), string(town.Hi), states, casework.QueueLimit)
				return err
			}
		case kindRegister:
			// A county user's register: a category, county-wide or one
			// township, one of the first five pages of 20.
			cat := string("ABC"[rng.IntN(3)])
			area := region.Code("")
			if rng.IntN(2) == 0 && len(fx.townships) > 0 {
				area = fx.townships[rng.IntN(len(fx.townships))]
			}
			page := 1 + rng.IntN(5)
			r.user, r.path = fx.countyUser, fmt.Sprintf("/api/v1/recipients?category=%s&page=%d&page_size=20", cat, page)
			scope := county
			if area != "" {
				r.path += "&region=" + string(area)
				scope = region.ScopeOf(area)
			}
			r.raw = func(ctx context.Context, db *store.DB) error {
				_, _, err := db.RawRegisterPage(ctx, string(scope.Lo), string(scope.Hi), cat, 20, (page-1)*20)
				return err
			}
		case kindHouseholds:
			// A township officer's household list: urban or rural, one of
			// the first five pages of 20.
			urban := []string{"urban", "rural"}[rng.IntN(2)]
			page := 1 + rng.IntN(5)
			r.user, r.path = fx.officer, fmt.Sprintf("/api/v1/households?urban=%s&page=%d&page_size=20", urban, page)
			r.raw = func(ctx context.Context, db *store.DB) error {
				_, _, err := db.RawHouseholdPage(ctx, string(town.Lo), string(town.Hi), urban, 20, (page-1)*20)
				return err
			}
		case kindLookup:
			id := fx.ids[rng.IntN(len(fx.ids))]
			index := db.IDIndex(id) // the raw side gets the index computed, like any column value
			r.user, r.path = fx.countyUser, "/api/v1/households?id_number="+string(id)
			r.raw = func(ctx context.Context, db *store.DB) error {
				n, err := db.RawHouseholdByIndex(ctx, string(county.Lo), string(county.Hi), index)
				if err == nil && n != 1 {
					err = fmt.Errorf("look-up found %d households", n)
				}
				return err
			}
		case kindCase:
			id := fx.caseIDs[rng.IntN(len(fx.caseIDs))]
			r.user, r.path = fx.officer, "/api/v1/cases/"+strconv.FormatInt(id, 10)
			r.raw = func(ctx context.Context, db *store.DB) error {
				_, err := db.RawCasePage(ctx, id)
				return err
			}
		case kindTransition:
			c := fx.forwarded[nextCase]
			nextCase++
			r.user, r.method = fx.officer, "POST"
			r.path = "/api/v1/cases/" + strconv.FormatInt(c.ID, 10) + "/actions/" + APITransition
			r.body, _ = json.Marshal(map[string]any{"version": c.Version})
			// Raw: the same writes on the same case after the app moved it
			// (read version and last seq, append an event, bump state and
			// version), marked so they are deleted afterwards.
			r.raw = func(ctx context.Context, db *store.DB) error {
				return db.RawTransition(ctx, c.ID, rawTransitionName, "investigating", "investigating")
			}
		}
		out[i] = r
	}
	return out
}

// apiSetup writes what the mix needs (untimed): a county approver and a
// township officer (certified for investigation) of county with a fresh
// password, n cases forwarded to that township, and samples of member ID
// numbers in the county and of cases in the township.
func apiSetup(ctx context.Context, db *store.DB, county region.Code, n int, progress io.Writer) (*apiFixture, error) {
	fx := &apiFixture{county: county}
	cs := region.ScopeOf(county)
	// The village of the county's first household, and its township.
	vs, err := db.QueryStrings(ctx, "SELECT region_code FROM households WHERE region_code >= ? AND region_code < ? ORDER BY id LIMIT 1",
		string(cs.Lo), string(cs.Hi))
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("county %s has no households", county)
	}
	fx.village = region.Code(vs[0])
	fx.township = fx.village.Township()
	regs, err := db.Regions(ctx, cs)
	if err != nil {
		return nil, err
	}
	for _, r := range regs {
		if r.Level == region.Township {
			fx.townships = append(fx.townships, r.Code)
		}
	}
	// Accounts: created with a random password, logged in over HTTP later.
	tag := strconv.FormatInt(time.Now().UnixNano()%1_000_000_000, 36)
	fx.password = "bench-" + tag + "-Pw1!"
	hash, err := access.HashPassword(fx.password)
	if err != nil {
		return nil, err
	}
	fx.countyUser = &apiUser{username: "bench-api-county-" + tag, role: authz.CountyApprover, region: county}
	fx.officer = &apiUser{username: "bench-api-town-" + tag, role: authz.TownshipOfficer, region: fx.township}
	admin := CountyPrincipal(county)
	until := db.Now().AddDate(1, 0, 0).Format(time.DateOnly)
	err = db.InTx(ctx, admin, func(tx *store.Tx) error {
		for _, u := range []*apiUser{fx.countyUser, fx.officer} {
			id, err := tx.CreateUser(ctx, store.User{Username: u.username, DisplayName: "压测" + u.role.Label(), PasswordHash: hash,
				Region: u.region, Roles: []authz.Role{u.role}, Active: true})
			if err != nil {
				return err
			}
			u.id = id
		}
		if err := tx.GrantCertification(ctx, &store.Certification{PersonID: fx.officer.id, Name: "investigation", ValidUntil: until}); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "bench.fixture", Object: "users",
			Detail: "压测账号：" + fx.countyUser.username + "、" + fx.officer.username})
	})
	if err != nil {
		return nil, err
	}
	if fx.forwarded, err = forwardedCases(ctx, db, fx.village, n, progress); err != nil {
		return nil, err
	}
	// ID numbers: members of up to 500 households spread over the county.
	hids, err := db.QueryStrings(ctx, "SELECT id FROM households WHERE region_code >= ? AND region_code < ? ORDER BY id",
		string(cs.Lo), string(cs.Hi))
	if err != nil {
		return nil, err
	}
	step := max(len(hids)/500, 1)
	for i := 0; i < len(hids); i += step {
		id, _ := strconv.ParseInt(hids[i], 10, 64)
		h, err := db.Household(ctx, cs, id)
		if err != nil {
			return nil, err
		}
		if len(h.Members) > 0 {
			fx.ids = append(fx.ids, h.Members[i%len(h.Members)].IDNumber)
		}
	}
	// Case pages: up to 1,000 cases of the township, spread over its ids.
	ts := region.ScopeOf(fx.township)
	cids, err := db.QueryStrings(ctx, "SELECT id FROM cases WHERE region_code >= ? AND region_code < ? ORDER BY id",
		string(ts.Lo), string(ts.Hi))
	if err != nil {
		return nil, err
	}
	step = max(len(cids)/1000, 1)
	for i := 0; i < len(cids); i += step {
		id, _ := strconv.ParseInt(cids[i], 10, 64)
		fx.caseIDs = append(fx.caseIDs, id)
	}
	if len(fx.ids) == 0 || len(fx.caseIDs) == 0 {
		return nil, fmt.Errorf("county %s: no member ID numbers or cases to read", county)
	}
	return fx, nil
}

// forwardedCases registers n households in village and takes an
// application of each through the services to "forwarded" (open,
// materials, intake, accept, forward), four at a time.
func forwardedCases(ctx context.Context, db *store.DB, village region.Code, n int, progress io.Writer) ([]store.Case, error) {
	clerk := authz.Principal{Username: "bench-api-clerk", Roles: []authz.Role{authz.VillageClerk}, Region: village}
	svc := &casework.Service{DB: db, Now: db.Now}
	reg := &registry.Service{DB: db, Now: db.Now}
	ok := make([]casework.MaterialInput, 0, len(casework.Materials))
	for _, m := range casework.Materials {
		ok = append(ok, casework.MaterialInput{Code: m.Code, Status: "ok"})
	}
	today := db.Now().Format(time.DateOnly)
	// ID numbers of an area code no other fixture uses, the run in the
	// sequence digits; a clash with an existing number is skipped.
	run := int(time.Now().UnixNano() / 1000 % 1000)
	idOf := func(i, j int) idcard.ID {
		birth := time.Date(1950+i%40, time.Month(1+i/40%12), 1+i/480%28, 0, 0, 0, 0, time.UTC)
		return idcard.Make(fmt.Sprintf("97%02d%02d", i/13440%100, j), birth, run)
	}
	out := make([]store.Case, n)
	var done atomic.Int64
	var once sync.Once
	var first error
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fanOut(wctx, 4, 0, n, func(_, k int) {
		c, err := forwardOne(wctx, svc, reg, clerk, village, ok, today, k, n, idOf)
		if err != nil {
			once.Do(func() { first = fmt.Errorf("case %d: %w", k, err); cancel() })
			return
		}
		out[k] = c
		if d := done.Add(1); progress != nil && (d%max(int64(n)/10, 1) == 0 || int(d) == n) {
			fmt.Fprintf(progress, "\rapi fixture cases %3d%%", d*100/int64(n))
		}
	})
	if progress != nil && n > 0 {
		fmt.Fprintln(progress)
	}
	if first != nil {
		return nil, first
	}
	return out, ctx.Err()
}

func forwardOne(ctx context.Context, svc *casework.Service, reg *registry.Service, clerk authz.Principal, village region.Code,
	ok []casework.MaterialInput, today string, k, n int, idOf func(i, j int) idcard.ID) (store.Case, error) {
	var hid int64
	for attempt := 0; ; attempt++ {
		i := k + attempt*n // another birth date on a clash
		h, err := reg.Create(ctx, clerk, draft(village, idOf, i))
		if err == nil {
			hid = h.ID
			break
		}
		if attempt >= 3 {
			return store.Case{}, err
		}
	}
	c, err := svc.Open(ctx, clerk, hid, casework.Declaration{None: true})
	if err != nil {
		return c, err
	}
	if c, err = svc.SetMaterials(ctx, clerk, c.ID, c.Version, ok); err != nil {
		return c, err
	}
	for _, t := range []struct {
		id string
		v  map[string][]string
	}{{"intake", map[string][]string{"application_date": {today}}}, {"accept", nil}, {"forward", nil}} {
		o, err := svc.Act(ctx, clerk, casework.Action{CaseID: c.ID, Version: c.Version, Transition: t.id,
			Input: workflow.Input{Values: t.v}})
		if err != nil {
			return c, fmt.Errorf("%s: %w", t.id, err)
		}
		c = o.Case
	}
	return c, nil
}

// apiLogin logs username in through POST /api/v1/login and returns the
// bearer token.
func apiLogin(ctx context.Context, client *http.Client, base, username, password string) (string, error) {
	b, _ := json.Marshal(map[string]string{"username": username, "password": password})
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/login", bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil || out.Token == "" {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return out.Token, nil
}

// startServe starts `env.Exe serve` on a free loopback port and waits
// until /readyz answers; stop ends it. Its log goes to env.Data/bench-serve.log.
func startServe(ctx context.Context, env Env) (*exec.Cmd, string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logf, err := os.Create(filepath.Join(env.Data, "bench-serve.log"))
	if err != nil {
		return nil, "", nil, err
	}
	cmd := exec.Command(env.Exe, "serve", "--data", env.Data, "--db", env.DSN, "--addr", addr)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, "", nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logf.Close()
	}
	base := "http://" + addr
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-exited:
			logf.Close()
			return nil, "", nil, fmt.Errorf("serve exited before it was ready (%v); see %s", err, logf.Name())
		case <-ctx.Done():
			stop()
			return nil, "", nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, base, stop, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, "", nil, fmt.Errorf("serve not ready after 2 minutes; see %s", logf.Name())
		}
	}
}

// procMemory reads a process's resident set and its peak (kB).
func procMemory(pid int) (rss, hwm int, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			hwm = n
		}
	}
	return rss, hwm, sc.Err()
}
