package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/ratelimit"
	"dibao/internal/server"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

func TestSecurityHeaders(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		testenv.SeedRegions(t, db)
		testenv.User(t, db, "clerk", testenv.VillageA, authz.VillageClerk)
		s := newSite(t, db, server.DefaultConfig())
		b := s.signIn("clerk")
		check := func(r reply, what string) {
			t.Helper()
			h := r.header
			for k, want := range map[string]string{
				"X-Content-Type-Options":       "nosniff",
				"X-Frame-Options":              "DENY",
				"Referrer-Policy":              "same-origin",
				"Permissions-Policy":           server.PermissionsPolicy,
				"Content-Security-Policy":      server.CSP,
				"Cross-Origin-Opener-Policy":   "same-origin",
				"Cross-Origin-Resource-Policy": "same-origin",
			} {
				if got := h.Get(k); got != want {
					t.Errorf("%s: %s = %q, want %q", what, k, got, want)
				}
			}
			if h.Get("Strict-Transport-Security") != "" {
				t.Errorf("%s: HSTS over plain HTTP", what)
			}
		}
		for _, p := range []string{"/login", "/", "/households", "/static/app.css", "/healthz", "/public/", "/no-such-page"} {
			check(b.get(p), "GET "+p)
		}
		api := s.apiLogin("clerk")
		check(api.call("GET", "/api/v1/me", "", nil), "GET /api/v1/me")

		// The policy itself: nothing inline, no plugins, no base, no frames.
		dirs := map[string]string{}
		for _, d := range strings.Split(server.CSP, ";") {
			f := strings.Fields(d)
			dirs[f[0]] = strings.Join(f[1:], " ")
		}
		for d, want := range map[string]string{"default-src": "'self'", "script-src": "'self'", "style-src": "'self'",
			"object-src": "'none'", "base-uri": "'none'", "frame-ancestors": "'none'", "form-action": "'self'"} {
			if dirs[d] != want {
				t.Errorf("CSP %s = %q, want %q", d, dirs[d], want)
			}
		}
		if strings.Contains(server.CSP, "unsafe") || strings.Contains(server.DocumentCSP, "script") ||
			!strings.Contains(server.DocumentCSP, "default-src 'none'") || !strings.Contains(server.DocumentCSP, "frame-ancestors 'none'") {
			t.Errorf("CSP %q / document CSP %q", server.CSP, server.DocumentCSP)
		}

		// Printable documents get the script-free document policy.
		cid := testenv.Case(t, db, testenv.CaseSpec{Village: testenv.VillageA, Head: "张三",
			Steps: []testenv.Step{{To: "submitted", At: time.Now()}}})
		db.SetClock(time.Now)
		r := b.get(fmt.Sprintf("/cases/%d/documents/NO-SUCH", cid))
		if r.header.Get("Content-Security-Policy") != server.DocumentCSP {
			t.Errorf("document CSP = %q", r.header.Get("Content-Security-Policy"))
		}

		// A forwarding header from anyone but a trusted proxy is ignored.
		req, _ := http.NewRequest("GET", s.url+"/login", nil)
		req.Header.Set("X-Forwarded-Proto", "https")
		if r := b.do(req); r.header.Get("Strict-Transport-Security") != "" {
			t.Error("HSTS for an untrusted X-Forwarded-Proto")
		}
		// Over TLS, HSTS.
		tls := httptest.NewTLSServer(s.srv.Config.Handler)
		defer tls.Close()
		res, err := tls.Client().Get(tls.URL + "/login")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.Header.Get("Strict-Transport-Security") != server.HSTS {
			t.Errorf("HSTS over TLS = %q", res.Header.Get("Strict-Transport-Security"))
		}
	})
}

