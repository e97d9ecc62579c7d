package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/learning"
	"dibao/internal/piiscan"
	"dibao/internal/ratelimit"
	"dibao/internal/recipients"
	"dibao/internal/reqid"
	"dibao/internal/sheet"
	"dibao/internal/store"
	"dibao/internal/upload"
	"dibao/internal/web"
)

// Config holds the request limits of the handler.
type Config struct {
	// MaxBody bounds every request body, except the upload routes, which
	// have their own allowance (see Routes).
	MaxBody int64
	// LoginPerIP and LoginPerUser bound login attempts (web form and API)
	// per client address and per user name; ExportPerUser bounds the
	// exports a signed-in user downloads. The zero Rate is unlimited.
	LoginPerIP, LoginPerUser, ExportPerUser ratelimit.Rate
	// LongTimeout is the read deadline of a signed-in upload and the write
	// deadline of a signed-in export or media download, instead of the
	// server's ordinary ones.
	LongTimeout time.Duration
	// Now is the limiters' clock (nil: time.Now).
	Now func() time.Time
	// TrustedProxies are the reverse proxies in front of the server. A
	// request from one of them is taken to come from the address its
	// X-Forwarded-For names (the last one that is not itself a trusted
	// proxy), and to have come over TLS when X-Forwarded-Proto is https.
	// Nobody else's forwarding headers are believed.
	TrustedProxies []netip.Prefix
}

// DefaultMaxBody is the default body limit: a household form is a few KB,
// the largest JSON body the API accepts is 1 MiB.
const DefaultMaxBody = 1 << 20

// DefaultConfig is what `dibao serve` runs with unless told otherwise.
// Ten attempts a minute per user name stops password guessing long before
// the lockout would; sixty a minute per address with a burst of 120 lets
// a whole training room behind one NAT sign in at once.
func DefaultConfig() Config {
	return Config{
		MaxBody:       DefaultMaxBody,
		LoginPerIP:    ratelimit.Rate{N: 60, Per: time.Minute, Burst: 120},
		LoginPerUser:  ratelimit.PerMinute(10),
		ExportPerUser: ratelimit.PerMinute(30),
		LongTimeout:   30 * time.Minute,
	}
}

// Unlimited is DefaultConfig without rate limits (body limits and
// timeouts stay): for benchmarks that sign in thousands of users from one
// address.
func Unlimited() Config {
	c := DefaultConfig()
	c.LoginPerIP, c.LoginPerUser, c.ExportPerUser = ratelimit.Rate{}, ratelimit.Rate{}, ratelimit.Rate{}
	return c
}

// Kind classifies a route for the guard.
type Kind int

const (
	// Upload routes take a multipart file larger than the default body
	// limit; Body is their allowance.
	Upload Kind = iota + 1
	// Export routes produce a file of many records: rate-limited per user.
	Export
	// Media routes stream a large file (learning videos, scanned files).
	Media
	// Document routes serve a printable, self-contained HTML document.
	Document
	// Login routes take a password: rate-limited per address and name.
	Login
)

// Route is one rule of the guard: a ServeMux pattern of the web pages or
// the API and what it is.
type Route struct {
	Pattern string
	Kind    Kind
	Body    int64 // Upload: the body allowance
}

// multipart is the slack for a multipart envelope and form fields around
// the file.
const multipart = 1 << 20

