package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"dibao/internal/store"
	"dibao/internal/testenv"
)

// The crash tests (issue 9 item 3) start the dibao binary as a real
// process, SIGKILL it, start it again and look at what the database holds.
// This file is their harness: one store per test (a SQLite file in a temp
// dir, or a PostgreSQL schema of its own), the child processes, a small
// API client and the checks every scenario ends with.

// crashSeed returns the seed of a crash test's random kill points: from
// DIBAO_CRASH_SEED to replay a failure, else the clock. It is logged.
func crashSeed(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("DIBAO_CRASH_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("DIBAO_CRASH_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("crash seed %d (replay: DIBAO_CRASH_SEED=%d go test ./cmd/dibao -run '%s')", seed, seed, t.Name())
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// crashEnv is one store with the data dir the binary reads its key from.
type crashEnv struct {
	t    *testing.T
	bin  string
	kind string
	data string    // --data: key file (and the SQLite file)
	dsn  string    // --db
	db   *store.DB // the test's own handle, for the checks
}

func newCrashEnv(t *testing.T, bin, kind string) *crashEnv {
	t.Helper()
	e := &crashEnv{t: t, bin: bin, kind: kind, data: t.TempDir()}
	ctx := context.Background()
	if kind == "sqlite" {
		e.dsn = filepath.Join(e.data, "dibao.db")
		db, err := store.Open(ctx, e.dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		e.db = db
	} else {
		e.db, e.dsn = testenv.PostgresDSN(t)
	}
	return e
}

// args appends the store flags.
func (e *crashEnv) args(a ...string) []string { return append(a, "--data", e.data, "--db", e.dsn) }

// run runs the binary to its end.
func (e *crashEnv) run(args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	return e.run2(nil, args...)
}

// run2 is run with more environment variables.
func (e *crashEnv) run2(env []string, args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	cmd := exec.Command(e.bin, e.args(args...)...)
	cmd.Env = append(withoutDibaoEnv(), env...)
	var o, er bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &er
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		e.t.Fatal(err)
	}
	return o.String(), er.String(), code
}

// mustRun runs the binary and fails the test unless it exits 0.
func (e *crashEnv) mustRun(args ...string) string {
	e.t.Helper()
	out, errOut, code := e.run(args...)
	if code != 0 {
		e.t.Fatalf("dibao %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, tail(errOut, 3000))
	}
	return out
}

// count is one number from the test's handle.
func (e *crashEnv) count(q string, args ...any) int {
	e.t.Helper()
	xs, err := e.db.QueryStrings(context.Background(), q, args...)
	if err != nil || len(xs) != 1 {
		e.t.Fatalf("%s: %v %v", q, xs, err)
	}
	n, err := strconv.Atoi(xs[0])
	if err != nil {
		e.t.Fatalf("%s: %q", q, xs[0])
	}
	return n
}

// strings is a column from the test's handle.
func (e *crashEnv) strings(q string, args ...any) []string {
	e.t.Helper()
	xs, err := e.db.QueryStrings(context.Background(), q, args...)
	if err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return xs
}

// verifyAudit runs `dibao audit verify` (the chain is whole after a kill).
func (e *crashEnv) verifyAudit() {
	e.t.Helper()
	out := e.mustRun("audit", "verify")
	if !strings.Contains(out, "audit chain OK") {
		e.t.Fatalf("audit verify: %s", out)
	}
}

// child is a running dibao process.
type child struct {
	t      *testing.T
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan struct{}
	url    string // serve only: http://127.0.0.1:port
}

func (c *child) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stderr.Write(p)
}

// Stderr is what the child wrote to standard error so far.
func (c *child) Stderr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stderr.String()
}

// exited reports whether the process has ended.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL and waits for the process to be gone; it reports
// whether the process was still running (false: it had ended already).
func (c *child) kill() bool {
	running := !c.exited()
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
	return running
}

// stop ends the process as an operator would (SIGTERM) and waits.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		c.kill()
	}
}

// start starts the binary with args and returns at once.
func (e *crashEnv) start(env []string, args ...string) *child {
	e.t.Helper()
	return startChild(e.t, e.bin, env, e.args(args...)...)
}

func startChild(t *testing.T, bin string, env []string, args ...string) *child {
	t.Helper()
	c := &child{t: t, cmd: exec.Command(bin, args...), done: make(chan struct{})}
	c.cmd.Env = append(withoutDibaoEnv(), env...)
	c.cmd.Stderr = c
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 64)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			select {
			case lines <- s.Text():
			default:
			}
		}
		close(lines)
		_ = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() { c.kill() })
	if len(args) > 0 && args[0] == "serve" {
		re := regexp.MustCompile(`serving on (http://\S+?)/?$`)
		deadline := time.After(2 * time.Minute) // a hang guard, not a speed assertion
		for c.url == "" {
			select {
			case l, ok := <-lines:
				if !ok {
					<-c.done
					t.Fatalf("dibao serve ended before listening:\n%s", tail(c.Stderr(), 3000))
				}
				if m := re.FindStringSubmatch(l); m != nil {
					c.url = m[1]
				}
			case <-deadline:
				t.Fatalf("dibao serve did not start listening:\n%s", tail(c.Stderr(), 3000))
			}
		}
	}
	return c
}

// serve starts `dibao serve` on a free port and waits until it listens.
func (e *crashEnv) serve(extra ...string) *child {
	e.t.Helper()
	return e.start(nil, append([]string{"serve", "--addr", "127.0.0.1:0"}, extra...)...)
}

// apiClient talks to a serve child with a bearer token.
type apiClient struct {
	base  string
	token string
	hc    *http.Client
}

func newAPIClient(base string) *apiClient {
	return &apiClient{base: base, hc: &http.Client{Timeout: 60 * time.Second}}
}

// do sends a JSON request; status 0 means no HTTP answer (err says why).
func (c *apiClient) do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/api/v1"+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// login signs in and keeps the token.
func (c *apiClient) login(t *testing.T, username, password string) {
	t.Helper()
	code, b, err := c.do(context.Background(), "POST", "/login", map[string]string{"username": username, "password": password})
	if err != nil || code != 200 {
		t.Fatalf("login %s: %d %v %s", username, code, err, b)
	}
	var v struct{ Token string }
	if err := json.Unmarshal(b, &v); err != nil || v.Token == "" {
		t.Fatalf("login %s: %s", username, b)
	}
	c.token = v.Token
}

// apiError is the structured error body; ok is false when the body is not one.
func apiError(b []byte) (code, message string, ok bool) {
	var v struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &v) != nil || v.Error.Code == "" || v.Error.Message == "" {
		return "", "", false
	}
	return v.Error.Code, v.Error.Message, true
}

// hasHan reports whether s holds a Chinese character.
func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// noPanic fails the test if a child's log shows a panic.
func noPanic(t *testing.T, what, log string) {
	t.Helper()
	if strings.Contains(log, "panic") || strings.Contains(log, "goroutine ") {
		t.Fatalf("%s: panic in the log:\n%s", what, tail(log, 4000))
	}
}

func fen(yuan string) int64 {
	whole, frac, _ := strings.Cut(yuan, ".")
	w, _ := strconv.ParseInt(whole, 10, 64)
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac[:2], 10, 64)
	return w*100 + f
}
