// Package api serves the JSON API under /api/v1: the same services as the
// web pages, bearer-token authentication, and errors shaped
// {"error":{"code","field","message"}}.
package api

import (
	"embed"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/reqid"
)

//go:embed openapi.json
var openapiBase []byte

// openapiParts are per-feature fragments ({"paths": {...}, "schemas": {...}})
// merged into openapi.json at start-up, so features document their own
// operations next to their handlers.
//
//go:embed openapi
var openapiParts embed.FS

var openapiDoc = mergeOpenAPI(openapiBase, openapiParts)

// mergeOpenAPI adds every fragment's paths and component schemas to the base
// document. A malformed fragment or a path documented twice panics at start:
// the coverage test catches it before anyone runs the binary.
func mergeOpenAPI(base []byte, parts fs.FS) []byte {
	var doc map[string]any
	if err := json.Unmarshal(base, &doc); err != nil {
		panic("api: openapi.json: " + err.Error())
	}
	paths := doc["paths"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	names, _ := fs.Glob(parts, "openapi/*.json")
	for _, n := range names {
		b, err := fs.ReadFile(parts, n)
		if err != nil {
			panic(err)
		}
		var frag struct {
			Paths   map[string]map[string]any `json:"paths"`
			Schemas map[string]any            `json:"schemas"`
		}
		if err := json.Unmarshal(b, &frag); err != nil {
			panic("api: " + n + ": " + err.Error())
		}
		for path, ops := range frag.Paths {
			cur, _ := paths[path].(map[string]any)
			if cur == nil {
				cur = map[string]any{}
				paths[path] = cur
			}
			for method, op := range ops {
				if _, dup := cur[method]; dup {
					panic("api: " + n + ": " + method + " " + path + " documented twice")
				}
				cur[method] = op
			}
		}
		for k, v := range frag.Schemas {
			if _, dup := schemas[k]; dup {
				panic("api: " + n + ": schema " + k + " defined twice")
			}
			schemas[k] = v
		}
	}
	documentIdempotency(doc)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err)
	}
	return out
}

// Route is one registered API operation; the table drives registration and
// the OpenAPI coverage test.
type Route struct {
	Method  string
	Path    string // OpenAPI-style path relative to /api/v1, e.g. /households/{id}
	Public  bool   // no bearer token required
	Handler func(w http.ResponseWriter, r *http.Request, p authz.Principal) error
}

type server struct {
	a *app.App
}

// Routes returns the operation table.
func Routes(a *app.App) []Route {
	s := &server{a: a}
	routes := []Route{
		{Method: "POST", Path: "/login", Public: true, Handler: s.login},
		{Method: "GET", Path: "/openapi.json", Public: true, Handler: s.openapi},
		{Method: "POST", Path: "/logout", Handler: s.logout},
		{Method: "GET", Path: "/me", Handler: s.me},
		{Method: "GET", Path: "/regions", Handler: s.regions},
		{Method: "GET", Path: "/households", Handler: s.listHouseholds},
		{Method: "POST", Path: "/households", Handler: s.createHousehold},
		{Method: "GET", Path: "/households/{id}", Handler: s.getHousehold},
		{Method: "PUT", Path: "/households/{id}", Handler: s.updateHousehold},
		{Method: "POST", Path: "/households/{id}/incomes", Handler: s.addIncome},
		{Method: "DELETE", Path: "/households/{id}/incomes/{item}", Handler: s.deleteIncome},
		{Method: "POST", Path: "/households/{id}/properties", Handler: s.addProperty},
		{Method: "DELETE", Path: "/households/{id}/properties/{item}", Handler: s.deleteProperty},
		{Method: "POST", Path: "/households/{id}/reveal", Handler: s.reveal},
		{Method: "GET", Path: "/audit", Handler: s.auditList},
		{Method: "GET", Path: "/queue", Handler: s.queue},
		{Method: "GET", Path: "/cases", Handler: s.listCases},
		{Method: "POST", Path: "/cases", Handler: s.openCase},
		{Method: "GET", Path: "/cases/{id}", Handler: s.getCase},
		{Method: "PUT", Path: "/cases/{id}/materials", Handler: s.setMaterials},
		{Method: "POST", Path: "/cases/{id}/actions/{transition}", Handler: s.act},
		{Method: "POST", Path: "/cases/{id}/files", Handler: s.uploadFile},
		{Method: "GET", Path: "/cases/{id}/documents/{number}", Handler: s.document},
		{Method: "GET", Path: "/files/{token}", Handler: s.downloadFile},
		{Method: "GET", Path: "/workflows", Handler: s.workflows},
		{Method: "GET", Path: "/recipients", Handler: s.register},
		{Method: "GET", Path: "/recipients/{household}/history", Handler: s.recipientHistory},
		{Method: "POST", Path: "/rosters", Handler: s.buildRoster},
		{Method: "GET", Path: "/rosters/{id}", Handler: s.getRoster},
		{Method: "POST", Path: "/rosters/{id}/approve", Handler: s.approveRoster},
		{Method: "GET", Path: "/rosters/{id}/bank.csv", Handler: s.rosterBankCSV},
		{Method: "GET", Path: "/policy", Handler: s.listPolicy},
		{Method: "GET", Path: "/policy/{name}/history", Handler: s.policyHistory},
		{Method: "POST", Path: "/policy/{name}", Handler: s.setPolicy},
	}
	// Recipients over time (issue 4): each feature lists its own operations
	// and documents them in openapi/<feature>.json.
	for _, more := range [][]Route{s.reviewRoutes(), s.rosterRoutes(), s.standardRoutes(), s.ledgerRoutes(), s.countyRoutes(),
		s.reportRoutes(), s.examRoutes(), s.sandboxRoutes(), s.certRoutes(), s.libraryRoutes(), s.archiveRoutes()} {
		routes = append(routes, more...)
	}
	return routes
}

