package store

import (
	"context"
	"database/sql"
	"errors"

	"dibao/internal/errs"
	"dibao/internal/region"
)

// Region is one row of the administrative hierarchy.
type Region struct {
	Code   region.Code
	Name   string
	Level  region.Level
	Parent region.Code
	Urban  bool // a street/community rather than a township/village
}

// PutRegion inserts or updates a region (demo load, admin import).
func (tx *Tx) PutRegion(ctx context.Context, r Region) error {
	var parent any
	if r.Parent != "" {
		parent = string(r.Parent)
	}
	_, err := tx.exec(ctx, `INSERT INTO regions (code, name, level, parent_code, urban) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level,
		parent_code = excluded.parent_code, urban = excluded.urban`,
		string(r.Code), r.Name, int(r.Level), parent, boolInt(r.Urban))
	return mapErr(err, "保存行政区划失败")
}

// Regions lists the regions within scope, ordered by code.
func (db *DB) Regions(ctx context.Context, scope region.Scope) ([]Region, error) {
	rows, err := db.query(ctx, `SELECT code, name, level, COALESCE(parent_code, ''), urban FROM regions
		WHERE code >= ? AND code < ? ORDER BY code`, string(scope.Lo), string(scope.Hi))
	if err != nil {
		return nil, mapErr(err, "读取行政区划失败")
	}
	defer rows.Close()
	var out []Region
	for rows.Next() {
		var r Region
		var code, parent string
		var level int
		var urban int64
		if err := rows.Scan(&code, &r.Name, &level, &parent, &urban); err != nil {
			return nil, mapErr(err, "读取行政区划失败")
		}
		r.Code, r.Parent, r.Level, r.Urban = region.Code(code), region.Code(parent), region.Level(level), urban == 1
		out = append(out, r)
	}
	return out, mapErr(rows.Err(), "读取行政区划失败")
}

// Region returns one region by code.
func (db *DB) Region(ctx context.Context, code region.Code) (Region, error) {
	var r Region
	var c, parent string
	var level int
	var urban int64
	err := db.queryRow(ctx, `SELECT code, name, level, COALESCE(parent_code, ''), urban FROM regions WHERE code = ?`,
		string(code)).Scan(&c, &r.Name, &level, &parent, &urban)
	if errors.Is(err, sql.ErrNoRows) {
		return r, errs.New(errs.NotFound, "region_code", "行政区划不存在")
	}
	if err != nil {
		return r, mapErr(err, "读取行政区划失败")
	}
	r.Code, r.Parent, r.Level, r.Urban = region.Code(c), region.Code(parent), region.Level(level), urban == 1
	return r, nil
}

// RegionNames maps every region code to its name, for labelling lists.
func (db *DB) RegionNames(ctx context.Context) (map[region.Code]string, error) {
	rs, err := db.Regions(ctx, region.All())
	if err != nil {
		return nil, err
	}
	m := make(map[region.Code]string, len(rs))
	for _, r := range rs {
		m[r.Code] = r.Name
	}
	return m, nil
}
