// Package public serves the public notice board of SPEC §2.1 and §2.4: the
// publicity list (公示名单) of households proposed for the minimum living
// allowance and the standing list (长期公示) of recipients, per village or
// community, with no login, no session and no cookies.
//
// What reaches a page is an allow-list by construction: the templates only
// ever receive the row type of this package, which holds the head's masked
// name, the household size, the monthly amount and the period. The
// village is the page itself. No ID number, phone, address, income,
// property or health detail has a field to travel in.
package public

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"dibao/internal/casework"
	"dibao/internal/mask"
	"dibao/internal/piiscan"
	"dibao/internal/region"
	"dibao/internal/reqid"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/public.css
var css []byte

// Prefix is the path under which the handler serves; the caller mounts the
// handler for Prefix (mux.Handle(public.Prefix, h)).
const Prefix = "/public/"

// CSSPath is the path of the board's own stylesheet.
const CSSPath = Prefix + "static/public.css"

// CacheControl is sent with every successful page: the lists change a few
// times a day at most, and nothing on them is per-user.
const CacheControl = "public, max-age=300"

// Board is the generic title used when no county name is known.
const Board = "最低生活保障公示"

// NamesFunc returns the names of every region by code; the server passes
// (*store.DB).RegionNames.
type NamesFunc func(ctx context.Context) (map[region.Code]string, error)

// pages are parsed once, each with the shared layout.
var pages = []string{"index", "village", "error"}

type handler struct {
	cases *casework.Service
	names NamesFunc
	tmpl  map[string]*template.Template
	mux   *http.ServeMux
	log   *slog.Logger
}

// New parses the embedded templates and returns the handler for the public
// pages under Prefix:
//
//	GET /public/                  index of villages by township
//	GET /public/{village}         one village's publicity and standing lists
//	GET /public/static/public.css the stylesheet
//
// HEAD is answered like GET; every other method gets 405. Unknown paths and
// codes that are not a known village get a 404 page in Chinese.
func New(cases *casework.Service, names func(context.Context) (map[region.Code]string, error)) (http.Handler, error) {
	if cases == nil || names == nil {
		return nil, errors.New("public: New needs the case service and the region names")
	}
	h := &handler{cases: cases, names: names, tmpl: map[string]*template.Template{}, log: slog.Default()}
	for _, name := range pages {
		t, err := template.New(name+".html").ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("public: parse template %s: %w", name, err)
		}
		h.tmpl[name] = t
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"{$}", h.index)
	mux.HandleFunc("GET "+CSSPath, h.stylesheet)
	mux.HandleFunc("GET "+Prefix+"{village}", h.village)
	mux.HandleFunc("/", h.notFound)
	h.mux = mux
	return h, nil
}

// ServeHTTP refuses anything but GET and HEAD before routing, so that every
// path, known or not, answers a write with the same 405. No cookie is ever
// read or set here.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.render(w, r, http.StatusMethodNotAllowed, "error", h.errorView(r.Context(), http.StatusMethodNotAllowed,
			"不支持该请求方式", "公示页面只供查看，不接受提交。如有异议，请在公示期内向所在乡镇人民政府（街道办事处）反映。"))
		return
	}
	h.mux.ServeHTTP(w, r)
}

// row is one household as a public page shows it: the allow-list of
// SPEC §2.4 and nothing else.
type row struct {
	No       int
	HeadName string
	Size     int
	Amount   string // yuan with separators: "1,234.50"
	Period   string
}

type villageLink struct {
	Name       string
	Href       string
	Publicity  int
	Recipients int
}

type township struct {
	Name       string
	Villages   []villageLink
	Publicity  int
	Recipients int
}

// view is what every template receives.
type view struct {
	Title   string // the <title>
	Heading string // the board's banner: "平安县最低生活保障公示"
	CSS     string
	Page    any
}

type indexPage struct {
	Townships  []township
	Publicity  int
	Recipients int
}

type villagePage struct {
	Village   string
	Township  string
	Office    string // where objections go: "东湖镇人民政府"
	Publicity []row
	Standing  []row
}

type errorPage struct {
	Status    int
	Heading   string
	Message   string
	RequestID string
}

func (h *handler) index(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	vs, err := h.cases.PublicIndex(ctx)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	names, err := h.names(ctx)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	counties := map[region.Code]bool{}
	for _, v := range vs {
		counties[v.Code.County()] = true
	}
	if len(counties) == 0 {
		for c := range names {
			if c.Level() == region.County {
				counties[c] = true
			}
		}
	}
	multi := len(counties) > 1
	p := indexPage{}
	var cur *township
	var curCode region.Code
	for _, v := range vs {
		if v.Code.Level() != region.Village {
			continue
		}
		if tc := v.Code.Township(); cur == nil || tc != curCode {
			name := orCode(v.Township, tc)
			if multi {
				name = orCode(names[v.Code.County()], v.Code.County()) + " " + name
			}
			p.Townships = append(p.Townships, township{Name: name})
			cur, curCode = &p.Townships[len(p.Townships)-1], tc
		}
		cur.Villages = append(cur.Villages, villageLink{Name: orCode(v.Name, v.Code), Href: Prefix + string(v.Code),
			Publicity: v.Publicity, Recipients: v.Recipients})
		cur.Publicity += v.Publicity
		cur.Recipients += v.Recipients
		p.Publicity += v.Publicity
		p.Recipients += v.Recipients
	}
	heading := countyHeading(counties, names)
	h.ok(w, r, "index", view{Title: heading, Heading: heading, Page: p})
}

