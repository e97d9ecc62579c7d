package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"dibao/internal/errs"
	"dibao/internal/region"
)

// PolicyValue is a new version of a policy parameter for a county or
// township. The store checks scope, region and shape; the policy service
// checks the name, the value and who may set it.
type PolicyValue struct {
	Region        region.Code
	Name          string
	Value         string // canonical text
	EffectiveFrom string // YYYY-MM-DD
	Note          string
	Corrects      int64 // id of the version this one corrects; 0 if none
}

// PolicyValueRow is one stored version. Rows are never updated or deleted:
// a change is a new row, and for the same region, name and effective date
// the highest id wins.
type PolicyValueRow struct {
	ID            int64
	Region        region.Code
	Name          string
	Value         string
	EffectiveFrom string
	Note          string
	Corrects      int64
	CreatedBy     int64  // user id; 0 for system principals
	CreatedByName string // username at the time of writing
	CreatedAt     time.Time
	Superseded    bool // a later row has the same region, name and effective date
}

// maxPolicyNote bounds the free-text note (runes).
const maxPolicyNote = 500

// AddPolicyValue appends a version. The region must be a county or township
// within the caller's scope; the caller (the policy service) audits it.
func (tx *Tx) AddPolicyValue(ctx context.Context, v PolicyValue) (int64, error) {
	if !tx.p.Scope().Contains(v.Region) {
		return 0, errs.New(errs.Forbidden, "region_code", "所选地区不在您的管辖范围内")
	}
	var level int
	err := tx.queryRow(ctx, "SELECT level FROM regions WHERE code = ?", string(v.Region)).Scan(&level)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errs.New(errs.Invalid, "region_code", "行政区划不存在")
	}
	if err != nil {
		return 0, mapErr(err, "读取行政区划失败")
	}
	if l := region.Level(level); l != region.County && l != region.Township {
		return 0, errs.New(errs.Invalid, "region_code", "政策参数只能按县（区）或乡镇（街道）设置")
	}
	if strings.TrimSpace(v.Name) == "" {
		return 0, errs.New(errs.Invalid, "name", "请选择政策参数")
	}
	if v.Value == "" {
		return 0, errs.New(errs.Invalid, "value", "请填写参数值")
	}
	if t, err := time.Parse(time.DateOnly, v.EffectiveFrom); err != nil || t.Format(time.DateOnly) != v.EffectiveFrom {
		return 0, errs.New(errs.Invalid, "effective_from", "生效日期格式应为 YYYY-MM-DD")
	}
	if utf8.RuneCountInString(v.Note) > maxPolicyNote {
		return 0, errs.Invalidf("note", "说明不能超过%d个字", maxPolicyNote)
	}
	var corrects any
	if v.Corrects != 0 {
		// A correction keeps the key of what it corrects; anything else would
		// let a "correction" move a value to another region or date.
		var rc, name, from string
		err := tx.queryRow(ctx, "SELECT region_code, name, effective_from FROM policy_values WHERE id = ?",
			v.Corrects).Scan(&rc, &name, &from)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (rc != string(v.Region) || name != v.Name || from != v.EffectiveFrom)) {
			return 0, errs.New(errs.Invalid, "version", "被更正的参数版本不存在或与本次设置不符")
		}
		if err != nil {
			return 0, mapErr(err, "读取政策参数失败")
		}
		corrects = v.Corrects
	}
	id, err := tx.insertID(ctx, `INSERT INTO policy_values (region_code, name, value, effective_from, corrects, note,
		created_by, created_by_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(v.Region), v.Name, v.Value, v.EffectiveFrom, corrects, v.Note, nullID(tx.p.UserID), tx.p.Username,
		ms(tx.db.now()))
	return id, mapErr(err, "保存政策参数失败")
}

const policyCols = `p.id, p.region_code, p.name, p.value, p.effective_from, p.note, COALESCE(p.corrects, 0),
	COALESCE(p.created_by, 0), p.created_by_name, p.created_at,
	CASE WHEN EXISTS (SELECT 1 FROM policy_values n WHERE n.region_code = p.region_code AND n.name = p.name
		AND n.effective_from = p.effective_from AND n.id > p.id) THEN 1 ELSE 0 END`

func loadPolicyRows(ctx context.Context, db *DB, q querier, where string, args ...any) ([]PolicyValueRow, error) {
	rows, err := q.QueryContext(ctx, db.rebind("SELECT "+policyCols+" FROM policy_values p WHERE "+where+
		" ORDER BY p.region_code, p.name, p.effective_from, p.id"), args...)
	if err != nil {
		return nil, mapErr(err, "读取政策参数失败")
	}
	defer rows.Close()
	var out []PolicyValueRow
	for rows.Next() {
		var r PolicyValueRow
		var rc string
		var created, sup int64
		if err := rows.Scan(&r.ID, &rc, &r.Name, &r.Value, &r.EffectiveFrom, &r.Note, &r.Corrects, &r.CreatedBy,
			&r.CreatedByName, &created, &sup); err != nil {
			return nil, mapErr(err, "读取政策参数失败")
		}
		r.Region, r.CreatedAt, r.Superseded = region.Code(rc), fromMS(created), sup == 1
		out = append(out, r)
	}
	return out, mapErr(rows.Err(), "读取政策参数失败")
}

// policyRegionIn builds "p.region_code IN (?, …)" for the non-empty codes; ok is
// false when there are none.
func policyRegionIn(codes []region.Code) (string, []any, bool) {
	var args []any
	for _, c := range codes {
		if c != "" {
			args = append(args, string(c))
		}
	}
	if len(args) == 0 {
		return "", nil, false
	}
	return "p.region_code IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ") + ")", args, true
}

// PolicyValues returns every version set for the given regions (a region's
// chain: county and township), future-dated ones included. Parameters are
// not sensitive, so reads are not scoped: every case needs its region's.
func (db *DB) PolicyValues(ctx context.Context, regionCodes []region.Code) ([]PolicyValueRow, error) {
	where, args, ok := policyRegionIn(regionCodes)
	if !ok {
		return nil, nil
	}
	return loadPolicyRows(ctx, db, db.r, where, args...)
}

// PolicyValues reads the versions inside the transaction, so a check and
// the write it guards see the same rows.
func (tx *Tx) PolicyValues(ctx context.Context, regionCodes []region.Code) ([]PolicyValueRow, error) {
	where, args, ok := policyRegionIn(regionCodes)
	if !ok {
		return nil, nil
	}
	return loadPolicyRows(ctx, tx.db, tx.tx, where, args...)
}

// PolicyValuesWithin returns every version of every region in scope (a
// county and its townships), for batch work that resolves many regions.
func (db *DB) PolicyValuesWithin(ctx context.Context, scope region.Scope) ([]PolicyValueRow, error) {
	return loadPolicyRows(ctx, db, db.r, "p.region_code >= ? AND p.region_code < ?", string(scope.Lo), string(scope.Hi))
}

// PolicyValuesWithin reads the versions of a scope inside the transaction.
func (tx *Tx) PolicyValuesWithin(ctx context.Context, scope region.Scope) ([]PolicyValueRow, error) {
	return loadPolicyRows(ctx, tx.db, tx.tx, "p.region_code >= ? AND p.region_code < ?", string(scope.Lo), string(scope.Hi))
}

// PolicyHistory returns the versions one region set for name (every name
// if name is ""), oldest effective date first, corrections after what they
// correct.
func (db *DB) PolicyHistory(ctx context.Context, r region.Code, name string) ([]PolicyValueRow, error) {
	if name == "" {
		return loadPolicyRows(ctx, db, db.r, "p.region_code = ?", string(r))
	}
	return loadPolicyRows(ctx, db, db.r, "p.region_code = ? AND p.name = ?", string(r), name)
}

// PolicyValue returns one version by id inside the transaction.
func (tx *Tx) PolicyValue(ctx context.Context, id int64) (PolicyValueRow, error) {
	rows, err := loadPolicyRows(ctx, tx.db, tx.tx, "p.id = ?", id)
	if err != nil {
		return PolicyValueRow{}, err
	}
	if len(rows) == 0 {
		return PolicyValueRow{}, errs.New(errs.NotFound, "version", "参数版本不存在")
	}
	return rows[0], nil
}
