package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"dibao/internal/api"
	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/crosscheck"
	"dibao/internal/practical"
	"dibao/internal/testenv"
)

// FuzzRoutes sends fuzzed path parameters, query strings and bodies to
// every API operation (but logout, which would end the session) as a
// village clerk, a county user holding every role, and nobody, against a
// real SQLite store with a recipient household and a case. Whatever comes
// in, the answer is never a 5xx or a panic, and every error is the
// structured {"error":{"code","message"}} body.
func FuzzRoutes(f *testing.F) {
	db := testenv.SQLite(f)
	testenv.SeedRegions(f, db)
	testenv.User(f, db, "clerk", testenv.VillageA, authz.VillageClerk)
	var roles []authz.Role // every role one account may hold (三员分立 keeps these three apart)
	for _, r := range authz.AllRoles {
		if r != authz.SystemAdmin && r != authz.SecurityAdmin && r != authz.Auditor {
			roles = append(roles, r)
		}
	}
	testenv.User(f, db, "boss", testenv.County, roles...)
	hh, cs := testenv.Recipient(f, db, testenv.RecipientSpec{Village: testenv.VillageA, Head: "张三", Amount: 50000})
	a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Sandbox = &practical.Service{DB: db, Sandbox: testenv.SandboxStore(f, db), Now: time.Now, Checker: &crosscheck.Simulator{Seed: 3}}
	h := api.New(a)
	var tokens []string
	for _, u := range []string{"clerk", "boss"} {
		tok, _, err := a.Access.Login(context.Background(), u, testenv.Password, "api", "")
		if err != nil {
			f.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	tokens = append(tokens, "")
	var routes []api.Route
	for _, rt := range api.Routes(a) {
		if rt.Path != "/logout" {
			routes = append(routes, rt)
		}
	}
	ids := []string{fmt.Sprint(hh), fmt.Sprint(cs)}
	for i, rt := range routes {
		body := `{"version":1,"name":"x","region_code":"130199101201","amount":"12.50","reason":"测试"}`
		if rt.Method == "GET" {
			body = ""
		}
		f.Add(uint16(i), uint8(i%3), ids[i%2], "1", "page=2&page_size=10&region=130199101201", []byte(body))
	}
	f.Add(uint16(0), uint8(2), "", "", "", []byte(`{"username":"boss","password":"`+testenv.Password+`"}`))
	f.Add(uint16(5), uint8(1), "9223372036854775807", "-1", "page=9223372036854775807&page_size=200", []byte(`{"version":-1}`))
	f.Add(uint16(7), uint8(0), "0x10", "%2F..%2F", "id_number=130199&name=%00&urban=x", []byte(`{"members":[{}]}`))
	seq := 0
	f.Fuzz(func(t *testing.T, route uint16, who uint8, p1, p2, query string, body []byte) {
		rt := routes[int(route)%len(routes)]
		path := rt.Path
		params := []string{p1, p2}
		for n := 0; strings.Contains(path, "{"); n++ {
			i := strings.Index(path, "{")
			j := strings.Index(path[i:], "}")
			path = path[:i] + url.PathEscape(params[n%2]) + path[i+j+1:]
		}
		if len(body) > 1<<16 || strings.ContainsAny(query, "# ") {
			return
		}
		target := "/api/v1" + path
		if query != "" {
			target += "?" + query
		}
		req, err := http.NewRequest(rt.Method, "http://dibao.test"+target, bytes.NewReader(body))
		if err != nil {
			return
		}
		if tok := tokens[int(who)%len(tokens)]; tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		req.Header.Set("Content-Type", "application/json")
		seq++
		req.Header.Set("Idempotency-Key", fmt.Sprintf("fuzz-%d-%d", time.Now().UnixNano(), seq))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s (%q): %d %s", rt.Method, target, body, rec.Code, rec.Body.Bytes())
		}
		if rec.Code >= 400 {
			var e struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" ||
				!strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("%s %s: %d with an unstructured error %q", rt.Method, target, rec.Code, rec.Body.Bytes())
			}
		}
	})
}