func TestHTTPServerTimeouts(t *testing.T) {
	srv := server.NewHTTPServer(http.NotFoundHandler())
	if srv.ReadHeaderTimeout <= 0 || srv.ReadHeaderTimeout > 30*time.Second {
		t.Errorf("ReadHeaderTimeout %s", srv.ReadHeaderTimeout)
	}
	if srv.ReadTimeout <= 0 || srv.WriteTimeout <= srv.ReadTimeout || srv.IdleTimeout <= 0 {
		t.Errorf("Read %s Write %s Idle %s", srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	if srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Errorf("MaxHeaderBytes %d", srv.MaxHeaderBytes)
	}
	if c := server.DefaultConfig(); c.LongTimeout < 10*time.Minute || c.MaxBody != 1<<20 {
		t.Errorf("default config %+v", c)
	}
}

// rawPost sends only the headers of a POST that declares length bytes and
// reads the answer: the server must refuse without reading any body.
func rawPost(t *testing.T, base, path string, length int64, header string) (int, string, http.Header) {
	t.Helper()
	u, _ := url.Parse(base)
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: %d\r\n%s\r\n",
		path, u.Host, length, header)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("POST %s (%d bytes declared): %v", path, length, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func TestBodyLimits(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		testenv.SeedRegions(t, db)
		testenv.User(t, db, "clerk", testenv.VillageA, authz.VillageClerk)
		cid := testenv.Case(t, db, testenv.CaseSpec{Village: testenv.VillageA, Head: "张三",
			Steps: []testenv.Step{{To: "submitted", At: time.Now()}}})
		db.SetClock(time.Now)
		s := newSite(t, db, server.DefaultConfig())
		b := s.signIn("clerk")
		api := s.apiLogin("clerk")
		households := func() int {
			t.Helper()
			recs, err := db.AuditRecords(context.Background(), store.AuditFilter{Action: "household", Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			return len(recs)
		}
		before := households()

		// Every route is refused one byte over its allowance, before the
		// body is read and before anyone is asked who the caller is.
		routes := map[string]int64{"/households": server.DefaultMaxBody, "/api/v1/households": server.DefaultMaxBody,
			"/login": server.DefaultMaxBody}
		for _, rt := range server.Routes() {
			if rt.Kind == server.Upload {
				method, path, _ := strings.Cut(rt.Pattern, " ")
				if method != "POST" || rt.Body <= server.DefaultMaxBody {
					t.Fatalf("upload route %s allowance %d", rt.Pattern, rt.Body)
				}
				routes[strings.ReplaceAll(path, "{id}", "1")] = rt.Body
			}
		}
		if len(routes) < 12 {
			t.Fatalf("only %d routes", len(routes))
		}
		cookie := "Cookie: " + b.c.Jar.Cookies(mustURL(s.url))[0].String() + "\r\n"
		for path, limit := range routes {
			st, body, h := rawPost(t, s.url, path, limit+1, cookie)
			if st != http.StatusRequestEntityTooLarge || h.Get("Cache-Control") != "no-store" {
				t.Errorf("POST %s with %d bytes: %d %s", path, limit+1, st, body)
			}
			if strings.HasPrefix(path, "/api/") {
				if !strings.Contains(body, `"code":"too_large"`) || !strings.Contains(body, "提交的内容过大") {
					t.Errorf("API 413 body: %s", body)
				}
			} else if !strings.Contains(body, "提交的内容过大：此处最多接受") || !strings.Contains(h.Get("Content-Type"), "text/html") {
				t.Errorf("page 413 body: %s", body)
			}
			// At the allowance exactly, the guard lets it through (the
			// handler then finds no valid body: any answer but 413).
			// (Not with the session on /login: a login attempt ends the
			// session the browser held, by design.)
			hdr := cookie
			if path == "/login" {
				hdr = ""
			}
			if st, body, _ := rawPost(t, s.url, path, 0, hdr); st == http.StatusRequestEntityTooLarge {
				t.Errorf("POST %s empty: 413 %s", path, body)
			}
		}

		// A body without a declared length is cut at the limit as it is
		// read: the household form is refused with the form's message.
		big := url.Values{"address": {strings.Repeat("一", 1<<20)}, "region_code": {string(testenv.VillageA)}}.Encode()
		req, _ := http.NewRequest("POST", s.url+"/households", io.MultiReader(strings.NewReader(big)))
		req.ContentLength = -1
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r := b.do(req)
		// (The form's own 256 KB bound cuts it first: its 400 stands.)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "提交的内容过大") {
			t.Errorf("chunked 3 MB form: %d %s %.300s", r.status, r.header.Get("Location"), r.body)
		}
		r = api.call("POST", "/api/v1/households", "application/json",
			io.MultiReader(strings.NewReader(`{"address":"`+strings.Repeat("x", 2<<20)+`"}`)))
		if code, _ := apiError(t, r); r.status != http.StatusRequestEntityTooLarge || code != "invalid" {
			t.Errorf("chunked 2 MB JSON: %d %.300s", r.status, r.body)
		}
		// An upload without a declared length over its allowance: the
		// handler's own message, as 413.
		ct, body := multipartBody(map[string]string{"material": "application"}, "big.pdf",
			append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0"), 12<<20)...))
		req, _ = http.NewRequest("POST", fmt.Sprintf("%s/cases/%d/files", s.url, cid), io.MultiReader(bytes.NewReader(body)))
		req.ContentLength = -1
		req.Header.Set("Content-Type", ct)
		if r := b.do(req); r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "文件过大") {
			t.Errorf("chunked 12 MB scan: %d %s %.300s", r.status, r.header.Get("Location"), r.body)
		}
		if n := households(); n != before {
			t.Fatalf("households %d → %d after refused bodies", before, n)
		}
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestLoginRateLimits(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		testenv.SeedRegions(t, db)
		for _, u := range []string{"alice", "bob", "carol"} {
			testenv.User(t, db, u, testenv.VillageA, authz.VillageClerk)
		}
		cfg := server.DefaultConfig()
		cfg.LoginPerUser = ratelimit.PerMinute(3)               // one every 20 s
		cfg.LoginPerIP = ratelimit.Rate{N: 6, Per: time.Minute} // one every 10 s
		s := newSite(t, db, cfg)
		web := s.anonymous()
		wrong := func(user string) reply {
			return web.postForm("/login", url.Values{"username": {user}, "password": {"wrong-password"}})
		}
		for i := range 3 {
			if r := wrong("alice"); r.status == http.StatusTooManyRequests {
				t.Fatalf("attempt %d refused early", i+1)
			}
		}
		// Case and spaces do not make a new bucket.
		r := wrong(" ALICE ")
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "20" ||
			!strings.Contains(r.body, "登录尝试过于频繁，请 20 秒后再试") || r.header.Get("Set-Cookie") != "" {
			t.Fatalf("4th attempt for alice: %d Retry-After %q %.400s", r.status, r.header.Get("Retry-After"), r.body)
		}
		// Even the right password waits: the limit counts attempts.
		r = web.postForm("/login", url.Values{"username": {"alice"}, "password": {testenv.Password}})
		if r.status != http.StatusTooManyRequests {
			t.Fatalf("right password within the limit: %d", r.status)
		}
		// The address has spent 5 of its 6; bob gets the last one.
		if r := s.signIn("bob"); r == nil {
			t.Fatal("bob")
		}
		// Now the address is out: carol is refused by address.
		r = wrong("carol")
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "10" {
			t.Fatalf("7th attempt from one address: %d %q", r.status, r.header.Get("Retry-After"))
		}
		// The API shares the buckets and answers in its own shape.
		api := &apiClient{s: s}
		r = api.call("POST", "/api/v1/login", "application/json", strings.NewReader(`{"username":"carol","password":"x"}`))
		if code, msg := apiError(t, r); r.status != http.StatusTooManyRequests || code != "rate_limited" ||
			!strings.Contains(msg, "登录尝试过于频繁") || r.header.Get("Retry-After") == "" {
			t.Fatalf("API login over the limit: %d %s", r.status, r.body)
		}
		// Each refused key is audited once a minute, not once a request.
		recs, err := db.AuditRecords(context.Background(), store.AuditFilter{Action: "auth.rate_limited", Limit: 100})
		if err != nil || len(recs) != 2 || recs[0].Result != "denied" {
			t.Fatalf("rate-limit audit records: %+v %v", recs, err)
		}
		if !strings.Contains(recs[0].Detail+recs[1].Detail, "按用户名限流") || !strings.Contains(recs[0].Detail+recs[1].Detail, "按来源地址 127.0.0.1 限流") {
			t.Fatalf("audit details %q / %q", recs[0].Detail, recs[1].Detail)
		}
		// Behind a trusted proxy, each forwarded client has its own bucket.
		proxied := cfg
		proxied.TrustedProxies, _ = server.ParsePrefixes("127.0.0.1")
		ps := newSite(t, db, proxied)
		for i := range 8 {
			client := "198.51.100.1" // 6 attempts pass, the 7th is refused, another client's passes
			if i == 7 {
				client = "198.51.100.2"
			}
			req, _ := http.NewRequest("POST", ps.url+"/api/v1/login", strings.NewReader(`{"username":"nobody`+strconv.Itoa(i)+`","password":"x"}`))
			req.Header.Set("X-Forwarded-For", "203.0.113.9, "+client) // the first hop is the client's own word
			req.Header.Set("X-Forwarded-Proto", "https")
			r := (&browser{s: ps, c: http.DefaultClient}).do(req)
			if refused := i == 6; (r.status == http.StatusTooManyRequests) != refused {
				t.Fatalf("forwarded attempt %d from %s: %d", i+1, client, r.status)
			}
			if r.header.Get("Strict-Transport-Security") != server.HSTS {
				t.Fatalf("no HSTS behind a trusted TLS proxy")
			}
		}
		// Time refills: after 20 s alice may sign in (the JSON body read by
		// the guard is still there for the handler).
		s.step(20 * time.Second)
		if c := s.apiLogin("alice"); c.token == "" {
			t.Fatal("no token")
		}
		// A refused attempt is not a failed login: alice was not locked out.
		s.step(time.Minute)
		s.signIn("alice")
	})
}

func TestExportRateLimit(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		testenv.SeedRegions(t, db)
		testenv.User(t, db, "county", testenv.County, authz.CountyAdmin)
		testenv.User(t, db, "county2", testenv.County, authz.CountyAdmin)
		cfg := server.DefaultConfig()
		cfg.ExportPerUser = ratelimit.PerMinute(2)
		s := newSite(t, db, cfg)
		b := s.signIn("county")
		for i := range 2 {
			if r := b.get("/ledger/template.xlsx"); r.status != http.StatusOK {
				t.Fatalf("export %d: %d %.300s", i+1, r.status, r.body)
			}
		}
		r := b.get("/households/export")
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "30" ||
			!strings.Contains(r.body, "导出过于频繁，请 30 秒后再试") {
			t.Fatalf("3rd export: %d %q %.300s", r.status, r.header.Get("Retry-After"), r.body)
		}
		// Per user, not per session or interface: the API shares the bucket.
		api := s.apiLogin("county")
		r = api.call("GET", "/api/v1/ledger/template.xlsx", "", nil)
		if code, _ := apiError(t, r); r.status != http.StatusTooManyRequests || code != "rate_limited" {
			t.Fatalf("API export over the limit: %d %s", r.status, r.body)
		}
		// Others are not affected, and pages are not exports.
		if r := s.signIn("county2").get("/ledger/template.xlsx"); r.status != http.StatusOK {
			t.Fatalf("county2 export: %d", r.status)
		}
		if r := b.get("/households"); r.status != http.StatusOK {
			t.Fatalf("list page: %d", r.status)
		}
		// Anonymous requests spend nothing and go to the login page.
		if r := s.anonymous().get("/households/export"); r.status != http.StatusSeeOther {
			t.Fatalf("anonymous export: %d", r.status)
		}
		if recs, err := db.AuditRecords(context.Background(), store.AuditFilter{Action: "export.rate_limited", Limit: 10}); err != nil ||
			len(recs) != 1 || recs[0].Actor != "county" || recs[0].Result != "denied" {
			t.Fatalf("export refusals audited: %+v %v", recs, err)
		}
		s.step(30 * time.Second)
		if r := b.get("/ledger/template.xlsx"); r.status != http.StatusOK {
			t.Fatalf("after 30 s: %d", r.status)
		}
	})
}

