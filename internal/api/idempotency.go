package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/recipients"
	"dibao/internal/sheet"
	"dibao/internal/store"
	"dibao/internal/upload"
)

// The Idempotency-Key layer. Every mutating route (any method but GET and
// HEAD) that needs a principal honours the header: the first request with a
// key claims (user, key) and runs; its answer — status, headers, body — is
// stored and every later request with the same key and the same method,
// path, query and body gets that answer back (header Idempotent-Replayed:
// true) without the handler running again. Concurrent replays wait for
// the first one. The same key with a different request is a conflict.
//
// Public routes are exempt: login has no principal to own a key, and each
// login is meant to open a fresh session.
//
// Answers kept: every 2xx–4xx answer (a refusal is an answer too), except a
// momentary "database busy" one. A 5xx, or a transient failure, releases
// the claim so a retry runs again — but only when none of the request's
// writes committed; otherwise the answer is kept like any other (see
// store/idempotency.go for how the claim fences the effect and what a
// retry does after a crash).
//
// The services' own in-transaction replies (casework actions, reviews,
// change reports, assessments, standard changes, ledger checks) stay: they
// also serve the web forms, and after a crash they let a retry taking the
// claim over replay the committed effect instead of answering "unknown".

// IdemKeepFor is how long a key is honoured at least; the purge removes
// keys after IdemPurgeAfter.
const (
	IdemKeepFor    = 24 * time.Hour
	IdemPurgeAfter = 48 * time.Hour
)

var (
	// idemWait bounds how long a replay waits for the first request.
	idemWait = 30 * time.Second
	// idemLease is how long a pending claim is presumed alive: longer than
	// the server's WriteTimeout (120 s), after which nobody reads the answer.
	idemLease = 5 * time.Minute
)

// idemMaxBody is the largest body any mutating route accepts (its own
// limit applies after); a bigger one is refused before it is hashed.
var idemMaxBody = int64(max(sheet.MaxUpload, upload.MaxSize, recipients.MaxBankResult) + 1<<20)

// Idempotent reports whether rt goes through the Idempotency-Key layer.
func Idempotent(rt Route) bool {
	return !rt.Public && rt.Method != http.MethodGet && rt.Method != http.MethodHead
}

// validIdemKey checks the header value: 1–100 printable ASCII characters.
func validIdemKey(key string) error {
	if len(key) > 100 {
		return errs.Invalidf("Idempotency-Key", "幂等键过长（最多100个字符）")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return errs.Invalidf("Idempotency-Key", "幂等键只能包含可打印的ASCII字符（如字母、数字、连字符）")
		}
	}
	return nil
}

// IdemRequestPath is the path and query a key is bound to.
func IdemRequestPath(r *http.Request) string {
	p := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		p += "?" + r.URL.RawQuery
	}
	return p
}

