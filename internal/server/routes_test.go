package server_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"dibao/internal/api"
	"dibao/internal/authz"
	"dibao/internal/server"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// webRoutes reads the web package's route table from its source: every
// mux.Handle / mux.HandleFunc pattern literal.
func webRoutes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../web/*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				p, _ := strconv.Unquote(lit.Value)
				out = append(out, p)
			}
			return true
		})
	}
	if len(out) < 100 {
		t.Fatalf("read only %d web routes", len(out))
	}
	return out
}

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// concrete turns a pattern's path into a request path.
func concrete(path string) string {
	path = strings.ReplaceAll(path, "{$}", "")
	path = strings.ReplaceAll(path, "{file}", "seed.svg")
	return wildcard.ReplaceAllString(path, "1")
}

// TestEveryRouteNoStoreAndCSP requests every GET route of the web route
// table and the API route table, signed in and anonymous: every answer
// outside the static assets and the public board carries no-store and the
// CSP (the printable documents their own); the exports in the guard's
// table are all there is.
func TestEveryRouteNoStoreAndCSP(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		testenv.SeedRegions(t, db)
		testenv.User(t, db, "county", testenv.County, authz.CountyAdmin, authz.TrainingAdmin)
		s := newSite(t, db, server.Unlimited())
		b, anon := s.signIn("county"), s.anonymous()
		apiC := s.apiLogin("county")
		docs := map[string]bool{}
		exports := map[string]bool{}
		for _, rt := range server.Routes() {
			switch rt.Kind {
			case server.Document:
				docs[rt.Pattern] = true
			case server.Export:
				exports[rt.Pattern] = true
			}
		}
		check := func(pattern, path string, r reply, who string) {
			t.Helper()
			cc := r.header.Get("Cache-Control")
			if strings.HasPrefix(path, "/static/") || strings.HasPrefix(path, "/public/") {
				return
			}
			if !strings.Contains(cc, "no-store") {
				t.Errorf("%s GET %s (%s): %d Cache-Control %q", who, path, pattern, r.status, cc)
			}
			want := server.CSP
			if docs[pattern] {
				want = server.DocumentCSP
			}
			if got := r.header.Get("Content-Security-Policy"); got != want {
				t.Errorf("%s GET %s: CSP %q", who, path, got)
			}
		}
		n := 0
		for _, p := range webRoutes(t) {
			method, path, ok := strings.Cut(p, " ")
			if !ok || method != "GET" {
				continue
			}
			if isExportPath(path) && !exports[p] {
				t.Errorf("web export %s missing from the guard's export table", p)
			}
			req := concrete(path)
			check(p, req, b.get(req), "signed in")
			check(p, req, anon.get(req), "anonymous")
			n++
		}
		for _, rt := range api.Routes(s.a) {
			if rt.Method != "GET" {
				continue
			}
			p := "GET /api/v1" + rt.Path
			if isExportPath(rt.Path) && !exports[p] {
				t.Errorf("API export %s missing from the guard's export table", p)
			}
			req := concrete("/api/v1" + rt.Path)
			check(p, req, apiC.call("GET", req, "", nil), "signed in")
			check(p, req, (&apiClient{s: s}).call("GET", req, "", nil), "anonymous")
			n++
		}
		// The static assets may be cached; everything else may not.
		if r := b.get("/static/app.css"); r.status != http.StatusOK || !strings.Contains(r.header.Get("Cache-Control"), "max-age") {
			t.Errorf("static: %d %q", r.status, r.header.Get("Cache-Control"))
		}
		// Every export pattern in the guard's table is a real route.
		all := webRoutes(t)
		for _, rt := range api.Routes(s.a) {
			all = append(all, rt.Method+" /api/v1"+rt.Path)
		}
		for _, rt := range server.Routes() {
			if !slices.Contains(all, rt.Pattern) {
				t.Errorf("guard rule %s names no route", rt.Pattern)
			}
		}
		t.Logf("%d GET routes checked signed in and anonymous", n)
	})
}

// isExportPath is the naming rule of exports: a spreadsheet or CSV file,
// or …/export.
func isExportPath(path string) bool {
	return strings.HasSuffix(path, ".xlsx") || strings.HasSuffix(path, ".csv") || strings.HasSuffix(path, "/export")
}
