package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dibao/internal/errs"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// mountTmpfs mounts a tmpfs of sizeMB at a new temp dir and unmounts it at
// cleanup. Outside CI a failing mount skips with the reason; under CI=true
// it fails the test.
func mountTmpfs(t *testing.T, sizeMB int) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dibao-full-")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dM,mode=0700", sizeMB), "tmpfs", dir).CombinedOutput(); err != nil {
		os.Remove(dir)
		testenv.Missing(t, "cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): %v %s", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
			_ = exec.Command("umount", "-l", dir).Run()
		}
		os.Remove(dir)
	})
	return dir
}

// TestDiskFull is item 3 of issue 9: the SQLite data dir is a small tmpfs
// that the app fills. The CLI that runs out of space says 磁盘空间不足 and
// exits 1; serve keeps running and answers the write that no longer fits
// with the structured 507 storage_full error; that write left nothing
// behind; the database passes PRAGMA integrity_check and `dibao audit
// verify`; once space is freed the same request succeeds on the same
// process.
func TestDiskFull(t *testing.T) {
	bin := buildDibao(t)
	dir := mountTmpfs(t, 28) // the demo county, two counties of the province, and no more
	e := &crashEnv{t: t, bin: bin, kind: "sqlite", data: dir, dsn: filepath.Join(dir, "dibao.db")}
	e.mustRun("demo")
	ctx := context.Background()
	db, err := store.Open(ctx, e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // before the unmount
	e.db = db
	// Two reserve files: deleting one is the operator freeing space.
	reserve := filepath.Join(dir, "reserve")
	for _, f := range []string{reserve + "1", reserve} {
		if err := os.WriteFile(f, make([]byte, 4<<20), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	srv := e.serve()
	jar, _ := cookiejar.New(nil)
	web := &http.Client{Jar: jar, Timeout: time.Minute}
	if res, err := web.PostForm(srv.url+"/login", url.Values{"username": {"county"}, "password": {"dibao-demo-2026"}}); err != nil {
		t.Fatal(err)
	} else if res.Body.Close(); res.StatusCode != 200 || res.Request.URL.Path == "/login" {
		t.Fatalf("web login: %d %s", res.StatusCode, res.Request.URL)
	}

	// The CLI fills the disk and says so.
	out, errOut, code := e.run("demo", "--households", "50000")
	if code != 1 || !strings.Contains(errOut, "dibao: "+errs.MsgStorageFull) {
		t.Fatalf("filling the disk: exit %d\n%s\n%s", code, tail(out, 500), tail(errOut, 2000))
	}
	t.Logf("the CLI on a full disk: %s", strings.TrimSpace(errOut[strings.LastIndex(errOut, "dibao: "):]))

	// Roster builds of a county the province load finished, through the
	// API, until one no longer fits.
	county := e.strings(`SELECT substr(region_code, 1, 6) FROM recipients WHERE status = 'active'
		GROUP BY substr(region_code, 1, 6) ORDER BY COUNT(*) DESC, substr(region_code, 1, 6) LIMIT 1`)[0]
	// Some space again, for the sign-in; the roster builds fill it.
	if err := os.Remove(reserve + "1"); err != nil {
		t.Fatal(err)
	}
	approver := newAPIClient(srv.url)
	approver.login(t, "s"+county+"-approver", "dibao-demo-2026")
	county += "000000"
	counts := func() string {
		return fmt.Sprint(e.count(`SELECT COUNT(*) FROM rosters`), "/", e.count(`SELECT COUNT(*) FROM roster_rows`), "/",
			e.count(`SELECT COUNT(*) FROM audit_log`), "/", e.count(`SELECT COUNT(*) FROM households`))
	}
	m := thisMonth()
	var refused string
	var body []byte
	built := 0
	for i := 0; i < 120 && refused == ""; i++ {
		m--
		before := counts()
		code, b, err := approver.do(ctx, "POST", "/rosters", map[string]string{"county": county, "month": m.String()})
		switch {
		case err != nil:
			t.Fatalf("roster %s: no answer: %v\n%s", m, err, tail(srv.Stderr(), 3000))
		case code == 200:
			built++
			continue
		case code == 409: // an approved month of the demo: nothing to write
			continue
		case code != 507:
			t.Fatalf("roster %s on a full disk: %d %s", m, code, b)
		}
		ec, msg, ok := apiError(b)
		if !ok || ec != string(errs.StorageFull) || msg != errs.MsgStorageFull {
			t.Fatalf("roster %s: 507 without the structured error: %s", m, b)
		}
		if after := counts(); after != before {
			t.Fatalf("the refused roster %s left a partial write: rosters/rows/audit/households %s → %s", m, before, after)
		}
		refused, body = m.String(), b
	}
	if refused == "" {
		t.Fatal("the disk never filled")
	}
	t.Logf("%d rosters built, then %s refused: 507 %s", built, refused, strings.TrimSpace(string(body)))
	if srv.exited() {
		t.Fatalf("serve died on the full disk:\n%s", tail(srv.Stderr(), 3000))
	}
	if ic := e.strings(`PRAGMA integrity_check`); len(ic) != 1 || ic[0] != "ok" {
		t.Fatalf("integrity_check on the full disk: %v", ic)
	}
	// Reading still works for a signed-in user.
	for _, path := range []string{"/", "/recipients"} {
		res, err := web.Get(srv.url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.Request.URL.Path == "/login" {
			t.Errorf("page %s on the full disk: %d %s", path, res.StatusCode, res.Request.URL)
		}
	}
	e.verifyAudit()

	// Space freed: the same request succeeds on the same process.
	if err := os.Remove(reserve); err != nil {
		t.Fatal(err)
	}
	code, b, err := approver.do(ctx, "POST", "/rosters", map[string]string{"county": county, "month": refused})
	if err != nil || code != 200 {
		t.Fatalf("roster %s after space was freed: %d %v %s", refused, code, err, b)
	}
	srv.stop()
	noPanic(t, "serve", srv.Stderr())
	if ic := e.strings(`PRAGMA integrity_check`); len(ic) != 1 || ic[0] != "ok" {
		t.Fatalf("integrity_check: %v", ic)
	}
	e.verifyAudit()
}