// TestUploadsRefused proves an oversize or wrong-type upload is refused on
// every upload page and API route with a clear message, and nothing is
// stored.
func TestUploadsRefused(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		testenv.SeedRegions(t, db)
		testenv.User(t, db, "clerk", testenv.VillageA, authz.VillageClerk)
		testenv.User(t, db, "county", testenv.County, authz.CountyAdmin)
		testenv.User(t, db, "trainer", testenv.County, authz.TrainingAdmin)
		testenv.User(t, db, "approver", testenv.County, authz.CountyApprover)
		cid := testenv.Case(t, db, testenv.CaseSpec{Village: testenv.VillageA, Head: "张三",
			Steps: []testenv.Step{{To: "submitted", At: time.Now()}}})
		db.SetClock(time.Now)
		s := newSite(t, db, server.DefaultConfig())
		clerk, county, trainer := s.signIn("clerk"), s.signIn("county"), s.signIn("trainer")
		clerkAPI, countyAPI, trainerAPI := s.apiLogin("clerk"), s.apiLogin("county"), s.apiLogin("trainer")
		approverAPI := s.apiLogin("approver")
		var seq int64
		if recs, err := db.AuditRecords(ctx, store.AuditFilter{Limit: 1}); err != nil || len(recs) != 1 {
			t.Fatal(recs, err)
		} else {
			seq = recs[0].Seq
		}

		html := []byte("<html><script>alert(1)</script></html>")
		exe := append([]byte("MZ\x90\x00"), bytes.Repeat([]byte{0}, 1000)...)
		pdf := func(n int) []byte { return append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0"), n)...) }
		caseFiles := fmt.Sprintf("/cases/%d/files", cid)
		material := map[string]string{"material": "application"}
		learn := map[string]string{"title": "测试资料", "category": "policy_law", "minutes": "10"}
		type attempt struct {
			name   string
			send   func() reply
			status int
			want   string
		}
		web := func(b *browser, path string, f map[string]string, name string, data []byte) func() reply {
			return func() reply { return b.upload(path, f, name, data) }
		}
		viaAPI := func(c *apiClient, path string, f map[string]string, name string, data []byte) func() reply {
			return func() reply { return c.upload(path, f, name, data) }
		}
		const typeMsg = "文件类型不支持"
		const sheetMsg = "无法读取该文件：请上传 Excel 工作簿（.xlsx）"
		for _, a := range []attempt{
			{"case scan as HTML", web(clerk, caseFiles, material, "scan.pdf", html), 422, typeMsg},
			{"case scan as exe", web(clerk, caseFiles, material, "scan.jpg", exe), 422, typeMsg},
			{"case scan 10 MB + 1", web(clerk, caseFiles, material, "big.pdf", pdf(10<<20)), 422, "文件过大：单个文件不能超过 10 MB"},
			{"API case scan as HTML", viaAPI(clerkAPI, "/api/v1"+caseFiles, material, "scan.pdf", html), 400, typeMsg},
			{"API case scan 10 MB + 1", viaAPI(clerkAPI, "/api/v1"+caseFiles, material, "big.pdf", pdf(10<<20)), 400, "文件过大"},
			{"learning material as HTML", web(trainer, "/learning/new", learn, "video.mp4", html), 422, typeMsg},
			{"ledger as CSV", web(county, "/ledger", nil, "台账.xlsx", []byte("a,b\n1,2\n")), 422, sheetMsg},
			{"API ledger as exe", viaAPI(countyAPI, "/api/v1/ledger-imports", nil, "台账.xlsx", exe), 400, sheetMsg},
			{"question bank as HTML", web(trainer, "/exams/bank/import", nil, "bank.xlsx", html), 422, sheetMsg},
			{"API question bank as exe", viaAPI(trainerAPI, "/api/v1/questions/import", nil, "bank.xlsx", exe), 400, sheetMsg},
			{"API bank result 20 MB + 1", viaAPI(approverAPI, "/api/v1/rosters/1/bank-result", nil, "回盘.csv",
				bytes.Repeat([]byte("1,"), 10<<20+1)[:20<<20+1]), 400, "银行回盘文件超过 20 MB"},
			{"API bank result empty", viaAPI(approverAPI, "/api/v1/rosters/1/bank-result", nil, "回盘.csv", nil), 400, "请选择银行回盘文件"},
		} {
			r := a.send()
			if r.status != a.status || !strings.Contains(r.body, a.want) {
				t.Errorf("%s: %d, want %d with %q:\n%.600s", a.name, r.status, a.status, a.want, r.body)
			}
		}
		// Nothing stored: no file, material, question, and no write in the
		// audit log (every write is audited).
		if fs, err := db.Files(ctx, cid); err != nil || len(fs) != 0 {
			t.Errorf("case files %d %v", len(fs), err)
		}
		if items, err := db.LearningItems(ctx, ""); err != nil || len(items) != 0 {
			t.Errorf("learning items %d %v", len(items), err)
		}
		if qs, err := db.Questions(ctx, true); err != nil || len(qs) != 0 {
			t.Errorf("questions %d %v", len(qs), err)
		}
		recs, err := db.AuditRecords(ctx, store.AuditFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			if rec.Seq > seq && !strings.HasPrefix(rec.Action, "auth.") && rec.Result == "ok" &&
				(strings.Contains(rec.Action, "upload") || strings.Contains(rec.Action, "import") || strings.Contains(rec.Action, "ledger") ||
					strings.Contains(rec.Action, "learning") || strings.Contains(rec.Action, "question")) {
				t.Errorf("audit after refused uploads: %s %s %s", rec.Action, rec.Object, rec.Detail)
			}
		}
		// And a valid scan within the limit passes both the guard and the
		// handler (the allowance is above the default 1 MB body limit).
		if r := clerk.upload(caseFiles, material, "scan.pdf", pdf(3<<20)); r.status != http.StatusSeeOther {
			t.Fatalf("3 MB scan: %d %.300s", r.status, r.body)
		}
		if r := clerkAPI.upload("/api/v1"+caseFiles, material, "scan.pdf", pdf(2<<20)); r.status != http.StatusCreated {
			t.Fatalf("API 2 MB scan: %d %.300s", r.status, r.body)
		}
		if fs, _ := db.Files(ctx, cid); len(fs) != 2 {
			t.Fatalf("%d files after two good uploads", len(fs))
		}
	})
}
