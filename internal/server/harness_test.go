package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"dibao/internal/app"
	"dibao/internal/server"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// site is the whole handler over a test store, with a hand-stepped clock
// for the rate limiters.
type site struct {
	t   *testing.T
	db  *store.DB
	a   *app.App
	url string
	srv *httptest.Server

	mu  sync.Mutex
	now time.Time
}

func newSite(t *testing.T, db *store.DB, cfg server.Config) *site {
	t.Helper()
	s := &site{t: t, db: db, now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	s.a = app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	cfg.Now = s.clock
	h, err := server.HandlerWith(s.a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(h)
	t.Cleanup(s.srv.Close)
	s.url = s.srv.URL
	return s
}

func (s *site) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

func (s *site) step(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = s.now.Add(d)
}

// reply is a finished response.
type reply struct {
	status int
	header http.Header
	body   string
}

// browser is a signed-in (or anonymous) web client that does not follow
// redirects.
type browser struct {
	s *site
	c *http.Client
}

func (s *site) anonymous() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{s: s, c: &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn logs username in through the login form.
func (s *site) signIn(username string) *browser {
	s.t.Helper()
	b := s.anonymous()
	r := b.postForm("/login", url.Values{"username": {username}, "password": {testenv.Password}})
	if r.status != http.StatusSeeOther {
		s.t.Fatalf("login %s: %d %s", username, r.status, r.body)
	}
	return b
}

func (b *browser) do(req *http.Request) reply {
	b.s.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.s.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, header: res.Header, body: string(body)}
}

func (b *browser) get(path string) reply {
	req, _ := http.NewRequest("GET", b.s.url+path, nil)
	return b.do(req)
}

func (b *browser) postForm(path string, form url.Values) reply {
	req, _ := http.NewRequest("POST", b.s.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// multipartBody is a form with one file field "file" and other fields.
func multipartBody(fields map[string]string, name string, data []byte) (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func (b *browser) upload(path string, fields map[string]string, name string, data []byte) reply {
	ct, body := multipartBody(fields, name, data)
	req, _ := http.NewRequest("POST", b.s.url+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	return b.do(req)
}

// apiClient calls the JSON API with a bearer token.
type apiClient struct {
	s     *site
	token string
}

func (s *site) apiLogin(username string) *apiClient {
	s.t.Helper()
	c := &apiClient{s: s}
	r := c.call("POST", "/api/v1/login", "application/json",
		strings.NewReader(`{"username":"`+username+`","password":"`+testenv.Password+`"}`))
	var out struct{ Token string }
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &out) != nil || out.Token == "" {
		s.t.Fatalf("api login %s: %d %s", username, r.status, r.body)
	}
	c.token = out.Token
	return c
}

func (c *apiClient) call(method, path, ct string, body io.Reader) reply {
	c.s.t.Helper()
	req, _ := http.NewRequest(method, c.s.url+path, body)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (c *apiClient) upload(path string, fields map[string]string, name string, data []byte) reply {
	ct, body := multipartBody(fields, name, data)
	return c.call("POST", path, ct, bytes.NewReader(body))
}

// apiError decodes the API's error shape.
func apiError(t *testing.T, r reply) (code, message string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("not an API error (%d): %s", r.status, r.body)
	}
	return e.Error.Code, e.Error.Message
}
