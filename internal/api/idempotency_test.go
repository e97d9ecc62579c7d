package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"dibao/internal/api"
	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/casework"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/policy"
	"dibao/internal/roster"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/workflow"
)

// answer is one HTTP answer as a client sees it.
type answer struct {
	Code     int
	Body     string
	Replayed bool
}

// send makes one request with an optional Idempotency-Key.
func send(t *testing.T, srv *httptest.Server, method, path, token, key, ctype string, body []byte) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, srv.URL+"/api/v1"+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if ctype == "" {
		ctype = "application/json"
	}
	req.Header.Set("Content-Type", ctype)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return answer{}
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return answer{Code: res.StatusCode, Body: string(out), Replayed: res.Header.Get("Idempotent-Replayed") == "true"}
}

func jsonBody(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// burst sends the same request with the same key from n clients released
// together and returns their answers.
func burst(t *testing.T, srv *httptest.Server, n int, method, path, token, key, ctype string, body []byte) []answer {
	t.Helper()
	out := make([]answer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = send(t, srv, method, path, token, key, ctype, body)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// oneEffect checks that n concurrent replays all got the same answer, that
// exactly one of them ran and that want is its status.
func oneEffect(t *testing.T, what string, as []answer, want int) answer {
	t.Helper()
	ran := 0
	for _, a := range as {
		if a.Code != as[0].Code || a.Body != as[0].Body {
			t.Errorf("%s: answers differ: %d %s / %d %s", what, as[0].Code, as[0].Body, a.Code, a.Body)
		}
		if !a.Replayed {
			ran++
		}
	}
	if ran != 1 || as[0].Code != want {
		t.Fatalf("%s: %d requests ran the handler, status %d (want %d): %s", what, ran, as[0].Code, want, as[0].Body)
	}
	return as[0]
}

func countOf(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	xs, err := db.QueryStrings(context.Background(), q, args...)
	if err != nil || len(xs) != 1 {
		t.Fatalf("%s: %v", q, err)
	}
	var n int
	fmt.Sscan(xs[0], &n)
	return n
}

func audits(t *testing.T, db *store.DB, action string) int {
	return countOf(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = ?", action)
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestIdempotencyEveryMutatingRoute is generated from the route table:
// for every mutating route that needs a token, a key already answered is
// replayed without the handler running (the stored answer could come from
// nowhere else), and the OpenAPI document names the header on exactly
// those operations.
func TestIdempotencyEveryMutatingRoute(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		srv, a := newServerOn(t, db)
		clerk := login(t, srv, "clerk")
		var uid int64
		if xs, err := db.QueryStrings(context.Background(), "SELECT id FROM users WHERE username = 'clerk'"); err != nil || len(xs) != 1 {
			t.Fatal(err)
		} else {
			fmt.Sscan(xs[0], &uid)
		}
		empty := sha256.Sum256(nil)
		var doc struct {
			Paths map[string]map[string]struct {
				Parameters []map[string]any `json:"parameters"`
			} `json:"paths"`
		}
		_, body := call(t, srv, "GET", "/openapi.json", "", nil)
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		mutating := 0
		for i, rt := range api.Routes(a) {
			documented := false
			for _, p := range doc.Paths[rt.Path][strings.ToLower(rt.Method)].Parameters {
				if p["$ref"] == "#/components/parameters/IdempotencyKey" {
					documented = true
				}
			}
			if documented != api.Idempotent(rt) {
				t.Errorf("%s %s: Idempotency-Key documented %v, honoured %v", rt.Method, rt.Path, documented, api.Idempotent(rt))
			}
			if rt.Method == "GET" || rt.Method == "HEAD" || rt.Public {
				continue
			}
			if !api.Idempotent(rt) {
				t.Errorf("%s %s: a mutating route bypasses the Idempotency-Key layer", rt.Method, rt.Path)
				continue
			}
			mutating++
			path := "/api/v1" + pathParam.ReplaceAllString(rt.Path, "7")
			key := fmt.Sprintf("route-%d", i)
			claim, ok, err := db.IdemClaimKey(context.Background(), store.IdemRecord{UserID: uid, Key: key, Method: rt.Method,
				Path: path, BodyHash: hex.EncodeToString(empty[:])})
			if err != nil || !ok {
				t.Fatalf("claim: %v %v", ok, err)
			}
			stored := fmt.Sprintf(`{"stored":%d}`, i)
			if ok, err := claim.Finish(context.Background(), 299, `{"Content-Type":["application/json"]}`, []byte(stored)); err != nil || !ok {
				t.Fatalf("finish: %v %v", ok, err)
			}
			got := send(t, srv, rt.Method, strings.TrimPrefix(path, "/api/v1"), clerk, key, "", nil)
			if got.Code != 299 || got.Body != stored || !got.Replayed {
				t.Errorf("%s %s: the stored answer was not replayed: %+v", rt.Method, rt.Path, got)
			}
		}
		if mutating < 40 {
			t.Fatalf("only %d mutating routes checked", mutating)
		}
		// Login is exempt: a key on it changes nothing.
		for range 2 {
			if got := send(t, srv, "POST", "/login", "", "login-key", "", jsonBody(map[string]string{"username": "clerk",
				"password": testenv.Password})); got.Code != 200 || got.Replayed {
				t.Fatalf("login with a key: %+v", got)
			}
		}
	})
}

// enrol puts n households with approved cases on the register and
// returns their ids.
func enrol(t *testing.T, db *store.DB, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	err := db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
		for i := range n {
			h := household.Household{Region: testenv.VillageA, Address: "一组", BankName: "农村信用社",
				BankAccount: fmt.Sprintf("62284800123456789%02d", i),
				Members: []household.Member{{Name: fmt.Sprintf("周%d", i), Relation: "head",
					IDNumber: idcard.Make("130199", time.Date(1949, 5, 1+i, 0, 0, 0, 0, time.UTC), i+1),
					Labour:   "none", Health: "healthy", CoResident: true}}}
			if err := tx.CreateHousehold(ctx, &h); err != nil {
				return err
			}
			c := store.Case{Number: fmt.Sprintf("T-%d", i), HouseholdID: h.ID, Region: testenv.VillageA, Profile: "seed",
				State: "approved", Policy: "{}"}
			if err := tx.CreateCase(ctx, &c); err != nil {
				return err
			}
			if err := tx.Enroll(ctx, store.Recipient{HouseholdID: h.ID, CaseID: c.ID, Region: testenv.VillageA, Category: "A",
				Amount: money.FromYuan(1000), Members: 1, StartMonth: "2026-01", Status: "active"}); err != nil {
				return err
			}
			ids = append(ids, h.ID)
		}
		return tx.Audit(ctx, store.Entry{Action: "test.enroll", Object: "households"})
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestIdempotencyConcurrentReplays: ten clients sending the same request
// with the same key at once get one effect and ten identical answers, on
// representative routes of every kind (create, versioned edit, delete,
// workflow action with its own in-transaction replay, multipart upload,
// roster, policy, background standard change).
func TestIdempotencyConcurrentReplays(t *testing.T) {
	const n = 10
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		srv, _ := newServerOn(t, db)
		testenv.User(t, db, "approver", testenv.County, authz.CountyApprover)
		testenv.User(t, db, "cadmin", testenv.County, authz.CountyAdmin)
		clerk := login(t, srv, "clerk")
		approver := login(t, srv, "approver")
		cadmin := login(t, srv, "cadmin")

		// Create a household.
		draft := jsonBody(map[string]any{"region_code": string(testenv.VillageA), "address": "一组", "urban": "rural",
			"members": []map[string]string{{"name": "孙大", "relation": "head", "id_number": "11010519491231002X",
				"labour": "none", "health": "healthy", "co_resident": "1"}}})
		before := audits(t, db, "household.create")
		first := oneEffect(t, "create household", burst(t, srv, n, "POST", "/households", clerk, "hh-1", "", draft), 201)
		if got := audits(t, db, "household.create") - before; got != 1 {
			t.Fatalf("create household: %d effects", got)
		}
		var h struct {
			ID      int64
			Version int64
			Members []struct{ ID int64 }
			Incomes []struct{ ID int64 }
		}
		_ = json.Unmarshal([]byte(first.Body), &h)
		hpath := fmt.Sprintf("/households/%d", h.ID)

		// Add an income (versioned: without the layer nine would conflict).
		inc := jsonBody(map[string]any{"version": h.Version, "kind": "transfer", "description": "子女赡养",
			"amount": "3600", "months": "12"})
		got := oneEffect(t, "add income", burst(t, srv, n, "POST", hpath+"/incomes", clerk, "inc-1", "", inc), 200)
		if c := countOf(t, db, "SELECT COUNT(*) FROM income_items WHERE household_id = ?", h.ID); c != 1 {
			t.Fatalf("add income: %d items", c)
		}
		_ = json.Unmarshal([]byte(got.Body), &h)
		if len(h.Incomes) != 1 {
			t.Fatalf("income: %s", got.Body)
		}
		// Delete it.
		got = oneEffect(t, "delete income", burst(t, srv, n, "DELETE",
			fmt.Sprintf("%s/incomes/%d?version=%d", hpath, h.Incomes[0].ID, h.Version), clerk, "inc-del-1", "", nil), 200)
		if c := countOf(t, db, "SELECT COUNT(*) FROM income_items WHERE household_id = ?", h.ID); c != 0 ||
			audits(t, db, "household.income.delete") != 1 {
			t.Fatalf("delete income: %d items left, %d deletions", c, audits(t, db, "household.income.delete"))
		}

		// Open a case.
		got = oneEffect(t, "open case", burst(t, srv, n, "POST", "/cases", clerk, "case-1", "",
			jsonBody(map[string]any{"household_id": h.ID, "relatives": map[string]any{"none": true}})), 201)
		if c := countOf(t, db, "SELECT COUNT(*) FROM cases WHERE household_id = ?", h.ID); c != 1 {
			t.Fatalf("open case: %d cases", c)
		}
		var c struct{ ID, Version int64 }
		_ = json.Unmarshal([]byte(got.Body), &c)
		cpath := fmt.Sprintf("/cases/%d", c.ID)

		// A workflow action (its service also keeps its own reply).
		today := time.Now().In(calendar.Location()).Format(time.DateOnly)
		oneEffect(t, "case action", burst(t, srv, n, "POST", cpath+"/actions/intake", clerk, "act-1", "",
			jsonBody(map[string]any{"version": c.Version, "values": map[string][]string{"application_date": {today}}})), 200)
		if got := audits(t, db, "case.intake"); got != 1 {
			t.Fatalf("case action: %d effects", got)
		}

		// A multipart upload.
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("material", "application")
		fw, _ := mw.CreateFormFile("file", "申请书.pdf")
		_, _ = fw.Write([]byte("%PDF-1.4\n%%EOF\n"))
		mw.Close()
		oneEffect(t, "upload", burst(t, srv, n, "POST", cpath+"/files", clerk, "file-1", mw.FormDataContentType(), buf.Bytes()), 201)
		if got := countOf(t, db, "SELECT COUNT(*) FROM case_files WHERE case_id = ?", c.ID); got != 1 {
			t.Fatalf("upload: %d files", got)
		}

		// Build and approve a roster.
		enrol(t, db, 3)
		now := time.Now().In(calendar.Location())
		month := roster.MonthOf(now.Year(), now.Month()).Next()
		got = oneEffect(t, "roster build", burst(t, srv, n, "POST", "/rosters", approver, "ro-1", "",
			jsonBody(map[string]string{"county": string(testenv.County), "month": month.String()})), 200)
		if a := audits(t, db, "roster.build"); a != 1 {
			t.Fatalf("roster build: %d effects", a)
		}
		var ro struct{ ID int64 }
		_ = json.Unmarshal([]byte(got.Body), &ro)
		oneEffect(t, "roster approve", burst(t, srv, n, "POST", fmt.Sprintf("/rosters/%d/approve", ro.ID), approver, "ro-ok-1", "", nil), 200)
		if a := audits(t, db, "roster.approve"); a != 1 {
			t.Fatalf("roster approve: %d effects", a)
		}

		// Set a policy value.
		oneEffect(t, "policy set", burst(t, srv, n, "POST", "/policy/"+policy.PublicityWD, cadmin, "pol-1", "",
			jsonBody(map[string]any{"region_code": string(testenv.County), "value": 10,
				"effective_from": now.AddDate(0, 1, 0).Format(time.DateOnly), "note": "县民政局〔2026〕3号"})), 201)
		if a := audits(t, db, "policy.set"); a != 1 {
			t.Fatalf("policy set: %d effects", a)
		}

		// Preview and confirm a standard change (applied in the background).
		got = oneEffect(t, "standard preview", burst(t, srv, n, "POST", "/standard-changes", approver, "std-1", "",
			jsonBody(map[string]string{"county": string(testenv.County), "urban": "1000", "rural": "800",
				"effective_month": month.Next().String()})), 201)
		var job struct{ ID int64 }
		_ = json.Unmarshal([]byte(got.Body), &job)
		oneEffect(t, "standard confirm", burst(t, srv, n, "POST", fmt.Sprintf("/standard-changes/%d/confirm", job.ID),
			approver, "std-ok-1", "", nil), 202)
		api.WaitStandardRuns()
		if a, b := audits(t, db, "standard.preview"), audits(t, db, "standard.confirm"); a != 1 || b != 1 {
			t.Fatalf("standard change: %d previews, %d confirmations", a, b)
		}
	})
}

// TestIdempotencyRules: a key bound to another request, no key, a bad key,
// retention and purge on the store clock, and what a retry does when the
// first request died (crash) before or after its effect committed.
func TestIdempotencyRules(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv, a := newServerOn(t, db)
		base := time.Now()
		clock := base
		var mu sync.Mutex
		db.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return clock })
		var clerk string
		setClock := func(d time.Duration) { // sessions expire: sign in again at the new time
			mu.Lock()
			clock = base.Add(d)
			mu.Unlock()
			clerk = login(t, srv, "clerk")
		}
		setClock(0)
		households := func() int { return countOf(t, db, "SELECT COUNT(*) FROM households") }
		draft := func(n int) []byte { // household n: its own ID number
			return jsonBody(map[string]any{"region_code": string(testenv.VillageA), "address": "一组", "urban": "rural",
				"members": []map[string]string{{"name": "孙大", "relation": "head", "labour": "none", "health": "healthy",
					"co_resident": "1", "id_number": idcard.Make("110105", time.Date(1950, 1, n, 0, 0, 0, 0, time.UTC), n).String()}}})
		}

		first := send(t, srv, "POST", "/households", clerk, "k-1", "", draft(1))
		if first.Code != 201 || first.Replayed || households() != 1 {
			t.Fatalf("first: %+v", first)
		}
		// The same key with another body, path or method is refused.
		for _, tc := range []struct{ method, path string }{{"POST", "/households"}, {"PUT", "/households/1?version=1"}} {
			got := send(t, srv, tc.method, tc.path, clerk, "k-1", "", draft(2))
			if e := decodeErr(t, []byte(got.Body)); got.Code != 409 || e.Error.Field != "Idempotency-Key" ||
				!strings.Contains(e.Error.Message, "幂等键已用于另一请求") {
				t.Fatalf("%s %s with a used key: %+v", tc.method, tc.path, got)
			}
		}
		// Without a key every request runs.
		for i := range 2 {
			if got := send(t, srv, "POST", "/households", clerk, "", "", draft(3+i)); got.Code != 201 || got.Replayed {
				t.Fatalf("no key: %+v", got)
			}
		}
		if households() != 3 {
			t.Fatalf("%d households", households())
		}
		// Bad keys: too long, not printable ASCII.
		for _, k := range []string{strings.Repeat("k", 101), "键"} {
			got := send(t, srv, "POST", "/households", clerk, k, "", draft(5))
			if e := decodeErr(t, []byte(got.Body)); got.Code != 400 || e.Error.Field != "Idempotency-Key" || households() != 3 {
				t.Fatalf("key %q: %+v", k, got)
			}
		}
		// Another user's key of the same name is not this user's.
		testenv.User(t, db, "clerk2", testenv.VillageA, authz.VillageClerk)
		if got := send(t, srv, "POST", "/households", login(t, srv, "clerk2"), "k-1", "", draft(6)); got.Code != 201 || got.Replayed {
			t.Fatalf("another user's key: %+v", got)
		}

		// Retention: 25 hours later the key still answers; the purge
		// (after 48 hours) leaves it.
		setClock(25 * time.Hour)
		if got := send(t, srv, "POST", "/households", clerk, "k-1", "", draft(1)); got.Code != 201 || !got.Replayed || got.Body != first.Body {
			t.Fatalf("replay after 25 h: %+v", got)
		}
		if n, err := db.PurgeIdempotency(ctx, db.Now().Add(-api.IdemPurgeAfter)); err != nil || n.API != 0 {
			t.Fatalf("purge at 25 h: %+v %v", n, err)
		}
		setClock(49 * time.Hour)
		purges := audits(t, db, "idempotency.purge")
		if n, err := db.PurgeIdempotency(ctx, db.Now().Add(-api.IdemPurgeAfter)); err != nil || n.API != 2 {
			t.Fatalf("purge at 49 h: %+v %v", n, err)
		}
		if audits(t, db, "idempotency.purge") != purges+1 {
			t.Fatal("the purge was not audited")
		}
		before := households()
		if got := send(t, srv, "POST", "/households", clerk, "k-1", "", draft(7)); got.Code != 201 || got.Replayed || households() != before+1 {
			t.Fatalf("a purged key runs afresh: %+v", got)
		}

		// Crash before the effect: a pending claim whose holder is gone and
		// whose writes never committed. Within its lease a replay waits,
		// then says it is in progress; after the lease it runs once.
		var uid int64
		xs, _ := db.QueryStrings(ctx, "SELECT id FROM users WHERE username = 'clerk'")
		fmt.Sscan(xs[0], &uid)
		body := draft(8)
		sum := sha256.Sum256(body)
		req := store.IdemRecord{UserID: uid, Key: "crash-before", Method: "POST", Path: "/api/v1/households",
			BodyHash: hex.EncodeToString(sum[:])}
		if _, ok, err := db.IdemClaimKey(ctx, req); err != nil || !ok {
			t.Fatal(ok, err)
		}
		restore := api.SetIdemWait(50 * time.Millisecond)
		got := send(t, srv, "POST", "/households", clerk, req.Key, "", body)
		restore()
		if e := decodeErr(t, []byte(got.Body)); got.Code != 409 || !strings.Contains(e.Error.Message, "相同请求正在处理") {
			t.Fatalf("pending replay: %+v", got)
		}
		before = households()
		setClock(49*time.Hour + api.IdemLease() + time.Minute)
		as := burst(t, srv, 4, "POST", "/households", clerk, req.Key, "", body)
		oneEffect(t, "taking a dead claim over", as, 201)
		if households() != before+1 {
			t.Fatalf("take-over: %d households, %d before", households(), before)
		}

		// Crash after the effect: the write committed under the claim (the
		// fence marks it in the same transaction), the answer was never
		// stored. A retry must not run it again.
		req.Key, req.BodyHash = "crash-after", hex.EncodeToString(func() []byte { s := sha256.Sum256(draft(9)); return s[:] }())
		claim, ok, err := db.IdemClaimKey(ctx, req)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if err := db.InTx(store.WithIdemClaim(ctx, claim), testenv.Admin(), func(tx *store.Tx) error {
			return tx.Audit(ctx, store.Entry{Action: "test.effect", Object: "x"})
		}); err != nil {
			t.Fatal(err)
		}
		rec, _, _ := db.IdemGet(ctx, uid, req.Key)
		if rec.Applied != store.IdemApplied || rec.State != store.IdemPending {
			t.Fatalf("the committed effect did not mark its claim: %+v", rec)
		}
		setClock(49*time.Hour + 2*api.IdemLease() + 2*time.Minute)
		before = households()
		got = send(t, srv, "POST", "/households", clerk, req.Key, "", draft(9))
		if e := decodeErr(t, []byte(got.Body)); got.Code != 409 || !strings.Contains(e.Error.Message, "结果未知") || households() != before {
			t.Fatalf("retry after a crash past the effect: %+v", got)
		}

		// Fencing: a holder whose claim was taken over cannot commit.
		req.Key = "fenced"
		old, _, err := db.IdemClaimKey(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		setClock(49*time.Hour + 3*api.IdemLease() + 3*time.Minute)
		prev, _, _ := db.IdemGet(ctx, uid, req.Key)
		if _, ok, err := db.IdemTakeOver(ctx, prev, db.Now().Add(-api.IdemLease())); err != nil || !ok {
			t.Fatal("take-over", ok, err)
		}
		effects := audits(t, db, "test.fenced")
		err = db.InTx(store.WithIdemClaim(ctx, old), testenv.Admin(), func(tx *store.Tx) error {
			return tx.Audit(ctx, store.Entry{Action: "test.fenced", Object: "x"})
		})
		if err == nil || audits(t, db, "test.fenced") != effects {
			t.Fatalf("the displaced holder committed: %v", err)
		}
		// Crash after the effect of a route whose service keeps its own
		// reply in the same commit (a case action): the retry taking the
		// claim over gets the service's replay, not a second effect.
		hh := send(t, srv, "POST", "/households", clerk, "", "", draft(10))
		var h struct{ ID int64 }
		_ = json.Unmarshal([]byte(hh.Body), &h)
		opened := send(t, srv, "POST", "/cases", clerk, "", "", jsonBody(map[string]any{"household_id": h.ID,
			"relatives": map[string]any{"none": true}}))
		var c struct{ ID, Version int64 }
		if json.Unmarshal([]byte(opened.Body), &c); opened.Code != 201 {
			t.Fatalf("open: %+v", opened)
		}
		today := db.Now().In(calendar.Location()).Format(time.DateOnly)
		actBody := jsonBody(map[string]any{"version": c.Version, "values": map[string][]string{"application_date": {today}}})
		actPath := fmt.Sprintf("/cases/%d/actions/intake", c.ID)
		selfKept := store.IdemRecord{UserID: uid, Key: "crash-self-kept", Method: "POST", Path: "/api/v1" + actPath,
			BodyHash: api.IdemBodyHash("application/json", actBody)}
		claim, _, err = db.IdemClaimKey(ctx, selfKept)
		if err != nil {
			t.Fatal(err)
		}
		u, err := db.UserByID(ctx, uid)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Cases.Act(store.WithIdemClaim(ctx, claim), u.Principal(), casework.Action{CaseID: c.ID, Version: c.Version,
			Transition: "intake", Input: workflow.Input{Values: map[string][]string{"application_date": {today}}},
			IdempotencyKey: selfKept.Key}); err != nil {
			t.Fatal(err)
		}
		if rec, _, _ := db.IdemGet(ctx, uid, selfKept.Key); rec.Applied != store.IdemSelfKept {
			t.Fatalf("the service's own reply did not mark the claim: %+v", rec)
		}
		setClock(49*time.Hour + 5*api.IdemLease())
		got = send(t, srv, "POST", actPath, clerk, selfKept.Key, "", actBody)
		if got.Code != 200 || !strings.Contains(got.Body, `"replayed":true`) || audits(t, db, "case.intake") != 1 {
			t.Fatalf("retry of a self-kept action: %+v, %d intakes", got, audits(t, db, "case.intake"))
		}

		// A write to another database (the practical-assessment sandbox)
		// marks the claim in a commit of its own just before, and is refused
		// as well once the claim is lost.
		other := testenv.SQLite(t)
		if db.Dialect() == store.Postgres {
			other = testenv.Postgres(t)
		}
		req.Key = "sandbox"
		sb, _, err := db.IdemClaimKey(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		write := func(c *store.IdemClaim) error {
			return other.InTx(store.WithIdemClaim(ctx, c), testenv.Admin(), func(tx *store.Tx) error {
				return tx.Audit(ctx, store.Entry{Action: "test.sandbox", Object: "x"})
			})
		}
		if err := write(sb); err != nil {
			t.Fatal(err)
		}
		if rec, _, _ := db.IdemGet(ctx, uid, req.Key); rec.Applied != store.IdemApplied {
			t.Fatalf("a sandbox write did not mark its claim: %+v", rec)
		}
		if err := write(old); err == nil {
			t.Fatal("a displaced holder wrote to the sandbox")
		}

		// Work the handler left in the background after answering is not fenced.
		old.End()
		if err := db.InTx(store.WithIdemClaim(ctx, old), testenv.Admin(), func(tx *store.Tx) error {
			return tx.Audit(ctx, store.Entry{Action: "test.fenced", Object: "x"})
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkIdempotencyOverhead: creating households through the API with
// and without an Idempotency-Key (the key costs a claim and an answer
// write, and one fenced update inside the effect's transaction).
func BenchmarkIdempotencyOverhead(b *testing.B) {
	for _, st := range []string{"sqlite", "postgres"} {
		b.Run(st, func(b *testing.B) {
			db := testenv.SQLite(b)
			if st == "postgres" {
				db = testenv.Postgres(b)
			}
			testenv.SeedRegions(b, db)
			testenv.User(b, db, "clerk", testenv.VillageA, authz.VillageClerk)
			a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
			srv := httptest.NewServer(api.New(a))
			defer srv.Close()
			res, err := http.Post(srv.URL+"/api/v1/login", "application/json", bytes.NewReader(jsonBody(map[string]string{
				"username": "clerk", "password": testenv.Password})))
			if err != nil {
				b.Fatal(err)
			}
			var lr struct{ Token string }
			_ = json.NewDecoder(res.Body).Decode(&lr)
			res.Body.Close()
			n := 0
			for _, mode := range []string{"no-key", "key"} {
				b.Run(mode, func(b *testing.B) {
					for range b.N {
						n++
						body := jsonBody(map[string]any{"region_code": string(testenv.VillageA), "address": "一组", "urban": "rural",
							"members": []map[string]string{{"name": "孙大", "relation": "head", "labour": "none", "health": "healthy",
								"co_resident": "1", "id_number": idcard.Make("110105", time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n/900), 1+n%900).String()}}})
						req, _ := http.NewRequest("POST", srv.URL+"/api/v1/households", bytes.NewReader(body))
						req.Header.Set("Authorization", "Bearer "+lr.Token)
						if mode == "key" {
							req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", n))
						}
						res, err := http.DefaultClient.Do(req)
						if err != nil {
							b.Fatal(err)
						}
						_, _ = io.Copy(io.Discard, res.Body)
						res.Body.Close()
						if res.StatusCode != 201 {
							b.Fatalf("create: %d", res.StatusCode)
						}
					}
				})
			}
		})
	}
}

// TestIdempotencyExamEventLog: the exam event log is written outside an
// audited transaction; it is fenced all the same — ten replays append one
// event, and a request whose claim was taken over appends none.
func TestIdempotencyExamEventLog(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv, a := newServerOn(t, db)
		testenv.User(t, db, "trainer", testenv.County, authz.Trainer)
		var u store.User
		us, _ := db.Users(ctx, testenv.Admin().Scope())
		for _, x := range us {
			if x.Username == "clerk" {
				u = x
			}
		}
		plan := testenv.Plan(t, db, testenv.County, u.ID)
		trainer, clerk := login(t, srv, "trainer"), login(t, srv, "clerk")
		code, body := call(t, srv, "POST", "/questions", trainer, map[string]any{"kind": "truefalse", "category": "ethics",
			"difficulty": 1, "stem": "近亲属申请低保应当备案。", "correct": []int{0}})
		var q struct{ ID int64 }
		if code != 201 || json.Unmarshal(body, &q) != nil {
			t.Fatalf("question: %d %s", code, body)
		}
		now := time.Now().UTC().Truncate(time.Second)
		code, body = call(t, srv, "POST", "/exams", trainer, map[string]any{"title": "季度考试", "plan_id": plan,
			"opens_at": now.Add(-time.Hour), "closes_at": now.Add(time.Hour), "minutes": 30, "closed_book": true, "review": "answers",
			"paper": map[string]any{"fixed": []map[string]any{{"question_id": q.ID, "points": 100}}}})
		var ex struct{ ID int64 }
		if code != 201 || json.Unmarshal(body, &ex) != nil {
			t.Fatalf("exam: %d %s", code, body)
		}
		code, body = call(t, srv, "POST", fmt.Sprintf("/exams/%d/attempts", ex.ID), clerk, nil)
		var at struct{ ID int64 }
		if code != 201 || json.Unmarshal(body, &at) != nil {
			t.Fatalf("start: %d %s", code, body)
		}
		events := func() int { return countOf(t, db, "SELECT COUNT(*) FROM attempt_events WHERE attempt_id = ?", at.ID) }
		path := fmt.Sprintf("/attempts/%d/events", at.ID)
		oneEffect(t, "exam event", burst(t, srv, 10, "POST", path, clerk, "ev-1", "", jsonBody(map[string]any{"kind": "leave"})), 201)
		if events() != 1 {
			t.Fatalf("%d events", events())
		}
		// A holder displaced by a retry cannot append.
		old, _, err := db.IdemClaimKey(ctx, store.IdemRecord{UserID: u.ID, Key: "ev-2", Method: "POST", Path: "/api/v1" + path,
			BodyHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		prev, _, _ := db.IdemGet(ctx, u.ID, "ev-2")
		if _, ok, err := db.IdemTakeOver(ctx, prev, prev.ClaimedAt.Add(time.Millisecond)); err != nil || !ok {
			t.Fatal("take-over", ok, err)
		}
		if err := a.Exams.Leave(store.WithIdemClaim(ctx, old), u.Principal(), at.ID); err == nil || events() != 1 {
			t.Fatalf("the displaced holder appended: %v, %d events", err, events())
		}
		if err := a.Exams.Leave(ctx, u.Principal(), at.ID); err != nil || events() != 2 {
			t.Fatalf("without a key: %v, %d events", err, events())
		}
	})
}
