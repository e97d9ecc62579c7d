package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"dibao/internal/audit"
	"dibao/internal/store"
)

// TestAnchorCatchesARecomputedChain is the attack the SM2 anchors exist for:
// someone with write access to the database edits a record and recomputes
// every later hash and the head. The SM3 walk alone passes; the anchored
// verify names the rewritten record.
func TestAnchorCatchesARecomputedChain(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"demo", "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("demo: %d %s", code, errb.String())
	}
	if code := run(ctx, []string{"audit", "anchor", "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("anchor: %d %s", code, errb.String())
	}
	out.Reset()
	if code := run(ctx, []string{"audit", "verify", "--data", dir}, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "1 SM2 anchors verified") {
		t.Fatalf("verify with a genuine anchor: %d %s %s", code, out.String(), errb.String())
	}

	// The rewrite: change record 5's detail, then re-seal it and every
	// record after it, and move the head.
	db, err := store.Open(ctx, filepath.Join(dir, "dibao.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TRIGGER audit_log_no_update", "UPDATE audit_log SET detail = 'rewritten' WHERE seq = 5"} {
		if err := db.ExecRaw(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var recs []audit.Record // newest first, 500 a page
	for before := int64(0); ; {
		page, err := db.AuditRecords(ctx, store.AuditFilter{Limit: 500, Before: before})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		recs = append(recs, page...)
		before = page[len(page)-1].Seq
	}
	prev := audit.Genesis
	for i := len(recs) - 1; i >= 0; i-- { // oldest first
		r := audit.Seal(prev, recs[i])
		if err := db.ExecRaw(ctx, "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", r.PrevHash, r.Hash, r.Seq); err != nil {
			t.Fatal(err)
		}
		prev = r.Hash
	}
	if err := db.ExecRaw(ctx, "UPDATE audit_head SET hash = ? WHERE id = 1", prev); err != nil {
		t.Fatal(err)
	}
	if _, err := db.VerifyAudit(ctx); err != nil {
		t.Fatalf("the recomputed chain should fool the SM3 walk, got %v", err)
	}
	db.Close()

	errb.Reset()
	code := run(ctx, []string{"audit", "verify", "--data", dir}, &out, &errb)
	if code != 3 || !strings.Contains(errb.String(), "REWRITTEN") {
		t.Fatalf("anchored verify of a rewritten chain: exit %d, stderr %q", code, errb.String())
	}
	// A forged anchor (another key) does not help the attacker either.
	errb.Reset()
	code = run(ctx, []string{"audit", "verify", "--data", dir, "--pubkey", strings.Repeat("04", 65)}, &out, &errb)
	if code == 0 {
		t.Fatal("verify with the wrong trusted key passed")
	}
}
