package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoHouseholdsRefusesBadN: --households outside 1–5,000,000 is
// refused before anything is opened or written.
func TestDemoHouseholdsRefusesBadN(t *testing.T) {
	for _, n := range []string{"0", "-3", "5000001"} {
		dir := t.TempDir()
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"demo", "--data", dir, "--households", n}, &out, &errb)
		if code == 0 || !strings.Contains(errb.String(), "between 1 and 5000000") {
			t.Fatalf("--households %s: exit %d, stderr %q", n, code, errb.String())
		}
		if _, err := os.Stat(filepath.Join(dir, "dibao.db")); err == nil {
			t.Fatalf("--households %s: a database was created", n)
		}
	}
}

// TestDemoHouseholds generates a small province beside the demo county;
// a second run is refused with a clear message and the audit chain holds.
func TestDemoHouseholds(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"demo", "--data", dir, "--households", "120"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "120 households written") {
		t.Fatalf("stdout %q stderr %q", out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := run(ctx, []string{"demo", "--data", dir, "--households", "120"}, &out, &errb); code == 0 ||
		!strings.Contains(errb.String(), "already holds the generated province") {
		t.Fatalf("second run: exit %d, stderr %q", code, errb.String())
	}
	out.Reset()
	if code := run(ctx, []string{"audit", "verify", "--data", dir}, &out, &errb); code != 0 || !strings.Contains(out.String(), "audit chain OK") {
		t.Fatalf("audit verify: exit %d, %q %q", code, out.String(), errb.String())
	}
}