// Routes is the guard's table. Each upload handler bounds its body with
// the same allowance (its package's maximum plus the multipart slack), so
// the guard and the handler agree; every other body gets Config.MaxBody.
func Routes() []Route {
	const v1 = "/api/v1"
	up := func(p string, max int64) Route { return Route{Pattern: p, Kind: Upload, Body: max + multipart} }
	ex := func(p string) Route { return Route{Pattern: "GET " + p, Kind: Export} }
	return []Route{
		{Pattern: "POST /login", Kind: Login},
		// The second step and the password change take secrets too.
		{Pattern: "POST /login/totp", Kind: Login},
		{Pattern: "POST /login/enrol", Kind: Login},
		{Pattern: "POST /account/password", Kind: Login},
		{Pattern: "POST " + v1 + "/login", Kind: Login},

		up("POST /cases/{id}/files", upload.MaxSize),
		up("POST "+v1+"/cases/{id}/files", upload.MaxSize),
		up("POST /learning/new", learning.MaxSize),
		up("POST /ledger", sheet.MaxUpload),
		up("POST "+v1+"/ledger-imports", sheet.MaxUpload),
		up("POST /exams/bank/import", sheet.MaxUpload),
		up("POST "+v1+"/questions/import", sheet.MaxUpload),
		up("POST /rosters/{id}/bank-result", recipients.MaxBankResult),
		up("POST "+v1+"/rosters/{id}/bank-result", recipients.MaxBankResult),

		ex("/households/export"),
		ex("/cases/export"),
		ex("/audit/export"),
		ex("/recipients/export"),
		ex("/archive/export"),
		ex("/rosters/{id}/export.xlsx"),
		ex("/rosters/{id}/bank.csv"),
		ex("/rosters/{id}/repay.csv"),
		ex("/training/appraisal.xlsx"),
		ex("/exams/bank.xlsx"),
		ex("/ledger/template.xlsx"),
		ex(v1 + "/training/appraisal.xlsx"),
		ex(v1 + "/questions.xlsx"),
		ex(v1 + "/ledger/template.xlsx"),
		ex(v1 + "/rosters/{id}/bank.csv"),
		ex(v1 + "/rosters/{id}/rows.xlsx"),
		ex(v1 + "/rosters/{id}/repay.csv"),

		{Pattern: "GET /learning/{id}/content", Kind: Media},
		{Pattern: "GET /files/{token}", Kind: Media},
		{Pattern: "GET " + v1 + "/files/{token}", Kind: Media},

		{Pattern: "GET /cases/{id}/documents/{number}", Kind: Document},
		{Pattern: "GET /sandbox/cases/{id}/documents/{number}", Kind: Document},
		{Pattern: "GET /reviews/notices/{id}", Kind: Document},
		{Pattern: "GET " + v1 + "/cases/{id}/documents/{number}", Kind: Document},
		{Pattern: "GET " + v1 + "/review-tasks/{id}/notice", Kind: Document},
	}
}

// guard applies the per-route rules before the application sees the
// request: the body limit, the login and export rate limits, the long
// deadlines and the documents' CSP.
type guard struct {
	a                            *app.App
	cfg                          Config
	table                        *http.ServeMux // pattern → Route (as a handler) for matching only
	loginIP, loginUser, exporter *ratelimit.Limiter
	alarm                        *ratelimit.Limiter // one audit record per refused key a minute
	next                         http.Handler
}

// match is a Route as a handler, so a ServeMux can match requests to it.
type match Route

func (match) ServeHTTP(http.ResponseWriter, *http.Request) {}

func newGuard(a *app.App, cfg Config, next http.Handler) *guard {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.LongTimeout <= 0 {
		cfg.LongTimeout = DefaultConfig().LongTimeout
	}
	g := &guard{a: a, cfg: cfg, table: http.NewServeMux(), next: next,
		loginIP: ratelimit.New(cfg.LoginPerIP, cfg.Now), loginUser: ratelimit.New(cfg.LoginPerUser, cfg.Now),
		exporter: ratelimit.New(cfg.ExportPerUser, cfg.Now), alarm: ratelimit.New(ratelimit.PerMinute(1), cfg.Now)}
	for _, rt := range Routes() {
		g.table.Handle(rt.Pattern, match(rt))
	}
	return g
}

