package store

import (
	"bytes"
	"context"
	"errors"
	"strconv"

	"dibao/internal/authz"
	"dibao/internal/errs"
)

// KindCaseFile seals an uploaded scan (ID cards, household registers, bank
// books): the files hold the very numbers the columns protect.
const KindCaseFile = "case_file"

// sealedPrefix starts every value fieldcrypt seals; case files stored before
// they were sealed start with their own magic bytes (%PDF, JPEG, PNG).
var sealedPrefix = []byte("sm4gcm$")

// sealedColumn is one column holding sealed values. Every column of the
// schema whose name ends in _enc must be listed (a test checks the schema),
// so a key rotation re-seals everything.
type sealedColumn struct {
	Table, Key, Column, Kind string
	Blob                     bool // bytes column; may still hold clear legacy content
}

var sealedColumns = []sealedColumn{
	{Table: "users", Key: "id", Column: "id_enc", Kind: KindIDCard},
	{Table: "users", Key: "id", Column: "phone_enc", Kind: KindPhone},
	{Table: "users", Key: "id", Column: "totp_secret_enc", Kind: KindTOTP},
	{Table: "users", Key: "id", Column: "totp_pending_enc", Kind: KindTOTP},
	{Table: "households", Key: "id", Column: "phone_enc", Kind: KindPhone},
	{Table: "households", Key: "id", Column: "bank_enc", Kind: KindBank},
	{Table: "members", Key: "id", Column: "id_enc", Kind: KindIDCard},
	{Table: "members", Key: "id", Column: "disability_enc", Kind: KindDisability},
	{Table: "members", Key: "id", Column: "health_enc", Kind: KindHealth},
	{Table: "cadres", Key: "id", Column: "id_enc", Kind: KindIDCard},
	{Table: "case_checks", Key: "id", Column: "report", Kind: KindCheckReport},
	{Table: "ledger_imports", Key: "id", Column: "content", Kind: KindLedgerFile},
	{Table: "case_files", Key: "id", Column: "data", Kind: KindCaseFile, Blob: true},
}

// SealedColumns names every sealed column as "table.column", for the schema
// check and the operator's report.
func SealedColumns() []string {
	out := make([]string, len(sealedColumns))
	for i, c := range sealedColumns {
		out[i] = c.Table + "." + c.Column
	}
	return out
}

// rotator is the part of the keyring the re-seal job needs.
type rotator interface {
	NeedsRotation(sealed string) bool
	ActiveKeyID() string
}

// ResealResult counts what a re-seal pass did per "table.column".
type ResealResult struct {
	Scanned  int
	Resealed int
	ByColumn map[string]int
}

// Reseal re-encrypts every sealed value that is not sealed with the active
// key (after `dibao key rotate`), and seals legacy clear case files. It works
// in batches, each its own audited transaction, so it can be interrupted
// and run again: a value already under the active key is left alone, and a
// value changed by someone else meanwhile is skipped (its new value was
// sealed with the active key anyway). progress, if not nil, is called after
// every batch.
func (db *DB) Reseal(ctx context.Context, p authz.Principal, batch int, progress func(column string, scanned, resealed int)) (ResealResult, error) {
	res := ResealResult{ByColumn: map[string]int{}}
	rot, ok := db.sealer.(rotator)
	if !ok || db.sealer == nil {
		return res, errs.Wrap(errors.New("store: the sealer cannot rotate"), "加密密钥未配置")
	}
	if batch <= 0 {
		batch = 500
	}
	for _, c := range sealedColumns {
		name := c.Table + "." + c.Column
		var last int64
		for {
			ids, vals, err := db.resealPage(ctx, c, last, batch)
			if err != nil {
				return res, err
			}
			if len(ids) == 0 {
				break
			}
			last = ids[len(ids)-1]
			res.Scanned += len(ids)
			type change struct {
				id       int64
				old, new []byte
			}
			var todo []change
			for i, v := range vals {
				if len(v) == 0 {
					continue
				}
				var clear string
				switch {
				case c.Blob && !bytes.HasPrefix(v, sealedPrefix):
					clear = string(v) // a scan stored before files were sealed
				case rot.NeedsRotation(string(v)):
					if clear, err = db.open(c.Kind, string(v)); err != nil {
						return res, errs.Wrap(err, "无法解密 "+name+" 第 "+strconv.FormatInt(ids[i], 10)+" 行（旧密钥是否仍在密钥文件中？）")
					}
				default:
					continue
				}
				s, err := db.seal(c.Kind, clear)
				if err != nil {
					return res, err
				}
				todo = append(todo, change{id: ids[i], old: v, new: []byte(s)})
			}
			if len(todo) > 0 {
				done := 0
				err := db.InTx(ctx, p, func(tx *Tx) error {
					done = 0
					for _, ch := range todo {
						var nv, ov any = string(ch.new), string(ch.old)
						if c.Blob {
							nv, ov = ch.new, ch.old
						}
						r, err := tx.exec(ctx, "UPDATE "+c.Table+" SET "+c.Column+" = ? WHERE "+c.Key+" = ? AND "+c.Column+" = ?",
							nv, ch.id, ov)
						if err != nil {
							return mapErr(err, "重新加密失败")
						}
						if n, _ := r.RowsAffected(); n == 1 {
							done++
						}
					}
					return tx.Audit(ctx, Entry{Action: "key.reseal", Object: name,
						Detail: strconv.Itoa(done) + " values re-sealed with key " + rot.ActiveKeyID()})
				})
				if err != nil {
					return res, err
				}
				res.Resealed += done
				res.ByColumn[name] += done
			}
			if progress != nil {
				progress(name, res.Scanned, res.Resealed)
			}
		}
	}
	return res, nil
}

func (db *DB) resealPage(ctx context.Context, c sealedColumn, after int64, n int) ([]int64, [][]byte, error) {
	rows, err := db.query(ctx, "SELECT "+c.Key+", "+c.Column+" FROM "+c.Table+" WHERE "+c.Key+" > ? ORDER BY "+c.Key+" LIMIT ?",
		after, n)
	if err != nil {
		return nil, nil, mapErr(err, "读取加密字段失败")
	}
	defer rows.Close()
	var ids []int64
	var vals [][]byte
	for rows.Next() {
		var id int64
		var v []byte
		if err := rows.Scan(&id, &v); err != nil {
			return nil, nil, mapErr(err, "读取加密字段失败")
		}
		ids = append(ids, id)
		vals = append(vals, v)
	}
	return ids, vals, mapErr(rows.Err(), "读取加密字段失败")
}
