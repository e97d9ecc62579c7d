package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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
	"dibao/internal/idcard"
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
		src, dst := filepath.Join(base, "src"), filepath.Join(base, "restored")
		demoInto(t, "--data", src)
		w, err := store.Open(context.Background(), filepath.Join(src, "dibao.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		drill(t, drillStore{src: []string{"--data", src}, dst: []string{"--data", dst}, keyDir: src, writer: w, openDst: func(t *testing.T) *store.DB { return openStore(t, filepath.Join(dst, "dibao.db")) }})
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
		// serve makes the practical-assessment schema beside the test's.
		t.Cleanup(func() { _ = w.ExecRaw(context.Background(), "DROP SCHEMA IF EXISTS "+schema+"_sandbox CASCADE") })
		dst := scratchDatabase(t, dsn, schema)
		drill(t, drillStore{src: []string{"--db", dsn, "--data", keyDir}, dst: []string{"--db", dst, "--data", keyDir},
			keyDir: keyDir, writer: w,
			openDst: func(t *testing.T) *store.DB { return openStore(t, dst) }})
	})
}

// startServe runs `dibao serve` on the source store in-process and returns
// its URL; it stops when the test ends.
func startServe(t *testing.T, flags []string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append(append([]string{"serve"}, flags...), "--addr", "127.0.0.1:0"), pw, io.Discard)
		pw.Close()
	}()
	var u string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if _, v, ok := strings.Cut(sc.Text(), "serving on "); ok {
			u = strings.TrimSpace(v)
			break
		}
	}
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() {
		cancel()
		<-done
	})
	if u == "" {
		t.Fatal("serve did not print its URL")
	}
	return u
}

// serveWriter registers households through serve's API as the demo
// village clerk: one per call, each with a fresh valid ID number.
type serveWriter struct {
	url, token, village string
	n                   atomic.Int64
}

func newServeWriter(t *testing.T, u string, db *store.DB) *serveWriter {
	t.Helper()
	body := fmt.Sprintf(`{"username":"village","password":%q}`, demo.Password)
	res, err := http.Post(u+"api/v1/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || r.Token == "" {
		t.Fatalf("login through serve: %d %v", res.StatusCode, err)
	}
	v, err := db.QueryStrings(context.Background(), "SELECT region_code FROM users WHERE username = 'village'")
	if err != nil || len(v) != 1 {
		t.Fatalf("village clerk's region: %v %v", v, err)
	}
	return &serveWriter{url: u, token: r.Token, village: v[0]}
}

