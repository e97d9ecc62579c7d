package store

import (
	"context"

	"dibao/internal/money"
	"dibao/internal/region"
)

// Existing is a household already receiving the allowance before dibao
// took over the register (a ledger row, or the demo county's past years).
type Existing struct {
	HouseholdID int64
	Region      region.Code // the household's village
	Number      string      // the case number standing for the paper decision
	Category    string      // 保障类别 A, B or C (the approve transition's values)
	Amount      money.Fen
	Members     int    // persons covered
	StartMonth  string // YYYY-MM
	Benefit     string // benefit.Result JSON if known, else ""
	Transition  string // the case event recording it, e.g. "ledger_import"
	Reason      string // shown in the case timeline and the recipient history
	Data        string // JSON for the case event (batch, row …), or ""
	Note        string // the case's relative note (what was not checked)
}

// EnrollExisting records an existing recipient: a closed case in state
// approved standing for the original paper decision (its one event is
// e.Transition), the register row and the history's enrolled entry. It
// returns the case id. The household must be in the transaction's scope; a
// household already in the register is a conflict (Enroll).
func (tx *Tx) EnrollExisting(ctx context.Context, e Existing) (int64, error) {
	c := Case{Number: e.Number, HouseholdID: e.HouseholdID, Region: e.Region, Profile: "seed", State: "approved",
		Policy: "{}", RelativeNote: e.Note}
	if err := tx.CreateCase(ctx, &c); err != nil {
		return 0, err
	}
	c.Closed, c.Amount, c.Category, c.StartMonth, c.Benefit = true, e.Amount, e.Category, e.StartMonth, e.Benefit
	if err := tx.SaveCase(ctx, &c, c.Version); err != nil {
		return 0, err
	}
	data := e.Data
	if data == "" {
		data = "{}"
	}
	if err := tx.AppendEvent(ctx, &Event{CaseID: c.ID, Transition: e.Transition, To: "approved", Reason: e.Reason,
		Data: data}); err != nil {
		return 0, err
	}
	if err := tx.Enroll(ctx, Recipient{HouseholdID: e.HouseholdID, CaseID: c.ID, Region: e.Region, Category: e.Category,
		Amount: e.Amount, Members: e.Members, StartMonth: e.StartMonth, Status: "active"}); err != nil {
		return 0, err
	}
	if e.Benefit != "" {
		if _, err := tx.exec(ctx, "UPDATE recipients SET benefit = ? WHERE household_id = ?", e.Benefit, e.HouseholdID); err != nil {
			return 0, mapErr(err, "保存保障对象失败")
		}
	}
	return c.ID, tx.AppendHistory(ctx, &HistoryEntry{HouseholdID: e.HouseholdID, Kind: "enrolled", NewAmount: e.Amount,
		EffectiveMonth: e.StartMonth, Reason: e.Reason, CaseID: c.ID})
}
