package store

import (
	"context"

	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/region"
)

// RosterPayee is a roster row with the payee's decrypted bank account, as
// the bank file needs it.
type RosterPayee struct {
	RosterRow
	PayStatus    string // pending, paid, failed
	Found        bool   // the household exists (it always should)
	Name         string // head of household
	Bank         string
	Account      string // clear text: only for the audited bank export
	HeadIDMasked string // masked ID number of the head, read only if asked for
}

// EachRosterPayee calls fn for every row of a roster, by region then
// household id, with the household's bank account decrypted (and the
// head's masked ID number if withID), reading the roster once as a stream
// (issue 8: a province's county pays tens of thousands). The caller must
// audit the export.
func (tx *Tx) EachRosterPayee(ctx context.Context, rosterID int64, withID bool, fn func(RosterPayee) error) error {
	idCol := "''"
	if withID {
		idCol = `COALESCE((SELECT m.id_enc FROM members m WHERE m.household_id = h.id AND m.relation = 'head'
			ORDER BY m.position LIMIT 1), '')`
	}
	rows, err := tx.query(ctx, `SELECT x.household_id, x.region_code, x.amount_fen, x.note, x.pay_status,
		CASE WHEN h.id IS NULL THEN 0 ELSE 1 END, COALESCE(h.head_name, ''), COALESCE(h.bank_name, ''), COALESCE(h.bank_enc, ''), `+idCol+`
		FROM roster_rows x LEFT JOIN households h ON h.id = x.household_id
		WHERE x.roster_id = ? ORDER BY x.region_code, x.household_id`, rosterID)
	if err != nil {
		return mapErr(err, "读取发放名册失败")
	}
	defer rows.Close()
	for rows.Next() {
		var p RosterPayee
		var rc, acct, idEnc string
		var amt, found int64
		if err := rows.Scan(&p.HouseholdID, &rc, &amt, &p.Note, &p.PayStatus, &found, &p.Name, &p.Bank, &acct, &idEnc); err != nil {
			return mapErr(err, "读取发放名册失败")
		}
		p.Region, p.Amount, p.Found = region.Code(rc), money.Fen(amt), found == 1
		if p.Account, err = tx.db.open(KindBank, acct); err != nil {
			return err
		}
		if idEnc != "" {
			id, err := tx.db.open(KindIDCard, idEnc)
			if err != nil {
				return err
			}
			p.HeadIDMasked = idcard.Mask(id)
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return mapErr(rows.Err(), "读取发放名册失败")
}

// RosterRegister lists every recipient within scope (any status) with the
// fields a roster's entitlements are derived from — household, region,
// amount, status, start and end month, phase-out — by region then
// household id: the register without its page joins and review-due
// subquery (issue 8: the roster build read them for every recipient).
func (tx *Tx) RosterRegister(ctx context.Context, scope region.Scope) ([]RegisterEntry, error) {
	return collect(ctx, tx.db, tx.tx, "读取保障对象失败", `SELECT r.household_id, r.region_code, r.amount_fen, r.status,
		r.start_month, r.end_month, r.phaseout_from, r.phaseout_months, r.phaseout_taper
		FROM recipients r WHERE r.region_code >= ? AND r.region_code < ? ORDER BY r.region_code, r.household_id`,
		[]any{string(scope.Lo), string(scope.Hi)}, func(s scanner) (RegisterEntry, error) {
			var e RegisterEntry
			var rc string
			var amt, taper int64
			err := s.Scan(&e.HouseholdID, &rc, &amt, &e.Status, &e.StartMonth, &e.EndMonth, &e.PhaseOutFrom, &e.PhaseOutMonths, &taper)
			e.Region, e.Amount, e.PhaseOutTaper = region.Code(rc), money.Fen(amt), taper == 1
			return e, err
		})
}

// RosterHistoryIn is HistoryIn with the fields entitlements are derived
// from only (household, kind, old and new amount, effective month; in
// household then entry order), for the roster build.
func (tx *Tx) RosterHistoryIn(ctx context.Context, scope region.Scope) (map[int64][]HistoryEntry, error) {
	out := make(map[int64][]HistoryEntry)
	rows, err := tx.query(ctx, `SELECT x.household_id, x.kind, x.old_amount, x.new_amount, x.effective_month FROM recipient_history x
		JOIN recipients r ON r.household_id = x.household_id
		WHERE r.region_code >= ? AND r.region_code < ? ORDER BY x.household_id, x.id`, string(scope.Lo), string(scope.Hi))
	if err != nil {
		return nil, mapErr(err, "读取变更记录失败")
	}
	defer rows.Close()
	for rows.Next() {
		var h HistoryEntry
		var o, n int64
		if err := rows.Scan(&h.HouseholdID, &h.Kind, &o, &n, &h.EffectiveMonth); err != nil {
			return nil, mapErr(err, "读取变更记录失败")
		}
		h.OldAmount, h.NewAmount = money.Fen(o), money.Fen(n)
		out[h.HouseholdID] = append(out[h.HouseholdID], h)
	}
	return out, mapErr(rows.Err(), "读取变更记录失败")
}