func (w *serveWriter) write() (int, error) {
	n := w.n.Add(1)
	id := idcard.Make(w.village[:6], time.Date(1940+int(n%60), time.Month(1+n%12), 1+int(n%28), 0, 0, 0, 0, time.UTC), int(n%1000))
	body := `{"region_code":"` + w.village + `","address":"演练路` + fmt.Sprint(n) + `号","urban":"rural",` +
		`"members":[{"name":"演练户主","relation":"head","id_number":"` + string(id) + `","labour":"full","health":"healthy","co_resident":"1","disability_grade":"0"}]}`
	req, _ := http.NewRequest("POST", w.url+"api/v1/households", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+w.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
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
	// Dropped in the background: DROP DATABASE waits for a checkpoint,
	// which takes long on a busy machine, and nothing waits for the result.
	t.Cleanup(func() {
		if cmd := exec.Command("su", "postgres", "-c", "dropdb --force "+name); cmd.Start() == nil {
			go cmd.Wait()
		}
	})
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
	// serve runs on the source the whole time (its background jobs write
	// as they please) and registers households through its API.
	sw := newServeWriter(t, startServe(t, s.src), s.writer)
	// Some writes on top of the demo data …
	var n atomic.Int64
	for range 10 {
		if err := drillWrite(ctx, s.writer, n.Add(1)); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if code, err := sw.write(); err != nil || code != http.StatusCreated {
			t.Fatalf("household through serve: %d %v", code, err)
		}
	}
	// … and both writers keep going while the backup runs: serve, and a
	// second connection writing a region and its audit record per
	// transaction.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr error
	var served atomic.Int64
	wg.Add(2)
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
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if code, err := sw.write(); err == nil && code == http.StatusCreated {
				served.Add(1)
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
	t.Logf("%d drill writes and %d households through serve; audit head %d before, %d after", n.Load(), served.Load()+3,
		before.HeadSeq, after.HeadSeq)

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

	// A backup of nothing is refused, and leaves nothing behind.
	errb.Reset()
	empty := t.TempDir()
	if code := run(ctx, []string{"backup", "--data", filepath.Join(empty, "typo"), "--out", filepath.Join(empty, "x.dibak")}, &out, &errb); code == 0 ||
		!strings.Contains(errb.String(), "要备份的数据库不存在") {
		t.Fatalf("backup of a missing database: exit %d %s", code, errb.String())
	}
	if _, err := os.Stat(filepath.Join(empty, "x.dibak")); !os.IsNotExist(err) {
		t.Fatal("a refused backup left a file")
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
		// A table no one wrote to during the drill equals the source.
		if before.Tables[name] == after.Tables[name] && got.Tables[name] != after.Tables[name] {
			t.Errorf("table %s: restored %d rows, source %d", name, got.Tables[name], after.Tables[name])
		}
	}
	// One snapshot: each drill region came with its audit record, each
	// household serve registered with its own.
	drillAudits, err := dst.QueryStrings(ctx, "SELECT count(*) FROM audit_log WHERE action = 'drill.write'")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprint(got.Tables["regions"] - before.Tables["regions"]); drillAudits[0] != want {
		t.Fatalf("restored %s drill audit records but %s drill regions", drillAudits[0], want)
	}
	created, err := dst.QueryStrings(ctx, "SELECT count(*) FROM audit_log WHERE action = 'household.create' AND seq > ?", before.HeadSeq)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprint(got.Tables["households"] - before.Tables["households"]); created[0] != want || want == "0" {
		t.Fatalf("restored %s household.create records after the demo but %s new households", created[0], want)
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
	// A truncated and a changed backup: refused before the target is
	// looked at (so the error is about the file, not the full target) and
	// the target left as it was.
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
		c, e := restore(s.dst, f)
		if c == 0 || !strings.Contains(e, "备份文件损坏") || !strings.Contains(e, want) {
			t.Fatalf("restore of %s: exit %d %s", filepath.Base(f), c, e)
		}
	}
	if c, e := restore(s.dst, filepath.Join(s.keyDir, "dibao.key")); c == 0 || !strings.Contains(e, "不是 dibao 备份") {
		t.Fatalf("restore of a non-backup: exit %d %s", c, e)
	}
	if again, err := dst.Snapshot(ctx); err != nil || again.HeadSeq != got.HeadSeq || again.HeadHash != got.HeadHash ||
		fmt.Sprint(again.Tables) != fmt.Sprint(got.Tables) {
		t.Fatalf("refused restores changed the target: %v", err)
	}
	// --force replaces a non-empty target and checks it again.
	if c, e := restore(append([]string{"--force"}, s.dst...), file); c != 0 {
		t.Fatalf("forced restore: exit %d %s", c, e)
	}
}

// TestScanPIICommand: hits are reported masked with exit 1; a clean tree
// gives exit 0.
func TestScanPIICommand(t *testing.T) {
	dir := t.TempDir()
	id := string(idcard.Make("130199", time.Date(1958, 3, 4, 0, 0, 0, 0, time.UTC), 123))
	if err := os.WriteFile(filepath.Join(dir, "clean.txt"), []byte("户主 张三 "+idcard.Mask(id)), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"scan-pii", dir}, &out, &errb); code != 0 || !strings.Contains(out.String(), "no clear") {
		t.Fatalf("clean: exit %d %s %s", code, out.String(), errb.String())
	}
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "leak.log"), []byte("path=/households/"+id+" status=404\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	code := run(context.Background(), []string{"scan-pii", dir}, &out, &errb)
	if code != 1 || !strings.Contains(out.String(), "leak.log: id_number "+idcard.Mask(id)) || strings.Contains(out.String()+errb.String(), id) {
		t.Fatalf("leak: exit %d %s %s", code, out.String(), errb.String())
	}
}
