package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"dibao/internal/api"
	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

func newServer(t *testing.T) (*httptest.Server, *app.App) {
	t.Helper()
	db := testenv.SQLite(t)
	testenv.SeedRegions(t, db)
	testenv.User(t, db, "clerk", testenv.VillageA, authz.VillageClerk)
	testenv.User(t, db, "clerkb", testenv.VillageB, authz.VillageClerk)
	testenv.User(t, db, "auditor", testenv.County, authz.Auditor)
	a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(api.New(a))
	t.Cleanup(srv.Close)
	serverDB.Store(srv.URL, db)
	return srv, a
}

// serverDB is the store behind each test server (the login helper reads
// an administrator's second factor from it).
var serverDB sync.Map

type apiError struct {
	Error struct {
		Code, Field, Message string
		Details              []struct{ Code, Field, Message string }
	}
}

func call(t *testing.T, srv *httptest.Server, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, _ := json.Marshal(b)
		rd = bytes.NewReader(buf)
	}
	req, _ := http.NewRequest(method, srv.URL+"/api/v1"+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

func login(t *testing.T, srv *httptest.Server, user string) string {
	t.Helper()
	code, body := call(t, srv, "POST", "/login", "", map[string]string{"username": user, "password": testenv.Password})
	if code == http.StatusUnauthorized && decodeErr(t, body).Error.Field == "totp" {
		db, _ := serverDB.Load(srv.URL)
		code, body = call(t, srv, "POST", "/login", "", map[string]string{"username": user, "password": testenv.Password,
			"totp": testenv.TOTPCode(t, db.(*store.DB), user)})
	}
	var r struct{ Token string }
	if code != 200 || json.Unmarshal(body, &r) != nil || r.Token == "" {
		t.Fatalf("login %s: %d %s", user, code, body)
	}
	return r.Token
}

func decodeErr(t *testing.T, body []byte) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("not a structured error: %s", body)
	}
	return e
}

func TestOpenAPICoversEveryRoute(t *testing.T) {
	srv, a := newServer(t)
	code, body := call(t, srv, "GET", "/openapi.json", "", nil)
	if code != 200 {
		t.Fatalf("openapi: %d", code)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("bad document: %v", err)
	}
	routes := api.Routes(a)
	documented := 0
	for _, ops := range doc.Paths {
		documented += len(ops)
	}
	for _, r := range routes {
		if _, ok := doc.Paths[r.Path][strings.ToLower(r.Method)]; !ok {
			t.Errorf("route %s %s is not in openapi.json", r.Method, r.Path)
		}
	}
	if documented != len(routes) {
		t.Errorf("openapi.json documents %d operations, %d are registered", documented, len(routes))
	}
}

func TestHouseholdAPI(t *testing.T) {
	srv, _ := newServer(t)
	token := login(t, srv, "clerk")

	code, body := call(t, srv, "GET", "/households", "", nil)
	if code != 401 || decodeErr(t, body).Error.Code != "unauthorized" {
		t.Fatalf("no token: %d %s", code, body)
	}
	code, body = call(t, srv, "POST", "/login", "", map[string]string{"username": "clerk", "password": "nope"})
	if e := decodeErr(t, body); code != 401 || !strings.Contains(e.Error.Message, "用户名或密码错误") {
		t.Fatalf("bad password: %d %s", code, body)
	}
	code, body = call(t, srv, "POST", "/households", token, `{"region_code": `)
	if e := decodeErr(t, body); code != 400 || e.Error.Code != "invalid" {
		t.Fatalf("malformed JSON: %d %s", code, body)
	}
	code, body = call(t, srv, "POST", "/households", token, `{"nonsense": 1}`)
	if e := decodeErr(t, body); code != 400 || e.Error.Field != "nonsense" {
		t.Fatalf("unknown field: %d %s", code, body)
	}

	draft := map[string]any{
		"region_code": string(testenv.VillageA), "address": "李家庄村1组", "urban": "rural", "phone": "13812345678",
		"members": []map[string]string{{"name": "张三", "id_number": "110105194912310021", "labour": "full", "health": "healthy", "co_resident": "1"}},
	}
	code, body = call(t, srv, "POST", "/households", token, draft)
	e := decodeErr(t, body)
	if code != 400 || e.Error.Field != "members[0].id_number" || !strings.Contains(e.Error.Message, "校验") {
		t.Fatalf("wrong check digit: %d %s", code, body)
	}
	code, body = call(t, srv, "GET", "/households", token, nil)
	if code != 200 || !strings.Contains(string(body), `"total":0`) {
		t.Fatalf("something was saved after an error: %s", body)
	}

	draft["members"] = []map[string]string{{"name": "张三", "id_number": "11010519491231002x", "labour": "full", "health": "healthy", "co_resident": "1"}}
	code, body = call(t, srv, "POST", "/households", token, draft)
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	if strings.Contains(string(body), "11010519491231002X") || strings.Contains(string(body), "13812345678") {
		t.Fatalf("create response leaks sensitive values: %s", body)
	}
	var h struct {
		ID      int64
		Version int64
		Members []struct {
			ID             int64
			IDNumberMasked string `json:"id_number_masked"`
		}
	}
	_ = json.Unmarshal(body, &h)
	if h.Members[0].IDNumberMasked != "110105********002X" {
		t.Fatalf("masked = %q", h.Members[0].IDNumberMasked)
	}
	path := "/households/" + jsonInt(h.ID)

	// Another village's clerk cannot see it.
	other := login(t, srv, "clerkb")
	if code, body := call(t, srv, "GET", path, other, nil); code != 404 {
		t.Fatalf("out of scope read: %d %s", code, body)
	}

	// Reveal returns the full value and is audited.
	code, body = call(t, srv, "POST", path+"/reveal", token, map[string]any{"field": "member_id_number", "member_id": h.Members[0].ID})
	if code != 200 || !strings.Contains(string(body), "11010519491231002X") {
		t.Fatalf("reveal: %d %s", code, body)
	}
	aud := login(t, srv, "auditor")
	code, body = call(t, srv, "GET", "/audit?action=sensitive.reveal", aud, nil)
	if code != 200 || !strings.Contains(string(body), `"object":"household:`+jsonInt(h.ID)+`"`) {
		t.Fatalf("reveal not audited: %d %s", code, body)
	}
	if code, _ := call(t, srv, "GET", "/audit", token, nil); code != 403 {
		t.Fatalf("clerk read the audit log: %d", code)
	}

	// Stale version: exactly one of two edits wins.
	upd := map[string]any{"version": h.Version, "region_code": string(testenv.VillageA), "address": "新地址", "urban": "rural",
		"members": []map[string]string{{"id": jsonInt(h.Members[0].ID), "name": "张三", "id_number": "11010519491231002X", "labour": "full", "health": "healthy"}}}
	if code, body := call(t, srv, "PUT", path, token, upd); code != 200 {
		t.Fatalf("update: %d %s", code, body)
	}
	code, body = call(t, srv, "PUT", path, token, upd)
	if code != 409 || decodeErr(t, body).Error.Code != "conflict" {
		t.Fatalf("stale update: %d %s", code, body)
	}

	// Logout kills the token.
	if code, _ := call(t, srv, "POST", "/logout", token, nil); code != 204 {
		t.Fatalf("logout: %d", code)
	}
	if code, _ := call(t, srv, "GET", "/me", token, nil); code != 401 {
		t.Fatalf("token alive after logout: %d", code)
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }
