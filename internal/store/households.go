package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/region"
)

// Sealer encrypts sensitive fields and computes blind indexes; the store
// holds one so that no clear ID, phone or bank number can reach a table.
type Sealer interface {
	Seal(kind, plaintext string) (string, error)
	Open(kind, sealed string) (string, error)
	BlindIndex(kind, value string) string
}

// Field kinds used as associated data, so a sealed value cannot be moved
// from one kind of column to another.
const (
	KindIDCard      = "idcard"
	KindPhone       = "phone"
	KindBank        = "bank"
	KindHealth      = "health"
	KindDisability  = "disability"
	KindCheckReport = "check_report"
)

// SetSealer installs the field encryption keys.
func (db *DB) SetSealer(s Sealer) { db.sealer = s }

func (db *DB) seal(kind, v string) (string, error) {
	if db.sealer == nil {
		return "", errs.Wrap(errors.New("store: no sealer configured"), "加密密钥未配置")
	}
	if v == "" {
		return "", nil
	}
	s, err := db.sealer.Seal(kind, v)
	if err != nil {
		return "", errs.Wrap(err, "敏感信息加密失败")
	}
	return s, nil
}

func (db *DB) open(kind, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if db.sealer == nil {
		return "", errs.Wrap(errors.New("store: no sealer configured"), "加密密钥未配置")
	}
	s, err := db.sealer.Open(kind, v)
	if err != nil {
		return "", errs.Wrap(err, "敏感信息解密失败，请检查密钥文件")
	}
	return s, nil
}

// IDIndex is the blind index of a normalised ID number.
func (db *DB) IDIndex(id idcard.ID) string { return db.sealer.BlindIndex(KindIDCard, string(id)) }

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func notFoundHousehold() error {
	return errs.New(errs.NotFound, "", "家庭不存在或不在您的管辖范围内")
}

func outOfScope() error {
	return errs.New(errs.Forbidden, "region_code", "所选村（社区）不在您的管辖范围内")
}

// CreateHousehold inserts a household and its members, sealing sensitive
// fields. The region must lie within the caller's scope.
func (tx *Tx) CreateHousehold(ctx context.Context, h *household.Household) error {
	if !tx.p.Scope().Contains(h.Region) {
		return outOfScope()
	}
	if err := tx.checkRegion(ctx, h.Region); err != nil {
		return err
	}
	phone, err := tx.db.seal(KindPhone, h.Phone)
	if err != nil {
		return err
	}
	bank, err := tx.db.seal(KindBank, h.BankAccount)
	if err != nil {
		return err
	}
	now := tx.db.now()
	h.ID, err = tx.insertID(ctx, `INSERT INTO households (region_code, head_name, address, urban, phone_enc, bank_name,
		bank_enc, notes, created_by, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
		string(h.Region), h.HeadName(), h.Address, boolInt(h.Urban), phone, h.BankName, bank, h.Notes,
		nullID(tx.p.UserID), ms(now), ms(now))
	if err != nil {
		return mapErr(err, "保存家庭失败")
	}
	h.Version, h.CreatedAt, h.UpdatedAt = 1, now, now
	return tx.saveMembers(ctx, h, nil)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func (tx *Tx) checkRegion(ctx context.Context, c region.Code) error {
	var level int
	err := tx.queryRow(ctx, "SELECT level FROM regions WHERE code = ?", string(c)).Scan(&level)
	if errors.Is(err, sql.ErrNoRows) {
		return errs.New(errs.Invalid, "region_code", "行政区划不存在")
	}
	if err != nil {
		return mapErr(err, "读取行政区划失败")
	}
	if region.Level(level) != region.Village {
		return errs.New(errs.Invalid, "region_code", "请选择户籍所在的村（社区）")
	}
	return nil
}

// saveMembers writes h.Members: rows with an ID are updated, rows without
// are inserted, and previous IDs missing from h are deleted.
func (tx *Tx) saveMembers(ctx context.Context, h *household.Household, previous []int64) error {
	// An ID number may belong to one household only; check first so that the
	// message names the form row instead of surfacing a constraint error.
	var l errs.List
	idx := make([]string, len(h.Members))
	for i, m := range h.Members {
		idx[i] = tx.db.IDIndex(m.IDNumber)
		var other int64
		err := tx.queryRow(ctx, "SELECT household_id FROM members WHERE id_index = ?", idx[i]).Scan(&other)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return mapErr(err, "保存家庭成员失败")
		case other != h.ID:
			l.Add(fmt.Sprintf("members[%d].id_number", i), "该身份证号已登记在其他家庭中，不能重复登记")
		}
	}
	if err := l.Err(); err != nil {
		return err
	}
	keep := map[int64]bool{}
	for _, m := range h.Members {
		if m.ID != 0 {
			if !containsID(previous, m.ID) {
				return errs.New(errs.Invalid, "members", "成员不属于本户")
			}
			keep[m.ID] = true
		}
	}
	for _, id := range previous {
		if !keep[id] {
			if _, err := tx.exec(ctx, "DELETE FROM members WHERE id = ? AND household_id = ?", id, h.ID); err != nil {
				return mapErr(err, "删除家庭成员失败")
			}
		}
	}
	// Park kept rows on negative positions so re-ordering cannot collide
	// with the (household_id, position) unique key.
	if _, err := tx.exec(ctx, "UPDATE members SET position = -position - 1 WHERE household_id = ?", h.ID); err != nil {
		return mapErr(err, "保存家庭成员失败")
	}
	for i := range h.Members {
		m := &h.Members[i]
		args, err := tx.db.memberValues(i, *m, idx[i])
		if err != nil {
			return err
		}
		if m.ID == 0 {
			m.ID, err = tx.insertID(ctx, `INSERT INTO members (position, name, relation, id_enc, id_index, sex, birth_date,
				disability_grade, disability_enc, labour, health, health_enc, co_resident, household_id)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(args, h.ID)...)
		} else {
			_, err = tx.exec(ctx, `UPDATE members SET position = ?, name = ?, relation = ?, id_enc = ?, id_index = ?, sex = ?,
				birth_date = ?, disability_grade = ?, disability_enc = ?, labour = ?, health = ?, health_enc = ?,
				co_resident = ? WHERE household_id = ? AND id = ?`, append(args, h.ID, m.ID)...)
		}
		if isUnique(err, "id_index") {
			return errs.Invalidf(fmt.Sprintf("members[%d].id_number", i), "该身份证号已登记在其他家庭中，不能重复登记")
		}
		if err != nil {
			return mapErr(err, "保存家庭成员失败")
		}
	}
	return nil
}