// New returns the handler for everything under /api/v1/.
func New(a *app.App) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range Routes(a) {
		mux.Handle(rt.Method+" /api/v1"+rt.Path, wrap(a, rt))
	}
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, a.Log, errs.New(errs.NotFound, "", "接口不存在"))
	})
	return mux
}

func wrap(a *app.App, rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p authz.Principal
		if !rt.Public {
			token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok {
				writeError(w, a.Log, errs.New(errs.Unauthorized, "", "缺少访问令牌（Authorization: Bearer …）"))
				return
			}
			var err error
			p, err = a.Access.Authenticate(r.Context(), strings.TrimSpace(token), "api")
			if err != nil {
				writeError(w, a.Log, err)
				return
			}
			p.RequestID = reqid.From(r.Context())
		}
		if key := r.Header.Get("Idempotency-Key"); key != "" && Idempotent(rt) {
			serveIdempotent(a, rt, w, r, p, key) // idempotency.go
			return
		}
		if err := rt.Handler(w, r, p); err != nil {
			writeError(w, a.Log, err)
		}
	})
}

type errorBody struct {
	Error errorItem `json:"error"`
}

type errorItem struct {
	Code    errs.Code   `json:"code"`
	Field   string      `json:"field,omitempty"`
	Message string      `json:"message"`
	Details []errorItem `json:"details,omitempty"`
}

func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	e := errs.As(err)
	item := errorItem{Code: e.Code, Field: e.Field, Message: e.Message}
	var l errs.List
	if errors.As(err, &l) && len(l) > 1 {
		for _, x := range l {
			item.Details = append(item.Details, errorItem{Code: x.Code, Field: x.Field, Message: x.Message})
		}
	}
	if e.Code == errs.Internal {
		log.Error("api internal error", "err", err)
	}
	writeJSON(w, errs.HTTPStatus(err), errorBody{Error: item})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// maxBody bounds JSON bodies; a household form is a few kilobytes.
const maxBody = 1 << 20

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return errs.Invalidf(ute.Field, "字段 %s 的类型不正确", ute.Field)
		}
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			return errs.Invalidf(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "未知字段")
		}
		return errs.Invalidf("", "请求体不是有效的JSON")
	}
	if dec.More() {
		return errs.Invalidf("", "请求体不是有效的JSON")
	}
	return nil
}

func urlEscape(s string) string { return url.PathEscape(s) }

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.New(errs.NotFound, name, "记录不存在")
	}
	return id, nil
}

func queryVersion(r *http.Request) (int64, error) {
	v, err := strconv.ParseInt(r.URL.Query().Get("version"), 10, 64)
	if err != nil || v <= 0 {
		return 0, errs.Invalidf("version", "请提供当前版本号 version（用于防止覆盖他人修改）")
	}
	return v, nil
}

func (s *server) openapi(w http.ResponseWriter, r *http.Request, _ authz.Principal) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err := w.Write(openapiDoc)
	return err
}

type loginReq struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *server) login(w http.ResponseWriter, r *http.Request, _ authz.Principal) error {
	var req loginReq
	if err := decode(r, &req); err != nil {
		return err
	}
	token, u, err := s.a.Access.Login(r.Context(), req.Username, req.Password, "api", reqid.From(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": token, "user": userJSON(u.Principal())})
	return nil
}

func (s *server) logout(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	token := strings.TrimSpace(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	if err := s.a.Access.Logout(r.Context(), p, token); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func userJSON(p authz.Principal) map[string]any {
	roles := make([]map[string]string, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = map[string]string{"code": string(r), "label": r.Label()}
	}
	return map[string]any{"id": p.UserID, "username": p.Username, "display_name": p.DisplayName,
		"region_code": p.Region, "roles": roles}
}

func (s *server) me(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	writeJSON(w, http.StatusOK, userJSON(p))
	return nil
}

func (s *server) regions(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := p.Require(authz.RegionView); err != nil {
		return err
	}
	rs, err := s.a.DB.Regions(r.Context(), p.Scope())
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(rs))
	for i, x := range rs {
		out[i] = map[string]any{"code": x.Code, "name": x.Name, "level": int(x.Level), "parent_code": x.Parent, "urban": x.Urban}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

// errsOf returns err as a domain error whose field the caller may set.
func errsOf(err error) *errs.Error {
	e := *errs.As(err)
	return &e
}
