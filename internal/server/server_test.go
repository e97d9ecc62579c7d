package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/server"
	"dibao/internal/testenv"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServer(t *testing.T) {
	db := testenv.SQLite(t)
	testenv.SeedRegions(t, db)
	testenv.User(t, db, "clerk", testenv.VillageA, authz.VillageClerk)
	var logs syncBuffer
	a := app.New(db, slog.New(slog.NewJSONHandler(&logs, nil)))
	h, err := server.Handler(a)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	get := func(path string) (*http.Response, string) {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}

	t.Run("probes", func(t *testing.T) {
		if res, body := get("/healthz"); res.StatusCode != 200 || body != "ok\n" {
			t.Fatalf("healthz: %d %q", res.StatusCode, body)
		}
		if res, body := get("/readyz"); res.StatusCode != 200 || body != "ready\n" {
			t.Fatalf("readyz: %d %q", res.StatusCode, body)
		}
	})

	t.Run("security headers and request id", func(t *testing.T) {
		res, _ := get("/login")
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
			if res.Header.Get(k) != want {
				t.Errorf("%s = %q", k, res.Header.Get(k))
			}
		}
		if !strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src 'self'") || res.Header.Get("X-Request-Id") == "" {
			t.Fatalf("CSP/request id missing: %v", res.Header)
		}
	})

	t.Run("cross-origin form posts are refused", func(t *testing.T) {
		form := url.Values{"username": {"clerk"}, "password": {testenv.Password}}
		req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "http://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden || len(res.Cookies()) != 0 {
			t.Fatalf("cross-site login: %d cookies %v", res.StatusCode, res.Cookies())
		}
	})

	t.Run("logs never carry ID numbers or phones", func(t *testing.T) {
		body, _ := json.Marshal(map[string]string{"username": "clerk", "password": testenv.Password})
		res, err := http.Post(srv.URL+"/api/v1/login", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var tok struct{ Token string }
		_ = json.NewDecoder(res.Body).Decode(&tok)
		res.Body.Close()
		do := func(method, path, payload string) {
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(payload))
			req.Header.Set("Authorization", "Bearer "+tok.Token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
		}
		do("POST", "/api/v1/households", `{"region_code":"`+string(testenv.VillageA)+`","address":"一组","urban":"rural",
			"phone":"13912345678","members":[{"name":"赵六","id_number":"11010519491231002X","labour":"full","health":"healthy"}]}`)
		do("GET", "/api/v1/households?id_number=11010519491231002X", "")
		do("POST", "/api/v1/households", `{"region_code":"`+string(testenv.VillageA)+`","address":"一组","urban":"rural",
			"members":[{"name":"钱七","id_number":"110105194912310021","labour":"full","health":"healthy"}]}`)
		out := logs.String()
		if !strings.Contains(out, `"path":"/api/v1/households"`) {
			t.Fatalf("request log missing: %s", out)
		}
		for _, secret := range []string{"11010519491231002X", "110105194912310021", "13912345678", tok.Token} {
			if strings.Contains(out, secret) {
				t.Fatalf("log contains %q:\n%s", secret, out)
			}
		}
	})
}