// memberValues are a member's column values at position pos, sealed as
// every writer of members seals them, in the order position, name,
// relation, id_enc, id_index, sex, birth_date, disability_grade,
// disability_enc, labour, health, health_enc, co_resident (household_id
// follows them in each statement).
func (db *DB) memberValues(pos int, m household.Member, idIndex string) ([]any, error) {
	idEnc, err := db.seal(KindIDCard, string(m.IDNumber))
	if err != nil {
		return nil, err
	}
	dis, err := db.seal(KindDisability, m.DisabilityDetail)
	if err != nil {
		return nil, err
	}
	hl, err := db.seal(KindHealth, m.HealthDetail)
	if err != nil {
		return nil, err
	}
	return []any{pos, m.Name, string(m.Relation), idEnc, idIndex, m.IDNumber.Sex().Code(),
		m.IDNumber.BirthDate().Format(time.DateOnly), m.DisabilityGrade, dis, string(m.Labour), string(m.Health), hl,
		boolInt(m.CoResident)}, nil
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// UpdateHousehold saves an edited household if nobody changed it since
// version was read (optimistic concurrency).
func (tx *Tx) UpdateHousehold(ctx context.Context, h *household.Household) error {
	cur, err := loadHousehold(ctx, tx.db, tx.tx, tx.p.Scope(), h.ID)
	if err != nil {
		return err
	}
	if !tx.p.Scope().Contains(h.Region) {
		return outOfScope()
	}
	if err := tx.checkRegion(ctx, h.Region); err != nil {
		return err
	}
	phone, err := tx.db.seal(KindPhone, h.Phone)
	if err != nil {
		return err
	}
	bank, err := tx.db.seal(KindBank, h.BankAccount)
	if err != nil {
		return err
	}
	now := tx.db.now()
	res, err := tx.exec(ctx, `UPDATE households SET region_code = ?, head_name = ?, address = ?, urban = ?, phone_enc = ?,
		bank_name = ?, bank_enc = ?, notes = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
		string(h.Region), h.HeadName(), h.Address, boolInt(h.Urban), phone, h.BankName, bank, h.Notes, ms(now),
		h.ID, h.Version)
	if err != nil {
		return mapErr(err, "保存家庭失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return staleHousehold()
	}
	h.Version++
	h.UpdatedAt = now
	prev := make([]int64, len(cur.Members))
	for i, m := range cur.Members {
		prev[i] = m.ID
	}
	return tx.saveMembers(ctx, h, prev)
}

func staleHousehold() error {
	return errs.New(errs.Conflict, "version", "该家庭信息已被他人修改，请刷新页面后重新操作")
}

// bumpHousehold checks scope and version and marks the household changed,
// so that item edits conflict with concurrent edits like the main form.
func (tx *Tx) bumpHousehold(ctx context.Context, id, version int64) error {
	var rc string
	err := tx.queryRow(ctx, "SELECT region_code FROM households WHERE id = ?", id).Scan(&rc)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !tx.p.Scope().Contains(region.Code(rc))) {
		return notFoundHousehold()
	}
	if err != nil {
		return mapErr(err, "读取家庭失败")
	}
	res, err := tx.exec(ctx, "UPDATE households SET version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
		ms(tx.db.now()), id, version)
	if err != nil {
		return mapErr(err, "保存家庭失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return staleHousehold()
	}
	return nil
}

// AddIncome adds an income item to a household.
func (tx *Tx) AddIncome(ctx context.Context, hid, version int64, in household.Income) (int64, error) {
	if err := tx.bumpHousehold(ctx, hid, version); err != nil {
		return 0, err
	}
	id, err := tx.insertID(ctx, `INSERT INTO income_items (household_id, member_id, kind, description, amount_fen,
		cost_fen, months) VALUES (?, ?, ?, ?, ?, ?, ?)`, hid, nullID(in.MemberID), string(in.Kind), in.Description,
		int64(in.Amount), int64(in.Cost), in.Months)
	return id, mapErr(err, "保存收入失败")
}

// DeleteIncome removes an income item.
func (tx *Tx) DeleteIncome(ctx context.Context, hid, version, itemID int64) error {
	return tx.deleteItem(ctx, "income_items", hid, version, itemID)
}

// AddProperty adds a property item to a household.
func (tx *Tx) AddProperty(ctx context.Context, hid, version int64, p household.Property) (int64, error) {
	if err := tx.bumpHousehold(ctx, hid, version); err != nil {
		return 0, err
	}
	id, err := tx.insertID(ctx, `INSERT INTO property_items (household_id, kind, description, value_fen, quantity, exempt)
		VALUES (?, ?, ?, ?, ?, ?)`, hid, string(p.Kind), p.Description, int64(p.Value), p.Quantity, boolInt(p.Exempt))
	return id, mapErr(err, "保存财产失败")
}

// DeleteProperty removes a property item.
func (tx *Tx) DeleteProperty(ctx context.Context, hid, version, itemID int64) error {
	return tx.deleteItem(ctx, "property_items", hid, version, itemID)
}

func (tx *Tx) deleteItem(ctx context.Context, table string, hid, version, itemID int64) error {
	if err := tx.bumpHousehold(ctx, hid, version); err != nil {
		return err
	}
	res, err := tx.exec(ctx, "DELETE FROM "+table+" WHERE id = ? AND household_id = ?", itemID, hid)
	if err != nil {
		return mapErr(err, "删除失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.NotFound, "", "该条目不存在")
	}
	return nil
}

// Household loads a household within scope, decrypting its fields.
func (db *DB) Household(ctx context.Context, scope region.Scope, id int64) (household.Household, error) {
	return loadHousehold(ctx, db, db.r, scope, id)
}

// HouseholdTx loads a household inside a transaction.
func (tx *Tx) Household(ctx context.Context, id int64) (household.Household, error) {
	return loadHousehold(ctx, tx.db, tx.tx, tx.p.Scope(), id)
}

func loadHousehold(ctx context.Context, db *DB, q querier, scope region.Scope, id int64) (household.Household, error) {
	var h household.Household
	var rc, phone, bank string
	var urban, created, updated int64
	err := q.QueryRowContext(ctx, db.rebind(`SELECT id, region_code, address, urban, phone_enc, bank_name, bank_enc, notes,
		created_at, updated_at, version FROM households WHERE id = ? AND region_code >= ? AND region_code < ?`),
		id, string(scope.Lo), string(scope.Hi)).Scan(&h.ID, &rc, &h.Address, &urban, &phone, &h.BankName, &bank,
		&h.Notes, &created, &updated, &h.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return h, notFoundHousehold()
	}
	if err != nil {
		return h, mapErr(err, "读取家庭失败")
	}
	h.Region, h.Urban, h.CreatedAt, h.UpdatedAt = region.Code(rc), urban == 1, fromMS(created), fromMS(updated)
	if h.Phone, err = db.open(KindPhone, phone); err != nil {
		return h, err
	}
	if h.BankAccount, err = db.open(KindBank, bank); err != nil {
		return h, err
	}
	if h.Members, err = loadMembers(ctx, db, q, id); err != nil {
		return h, err
	}
	if h.Incomes, err = loadIncomes(ctx, db, q, id); err != nil {
		return h, err
	}
	h.Properties, err = loadProperties(ctx, db, q, id)
	return h, err
}

func loadMembers(ctx context.Context, db *DB, q querier, hid int64) ([]household.Member, error) {
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT id, name, relation, id_enc, disability_grade, disability_enc, labour,
		health, health_enc, co_resident FROM members WHERE household_id = ? ORDER BY position`), hid)
	if err != nil {
		return nil, mapErr(err, "读取家庭成员失败")
	}
	defer rows.Close()
	var out []household.Member
	for rows.Next() {
		var m household.Member
		var rel, idEnc, dis, lab, hl, hlEnc string
		var co int64
		if err := rows.Scan(&m.ID, &m.Name, &rel, &idEnc, &m.DisabilityGrade, &dis, &lab, &hl, &hlEnc, &co); err != nil {
			return nil, mapErr(err, "读取家庭成员失败")
		}
		m.Relation, m.Labour, m.Health, m.CoResident = household.Relation(rel), household.Labour(lab), household.Health(hl), co == 1
		id, err := db.open(KindIDCard, idEnc)
		if err != nil {
			return nil, err
		}
		m.IDNumber = idcard.ID(id)
		if m.DisabilityDetail, err = db.open(KindDisability, dis); err != nil {
			return nil, err
		}
		if m.HealthDetail, err = db.open(KindHealth, hlEnc); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, mapErr(rows.Err(), "读取家庭成员失败")
}

func loadIncomes(ctx context.Context, db *DB, q querier, hid int64) ([]household.Income, error) {
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT id, COALESCE(member_id, 0), kind, description, amount_fen, cost_fen, months
		FROM income_items WHERE household_id = ? ORDER BY id`), hid)
	if err != nil {
		return nil, mapErr(err, "读取收入失败")
	}
	defer rows.Close()
	var out []household.Income
	for rows.Next() {
		var in household.Income
		var kind string
		var amt, cost int64
		if err := rows.Scan(&in.ID, &in.MemberID, &kind, &in.Description, &amt, &cost, &in.Months); err != nil {
			return nil, mapErr(err, "读取收入失败")
		}
		in.Kind, in.Amount, in.Cost = household.IncomeKind(kind), money.Fen(amt), money.Fen(cost)
		out = append(out, in)
	}
	return out, mapErr(rows.Err(), "读取收入失败")
}

func loadProperties(ctx context.Context, db *DB, q querier, hid int64) ([]household.Property, error) {
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT id, kind, description, value_fen, quantity, exempt
		FROM property_items WHERE household_id = ? ORDER BY id`), hid)
	if err != nil {
		return nil, mapErr(err, "读取财产失败")
	}
	defer rows.Close()
	var out []household.Property
	for rows.Next() {
		var p household.Property
		var kind string
		var val, ex int64
		if err := rows.Scan(&p.ID, &kind, &p.Description, &val, &p.Quantity, &ex); err != nil {
			return nil, mapErr(err, "读取财产失败")
		}
		p.Kind, p.Value, p.Exempt = household.PropertyKind(kind), money.Fen(val), ex == 1
		out = append(out, p)
	}
	return out, mapErr(rows.Err(), "读取财产失败")
}

