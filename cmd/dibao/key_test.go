package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"dibao/internal/store"
)

// TestKeyRotateAndReseal is the operator's rotation on the demo county:
// rotate, re-seal, verify; afterwards the old key line can go and the
// demo data still opens.
func TestKeyRotateAndReseal(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"demo", "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("demo: %d %s", code, errb.String())
	}
	keyPath := filepath.Join(dir, "dibao.key")
	before, _ := os.ReadFile(keyPath)
	out.Reset()
	if code := run(ctx, []string{"key", "rotate", "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("rotate: %d %s", code, errb.String())
	}
	m := regexp.MustCompile(`key (\S+) added`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("rotate output: %s", out.String())
	}
	out.Reset()
	if code := run(ctx, []string{"key", "reseal", "--data", dir, "--batch", "50"}, &out, &errb); code != 0 {
		t.Fatalf("reseal: %d %s", code, errb.String())
	}
	n := regexp.MustCompile(`(\d+) re-sealed`).FindStringSubmatch(out.String())
	if n == nil || n[1] == "0" {
		t.Fatalf("the demo county has sealed values, none re-sealed: %s", out.String())
	}
	// Remove the old key line: every value must open with the new key alone.
	oldID := strings.Fields(firstKeyLine(string(before)))[0]
	after, _ := os.ReadFile(keyPath)
	var keep []string
	for _, l := range strings.Split(string(after), "\n") {
		if !strings.HasPrefix(l, oldID+" ") {
			keep = append(keep, l)
		}
	}
	if err := os.WriteFile(keyPath, []byte(strings.Join(keep, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, filepath.Join(dir, "dibao.db"))
	if err != nil {
		t.Fatal(err)
	}
	left, err := db.QueryStrings(ctx, "SELECT COUNT(*) FROM members WHERE id_enc LIKE ?", "%$"+oldID+"$%")
	db.Close()
	if err != nil || left[0] != "0" {
		t.Fatalf("%v member IDs still under the old key (%v)", left, err)
	}
	out.Reset()
	if code := run(ctx, []string{"key", "reseal", "--data", dir}, &out, &errb); code != 0 || !strings.Contains(out.String(), " 0 re-sealed") {
		t.Fatalf("second reseal with the old key gone: %d %s %s", code, out.String(), errb.String())
	}
	if code := run(ctx, []string{"audit", "verify", "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("audit verify: %d %s", code, errb.String())
	}
}

func firstKeyLine(content string) string {
	for _, l := range strings.Split(content, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "index ") {
			return l
		}
	}
	return ""
}
