package store

import (
	"context"
	"strings"

	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/region"
)

// householdBatch is how many households one batch query reads.
const householdBatch = 500

// HouseholdsByID loads the households ids within scope, decrypted, like
// Household does one at a time, but with four queries per householdBatch
// households instead of four per household (county-wide recomputations:
// a standard change over tens of thousands of recipients). Households not
// found or out of scope are absent from the map.
func (db *DB) HouseholdsByID(ctx context.Context, scope region.Scope, ids []int64) (map[int64]household.Household, error) {
	return db.householdsByID(ctx, scope, ids, true)
}

// HouseholdsForBenefit is HouseholdsByID for recomputing benefits: the
// phone number and bank account, which the benefit engine never reads,
// stay empty instead of being decrypted (issue 8: two decryptions per
// household of a county-wide standard change).
func (db *DB) HouseholdsForBenefit(ctx context.Context, scope region.Scope, ids []int64) (map[int64]household.Household, error) {
	return db.householdsByID(ctx, scope, ids, false)
}

func (db *DB) householdsByID(ctx context.Context, scope region.Scope, ids []int64, contact bool) (map[int64]household.Household, error) {
	out := make(map[int64]household.Household, len(ids))
	for lo := 0; lo < len(ids); lo += householdBatch {
		if err := db.householdChunk(ctx, scope, ids[lo:min(lo+householdBatch, len(ids))], out, contact); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (db *DB) householdChunk(ctx context.Context, scope region.Scope, ids []int64, out map[int64]household.Household, contact bool) error {
	in := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")"
	args := make([]any, 0, len(ids)+2)
	for _, id := range ids {
		args = append(args, id)
	}
	hs, err := collect(ctx, db, db.r, "读取家庭失败", `SELECT id, region_code, address, urban, phone_enc, bank_name, bank_enc, notes,
		created_at, updated_at, version FROM households WHERE id IN `+in+` AND region_code >= ? AND region_code < ?`,
		append(args, string(scope.Lo), string(scope.Hi)), func(s scanner) (household.Household, error) {
			var h household.Household
			var rc, phone, bank string
			var urban, created, updated int64
			err := s.Scan(&h.ID, &rc, &h.Address, &urban, &phone, &h.BankName, &bank, &h.Notes, &created, &updated, &h.Version)
			h.Region, h.Urban, h.CreatedAt, h.UpdatedAt = region.Code(rc), urban == 1, fromMS(created), fromMS(updated)
			h.Phone, h.BankAccount = phone, bank // sealed until opened below
			return h, err
		})
	if err != nil {
		return err
	}
	got := make(map[int64]*household.Household, len(hs))
	for i := range hs {
		h := &hs[i]
		if !contact {
			h.Phone, h.BankAccount = "", ""
		} else if h.Phone, err = db.open(KindPhone, h.Phone); err != nil {
			return err
		} else if h.BankAccount, err = db.open(KindBank, h.BankAccount); err != nil {
			return err
		}
		got[h.ID] = h
	}
	type member struct {
		hid int64
		household.Member
	}
	ms, err := collect(ctx, db, db.r, "读取家庭成员失败", `SELECT household_id, id, name, relation, id_enc, disability_grade,
		disability_enc, labour, health, health_enc, co_resident FROM members WHERE household_id IN `+in+`
		ORDER BY household_id, position`, args[:len(ids)], func(s scanner) (member, error) {
		var m member
		var rel, idEnc, dis, lab, hl, hlEnc string
		var co int64
		if err := s.Scan(&m.hid, &m.ID, &m.Name, &rel, &idEnc, &m.DisabilityGrade, &dis, &lab, &hl, &hlEnc, &co); err != nil {
			return m, err
		}
		m.Relation, m.Labour, m.Health, m.CoResident = household.Relation(rel), household.Labour(lab), household.Health(hl), co == 1
		id, err := db.open(KindIDCard, idEnc)
		if err != nil {
			return m, err
		}
		m.IDNumber = idcard.ID(id)
		if m.DisabilityDetail, err = db.open(KindDisability, dis); err != nil {
			return m, err
		}
		m.HealthDetail, err = db.open(KindHealth, hlEnc)
		return m, err
	})
	if err != nil {
		return err
	}
	for _, m := range ms {
		if h := got[m.hid]; h != nil {
			h.Members = append(h.Members, m.Member)
		}
	}
	type income struct {
		hid int64
		household.Income
	}
	is, err := collect(ctx, db, db.r, "读取收入失败", `SELECT household_id, id, COALESCE(member_id, 0), kind, description, amount_fen,
		cost_fen, months FROM income_items WHERE household_id IN `+in+` ORDER BY household_id, id`, args[:len(ids)],
		func(s scanner) (income, error) {
			var x income
			var kind string
			var amt, cost int64
			err := s.Scan(&x.hid, &x.ID, &x.MemberID, &kind, &x.Description, &amt, &cost, &x.Months)
			x.Kind, x.Amount, x.Cost = household.IncomeKind(kind), money.Fen(amt), money.Fen(cost)
			return x, err
		})
	if err != nil {
		return err
	}
	for _, x := range is {
		if h := got[x.hid]; h != nil {
			h.Incomes = append(h.Incomes, x.Income)
		}
	}
	type property struct {
		hid int64
		household.Property
	}
	ps, err := collect(ctx, db, db.r, "读取财产失败", `SELECT household_id, id, kind, description, value_fen, quantity, exempt
		FROM property_items WHERE household_id IN `+in+` ORDER BY household_id, id`, args[:len(ids)],
		func(s scanner) (property, error) {
			var x property
			var kind string
			var val, ex int64
			err := s.Scan(&x.hid, &x.ID, &kind, &x.Description, &val, &x.Quantity, &ex)
			x.Kind, x.Value, x.Exempt = household.PropertyKind(kind), money.Fen(val), ex == 1
			return x, err
		})
	if err != nil {
		return err
	}
	for _, x := range ps {
		if h := got[x.hid]; h != nil {
			h.Properties = append(h.Properties, x.Property)
		}
	}
	for id, h := range got {
		out[id] = *h
	}
	return nil
}
