// Package backup makes and restores dibao backups (`dibao backup`,
// `dibao restore`).
//
// A backup is one uncompressed tar file (mode 0600) of two members:
// manifest.json first, then the data — a consistent SQLite copy made with
// VACUUM INTO (dibao.db) or a plain-SQL pg_dump of the application's schema
// taken in an exported snapshot (dibao.sql). The manifest records the dibao
// version, the store kind, the time, every table's row count and the audit
// chain head as of that same snapshot, and the data's size and SHA-256.
//
// The field-encryption key is never in a backup: keys live outside the
// database (DATA/dibao.key or DIBAO_KEY_FILE) and must be backed up apart;
// a restored database opens only with the same key file.
//
// Why VACUUM INTO and not the online backup API for SQLite: the backup API
// copies pages in steps and restarts from the beginning whenever another
// connection (the running server) writes in between, so under steady
// writes it may never finish unless it copies in one step, which is what
// VACUUM INTO does anyway; VACUUM INTO is one read transaction — in WAL
// mode the server keeps committing meanwhile — and yields a compacted file
// with no -wal, consistent as of the transaction's start, in plain SQL
// through the driver we already use.
package backup

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"dibao/internal/store"
)

// Format is the manifest format this package writes and reads.
const Format = 1

// Member names inside the tar file.
const (
	ManifestName = "manifest.json"
	SQLiteName   = "dibao.db"
	PGName       = "dibao.sql"
)

// KeyNote is printed by the commands and stored in every manifest.
const KeyNote = "备份不含字段加密密钥（密钥文件不在数据库中）：请另行保管 dibao.key；恢复后须使用同一密钥文件才能读取加密字段"

// Manifest describes one backup.
type Manifest struct {
	Format    int              `json:"format"`
	Version   string           `json:"dibao_version"`
	Store     string           `json:"store"`            // sqlite | postgres
	Schema    string           `json:"schema,omitempty"` // PostgreSQL: the dumped schema
	CreatedAt time.Time        `json:"created_at"`
	Tables    map[string]int64 `json:"tables"`
	AuditHead AuditHead        `json:"audit_head"`
	Data      DataInfo         `json:"data"`
	KeyFile   string           `json:"key_file"` // always "not included"
	Note      string           `json:"note"`
}

// AuditHead is the audit chain's last record.
type AuditHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// DataInfo names the data member and its checksum.
type DataInfo struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Create writes a backup of db (opened on dsn) to out, which must not
// exist. It writes out+".partial" and renames it at the end, so a crash
// leaves no file that looks complete.
func Create(ctx context.Context, db *store.DB, dsn, out, version string) (Manifest, error) {
	if _, err := os.Stat(out); err == nil {
		return Manifest{}, fmt.Errorf("%s 已存在，拒绝覆盖已有的备份", out)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		return Manifest{}, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".dibao-backup-")
	if err != nil {
		return Manifest{}, err
	}
	defer os.RemoveAll(tmp)
	m := Manifest{Format: Format, Version: version, Store: string(db.Dialect()), CreatedAt: time.Now().UTC(),
		KeyFile: "not included", Note: KeyNote}
	var data string
	switch db.Dialect() {
	case store.SQLite:
		data = filepath.Join(tmp, SQLiteName)
		if err := db.VacuumInto(ctx, data); err != nil {
			return Manifest{}, fmt.Errorf("SQLite 快照失败: %w", err)
		}
		// Count in the copy itself: the manifest then describes exactly
		// the data it travels with.
		cp, err := store.Open(ctx, data)
		if err != nil {
			return Manifest{}, err
		}
		s, err := cp.Snapshot(ctx)
		cp.Close()
		if err != nil {
			return Manifest{}, err
		}
		m.Tables, m.AuditHead = s.Tables, AuditHead{s.HeadSeq, s.HeadHash}
		m.Data.Name = SQLiteName
	case store.Postgres:
		schema, err := db.CurrentSchema(ctx)
		if err != nil || schema == "" {
			return Manifest{}, fmt.Errorf("无法确定要备份的模式（search_path）: %v", err)
		}
		m.Schema = schema
		data = filepath.Join(tmp, PGName)
		err = db.ExportSnapshot(ctx, func(id string, s store.Snapshot) error {
			m.Tables, m.AuditHead = s.Tables, AuditHead{s.HeadSeq, s.HeadHash}
			return pgDump(ctx, dsn, schema, id, data)
		})
		if err != nil {
			return Manifest{}, err
		}
		m.Data.Name = PGName
	default:
		return Manifest{}, fmt.Errorf("unknown store %s", db.Dialect())
	}
	if _, ok := m.Tables["audit_head"]; !ok {
		return Manifest{}, fmt.Errorf("源数据库没有 dibao 的表（未迁移，或不是 dibao 数据库）；未写出备份")
	}
	if m.Data.Size, m.Data.SHA256, err = hashFile(data); err != nil {
		return Manifest{}, err
	}
	if err := writeTar(out, m, data); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return n, hex.EncodeToString(h.Sum(nil)), err
}

