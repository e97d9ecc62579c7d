package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"dibao/internal/app"
	"dibao/internal/demo"
	"dibao/internal/idcard"
	"dibao/internal/ledger"
	"dibao/internal/ledger/ledgertest"
	"dibao/internal/piiscan"
	"dibao/internal/region"
	"dibao/internal/server"
	"dibao/internal/testenv"
)

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *lockedBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *lockedBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// fullExports are the only places a clear ID or bank card number may
// appear: exports a permitted user asked for in full, by design.
var fullExports = map[string]string{
	"api county GET /api/v1/rosters/{id}/bank.csv":   "the bank's payment file needs full accounts (county approver; audited)",
	"web county GET /rosters/{id}/bank.csv":          "the same file from the roster page",
	"api county GET /api/v1/rosters/{id}/repay.csv":  "the bank file re-paying failed rows (county approver; audited)",
	"web county GET /rosters/{id}/repay.csv":         "the same file from the roster page",
	"api county POST /api/v1/households/{id}/reveal": "one value shown on request to a user with the reveal permission (audited)",
}

// templateExamples are the masked forms of the ledger template's example
// values: fabricated numbers of the fictional demo county, never issued,
// valid on purpose so the example row passes the import check. The ledger
// template may carry these and nothing else.
func templateExamples() map[string]bool {
	m := map[string]bool{}
	for _, c := range ledger.Columns() {
		for _, h := range piiscan.Scan([]byte(c.Example), time.Now()) {
			m[h.Masked] = true
		}
	}
	return m
}

// TestNoClearPersonalData runs the app on the demo county, uses it — every
// export, document and publicity page, and requests with bad input that
// carries ID numbers in paths, queries and bodies — and then scans the
// SQLite files (main, -wal, -shm), the server log, every response and a
// backup made by `dibao backup` for valid ID and bank card numbers. Only
// the exports listed in fullExports may carry them. On PostgreSQL the
// database is scanned through its pg_dump (the backup's data).
func TestNoClearPersonalData(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { noClearPersonalData(t, t.TempDir(), "") })
	t.Run("postgres", func(t *testing.T) {
		_, dsn := testenv.PostgresDSN(t)
		noClearPersonalData(t, t.TempDir(), dsn)
	})
}