// HouseholdFilter narrows the household list.
type HouseholdFilter struct {
	Region   region.Code // optional; intersected with the caller's scope
	Name     string      // substring of the head's name
	IDNumber idcard.ID   // exact match through the blind index
	Urban    string      // "", "urban", "rural"
	Page     int         // 1-based
	PageSize int
}

// HouseholdRow is one line of the household list.
type HouseholdRow struct {
	ID        int64
	Region    region.Code
	HeadName  string
	HeadID    idcard.ID // decrypted only to be masked by the page
	Size      int
	Urban     bool
	Address   string
	UpdatedAt time.Time
}

// Households lists households within scope, newest first, with the total.
func (db *DB) Households(ctx context.Context, scope region.Scope, f HouseholdFilter) ([]HouseholdRow, int, error) {
	if f.Region != "" {
		rs := region.ScopeOf(f.Region)
		if !scope.Contains(f.Region) {
			return nil, 0, nil
		}
		scope = rs
	}
	where := []string{"h.region_code >= ?", "h.region_code < ?"}
	args := []any{string(scope.Lo), string(scope.Hi)}
	if f.Name != "" {
		where = append(where, "h.head_name LIKE ?")
		args = append(args, "%"+escapeLike(f.Name)+"%")
	}
	if f.IDNumber != "" {
		where = append(where, "h.id IN (SELECT household_id FROM members WHERE id_index = ?)")
		args = append(args, db.IDIndex(f.IDNumber))
	}
	switch f.Urban {
	case "urban":
		where = append(where, "h.urban = 1")
	case "rural":
		where = append(where, "h.urban = 0")
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := db.queryRow(ctx, "SELECT COUNT(*) FROM households h WHERE "+cond, args...).Scan(&total); err != nil {
		return nil, 0, mapErr(err, "读取家庭列表失败")
	}
	if f.PageSize <= 0 || f.PageSize > 200 {
		f.PageSize = 20
	}
	if f.Page < 1 {
		f.Page = 1
	}
	// A page past the end is empty; the bound keeps (Page-1)*PageSize from
	// overflowing into a negative OFFSET (which PostgreSQL refuses).
	f.Page = min(f.Page, 1<<40)
	// Page first, then join: the members are read for 20 households, not
	// for every household of the county.
	rows, err := db.query(ctx, `SELECT p.id, p.region_code, p.head_name, COALESCE(m.id_enc, ''), p.urban, p.address, p.updated_at,
		(SELECT COUNT(*) FROM members c WHERE c.household_id = p.id)
		FROM (SELECT h.id, h.region_code, h.head_name, h.urban, h.address, h.updated_at FROM households h
		      WHERE `+cond+` ORDER BY h.id DESC LIMIT ? OFFSET ?) p
		LEFT JOIN members m ON m.household_id = p.id AND m.position = 0
		ORDER BY p.id DESC`, append(args, f.PageSize, (f.Page-1)*f.PageSize)...)
	if err != nil {
		return nil, 0, mapErr(err, "读取家庭列表失败")
	}
	defer rows.Close()
	var out []HouseholdRow
	for rows.Next() {
		var r HouseholdRow
		var rc, idEnc string
		var urban, updated int64
		if err := rows.Scan(&r.ID, &rc, &r.HeadName, &idEnc, &urban, &r.Address, &updated, &r.Size); err != nil {
			return nil, 0, mapErr(err, "读取家庭列表失败")
		}
		id, err := db.open(KindIDCard, idEnc)
		if err != nil {
			return nil, 0, err
		}
		r.Region, r.HeadID, r.Urban, r.UpdatedAt = region.Code(rc), idcard.ID(id), urban == 1, fromMS(updated)
		out = append(out, r)
	}
	return out, total, mapErr(rows.Err(), "读取家庭列表失败")
}

func escapeLike(s string) string {
	// Neither dialect treats backslash as a LIKE escape by default; drop the
	// wildcards instead, a name never contains them.
	return strings.NewReplacer("%", "", "_", "").Replace(s)
}

// CountHouseholds counts households within scope (dashboard).
func (db *DB) CountHouseholds(ctx context.Context, scope region.Scope) (households, members int, err error) {
	err = db.queryRow(ctx, `SELECT COUNT(DISTINCT h.id), COUNT(m.id) FROM households h LEFT JOIN members m ON m.household_id = h.id
		WHERE h.region_code >= ? AND h.region_code < ?`, string(scope.Lo), string(scope.Hi)).Scan(&households, &members)
	return households, members, mapErr(err, "统计失败")
}