func (g *guard) route(r *http.Request) Route {
	h, _ := g.table.Handler(r)
	if m, ok := h.(match); ok {
		return Route(m)
	}
	return Route{}
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt := g.route(r)
	limit := g.cfg.MaxBody
	if rt.Kind == Upload {
		limit = rt.Body
	}
	if r.ContentLength > limit {
		g.tooLarge(w, r, limit)
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		// A body without a declared length is cut as it is read; the
		// handler then refuses it in its own words, and its 400/422
		// leaves as 413 like the refusal above.
		cut := &cutBody{ReadCloser: http.MaxBytesReader(w, r.Body, limit)}
		r.Body = cut
		w = &cutWriter{ResponseWriter: w, cut: cut}
	}
	switch rt.Kind {
	case Login:
		if !g.allowLogin(w, r, limit) {
			return
		}
	case Upload, Export, Media:
		p, ok := g.principal(r)
		if !ok {
			break // the handler answers the anonymous caller; ordinary deadlines
		}
		if rt.Kind == Export {
			if ok, wait := g.exporter.Allow(strconv.FormatInt(p.UserID, 10)); !ok {
				g.a.Log.Warn("export rate limited", "request_id", reqid.From(r.Context()), "path", r.URL.Path, "user", p.UserID)
				p.RequestID = reqid.From(r.Context())
				g.audit(r, p, "export:"+strconv.FormatInt(p.UserID, 10), store.Entry{Action: "export.rate_limited",
					Object: "user:" + strconv.FormatInt(p.UserID, 10), Result: "denied", Detail: "导出过于频繁，已拒绝：" + r.URL.Path})
				g.refuse(w, r, http.StatusTooManyRequests, "rate_limited", "导出过于频繁",
					fmt.Sprintf("导出过于频繁，请 %d 秒后再试。", seconds(wait)), wait)
				return
			}
		}
		rc := http.NewResponseController(w)
		until := time.Now().Add(g.cfg.LongTimeout)
		if rt.Kind == Upload {
			_ = rc.SetReadDeadline(until)
		}
		_ = rc.SetWriteDeadline(until)
	case Document:
		w.Header().Set("Content-Security-Policy", DocumentCSP)
	}
	g.next.ServeHTTP(w, r)
}

// cutBody notes when the body limit cut the body.
type cutBody struct {
	io.ReadCloser
	hit bool
}

func (b *cutBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var mbe *http.MaxBytesError
	if err != nil && errors.As(err, &mbe) {
		b.hit = true
	}
	return n, err
}

// cutWriter answers 413 instead of the handler's 400 or 422 when the body
// limit cut the body: the handler's page or error says why in Chinese.
type cutWriter struct {
	http.ResponseWriter
	cut *cutBody
}

func (w *cutWriter) WriteHeader(code int) {
	if w.cut.hit && (code == http.StatusBadRequest || code == http.StatusUnprocessableEntity) {
		code = http.StatusRequestEntityTooLarge
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *cutWriter) Write(b []byte) (int, error) { return w.ResponseWriter.Write(b) }

func (w *cutWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// allowLogin spends a token of the client address and one of the user
// name (read from the form or the JSON body, which is put back for the
// handler); it answers the refusal itself.
func (g *guard) allowLogin(w http.ResponseWriter, r *http.Request, limit int64) bool {
	addr := addressKey(clientAddr(r, g.cfg.TrustedProxies))
	refused := func(wait time.Duration, by, name string) bool {
		g.a.Log.Warn("login rate limited", "request_id", reqid.From(r.Context()), "path", r.URL.Path, "by", by)
		anon := authz.Principal{Username: piiscan.Redact(name), RequestID: reqid.From(r.Context())}
		detail, key := "登录尝试过于频繁（按用户名限流），已拒绝", "user:"+name
		if by == "address" {
			detail, key = "登录尝试过于频繁（按来源地址 "+addr+" 限流），已拒绝", "addr:"+addr
		}
		g.audit(r, anon, key, store.Entry{Action: "auth.rate_limited", Object: "user:?", Result: "denied", Detail: detail})
		g.refuse(w, r, http.StatusTooManyRequests, "rate_limited", "登录尝试过于频繁",
			fmt.Sprintf("登录尝试过于频繁，请 %d 秒后再试。", seconds(wait)), wait)
		return false
	}
	if ok, wait := g.loginIP.Allow(addr); !ok {
		return refused(wait, "address", "")
	}
	var name string
	if isAPI(r) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return g.badBody(w, r, err, limit)
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		var req struct {
			Username string `json:"username"`
		}
		_ = json.Unmarshal(b, &req) // a malformed body is the handler's to refuse
		name = req.Username
	} else {
		if err := r.ParseForm(); err != nil {
			return g.badBody(w, r, err, limit)
		}
		name = r.PostForm.Get("username")
	}
	if name = userKey(name); name != "" {
		if ok, wait := g.loginUser.Allow(name); !ok {
			return refused(wait, "username", name)
		}
	}
	return true
}

// audit records a refusal in the audit log, once a minute per key: a
// flood of refused requests must not become a flood of writes.
func (g *guard) audit(r *http.Request, p authz.Principal, key string, e store.Entry) {
	if ok, _ := g.alarm.Allow(key); !ok {
		return
	}
	err := g.a.DB.InTx(r.Context(), p, func(tx *store.Tx) error { return tx.Audit(r.Context(), e) })
	if err != nil {
		g.a.Log.Error("audit of a rate-limit refusal", "request_id", reqid.From(r.Context()), "err", err)
	}
}

func (g *guard) badBody(w http.ResponseWriter, r *http.Request, err error, limit int64) bool {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		g.tooLarge(w, r, limit)
	} else {
		g.refuse(w, r, http.StatusBadRequest, "invalid", "请求有误", "提交的内容格式不正确。", 0)
	}
	return false
}