// noClearPersonalData is the scan on one store: dsn "" is SQLite in dir.
func noClearPersonalData(t *testing.T, dir, dsn string) {
	ctx := context.Background()
	flags := []string{"--data", dir}
	if dsn != "" {
		flags = append(flags, "--db", dsn)
	}
	var logs lockedBuffer
	// The command's own output and log (demo loading) count as log too.
	if code := run(ctx, append([]string{"demo"}, flags...), &logs, &logs); code != 0 {
		t.Fatalf("demo: %d %s", code, logs.Bytes())
	}
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c := config{data: dir, db: dsn}
	db, err := c.open(ctx, log)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := app.New(db, log)
	a.Version = version
	if err := openSandbox(ctx, &c, db, a, log); err != nil { // as serve does: the practical-assessment store
		t.Fatal(err)
	}
	h, err := server.Handler(a)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	ds := demo.Generate(demoSeed, time.Now())
	someID := string(ds.Households[0].Members[0].IDNumber)
	someCard := ds.Households[0].BankAccount
	if !piiscan.ValidID(someID, time.Now()) || !piiscan.ValidCard(someCard) {
		t.Fatalf("demo data: %s/%s not valid numbers", someID[:6], someCard[:6])
	}

	ids := func(q string) []string {
		v, err := db.QueryStrings(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	rosters := ids("SELECT CAST(id AS TEXT) FROM rosters ORDER BY id")
	// Records in the village clerk's village, so that every role sees them.
	inVillage := " JOIN users u ON u.username = 'village' AND x.region_code = u.region_code "
	households := ids("SELECT CAST(x.household_id AS TEXT) FROM recipients x" + inVillage + "ORDER BY x.household_id LIMIT 3")
	cases := ids("SELECT CAST(x.id AS TEXT) FROM cases x" + inVillage + "ORDER BY x.id LIMIT 3")
	members := ids("SELECT CAST(m.id AS TEXT) FROM members m WHERE m.household_id = " + households[0] + " ORDER BY m.id LIMIT 1")
	docs := ids("SELECT CAST(case_id AS TEXT) || '/' || number FROM documents ORDER BY id")
	villages := ids("SELECT code FROM regions WHERE level = 3 ORDER BY code LIMIT 3")
	tasks := ids("SELECT CAST(id AS TEXT) FROM review_tasks WHERE status = 'decided' ORDER BY id LIMIT 3")
	library := ids("SELECT CAST(id AS TEXT) FROM library_cases ORDER BY id LIMIT 2")
	if len(rosters) == 0 || len(docs) == 0 || len(villages) == 0 || len(households) == 0 || len(members) == 0 {
		t.Fatalf("demo lacks rosters %d, documents %d or villages %d", len(rosters), len(docs), len(villages))
	}

	type fetched struct {
		key  string
		code int
		body []byte
	}
	var got []fetched
	var mu sync.Mutex
	record := func(key string, code int, body []byte) {
		mu.Lock()
		got = append(got, fetched{key, code, body})
		mu.Unlock()
	}
	// API: bearer tokens.
	apiCall := func(user, token, method, path string, body string) (int, []byte) {
		req, _ := http.NewRequest(method, srv.URL+"/api/v1"+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		record("api "+user+" "+method+" /api/v1"+path, res.StatusCode, b)
		return res.StatusCode, b
	}
	tokens := map[string]string{}
	// The audit admin must use a second factor (TOTP): enrol it as its
	// first login would, and give a code at each login below.
	testenv.EnrolTOTP(t, db, "auditor")
	for _, u := range []string{"village", "township", "county", "countyadmin", "custodian", "trainadmin", "auditor"} {
		body := fmt.Sprintf(`{"username":%q,"password":%q}`, u, demo.Password)
		if u == "auditor" {
			body = fmt.Sprintf(`{"username":%q,"password":%q,"totp":%q}`, u, demo.Password, testenv.TOTPCode(t, db, u))
		}
		code, b := apiCall(u, "", "POST", "/login", body)
		var r struct{ Token string }
		if code != 200 || json.Unmarshal(b, &r) != nil || r.Token == "" {
			t.Fatalf("api login %s: %d %s", u, code, b)
		}
		tokens[u] = r.Token
	}
	// Web: cookie sessions.
	web := map[string]*http.Client{}
	webGet := func(user, path string) (int, []byte) {
		res, err := web[user].Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		record("web "+user+" GET "+path, res.StatusCode, b)
		return res.StatusCode, b
	}
	for _, u := range []string{"village", "township", "county", "countyadmin", "custodian", "trainadmin", "auditor"} {
		jar, _ := cookiejar.New(nil)
		cl := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := cl.PostForm(srv.URL+"/login", url.Values{"username": {u}, "password": {demo.Password}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("web login %s: %d", u, res.StatusCode)
		}
		if u == "auditor" { // the code step
			if res, err = cl.PostForm(srv.URL+"/login/totp", url.Values{"code": {testenv.TOTPCode(t, db, u)}}); err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther || strings.HasPrefix(res.Header.Get("Location"), "/login") {
				t.Fatalf("web second factor %s: %d → %s", u, res.StatusCode, res.Header.Get("Location"))
			}
		}
		web[u] = cl
	}

	// Every export, document and page with personal data, for users
	// allowed to see them.
	for _, u := range []string{"county", "countyadmin"} {
		for _, r := range rosters {
			for _, p := range []string{"/rosters/" + r, "/rosters/" + r + "/bank.csv", "/rosters/" + r + "/rows.xlsx", "/rosters/" + r + "/repay.csv", "/rosters/" + r + "/diff"} {
				apiCall(u, tokens[u], "GET", p, "")
			}
			for _, p := range []string{"/rosters/" + r, "/rosters/" + r + "/export.xlsx", "/rosters/" + r + "/bank.csv", "/rosters/" + r + "/repay.csv"} {
				webGet(u, p)
			}
		}
	}
	for _, u := range []string{"village", "township", "county"} {
		for _, p := range []string{"/households", "/cases", "/recipients", "/queue", "/review-tasks", "/change-reports", "/spot-checks", "/stats/county", "/rosters"} {
			apiCall(u, tokens[u], "GET", p, "")
		}
		for _, h := range households {
			apiCall(u, tokens[u], "GET", "/households/"+h, "")
			apiCall(u, tokens[u], "GET", "/recipients/"+h, "")
			apiCall(u, tokens[u], "GET", "/recipients/"+h+"/history", "")
			webGet(u, "/households/"+h)
			webGet(u, "/recipients/"+h)
		}
		for _, c := range cases {
			apiCall(u, tokens[u], "GET", "/cases/"+c, "")
			webGet(u, "/cases/"+c)
		}
		for _, d := range docs {
			c, n, _ := strings.Cut(d, "/")
			apiCall(u, tokens[u], "GET", "/cases/"+c+"/documents/"+n, "")
			webGet(u, "/cases/"+c+"/documents/"+n)
		}
		for _, tk := range tasks {
			apiCall(u, tokens[u], "GET", "/review-tasks/"+tk+"/notice", "")
			webGet(u, "/reviews/notices/"+tk)
		}
		for _, p := range []string{"/households", "/households/export", "/cases", "/cases/export", "/recipients", "/recipients/export",
			"/county", "/reviews", "/reviews/reports", "/reviews/spot-checks", "/rosters", "/ledger", "/ledger/template.xlsx", "/"} {
			webGet(u, p)
		}
	}
	for _, p := range []string{"/archive", "/archive/export", "/archive/requests", "/archive/reads"} {
		webGet("custodian", p)
	}
	apiCall("custodian", tokens["custodian"], "GET", "/archive/records", "")
	for _, p := range []string{"/audit", "/audit/export"} {
		webGet("auditor", p)
	}
	apiCall("auditor", tokens["auditor"], "GET", "/audit?limit=500", "")
	for _, p := range []string{"/training/appraisal.xlsx?from=2026-01-01&to=2026-12-31", "/exams/bank.xlsx", "/training/appraisal"} {
		webGet("trainadmin", p)
	}
	apiCall("trainadmin", tokens["trainadmin"], "GET", "/training/appraisal.xlsx?from=2026-01-01&to=2026-12-31", "")
	// An audited reveal of one member's ID number and the bank account.
	apiCall("county", tokens["county"], "POST", "/households/"+households[0]+"/reveal", `{"field":"member_id_number","member_id":`+members[0]+`}`)
	apiCall("county", tokens["county"], "POST", "/households/"+households[0]+"/reveal", `{"field":"bank_account"}`)
	apiCall("trainadmin", tokens["trainadmin"], "GET", "/questions.xlsx", "")
	apiCall("countyadmin", tokens["countyadmin"], "GET", "/ledger/template.xlsx", "")
	for _, l := range library {
		webGet("trainadmin", "/library/"+l+"/scenario.json")
		apiCall("trainadmin", tokens["trainadmin"], "GET", "/library/"+l+"/scenario", "")
	}
	// A ledger (台账) upload with its check report, some rows wrong, under a
	// file name that is itself an ID number; then the import of the valid
	// rows and the batch pages.
	{
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", someID+".xlsx")
		fw.Write(ledgertest.Workbook(t, ledgertest.Rows(12, region.Code(villages[0]), region.Code(villages[1]))))
		mw.Close()
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/ledger-imports", &body)
		req.Header.Set("Authorization", "Bearer "+tokens["countyadmin"])
		req.Header.Set("Content-Type", mw.FormDataContentType())
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		record("api countyadmin POST /api/v1/ledger-imports", res.StatusCode, b)
		var batch struct {
			ID     int64
			Errors []any
		}
		if res.StatusCode != http.StatusCreated || json.Unmarshal(b, &batch) != nil || len(batch.Errors) == 0 {
			t.Fatalf("ledger upload: %d %s", res.StatusCode, b)
		}
		id := fmt.Sprint(batch.ID)
		apiCall("countyadmin", tokens["countyadmin"], "GET", "/ledger-imports/"+id, "")
		apiCall("countyadmin", tokens["countyadmin"], "GET", "/ledger-imports", "")
		webGet("countyadmin", "/ledger/"+id)
		webGet("countyadmin", "/ledger")
		if code, b := apiCall("countyadmin", tokens["countyadmin"], "POST", "/ledger-imports/"+id+"/confirm", `{"only_valid":true}`); code != http.StatusOK {
			t.Fatalf("ledger confirm: %d %s", code, b)
		}
	}
	// The publicity pages, open to anyone.
	for _, v := range append([]string{""}, villages...) {
		res, err := http.Get(srv.URL + "/public/" + v)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		record("public GET /public/"+v, res.StatusCode, b)
	}

	// Bad input that carries ID and card numbers: in paths, queries and
	// bodies. None of it may reach the log or the database in clear.
	bad := []struct{ method, path, body string }{
		{"GET", "/households/" + someID, ""},
		{"GET", "/households?q=" + someID, ""},
		{"GET", "/households?id_number=" + someID, ""},
		{"GET", "/recipients/" + someCard, ""},
		{"POST", "/households", `{"region_code":"1","members":[{"name":"张三","id_number":"` + someID + `"`},
		{"POST", "/households", `{"bogus":"` + someID + `","bank_account":"` + someCard + `"}`},
		{"POST", "/households", `{"region_code":"` + villages[0] + `","address":"x","bank_account":"` + someCard + `x","members":[{"name":"张三","relation":"head","id_number":"` + someID + `"}]}`},
		{"POST", "/cases", `{"household_id":"` + someID + `"}`},
	}
	for _, b := range bad {
		apiCall("village", tokens["village"], b.method, b.path, b.body)
	}
	// A household registered with new, valid numbers; searched by ID; the
	// same ID registered again (a duplicate the system refuses).
	home := ids("SELECT region_code FROM users WHERE username = 'village'")[0]
	newID := string(idcard.Make(home[:6], time.Date(1961, 5, 6, 0, 0, 0, 0, time.UTC), 457))
	newCard := "6217991234567890" + "12"
	for d := byte('0'); d <= '9'; d++ {
		if c := newCard + string(d); piiscan.ValidCard(c) {
			newCard = c
		}
	}
	hh := `{"region_code":"` + home + `","address":"李家庄村幸福路9号","urban":"rural","phone":"13900001111",` +
		`"bank_name":"农村信用社","bank_account":"` + newCard + `","members":[{"name":"赵六","relation":"head","id_number":"` +
		newID + `","labour":"full","health":"serious","health_detail":"尿毒症","co_resident":"1","disability_grade":"0"}]}`
	if code, b := apiCall("village", tokens["village"], "POST", "/households", hh); code != http.StatusCreated {
		t.Fatalf("create household: %d %s", code, b)
	}
	apiCall("village", tokens["village"], "POST", "/households", hh)
	apiCall("village", tokens["village"], "GET", "/households?id_number="+newID, "")
	webGet("village", "/households?id_number="+newID)
	apiCall("anonymous", "", "POST", "/login", `{"username":"`+someID+`","password":"`+someCard+`"}`)
	webGet("village", "/households/"+someID)
	webGet("village", "/households?q="+someID)
	webGet("village", "/recipients?q="+someID)
	if res, err := http.PostForm(srv.URL+"/login", url.Values{"username": {someID}, "password": {someCard}}); err == nil {
		res.Body.Close()
	}

	// Responses: only the allowed full exports may carry clear numbers,
	// and they must (control: the scan sees what a bank file holds).
	allowedSeen := map[string]bool{}
	examples := templateExamples()
	ok, templateSeen := 0, 0
	for _, f := range got {
		key := f.key
		for _, r := range rosters {
			key = strings.ReplaceAll(key, "/rosters/"+r+"/", "/rosters/{id}/")
		}
		key = strings.ReplaceAll(key, "/households/"+households[0]+"/reveal", "/households/{id}/reveal")
		hits := piiscan.Scan(f.body, time.Now())
		if f.code == 200 {
			ok++
		} else if os.Getenv("PII_DEBUG") != "" {
			t.Logf("non-200: %s %d", f.key, f.code)
		}
		if _, allowed := fullExports[key]; allowed {
			if f.code == 200 && len(hits) > 0 {
				allowedSeen[key] = true
			}
			continue
		}
		if strings.HasSuffix(key, "/ledger/template.xlsx") {
			var other []piiscan.Hit
			for _, h := range hits {
				if !examples[h.Masked] {
					other = append(other, h)
				}
			}
			if f.code == 200 && len(hits) > 0 && len(other) == 0 {
				templateSeen++
			}
			hits = other
		}
		if len(hits) > 0 {
			t.Errorf("%s (%d): %d clear numbers, first %s", f.key, f.code, len(hits), hits[0])
		}
	}
	for k := range fullExports {
		if !allowedSeen[k] {
			t.Errorf("allowed full export %s returned no clear numbers: the allowance is stale or the scan is blind", k)
		}
	}
	if len(examples) == 0 || templateSeen == 0 {
		t.Errorf("the ledger template's example numbers: %d known, seen in %d downloads", len(examples), templateSeen)
	}
	t.Logf("%d responses scanned (%d with status 200)", len(got), ok)

	// The log, the database files and a backup.
	if hits := piiscan.Scan(logs.Bytes(), time.Now()); len(hits) > 0 {
		t.Errorf("server log: %d clear numbers, first %s", len(hits), hits[0])

	}
	if !bytes.Contains(logs.Bytes(), []byte("/api/v1/households/")) {
		t.Error("control: the request log does not show the requests")
	}
	var files []string
	if dsn == "" {
		for _, f := range []string{"dibao.db", "dibao.db-wal", "dibao.db-shm", "sandbox.db", "sandbox.db-wal", "sandbox.db-shm"} {
			files = append(files, filepath.Join(dir, f))
		}
	}
	// The backup: on PostgreSQL its data is the pg_dump of the whole schema.
	out := filepath.Join(t.TempDir(), "pii.dibak")
	var o, e bytes.Buffer
	if code := run(ctx, append([]string{"backup", "--out", out}, flags...), &o, &e); code != 0 {
		t.Fatalf("backup: %d %s", code, e.String())
	}
	files = append(files, out)
	var total int64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			if os.IsNotExist(err) && !strings.HasSuffix(f, "dibao.db") && !strings.HasSuffix(f, ".dibak") {
				continue
			}
			t.Fatal(err)
		}
		total += int64(len(b))
		if hits := piiscan.Scan(b, time.Now()); len(hits) > 0 {
			t.Errorf("%s: %d clear numbers, first %s", filepath.Base(f), len(hits), hits[0])
		}
	}
	// The command-line output (backup's log) is clean as well.
	if hits := piiscan.Scan(append(o.Bytes(), e.Bytes()...), time.Now()); len(hits) > 0 {
		t.Errorf("command output: %s", hits[0])
	}
	keys := make([]string, 0, len(fullExports))
	for k := range fullExports {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if total < 500_000 {
		t.Fatalf("only %d bytes of database files and backup scanned", total)
	}
	t.Logf("scanned %d bytes of database files and backup; allowed full exports: %v", total, keys)
}
