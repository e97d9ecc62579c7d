package store

import (
	"context"
	"database/sql"
	"errors"
)

// Meta returns a value of the meta table ("" when absent).
func (db *DB) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := db.queryRow(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, mapErr(err, "读取系统设置失败")
}

// SetMeta stores a meta value inside the transaction.
func (tx *Tx) SetMeta(ctx context.Context, key, value string) error {
	_, err := tx.exec(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return mapErr(err, "保存系统设置失败")
}

// MetaTx reads a meta value inside the transaction, so that a check and the
// write it guards cannot interleave with another writer.
func (tx *Tx) MetaTx(ctx context.Context, key string) (string, error) {
	var v string
	err := tx.queryRow(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, mapErr(err, "读取系统设置失败")
}
