package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dibao/internal/backup"
	"dibao/internal/demo"
	"dibao/internal/piiscan"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// drillStore is one store kind under the backup drill: how to reach the
// source and a fresh target with the dibao command, and the source store
// for the concurrent writer.
type drillStore struct {
	src, dst []string // --data/--db flags of the source and of the restore target
	dstAlt   []string // a second fresh target for the corruption checks
	keyDir   string   // the source's data dir, holding dibao.key
	writer   *store.DB
	openDst  func(t *testing.T) *store.DB
}

// TestBackupRestoreDrill is the restore drill of issue 9 on both stores:
// demo data plus writes, a backup taken while another connection keeps
// writing, a restore into a fresh target, then every table's count and the
// audit chain (`dibao audit verify`) checked against the manifest; a
// non-empty target, a truncated backup and a changed byte are refused.
func TestBackupRestoreDrill(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		base := t.TempDir()
		src, dst, alt := filepath.Join(base, "src"), filepath.Join(base, "restored"), filepath.Join(base, "alt")
		demoInto(t, "--data", src)
		w, err := store.Open(context.Background(), filepath.Join(src, "dibao.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		drill(t, drillStore{src: []string{"--data", src}, dst: []string{"--data", dst}, dstAlt: []string{"--data", alt},
			keyDir: src, writer: w, openDst: func(t *testing.T) *store.DB { return openStore(t, filepath.Join(dst, "dibao.db")) }})
	})
	t.Run("postgres", func(t *testing.T) {
		w, dsn := testenv.PostgresDSN(t)
		keyDir := t.TempDir()
		demoInto(t, "--db", dsn, "--data", keyDir)
		schema, err := w.CurrentSchema(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// The target: a fresh database (dibao's role may not create one,
		// the test runs as root and asks the postgres superuser), reached
		// with the same search_path as the source.
		dst := scratchDatabase(t, dsn, schema)
		alt := scratchDatabase(t, dsn, schema)
		drill(t, drillStore{src: []string{"--db", dsn, "--data", keyDir}, dst: []string{"--db", dst, "--data", keyDir},
			dstAlt: []string{"--db", alt, "--data", keyDir}, keyDir: keyDir, writer: w,
			openDst: func(t *testing.T) *store.DB { return openStore(t, dst) }})
	})
}

func demoInto(t *testing.T, flags ...string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), append([]string{"demo"}, flags...), &out, &errb); code != 0 {
		t.Fatalf("demo: %d %s", code, errb.String())
	}
}

