// Package server composes the web pages, the JSON API and the health
// probes into one handler with the cross-cutting middleware: request ids,
// CSRF protection, security headers, access logs and panic recovery.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"dibao/internal/api"
	"dibao/internal/app"
	"dibao/internal/piiscan"
	"dibao/internal/public"
	"dibao/internal/reqid"
	"dibao/internal/web"
)

// Handler builds the whole HTTP surface of the application.
func Handler(a *app.App) (http.Handler, error) {
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
	mux.Handle("/", pages)
	// Cross-origin state-changing requests from browsers are refused (this
	// is the CSRF defence); API clients without Origin/Sec-Fetch-Site headers
	// pass, and they authenticate with bearer tokens, not cookies.
	cop := http.NewCrossOriginProtection()
	return withMiddleware(a.Log, cop.Handler(mux)), nil
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func withMiddleware(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := reqid.New()
		r = r.WithContext(reqid.With(r.Context(), id))
		h := w.Header()
		h.Set("X-Request-Id", id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
		sw := &statusWriter{ResponseWriter: w}
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