func writeTar(out string, m Manifest, data string) (err error) {
	partial := out + ".partial"
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(partial)
		}
	}()
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	if err := tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o600, Size: int64(len(mj)), ModTime: m.CreatedAt,
		Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := tw.Write(mj); err != nil {
		return err
	}
	df, err := os.Open(data)
	if err != nil {
		return err
	}
	defer df.Close()
	if err := tw.WriteHeader(&tar.Header{Name: m.Data.Name, Mode: 0o600, Size: m.Data.Size, ModTime: m.CreatedAt,
		Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := io.Copy(tw, df); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(partial, out)
}

// ErrCorrupt marks a backup file that is damaged, truncated or not a dibao
// backup; its message is the Chinese text the operator sees.
var ErrCorrupt = errors.New("备份文件损坏")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w：%s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// ReadManifest reads the manifest of a backup file and, when dataTo is not
// empty, copies the data member to that path while checking its size and
// SHA-256 against the manifest. Anything wrong is an ErrCorrupt.
func ReadManifest(path, dataTo string) (Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return Manifest{}, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	h, err := tr.Next()
	if err != nil {
		return Manifest{}, corrupt("读不到清单（%v）；文件不完整或不是 dibao 备份", err)
	}
	if h.Name != ManifestName || h.Size > 1<<20 {
		return Manifest{}, corrupt("第一个成员不是 %s；不是 dibao 备份", ManifestName)
	}
	var m Manifest
	raw, err := io.ReadAll(tr)
	if err != nil {
		return Manifest{}, corrupt("清单不完整（%v）", err)
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return Manifest{}, corrupt("清单无法解析（%v）", err)
	}
	if m.Format != Format {
		return Manifest{}, corrupt("清单格式 %d 不受支持（本程序读格式 %d）", m.Format, Format)
	}
	if (m.Store != string(store.SQLite) || m.Data.Name != SQLiteName) && (m.Store != string(store.Postgres) || m.Data.Name != PGName) {
		return Manifest{}, corrupt("清单的存储类型 %q 与数据 %q 不符", m.Store, m.Data.Name)
	}
	if len(m.Data.SHA256) != 64 || len(m.Tables) == 0 {
		return Manifest{}, corrupt("清单缺少校验值或表计数")
	}
	h, err = tr.Next()
	if err != nil {
		return Manifest{}, corrupt("缺少数据部分（%v）；文件被截断", err)
	}
	if h.Name != m.Data.Name || h.Size != m.Data.Size {
		return Manifest{}, corrupt("数据部分 %s（%d 字节）与清单记录的 %s（%d 字节）不符", h.Name, h.Size, m.Data.Name, m.Data.Size)
	}
	var w io.Writer = io.Discard
	if dataTo != "" {
		out, err := os.OpenFile(dataTo, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return Manifest{}, err
		}
		defer out.Close()
		w = out
	}
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, sum), tr)
	if err != nil {
		return Manifest{}, corrupt("数据只读到 %d / %d 字节（%v）；文件被截断", n, m.Data.Size, err)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != m.Data.SHA256 {
		return Manifest{}, corrupt("数据的 SHA-256 %s… 与清单记录的 %s… 不符；文件已被改动或损坏", got[:12], m.Data.SHA256[:12])
	}
	return m, nil
}
