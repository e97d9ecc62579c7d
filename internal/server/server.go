// Package server composes the web pages, the JSON API and the health
// probes into one handler with the cross-cutting middleware: request ids,
// CSRF protection, security headers, caching rules, request body limits,
// rate limits, access logs and panic recovery (see guard.go for the
// per-route rules).
package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"dibao/internal/api"
	"dibao/internal/app"
	"dibao/internal/piiscan"
	"dibao/internal/public"
	"dibao/internal/reqid"
	"dibao/internal/web"
)

// Handler builds the whole HTTP surface of the application with the
// default limits (DefaultConfig).
func Handler(a *app.App) (http.Handler, error) {
	return HandlerWith(a, DefaultConfig())
}

// HandlerWith builds the whole HTTP surface with the limits of cfg.
func HandlerWith(a *app.App, cfg Config) (http.Handler, error) {
	pages, err := web.New(a)
	if err != nil {
		return nil, err
	}
	board, err := public.New(a.Cases, a.DB.RegionNames)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", api.New(a))
	mux.Handle(public.Prefix, board)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := a.DB.Ping(ctx); err != nil {
			a.Log.Error("readiness check failed", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("database unavailable\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	// Browsers ask for /favicon.ico on their own; there is none, and a 404
	// page for it would only fill the logs.
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.WriteHeader(http.StatusNoContent)
	})
	mux.Handle("/", pages)
	// Cross-origin state-changing requests from browsers are refused (this
	// is the CSRF defence); API clients without Origin/Sec-Fetch-Site headers
	// pass, and they authenticate with bearer tokens, not cookies. The
	// refusal comes before the guard, so a forged login spends no tokens.
	cop := http.NewCrossOriginProtection()
	return withMiddleware(a.Log, cfg.TrustedProxies, cop.Handler(newGuard(a, cfg, mux))), nil
}

// CSP is the Content-Security-Policy of every response: scripts and
// styles only from this origin's files (no inline script, no inline style,
// no eval), no plugins, no <base>, no framing, forms only to this origin.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// DocumentCSP replaces CSP on the printable documents (notices, forms):
// they are self-contained pages with their own <style> (so that a saved or
// printed copy looks the same), and they need no script at all, so script
// is refused outright.
const DocumentCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

// PermissionsPolicy turns off the browser features no page uses.
const PermissionsPolicy = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), fullscreen=(self)"

// HSTS is sent on responses to requests that came over TLS (to this
// server, or to a trusted proxy: Config.TrustedProxies).
const HSTS = "max-age=31536000"

// cacheable reports whether a response to path may be kept by a cache:
// only the static assets and the public notice board (which decides its
// own caching: it is public by law). Every other response carries
// personal data or depends on who asks, and gets no-store.
func cacheable(path string) bool {
	return strings.HasPrefix(path, "/static/") || strings.HasPrefix(path, public.Prefix) || path == "/favicon.ico"
}

type statusWriter struct {
	http.ResponseWriter
	status   int
	bytes    int
	keepable bool // the response may be cached (see cacheable)
}

// WriteHeader enforces the caching rule on whatever the handler set: a
// response that is not cacheable always leaves with no-store.
func (w *statusWriter) WriteHeader(code int) {
	if code >= 100 && code < 200 {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if w.status == 0 {
		w.status = code
		if !w.keepable {
			h := w.Header()
			if !strings.Contains(h.Get("Cache-Control"), "no-store") {
				h.Set("Cache-Control", "no-store")
			}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// FlushError sends the headers through WriteHeader first, so a handler
// that flushes early still gets the caching rule.
func (w *statusWriter) FlushError() error {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

func withMiddleware(log *slog.Logger, proxies []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := reqid.New()
		r = r.WithContext(reqid.With(r.Context(), id))
		h := w.Header()
		h.Set("X-Request-Id", id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", PermissionsPolicy)
		// No other site's window keeps a handle on ours, and no other site
		// may load our responses (an export, a JSON list) as a subresource.
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Content-Security-Policy", CSP)
		if viaTLS(r, proxies) {
			h.Set("Strict-Transport-Security", HSTS)
		}
		sw := &statusWriter{ResponseWriter: w, keepable: cacheable(r.URL.Path)}
		defer func() {
			if v := recover(); v != nil {
				log.Error("panic", "request_id", id, "panic", v, "stack", string(debug.Stack()))
				if sw.status == 0 {
					http.Error(sw, "系统内部错误（请求编号 "+id+"）", http.StatusInternalServerError)
				}
			}
			// Only the path is logged: query strings can carry ID numbers;
			// a path can too (/households/<ID> typed by hand), so it is redacted.
			log.Info("request", "request_id", id, "method", r.Method, "path", piiscan.Redact(r.URL.Path), "status", sw.status,
				"bytes", sw.bytes, "ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

// NewHTTPServer is the http.Server `dibao serve` runs h in. The timeouts
// bound what a slow or idle client can hold: headers within 10 s, a whole
// ordinary request within 60 s and its answer within 120 s. The guard
// lifts the body and answer deadlines to Config.LongTimeout for signed-in
// uploads, exports and media only.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