// IdemBodyHash fingerprints a request body: the SHA-256 of its bytes, or
// for a multipart form of its parts (name, file name, type, content), so a
// client retrying an upload with a freshly drawn boundary is recognised.
func IdemBodyHash(contentType string, body []byte) string {
	if mt, params, err := mime.ParseMediaType(contentType); err == nil && strings.HasPrefix(mt, "multipart/") &&
		params["boundary"] != "" {
		h := sha256.New()
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err == io.EOF {
				return "multipart:" + hex.EncodeToString(h.Sum(nil))
			}
			if err != nil {
				break // not a well-formed form: the bytes themselves
			}
			data, err := io.ReadAll(part)
			if err != nil {
				break
			}
			for _, f := range []string{part.FormName(), part.FileName(), part.Header.Get("Content-Type"), string(data)} {
				fmt.Fprintf(h, "%d:%s;", len(f), f)
			}
		}
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

func serveIdempotent(a *app.App, rt Route, w http.ResponseWriter, r *http.Request, p authz.Principal, key string) {
	if err := validIdemKey(key); err != nil {
		writeError(w, a.Log, err)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, idemMaxBody+1))
	if err != nil {
		writeError(w, a.Log, errs.Invalidf("", "读取请求体失败"))
		return
	}
	if int64(len(body)) > idemMaxBody {
		writeError(w, a.Log, errs.Invalidf("", "请求体过大：不能超过 %d MB", idemMaxBody>>20))
		return
	}
	req := store.IdemRecord{UserID: p.UserID, Key: key, Method: r.Method, Path: IdemRequestPath(r),
		BodyHash: IdemBodyHash(r.Header.Get("Content-Type"), body)}
	claim, prev, err := idemAcquire(r.Context(), a.DB, req)
	if err != nil {
		writeError(w, a.Log, err)
		return
	}
	if claim == nil {
		replayIdem(w, prev)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	rec := &recorder{h: http.Header{}}
	defer func() {
		if v := recover(); v != nil { // settle the key as a 500 (released unless a write committed), then let server recover
			claim.End()
			out := &recorder{h: http.Header{}}
			ierr := errs.Wrap(fmt.Errorf("panic: %v", v), "系统内部错误")
			writeError(out, a.Log, ierr)
			idemSettle(r.Context(), a.Log, claim, out, ierr)
			panic(v)
		}
	}()
	herr := rt.Handler(rec, r.WithContext(store.WithIdemClaim(r.Context(), claim)), p)
	claim.End()
	if herr != nil {
		rec.h = http.Header{}
		rec.buf.Reset()
		rec.status = 0
		writeError(rec, a.Log, herr)
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	idemSettle(r.Context(), a.Log, claim, rec, herr)
	for k, v := range rec.h {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.buf.Bytes())
}

// idemAcquire claims req's key, or returns the stored answer to replay
// (claim nil), waiting for a pending first request up to idemWait.
func idemAcquire(ctx context.Context, db *store.DB, req store.IdemRecord) (*store.IdemClaim, store.IdemRecord, error) {
	deadline := time.Now().Add(idemWait) // real time: how long this client waits
	pause := 5 * time.Millisecond
	for {
		claim, ok, err := db.IdemClaimKey(ctx, req)
		if err != nil || ok {
			return claim, store.IdemRecord{}, err
		}
		prev, found, err := db.IdemGet(ctx, req.UserID, req.Key)
		if err != nil {
			return nil, prev, err
		}
		switch {
		case !found: // released meanwhile: claim again (after the pause below)
		case !prev.Same(req):
			return nil, prev, errs.New(errs.Conflict, "Idempotency-Key",
				"该幂等键已用于另一请求（方法、路径或内容不同）；新的操作请使用新的幂等键")
		case prev.State == store.IdemDone:
			return nil, prev, nil
		case db.Now().Sub(prev.ClaimedAt) > idemLease:
			if prev.Applied == store.IdemApplied {
				return nil, prev, errs.New(errs.Conflict, "Idempotency-Key",
					"该请求此前的处理意外中断，结果未知：请先查询相关记录确认是否已生效，如需再次操作请使用新的幂等键")
			}
			claim, ok, err := db.IdemTakeOver(ctx, prev, db.Now().Add(-idemLease))
			if err != nil || ok {
				return claim, store.IdemRecord{}, err
			}
			continue
		}
		if time.Now().After(deadline) {
			return nil, prev, errs.New(errs.Conflict, "Idempotency-Key", "相同请求正在处理，请稍后重试")
		}
		select {
		case <-ctx.Done():
			return nil, prev, errs.Wrap(ctx.Err(), "请求已取消")
		case <-time.After(pause):
		}
		pause = min(pause*2, 250*time.Millisecond)
	}
}

// idemSettle keeps the answer under the key, or releases the key when the
// answer is a failure worth retrying and nothing of the request committed.
func idemSettle(ctx context.Context, log *slog.Logger, claim *store.IdemClaim, rec *recorder, herr error) {
	ctx = context.WithoutCancel(ctx) // a client gone away still leaves its answer for the retry
	if rec.status >= 500 || store.Transient(herr) {
		released, err := claim.Release(ctx)
		if err != nil {
			log.Error("idempotency: releasing a failed request's key", "key", claim.Key, "user", claim.UserID, "err", err)
		}
		if released || err != nil {
			return
		}
	}
	hdr, _ := json.Marshal(rec.h)
	if ok, err := claim.Finish(ctx, rec.status, string(hdr), rec.buf.Bytes()); err != nil {
		// The effect stands; a retry finds the claim pending and, once its
		// lease runs out, is told the result is unknown.
		log.Error("idempotency: storing the answer", "key", claim.Key, "user", claim.UserID, "err", err)
	} else if !ok {
		log.Warn("idempotency: claim taken over by a retry before the answer was stored", "key", claim.Key, "user", claim.UserID)
	}
}

func replayIdem(w http.ResponseWriter, prev store.IdemRecord) {
	var h http.Header
	if err := json.Unmarshal([]byte(prev.Headers), &h); err == nil {
		for k, v := range h {
			w.Header()[k] = v
		}
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(prev.Status)
	_, _ = w.Write(prev.Body)
}

// recorder captures a handler's answer so it can be stored before it is
// sent.
type recorder struct {
	h      http.Header
	status int
	buf    bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.h }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.buf.Write(b)
}

// PurgeIdempotencyEvery removes idempotency keys older than IdemPurgeAfter
// every interval until ctx ends (serve starts it); the purge is audited.
func PurgeIdempotencyEvery(ctx context.Context, db *store.DB, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := db.PurgeIdempotency(ctx, db.Now().Add(-IdemPurgeAfter))
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Error("idempotency purge", "err", err)
		case n.API+n.Service > 0:
			log.Info("idempotency purge: expired keys removed", "api", n.API, "service", n.Service)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// documentIdempotency adds the Idempotency-Key header to every mutating
// operation that needs a token (a public one declares "security": []),
// exactly the routes Idempotent selects.
func documentIdempotency(doc map[string]any) {
	comps := doc["components"].(map[string]any)
	params, _ := comps["parameters"].(map[string]any)
	if params == nil {
		params = map[string]any{}
		comps["parameters"] = params
	}
	params["IdempotencyKey"] = map[string]any{
		"name": "Idempotency-Key", "in": "header", "required": false,
		"schema": map[string]any{"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[\\x20-\\x7E]+$"},
		"description": "幂等键（可选，1–100个可打印ASCII字符）。同一用户以同一幂等键重复提交相同请求（方法、路径、查询与请求体均相同）时，" +
			"只执行一次，之后返回首次的应答并带响应头 Idempotent-Replayed: true；并发的重复请求等待首次请求完成（最长约30秒，否则 409“相同请求正在处理”）。" +
			"同一幂等键用于不同请求返回 409。服务器错误（5xx）且未产生任何修改时不保存应答，可用同一幂等键重试。幂等键至少保留24小时，48小时后清除。",
	}
	for _, ops := range doc["paths"].(map[string]any) {
		for method, op := range ops.(map[string]any) {
			o, ok := op.(map[string]any)
			if !ok || method == "get" || method == "head" {
				continue
			}
			if sec, ok := o["security"].([]any); ok && len(sec) == 0 {
				continue
			}
			ps, _ := o["parameters"].([]any)
			kept := []any{}
			for _, x := range ps { // a fragment's own description of the header gives way to the shared one
				if m, ok := x.(map[string]any); !ok || m["name"] != "Idempotency-Key" {
					kept = append(kept, x)
				}
			}
			o["parameters"] = append(kept, map[string]any{"$ref": "#/components/parameters/IdempotencyKey"})
		}
	}
}
