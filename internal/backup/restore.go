package backup

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"dibao/internal/store"
)

// ErrNotEmpty is returned when the restore target already holds data and
// the restore was not forced.
var ErrNotEmpty = errors.New("恢复目标不为空")

// Result is what a restore did and checked.
type Result struct {
	Manifest Manifest
	Tables   int   // tables whose row counts matched the manifest
	Rows     int64 // rows in them
	Audit    int64 // audit records verified
}

// Restore verifies the backup file at path (manifest, size, SHA-256) and
// only then restores it into dsn: a SQLite path that does not exist yet or
// a PostgreSQL database whose target schema has no tables. force replaces
// a non-empty target. Afterwards every table's row count and the audit
// head are checked against the manifest and the audit chain is verified.
func Restore(ctx context.Context, path, dsn string, force bool) (Result, error) {
	pg := strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
	// Read the manifest alone first: a backup of the wrong kind is refused
	// before anything is copied.
	m, err := ReadManifest(path, "")
	if err != nil {
		return Result{}, err
	}
	if want := map[bool]string{true: "postgres", false: "sqlite"}[pg]; m.Store != want {
		return Result{}, fmt.Errorf("这是 %s 存储的备份，目标是 %s；请恢复到同类存储", m.Store, want)
	}
	if pg {
		err = restorePG(ctx, path, dsn, m, force)
	} else {
		err = restoreSQLite(path, strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:"), force)
	}
	if err != nil {
		return Result{}, err
	}
	return check(ctx, dsn, m)
}

func restoreSQLite(path, target string, force bool) error {
	if nonEmpty(target) || nonEmpty(target+"-wal") {
		if !force {
			return fmt.Errorf("%w：%s 已存在且有数据；恢复只写入新的路径，确需覆盖请加 --force", ErrNotEmpty, target)
		}
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return err
	}
	tmp := target + ".restoring"
	os.Remove(tmp)
	if _, err := ReadManifest(path, tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	for _, s := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(target + s); err != nil && !os.IsNotExist(err) {
			os.Remove(tmp)
			return err
		}
	}
	return os.Rename(tmp, target)
}

func nonEmpty(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Size() > 0
}

func restorePG(ctx context.Context, path, dsn string, m Manifest, force bool) error {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	sp, err := db.SearchPath(ctx)
	if err != nil {
		return err
	}
	if first := firstSchema(sp); first != m.Schema {
		return fmt.Errorf("备份来自模式 %q，目标连接的 search_path 是 %q；请让目标的 search_path 以 %s 开头（例如在 URL 加 search_path=%s）",
			m.Schema, sp, m.Schema, m.Schema)
	}
	n, err := db.SchemaTables(ctx, m.Schema)
	if err != nil {
		return err
	}
	if n > 0 {
		if !force {
			return fmt.Errorf("%w：目标数据库的模式 %s 已有 %d 张表；恢复只写入空的目标，确需覆盖请加 --force", ErrNotEmpty, m.Schema, n)
		}
		if err := db.ResetSchema(ctx, m.Schema); err != nil {
			return fmt.Errorf("清空目标模式失败: %w", err)
		}
	}
	tmp, err := os.MkdirTemp("", "dibao-restore-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	raw := filepath.Join(tmp, PGName)
	if _, err := ReadManifest(path, raw); err != nil {
		return err
	}
	// The schema may exist already, empty (public, or one made for the
	// restore): let the dump's CREATE SCHEMA line tolerate that.
	script := filepath.Join(tmp, "restore.sql")
	if err := rewriteCreateSchema(raw, script, m.Schema); err != nil {
		return err
	}
	return psql(ctx, dsn, script)
}

// firstSchema is the first schema a search_path names, "$user" skipped.
func firstSchema(sp string) string {
	for _, s := range strings.Split(sp, ",") {
		s = strings.Trim(strings.TrimSpace(s), `"`)
		if s != "" && s != "$user" {
			return s
		}
	}
	return ""
}

// rewriteCreateSchema copies the dump, turning its one `CREATE SCHEMA x;`
// statement into `CREATE SCHEMA IF NOT EXISTS x;`.
func rewriteCreateSchema(in, out, schema string) error {
	src, err := os.Open(in)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer dst.Close()
	w := bufio.NewWriter(dst)
	sc := bufio.NewScanner(src)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	fmt.Fprintf(w, "CREATE SCHEMA IF NOT EXISTS %s;\n", pgIdent(schema))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "CREATE SCHEMA ") && strings.HasSuffix(line, ";") {
			line = "-- " + line + " (created above if missing)"
		}
		w.WriteString(line)
		w.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return w.Flush()
}

func pgIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// check opens the restored store and compares it with the manifest.
func check(ctx context.Context, dsn string, m Manifest) (Result, error) {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return Result{}, err
	}
	defer db.Close()
	s, err := db.Snapshot(ctx)
	if err != nil {
		return Result{}, err
	}
	r := Result{Manifest: m}
	var diffs []string
	for _, name := range slices.Sorted(maps.Keys(m.Tables)) {
		if got, ok := s.Tables[name]; !ok {
			diffs = append(diffs, name+" 缺失")
		} else if got != m.Tables[name] {
			diffs = append(diffs, fmt.Sprintf("%s 有 %d 行，清单记录 %d 行", name, got, m.Tables[name]))
		} else {
			r.Tables++
			r.Rows += got
		}
	}
	for name := range s.Tables {
		if _, ok := m.Tables[name]; !ok {
			diffs = append(diffs, name+" 不在清单中")
		}
	}
	if len(diffs) > 0 {
		return r, fmt.Errorf("恢复后的数据与清单不符：%s", strings.Join(diffs, "；"))
	}
	if s.HeadSeq != m.AuditHead.Seq || s.HeadHash != m.AuditHead.Hash {
		return r, fmt.Errorf("恢复后的审计链头 seq=%d 与清单记录的 seq=%d 不符", s.HeadSeq, m.AuditHead.Seq)
	}
	if r.Audit, err = db.VerifyAudit(ctx); err != nil {
		return r, fmt.Errorf("恢复后的审计链校验失败: %w", err)
	}
	return r, nil
}