func openStore(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// scratchDatabase creates an empty database owned by the test role and
// returns its URL with search_path=schema.
func scratchDatabase(t *testing.T, dsn, schema string) string {
	t.Helper()
	if _, err := exec.LookPath("su"); err != nil || os.Geteuid() != 0 {
		testenv.Missing(t, "the PostgreSQL drill creates a scratch database as the postgres superuser and needs root")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	name := "dibao_drill_" + hex.EncodeToString(b)
	owner := u.User.Username()
	if out, err := exec.Command("su", "postgres", "-c", "createdb -O "+owner+" "+name).CombinedOutput(); err != nil {
		testenv.Missing(t, "createdb as postgres: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("su", "postgres", "-c", "dropdb --force "+name).Run() })
	u.Path = "/" + name
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// drillWrite writes one region and its audit record in one transaction:
// a snapshot that holds one holds the other.
func drillWrite(ctx context.Context, db *store.DB, n int64) error {
	return db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
		code := region.Code(fmt.Sprintf("1399%08d", n))
		if err := tx.PutRegion(ctx, store.Region{Code: code, Name: "演练县" + fmt.Sprint(n), Level: region.County}); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "drill.write", Object: "region:" + string(code)})
	})
}

func drill(t *testing.T, s drillStore) {
	ctx := context.Background()
	before, err := s.writer.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Some writes on top of the demo data …
	var n atomic.Int64
	for range 10 {
		if err := drillWrite(ctx, s.writer, n.Add(1)); err != nil {
			t.Fatal(err)
		}
	}
	// … and a writer that keeps going on its own connection (as serve
	// would) while the backup runs.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := drillWrite(ctx, s.writer, n.Add(1)); err != nil {
				writeErr = err
				return
			}
		}
	}()
	file := filepath.Join(t.TempDir(), "drill.dibak")
	var out, errb bytes.Buffer
	code := run(ctx, append(append([]string{"backup"}, s.src...), "--out", file), &out, &errb)
	close(stop)
	wg.Wait()
	if code != 0 || writeErr != nil {
		t.Fatalf("backup: exit %d %s %s; writer: %v", code, out.String(), errb.String(), writeErr)
	}
	if !strings.Contains(out.String(), "NOT in the backup") {
		t.Fatalf("backup output does not say the key is left out: %s", out.String())
	}
	after, err := s.writer.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d drill writes in all; audit head %d before, %d after", n.Load(), before.HeadSeq, after.HeadSeq)

	// The file: a manifest and the data, nothing else; no key in it.
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file mode %v", fi.Mode())
	}
	var members []string
	tr := tar.NewReader(bytes.NewReader(raw))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, h.Name)
	}
	m, err := backup.ReadManifest(file, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 2 || members[0] != backup.ManifestName || members[1] != m.Data.Name || m.KeyFile != "not included" {
		t.Fatalf("backup members %v, manifest %+v", members, m)
	}
	key, err := os.ReadFile(filepath.Join(s.keyDir, "dibao.key"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(key)), "\n") {
		if f := strings.Fields(line); len(f) == 2 && !strings.HasPrefix(line, "#") && bytes.Contains(raw, []byte(f[1])) {
			t.Fatal("the backup contains key material")
		}
	}
	if m.AuditHead.Seq < before.HeadSeq+10 || m.AuditHead.Seq > after.HeadSeq || m.Tables["audit_log"] != m.AuditHead.Seq {
		t.Fatalf("manifest audit head %d outside [%d, %d] or audit_log count %d", m.AuditHead.Seq, before.HeadSeq+10,
			after.HeadSeq, m.Tables["audit_log"])
	}
	// No clear ID or card number in the backup, though it holds the data.
	if hits := piiscan.Scan(raw, time.Now()); len(hits) > 0 {
		t.Fatalf("clear personal numbers in the backup: %v", hits)
	}
	ds := demo.Generate(demoSeed, time.Now())
	if !bytes.Contains(raw, []byte(ds.Households[0].Members[0].Name)) {
		t.Fatal("control: a demo name is not in the backup, the scan reads nothing")
	}

	// Restore into the fresh target.
	out.Reset()
	errb.Reset()
	if code := run(ctx, append(append([]string{"restore"}, s.dst...), file), &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "match the manifest") {
		t.Fatalf("restore: exit %d %s %s", code, out.String(), errb.String())
	}
	if s.dst[0] == "--data" {
		if fi, err := os.Stat(filepath.Join(s.dst[1], "dibao.db")); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("restored database file: %v %v", fi, err)
		}
	}
	dst := s.openDst(t)
	got, err := dst.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tables) != len(m.Tables) || got.HeadSeq != m.AuditHead.Seq || got.HeadHash != m.AuditHead.Hash {
		t.Fatalf("restored: %d tables, head %d; manifest: %d tables, head %d", len(got.Tables), got.HeadSeq, len(m.Tables), m.AuditHead.Seq)
	}
	for name, c := range m.Tables {
		if got.Tables[name] != c {
			t.Errorf("table %s: restored %d rows, manifest %d", name, got.Tables[name], c)
		}
		// The writer touched only regions and the audit tables: every
		// other table equals the source.
		if name != "regions" && name != "audit_log" && name != "audit_head" && got.Tables[name] != after.Tables[name] {
			t.Errorf("table %s: restored %d rows, source %d", name, got.Tables[name], after.Tables[name])
		}
	}
	// One snapshot: each drill region came with its audit record.
	drillAudits, err := dst.QueryStrings(ctx, "SELECT count(*) FROM audit_log WHERE action = 'drill.write'")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprint(got.Tables["regions"] - before.Tables["regions"]); drillAudits[0] != want {
		t.Fatalf("restored %s drill audit records but %s drill regions", drillAudits[0], want)
	}
	out.Reset()
	errb.Reset()
	if code := run(ctx, append([]string{"audit", "verify"}, s.dst...), &out, &errb); code != 0 ||
		!strings.Contains(out.String(), fmt.Sprintf("audit chain OK: %d records", m.AuditHead.Seq)) {
		t.Fatalf("audit verify on the restored store: exit %d %s %s", code, out.String(), errb.String())
	}

	// Refusals. A second restore into the now non-empty target:
	restore := func(target []string, f string) (int, string) {
		var o, e bytes.Buffer
		c := run(ctx, append(append([]string{"restore"}, target...), f), &o, &e)
		return c, e.String()
	}
	if c, e := restore(s.dst, file); c == 0 || !strings.Contains(e, "恢复目标不为空") || !strings.Contains(e, "--force") {
		t.Fatalf("restore into a non-empty target: exit %d %s", c, e)
	}
	// A truncated and a changed backup, into a fresh target: refused
	// before the target is touched.
	trunc := filepath.Join(t.TempDir(), "truncated.dibak")
	changed := filepath.Join(t.TempDir(), "changed.dibak")
	flip := bytes.Clone(raw)
	flip[len(flip)/2] ^= 0x01 // inside the data member
	if err := os.WriteFile(trunc, raw[:len(raw)*2/3], 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(changed, flip, 0o600); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{trunc: "截断", changed: "SHA-256"} {
		c, e := restore(s.dstAlt, f)
		if c == 0 || !strings.Contains(e, "备份文件损坏") || !strings.Contains(e, want) {
			t.Fatalf("restore of %s: exit %d %s", filepath.Base(f), c, e)
		}
	}
	if c, e := restore(s.dstAlt, filepath.Join(s.keyDir, "dibao.key")); c == 0 || !strings.Contains(e, "不是 dibao 备份") {
		t.Fatalf("restore of a non-backup: exit %d %s", c, e)
	}
	alt := s.dstAlt[1]
	if s.dstAlt[0] == "--data" {
		if _, err := os.Stat(filepath.Join(alt, "dibao.db")); !os.IsNotExist(err) {
			t.Fatalf("a refused restore left a database behind: %v", err)
		}
	} else if n, err := openStore(t, alt).SchemaTables(ctx, m.Schema); err != nil || n != 0 {
		t.Fatalf("a refused restore left %d tables: %v", n, err)
	}
	// --force replaces a non-empty target and checks it again.
	if c, e := restore(append([]string{"--force"}, s.dst...), file); c != 0 {
		t.Fatalf("forced restore: exit %d %s", c, e)
	}
}
