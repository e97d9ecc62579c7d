package store

import (
	"context"
	"fmt"

	"dibao/internal/money"
	"dibao/internal/region"
)

// Existing is a household already receiving the allowance before dibao
// took over the register (a ledger row, or the demo county's past years).
type Existing struct {
	HouseholdID int64
	Region      region.Code // the household's village
	Category    string      // 保障类别 A, B or C (the approve transition's values)
	Amount      money.Fen
	Members     int
	StartMonth  string // YYYY-MM
	ApprovedOn  string // YYYY-MM-DD of the original decision, shown in the case
	Benefit     string // benefit.Result JSON if known, else ""
	Source      string // 存量 reason, e.g. "台账导入（批次3）"
}

// EnrollExisting records an existing recipient: a closed case in state
// approved standing for the original paper decision (number
// <county>-存量-<seq>), the register row and its history's enrolled entry
// with Source as the reason. It returns the case id. The household must be
// in the transaction's scope; a household already in the register is a
// conflict (Enroll).
func (tx *Tx) EnrollExisting(ctx context.Context, e Existing) (int64, error) {
	if !tx.p.Scope().Contains(e.Region) {
		return 0, outOfScope()
	}
	county := e.Region.County()
	seq, err := tx.NextNumber(ctx, "existing:"+string(county))
	if err != nil {
		return 0, err
	}
	now := tx.db.now()
	id, err := tx.insertID(ctx, `INSERT INTO cases (number, household_id, region_code, profile, state, version,
		state_since, started_on, policy, benefit, amount_fen, category, start_month, closed, created_by, created_at, updated_at)
		VALUES (?, ?, ?, 'seed', 'approved', 1, ?, ?, '{}', ?, ?, ?, ?, 1, ?, ?, ?)`,
		fmt.Sprintf("%s-存量-%06d", county[:6], seq), e.HouseholdID, string(e.Region), ms(now), e.ApprovedOn, e.Benefit,
		int64(e.Amount), e.Category, e.StartMonth, nullID(tx.p.UserID), ms(now), ms(now))
	if err != nil {
		return 0, mapErr(err, "保存存量保障记录失败")
	}
	if err := tx.Enroll(ctx, Recipient{HouseholdID: e.HouseholdID, CaseID: id, Region: e.Region, Category: e.Category,
		Amount: e.Amount, Members: e.Members, StartMonth: e.StartMonth, Status: "active"}); err != nil {
		return 0, err
	}
	if e.Benefit != "" {
		if _, err := tx.exec(ctx, "UPDATE recipients SET benefit = ? WHERE household_id = ?", e.Benefit, e.HouseholdID); err != nil {
			return 0, mapErr(err, "保存存量保障记录失败")
		}
	}
	return id, tx.AppendHistory(ctx, &HistoryEntry{HouseholdID: e.HouseholdID, Kind: "enrolled", NewAmount: e.Amount,
		EffectiveMonth: e.StartMonth, Reason: e.Source, CaseID: id})
}
