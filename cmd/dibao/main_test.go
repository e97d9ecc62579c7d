package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dibao/internal/store"
)

func TestVersionAndUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"version"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "dibao") {
		t.Fatalf("version: %d %q", code, out.String())
	}
	if code := run(context.Background(), []string{"bogus"}, &out, &errb); code != 2 {
		t.Fatalf("unknown command exit %d", code)
	}
}

func TestAuditVerifyNamesTheEditedRow(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"demo", "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("demo: %d %s", code, errb.String())
	}
	if fi, err := os.Stat(filepath.Join(dir, "dibao.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	out.Reset()
	if code := run(ctx, []string{"audit", "verify", "--data", dir}, &out, &errb); code != 0 || !strings.Contains(out.String(), "audit chain OK") {
		t.Fatalf("verify on a clean chain: %d %s %s", code, out.String(), errb.String())
	}
	// Edit one row by hand, as someone with the database file could.
	db, err := store.Open(ctx, filepath.Join(dir, "dibao.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TRIGGER audit_log_no_update", "UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 7"} {
		if err := db.ExecRaw(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	errb.Reset()
	code := run(ctx, []string{"audit", "verify", "--data", dir}, &out, &errb)
	if code != 3 || !strings.Contains(errb.String(), "seq=7") {
		t.Fatalf("tampered chain: exit %d, stderr %q", code, errb.String())
	}
}

func TestServeDemo(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--data", dir, "--addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
	}()
	var url string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if _, u, ok := strings.Cut(sc.Text(), "serving on "); ok {
			url = strings.TrimSpace(u)
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" {
		t.Fatal("serve did not print its URL")
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for path, want := range map[string]string{"healthz": "ok", "readyz": "ready", "login": "dibao-demo-2026"} {
		res, err := client.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Fatalf("GET /%s: %d, body lacks %q", path, res.StatusCode, want)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit %d", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
}
