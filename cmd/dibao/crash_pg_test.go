package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dibao/internal/errs"
	"dibao/internal/idcard"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// pgBinDir is where Debian puts initdb and pg_ctl: the newest
// /usr/lib/postgresql/N/bin, or DIBAO_TEST_PG_BIN.
func pgBinDir() string {
	if d := os.Getenv("DIBAO_TEST_PG_BIN"); d != "" {
		return d
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	best, bestN := "/usr/lib/postgresql/15/bin", 0
	for _, f := range found {
		n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(f))))
		if n > bestN {
			best, bestN = filepath.Dir(f), n
		}
	}
	return best
}

// privatePG is a PostgreSQL cluster of one test: the shared cluster the
// other tests use is never restarted.
type privatePG struct {
	t    *testing.T
	bin  string // initdb, pg_ctl
	dir  string // owned by postgres
	data string
	port int
	log  string
}

// startPrivatePG initialises a cluster in a temp dir owned by postgres
// (PostgreSQL refuses to run as root), starts it on a free port of
// 127.0.0.1 and creates the role and database dibao.
func startPrivatePG(t *testing.T) (*privatePG, string) {
	t.Helper()
	pgBin := pgBinDir()
	if _, err := os.Stat(filepath.Join(pgBin, "initdb")); err != nil {
		testenv.Missing(t, "%s/initdb not found (apt-get install postgresql): %v", pgBin, err)
	}
	if _, err := exec.LookPath("runuser"); err != nil {
		testenv.Missing(t, "runuser not found: %v", err)
	}
	dir, err := os.MkdirTemp("", "dibao-pg-")
	if err != nil {
		t.Fatal(err)
	}
	pg := &privatePG{t: t, bin: pgBin, dir: dir, data: filepath.Join(dir, "data"), log: filepath.Join(dir, "pg.log")}
	t.Cleanup(func() {
		_ = pg.ctl("stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	if out, err := exec.Command("chown", "postgres:postgres", dir).CombinedOutput(); err != nil {
		testenv.Missing(t, "chown to postgres: %v %s", err, out)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pg.port = freePort(t)
	if out, err := pg.as(filepath.Join(pgBin, "initdb"), "-D", pg.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
		"--locale=C").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	if err := pg.ctl("start"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	admin, err := store.Open(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.port))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, q := range []string{"CREATE ROLE dibao LOGIN PASSWORD 'dibao'", "CREATE DATABASE dibao OWNER dibao"} {
		if err := admin.ExecRaw(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return pg, fmt.Sprintf("postgres://dibao:dibao@127.0.0.1:%d/dibao?sslmode=disable", pg.port)
}

func (pg *privatePG) as(name string, args ...string) *exec.Cmd {
	return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
}

// ctl runs pg_ctl start|stop|restart [-m mode] and waits for it.
func (pg *privatePG) ctl(action string, more ...string) error {
	args := []string{"-D", pg.data, "-l", pg.log, "-w", "-t", "60", action}
	if action == "start" || action == "restart" {
		args = append(args, "-o", fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c fsync=off",
			pg.port, pg.dir))
	}
	out, err := pg.as(filepath.Join(pg.bin, "pg_ctl"), append(args, more...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %s %v: %v\n%s", action, more, err, out)
	}
	return nil
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestPostgresRestartUnderLoad is item 3 of issue 9: `dibao serve` runs on
// a private PostgreSQL while clients read and write through the API, and
// PostgreSQL is restarted under them (fast, then immediate, then stopped
// for a while). Every answer is 2xx or the structured 503 "数据库暂不可用"
// — no hang, no panic, dibao itself always answers; /readyz says
// unavailable while the database is down; once it is back the same
// process serves again (the pool reconnects); every acknowledged write is
// in the database.
func TestPostgresRestartUnderLoad(t *testing.T) {
	bin := buildDibao(t)
	pg, dsn := startPrivatePG(t)
	e := &crashEnv{t: t, bin: bin, kind: "postgres", data: t.TempDir(), dsn: dsn}
	t0 := time.Now()
	e.mustRun("demo")
	t.Logf("private PostgreSQL up and demo loaded in %s", time.Since(t0).Round(time.Millisecond))
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e.db = db
	// A standard change of the demo county, previewed: it is applied later,
	// by a runner that dies, and the running server must finish it.
	county := e.strings(`SELECT code FROM regions WHERE level = 1 ORDER BY code LIMIT 1`)[0]
	out := e.mustRun("standard", "preview", "--county", county, "--urban", "1111", "--rural", "888", "--effective",
		thisMonth().Next().String())
	m := regexp.MustCompile(`标准调整 #(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("preview: %s", out)
	}
	changeID := m[1]
	srv := e.serve("--resume-every", "500ms")
	clerk := newAPIClient(srv.url)
	clerk.hc.Timeout = 20 * time.Second // a hang shows as a client timeout
	clerk.login(t, "village", "dibao-demo-2026")
	code, b, err := clerk.do(context.Background(), "GET", "/me", nil)
	var me struct {
		Region string `json:"region_code"`
	}
	if err != nil || code != 200 || json.Unmarshal(b, &me) != nil || me.Region == "" {
		t.Fatalf("me: %d %v %s", code, err, b)
	}

	// A browser session, for the pages.
	jar, _ := cookiejar.New(nil)
	web := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	if res, err := web.PostForm(srv.url+"/login", url.Values{"username": {"village"}, "password": {"dibao-demo-2026"}}); err != nil {
		t.Fatal(err)
	} else if res.Body.Close(); res.StatusCode != 200 || res.Request.URL.Path == "/login" {
		t.Fatalf("web login: %d %s", res.StatusCode, res.Request.URL)
	}

	var (
		mu       sync.Mutex
		acked    []int64         // households whose creation was answered 201
		answers  = map[int]int{} // status → count
		failures []string
		seq      atomic.Int64
		ok       atomic.Int64
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	// judge checks one answer: 2xx, or the clean 503.
	judge := func(what string, code int, b []byte, err error) bool {
		mu.Lock()
		answers[code]++
		mu.Unlock()
		switch {
		case err != nil:
			fail("%s: no answer from dibao: %v", what, err)
		case code >= 200 && code < 300:
			ok.Add(1)
			return true
		default:
			ec, msg, structured := apiError(b)
			if !structured || code != 503 || ec != string(errs.Unavailable) || msg != errs.MsgUnavailable {
				fail("%s: %d %s", what, code, b)
			}
		}
		return false
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ { // writers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n := seq.Add(1)
				birth := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n))
				body := map[string]any{"region_code": me.Region, "address": fmt.Sprintf("重启测试路%d号", n), "urban": "rural",
					"members": []map[string]string{{"name": fmt.Sprintf("测试%d", n), "id_number": string(idcard.Make("130199", birth, int(n%1000))),
						"labour": "full", "health": "healthy", "co_resident": "1"}}}
				code, b, err := clerk.do(context.Background(), "POST", "/households", body)
				if judge("create household", code, b, err) {
					var h struct{ ID int64 }
					if json.Unmarshal(b, &h) != nil || h.ID == 0 {
						fail("create household: %s", b)
					}
					mu.Lock()
					acked = append(acked, h.ID)
					mu.Unlock()
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	for w := 0; w < 3; w++ { // readers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				path := "/households?page=1"
				if i%2 == 1 {
					path = "/me"
				}
				code, b, err := clerk.do(context.Background(), "GET", path, nil)
				judge("GET "+path, code, b, err)
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	// waitOK waits until requests succeed again after the database is back.
	waitOK := func(after string) {
		t.Helper()
		start := ok.Load()
		deadline := time.Now().Add(time.Minute) // a hang guard
		for ok.Load() < start+20 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("%s: requests succeed again after %s", after, time.Since(deadline.Add(-time.Minute)).Round(time.Millisecond))
		if ok.Load() < start+20 {
			t.Fatalf("after %s the requests did not succeed again:\n%s\n%v", after, tail(srv.Stderr(), 3000), failures)
		}
	}
	readyz := func() int {
		res, err := http.Get(srv.url + "/readyz")
		if err != nil {
			t.Fatalf("readyz: %v", err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	waitOK("the start")
	for _, mode := range []string{"fast", "immediate"} {
		if err := pg.ctl("restart", "-m", mode); err != nil {
			t.Fatal(err)
		}
		t.Logf("PostgreSQL restarted (-m %s) under load", mode)
		waitOK("restart -m " + mode)
	}
	// Down for a while: readiness says so, the API answers 503, then it
	// comes back without restarting dibao.
	if err := pg.ctl("stop", "-m", "fast"); err != nil {
		t.Fatal(err)
	}
	if code := readyz(); code != 503 {
		t.Errorf("/readyz with the database down: %d, want 503", code)
	}
	code, b, err = clerk.do(context.Background(), "GET", "/me", nil)
	if _, msg, structured := apiError(b); err != nil || code != 503 || !structured || msg != errs.MsgUnavailable {
		t.Errorf("API with the database down: %d %v %s", code, err, b)
	}
	// A page says the same in Chinese with 503, not the generic internal error.
	res, err := web.Get(srv.url + "/")
	if err != nil {
		t.Fatalf("page with the database down: %v", err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 503 || !strings.Contains(string(page), errs.MsgUnavailable) {
		t.Errorf("page with the database down: %d\n%s", res.StatusCode, tail(string(page), 1500))
	}
	time.Sleep(500 * time.Millisecond)
	if err := pg.ctl("start"); err != nil {
		t.Fatal(err)
	}
	waitOK("the database came back")
	if code := readyz(); code != 200 {
		t.Errorf("/readyz with the database back: %d", code)
	}
	// The browser session outlived the outage.
	if res, err := web.Get(srv.url + "/"); err != nil {
		t.Fatal(err)
	} else if res.Body.Close(); res.StatusCode != 200 || res.Request.URL.Path == "/login" {
		t.Errorf("page with the database back: %d %s", res.StatusCode, res.Request.URL)
	}
	// A runner of the standard change fails after its first chunk while
	// serve stays up: serve finishes the job without a restart.
	if out, errOut, code := e.run2([]string{exitAfterChunksEnv + "=1"}, "standard", "apply", "--id", changeID, "--chunk", "2"); code != 3 {
		t.Fatalf("dying runner: exit %d\n%s\n%s", code, out, errOut)
	}
	total := e.count(`SELECT COUNT(*) FROM standard_change_items WHERE change_id = ?`, changeID)
	if applied := e.count(`SELECT COUNT(*) FROM standard_change_items WHERE change_id = ? AND applied = 1`, changeID); applied >= total {
		t.Fatalf("the dying runner applied %d of %d", applied, total)
	}
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(50 * time.Millisecond) { // a hang guard
		if e.strings(`SELECT status FROM standard_changes WHERE id = ?`, changeID)[0] == "applied" {
			break
		}
	}
	if st := e.strings(`SELECT status FROM standard_changes WHERE id = ?`, changeID)[0]; st != "applied" {
		t.Fatalf("the standard change left applying by a failed runner is %s, serve did not finish it:\n%s", st, tail(srv.Stderr(), 2000))
	}
	if n := e.count(`SELECT COUNT(*) FROM standard_change_items WHERE change_id = ? AND applied = 1`, changeID); n != total {
		t.Fatalf("applied %d of %d", n, total)
	}
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	t.Logf("answers by status: %v; %d households acknowledged", answers, len(acked))
	for _, f := range failures {
		t.Error(f)
	}
	if len(failures) > 0 {
		for _, l := range strings.Split(srv.Stderr(), "\n") {
			if strings.Contains(l, "internal error") {
				t.Log(l)
			}
		}
	}
	if !srv.exited() {
		srv.stop()
	}
	noPanic(t, "serve", srv.Stderr())
	// Every acknowledged write is there.
	ids := make([]string, len(acked))
	for i, id := range acked {
		ids[i] = fmt.Sprint(id)
	}
	if len(ids) == 0 {
		t.Fatal("no write was acknowledged")
	}
	if n := e.count(`SELECT COUNT(*) FROM households WHERE id IN (` + strings.Join(ids, ",") + `)`); n != len(ids) {
		t.Fatalf("%d households acknowledged, %d stored", len(ids), n)
	}
	if answers[503] == 0 {
		t.Errorf("no request met the restarts: the test proved nothing")
	}
	e.verifyAudit()
}
