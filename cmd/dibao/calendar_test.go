package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCalendarImportAndShow(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	file := filepath.Join(dir, "2028.txt")
	if err := os.WriteFile(file, []byte("2028-10-02 休 国庆节\n2028-10-08 班 国庆节调休\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"calendar", "import", "--data", dir, file}, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "stored 2") {
		t.Fatalf("import: %d %s %s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run(ctx, []string{"calendar", "show", "--data", dir, "--from", "2028-10-02", "--days", "7"}, &out, &errb); code != 0 {
		t.Fatalf("show: %d %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 7 || !strings.Contains(lines[0], "休 国庆节") || !strings.Contains(lines[6], "班 国庆节调休") {
		t.Fatalf("show output:\n%s", out.String())
	}
	// A malformed schedule fails with the line number and stores nothing new.
	bad := filepath.Join(dir, "bad.txt")
	_ = os.WriteFile(bad, []byte("2028-02-30 休 不存在的日期\n"), 0o600)
	errb.Reset()
	if code := run(ctx, []string{"calendar", "import", "--data", dir, bad}, &out, &errb); code == 0 || !strings.Contains(errb.String(), "第1行") {
		t.Fatalf("bad import: %d %q", code, errb.String())
	}
}