func (h *handler) village(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	code, err := region.Parse(r.PathValue("village"))
	if err != nil || code.Level() != region.Village {
		h.notFound(w, r)
		return
	}
	names, err := h.names(ctx)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	name, ok := names[code]
	if !ok {
		h.notFound(w, r)
		return
	}
	publicity, standing, err := h.cases.PublicLists(ctx, code)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	town := names[code.Township()]
	p := villagePage{Village: name, Township: town, Office: office(town),
		Publicity: rows(publicity, code), Standing: rows(standing, code)}
	heading := countyHeading(map[region.Code]bool{code.County(): true}, names)
	h.ok(w, r, "village", view{Title: strings.TrimSpace(town+" "+name) + " - " + heading, Heading: heading, Page: p})
}

func (h *handler) stylesheet(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "text/css; charset=utf-8")
	hd.Set("Cache-Control", CacheControl)
	hd.Set("Content-Length", strconv.Itoa(len(css)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(css)
	}
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, "error", h.errorView(r.Context(), http.StatusNotFound,
		"未找到公示信息", "没有找到您要查看的村（社区）或页面。请检查地址，或从公示首页选择所在的村（社区）。"))
}

func (h *handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("public: internal error", "request_id", reqid.From(r.Context()), "path", piiscan.Redact(r.URL.Path), "err", err)
	h.render(w, r, http.StatusInternalServerError, "error", h.errorView(r.Context(), http.StatusInternalServerError,
		"系统暂时无法显示", "公示信息暂时无法显示，请稍后再试。"))
}

// errorView builds an error page under the board's generic title: an
// error page does no database look-up, so it cannot fail in turn.
func (h *handler) errorView(ctx context.Context, status int, heading, msg string) view {
	return view{Title: heading + " - " + Board, Heading: Board,
		Page: errorPage{Status: status, Heading: heading, Message: msg, RequestID: reqid.From(ctx)}}
}

func (h *handler) ok(w http.ResponseWriter, r *http.Request, name string, v view) {
	h.render(w, r, http.StatusOK, name, v)
}

// render executes into a buffer first, so that a template error becomes a
// clean 500 rather than half a page. Pages and the 404 may be cached by
// anyone; other errors may not.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	v.CSS = CSSPath
	var buf bytes.Buffer
	if err := h.tmpl[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		h.log.Error("public: render", "template", name, "request_id", reqid.From(r.Context()), "err", err)
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "系统内部错误", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	if status == http.StatusOK || status == http.StatusNotFound {
		hd.Set("Cache-Control", CacheControl)
	} else {
		hd.Set("Cache-Control", "no-store")
	}
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = buf.WriteTo(w)
	}
}

// rows turns the service's rows into the page's, keeping only the rows of
// the village asked for and only the allow-listed fields.
func rows(in []casework.PublicRow, village region.Code) []row {
	out := make([]row, 0, len(in))
	for _, r := range in {
		if r.Village != village {
			continue
		}
		out = append(out, row{No: len(out) + 1, HeadName: safeName(r.HeadName), Size: r.Size,
			Amount: r.Amount.Yuan(), Period: r.Period})
	}
	return out
}

// safeName masks a name again if it arrives unmasked: the service masks
// every name, but a public page is the last place to notice if it did not.
func safeName(s string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > 1 && !strings.Contains(s, "*") {
		return mask.Name(s)
	}
	return s
}

// countyHeading is the board's title from the counties' names:
// "平安县最低生活保障公示".
func countyHeading(counties map[region.Code]bool, names map[region.Code]string) string {
	var ns []string
	for _, c := range slices.Sorted(maps.Keys(counties)) {
		if n := names[c]; n != "" {
			ns = append(ns, n)
		}
	}
	return strings.Join(ns, "、") + Board
}

// office is where objections go: a township's government or a
// sub-district's office.
func office(town string) string {
	switch {
	case town == "":
		return "所在乡镇人民政府（街道办事处）"
	case strings.HasSuffix(town, "街道"):
		return town + "办事处"
	case strings.HasSuffix(town, "街道办事处"), strings.HasSuffix(town, "人民政府"):
		return town
	}
	return town + "人民政府"
}

func orCode(name string, c region.Code) string {
	if name != "" {
		return name
	}
	return string(c)
}