// userKey is the limiter key of a user name: trimmed and lower-cased (so
// that case variants share a bucket), bounded in length.
func userKey(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}

// ParsePrefixes reads a comma-separated list of addresses and CIDR
// prefixes (an address is its own /32 or /128).
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// clientAddr is the address of the connection's peer or, when the peer
// is a trusted proxy, of the client the proxy forwards for.
func clientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	addr := ap.Addr().Unmap()
	if !isTrusted(addr, trusted) {
		return addr
	}
	// X-Forwarded-For is "client, proxy1, proxy2": each proxy appends the
	// address it received from. Walk back over the trusted ones; the first
	// other address is the client (anything before it the client wrote).
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return addr // a malformed hop: stop at the last address known
		}
		addr = a.Unmap()
		if !isTrusted(addr, trusted) {
			return addr
		}
	}
	return addr
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// viaTLS reports whether the client's request came over TLS: to this
// server, or to a trusted proxy that says so.
func viaTLS(r *http.Request, trusted []netip.Prefix) bool {
	if r.TLS != nil {
		return true
	}
	if len(trusted) == 0 || !strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		return false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && isTrusted(ap.Addr().Unmap(), trusted)
}

// addressKey is the limiter key of a client address: an IPv6 client
// usually holds a whole /64, so the /64 is one key.
func addressKey(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// principal resolves the caller's session (cookie for pages, bearer token
// for the API); ok is false for anyone not signed in.
func (g *guard) principal(r *http.Request) (authz.Principal, bool) {
	var token, kind string
	if isAPI(r) {
		t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			return authz.Principal{}, false
		}
		token, kind = strings.TrimSpace(t), "api"
	} else {
		c, err := r.Cookie(web.SessionCookie)
		if err != nil {
			return authz.Principal{}, false
		}
		token, kind = c.Value, "web"
	}
	p, err := g.a.Access.Authenticate(r.Context(), token, kind)
	return p, err == nil
}

func (g *guard) tooLarge(w http.ResponseWriter, r *http.Request, limit int64) {
	g.refuse(w, r, http.StatusRequestEntityTooLarge, "too_large", "提交的内容过大",
		fmt.Sprintf("提交的内容过大：此处最多接受 %s，未保存任何内容。", size(limit)), 0)
}

// seconds rounds a wait up to whole seconds for Retry-After.
func seconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

func size(n int64) string {
	if n >= 1<<20 {
		return strconv.FormatInt(n>>20, 10) + " MB"
	}
	return strconv.FormatInt(n>>10, 10) + " KB"
}

var refusalPage = template.Must(template.New("refusal").Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Heading}}</title>
<link rel="stylesheet" href="/static/app.css">
</head>
<body class="refusal">
<main class="card" id="refusal">
<h1>{{.Heading}}</h1>
<p id="refusal-message">{{.Message}}</p>
<p><a href="/">返回工作台</a>　<a href="/login">登录页</a></p>
<p class="muted">请求编号 {{.RequestID}}</p>
</main>
</body>
</html>
`))

// refuse answers a refused request: the API's error shape for /api/, a
// short Chinese page otherwise; wait > 0 adds Retry-After.
func (g *guard) refuse(w http.ResponseWriter, r *http.Request, status int, code, heading, msg string, wait time.Duration) {
	h := w.Header()
	if wait > 0 {
		h.Set("Retry-After", strconv.Itoa(seconds(wait)))
	}
	h.Set("Cache-Control", "no-store")
	if status == http.StatusRequestEntityTooLarge {
		h.Set("Connection", "close") // the unread rest of the body is not worth reading
	}
	if isAPI(r) {
		h.Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
		return
	}
	var buf bytes.Buffer
	_ = refusalPage.Execute(&buf, map[string]string{"Heading": heading, "Message": msg, "RequestID": reqid.From(r.Context())})
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}
