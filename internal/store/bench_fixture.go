package store

import (
	"context"
	"database/sql"
	"fmt"

	"dibao/internal/household"
	"dibao/internal/money"
)

// FOR BENCHMARKS AND DEMO SCALE ONLY (`dibao bench`, issue 4; issue 8 grows
// it to a province). BulkEnroll writes a county-sized recipient register
// with batched multi-row INSERTs instead of one household per transaction:
// tens of thousands of households in seconds rather than minutes. It seals
// every sensitive field exactly like CreateHousehold (the same Sealer kinds
// and blind index), so the services read the rows it writes like any other,
// but it skips the per-row checks the services do: the caller guarantees
// villages that exist and ID numbers that are new. Never use it for real
// data.

// BulkRecipient is one recipient household of the bulk fixture.
type BulkRecipient struct {
	Household  household.Household // Region (a village), Address (unique in the batch), Urban, Phone, BankName, BankAccount, Members
	CaseNumber string              // unique: the case standing for the approval
	Category   string              // A, B or C
	Amount     money.Fen
	Persons    int    // persons covered
	StartMonth string // YYYY-MM
	Benefit    string // benefit.Result JSON of the decision, or ""
}

// BulkEnroll writes recs in the transaction: the households with their
// members (sealed), for each a closed approved case standing for the
// decision, the register row (active) and the history's enrolled entry, all
// with the store clock's time. Every household must lie within the
// transaction's scope. The caller audits the transaction.
func (tx *Tx) BulkEnroll(ctx context.Context, recs []BulkRecipient) error {
	now := ms(tx.db.now())
	actor := nullID(tx.p.UserID)
	hh := make([][]any, len(recs))
	for i, r := range recs {
		h := r.Household
		if !tx.p.Scope().Contains(h.Region) {
			return outOfScope()
		}
		phone, err := tx.db.seal(KindPhone, h.Phone)
		if err != nil {
			return err
		}
		bank, err := tx.db.seal(KindBank, h.BankAccount)
		if err != nil {
			return err
		}
		hh[i] = []any{string(h.Region), h.HeadName(), h.Address, boolInt(h.Urban), phone, h.BankName, bank, h.Notes,
			actor, now, now, 1}
	}
	byAddress := make(map[string]int64, len(recs))
	err := tx.insertMany(ctx, "批量写入压测数据失败", `households (region_code, head_name, address, urban, phone_enc, bank_name, bank_enc, notes,
		created_by, created_at, updated_at, version)`, hh, "RETURNING id, address", func(rs *sql.Rows) error {
		var id int64
		var addr string
		if err := rs.Scan(&id, &addr); err != nil {
			return err
		}
		byAddress[addr] = id
		return nil
	})
	if err != nil {
		return err
	}
	if len(byAddress) != len(recs) {
		return fmt.Errorf("store: bulk enroll: %d households written for %d rows (addresses must be unique)", len(byAddress), len(recs))
	}
	ids := make([]int64, len(recs))
	var mrows, cs [][]any
	for i, r := range recs {
		ids[i] = byAddress[r.Household.Address]
		for j, m := range r.Household.Members {
			vals, err := tx.db.memberValues(j, m, tx.db.IDIndex(m.IDNumber))
			if err != nil {
				return err
			}
			mrows = append(mrows, append(vals, ids[i]))
		}
		cs = append(cs, []any{r.CaseNumber, ids[i], string(r.Household.Region), "seed", "approved", 1, now, "{}", r.Benefit,
			int64(r.Amount), r.Category, r.StartMonth, 1, actor, now, now})
	}
	if err := tx.insertMany(ctx, "批量写入压测数据失败", `members (position, name, relation, id_enc, id_index, sex, birth_date,
		disability_grade, disability_enc, labour, health, health_enc, co_resident, household_id)`, mrows, "", nil); err != nil {
		return err
	}
	caseOf := make(map[int64]int64, len(recs))
	err = tx.insertMany(ctx, "批量写入压测数据失败", `cases (number, household_id, region_code, profile, state, version, state_since, policy, benefit,
		amount_fen, category, start_month, closed, created_by, created_at, updated_at)`, cs, "RETURNING id, household_id",
		func(rs *sql.Rows) error {
			var id, hid int64
			if err := rs.Scan(&id, &hid); err != nil {
				return err
			}
			caseOf[hid] = id
			return nil
		})
	if err != nil {
		return err
	}
	rr := make([][]any, len(recs))
	hs := make([][]any, len(recs))
	for i, r := range recs {
		c := caseOf[ids[i]]
		rr[i] = []any{ids[i], c, string(r.Household.Region), r.Category, int64(r.Amount), r.Persons, r.StartMonth, "active", now,
			r.Benefit}
		hs[i] = []any{ids[i], now, "enrolled", 0, int64(r.Amount), r.StartMonth, "经审批纳入最低生活保障", c, tx.p.Username}
	}
	if err := tx.insertMany(ctx, "批量写入压测数据失败", `recipients (household_id, case_id, region_code, category, amount_fen, members, start_month,
		status, approved_at, benefit)`, rr, "", nil); err != nil {
		return err
	}
	return tx.insertMany(ctx, "批量写入压测数据失败", `recipient_history (household_id, at, kind, old_amount, new_amount, effective_month, reason, case_id,
		actor)`, hs, "", nil)
}
