package recipients

import (
	"context"
	"encoding/json"
	"fmt"

	"dibao/internal/authz"
	"dibao/internal/benefit"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/money"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/store"
)

// StandardChange is the effect of new urban and rural standards on a
// county's active recipients.
type StandardChange struct {
	County              region.Code
	Urban, Rural        money.Fen      // the new standards
	EffectiveMonth      string         // ApplyStandardChange only
	Changes             roster.Changes // current monthly amounts → recomputed ones
	Crossing            []int64        // households no longer eligible under the new standards (left for review)
	Recipients, Applied int            // active recipients recomputed; amounts changed (apply only)
}

// recomputed is one recipient's new result.
type recomputed struct {
	entry  store.RegisterEntry
	result benefit.Result
	paying bool
}

// recompute assesses every active recipient not in phase-out with the
// county's benefit parameters in force today and the new standards.
func (s *Service) recompute(ctx context.Context, county region.Code, urban, rural money.Fen,
	regs []store.RegisterEntry, load func(int64) (household.Household, error)) ([]recomputed, StandardChange, error) {
	sc := StandardChange{County: county, Urban: urban, Rural: rural}
	if urban <= 0 || rural <= 0 || urban > money.MaxAbs || rural > money.MaxAbs {
		return nil, sc, errs.Invalidf("standard", "新的低保标准应为正数")
	}
	today := s.today()
	set, err := policy.Resolve(ctx, s.DB, county, today)
	if err != nil {
		return nil, sc, err
	}
	params := set.BenefitParams()
	params.UrbanStandard, params.RuralStandard = urban, rural
	var before, after []roster.Row
	var out []recomputed
	for _, e := range regs {
		if e.PhaseOutFrom != "" {
			continue // the amount is frozen during phase-out
		}
		h, err := load(e.HouseholdID)
		if err != nil {
			return nil, sc, err
		}
		r := benefit.Compute(h, params, today)
		if r.Outcome == benefit.OutcomeInvalid {
			return nil, sc, errs.Invalidf("", "户 %d 的家庭数据无法重新核算，请先更正：%s", e.HouseholdID, reasonText(r))
		}
		rc := recomputed{entry: e, result: r, paying: r.Outcome == benefit.OutcomeEligible || r.Outcome == benefit.OutcomeSinglePerson}
		out = append(out, rc)
		before = append(before, roster.Row{HouseholdID: e.HouseholdID, Region: e.Region, Amount: e.Amount})
		if rc.paying {
			after = append(after, roster.Row{HouseholdID: e.HouseholdID, Region: e.Region, Amount: r.Amount})
		} else {
			sc.Crossing = append(sc.Crossing, e.HouseholdID)
		}
	}
	sc.Recipients = len(out)
	sc.Changes = roster.Diff(before, after)
	return out, sc, nil
}

func reasonText(r benefit.Result) string {
	s := ""
	for i, x := range r.Reasons {
		if i > 0 {
			s += "；"
		}
		s += x.Text
	}
	return s
}

func standardAllowed(p authz.Principal) bool {
	return p.Has(authz.CountyAdmin) || p.Has(authz.CountyApprover)
}

// StandardChangePreview recomputes every active recipient of the county
// (those in phase-out keep their frozen amount) with the new urban and rural
// standards and returns the diff against the amounts in force: counts,
// households crossing the threshold and the total monthly cost change. It
// writes nothing.
func (s *Service) StandardChangePreview(ctx context.Context, p authz.Principal, county region.Code, newUrban, newRural money.Fen) (StandardChange, error) {
	if !standardAllowed(p) {
		return StandardChange{}, forbidden("只有县级业务管理员或审批人可以测算标准调整")
	}
	scope, err := countyScope(p, county)
	if err != nil {
		return StandardChange{}, err
	}
	regs, err := s.DB.Register(ctx, scope, store.RegisterFilter{})
	if err != nil {
		return StandardChange{}, err
	}
	_, sc, err := s.recompute(ctx, county, newUrban, newRural, regs, func(id int64) (household.Household, error) {
		return s.DB.Household(ctx, scope, id)
	})
	return sc, err
}

// ApplyStandardChange recomputes like StandardChangePreview and, in one
// transaction (all or nothing), sets every changed amount from
// effectiveMonth with an increase or decrease in the history. Households that
// would no longer be eligible are not stopped here — a stop needs a review
// with written reasons — and are listed in Crossing. Applying the same
// standards again changes nothing, so a repeated or resumed apply never
// adjusts a household twice. Only a county approver may apply; the new
// standards themselves are recorded in the policy registry by the caller
// (policy.SetValue), with the same effective date.
func (s *Service) ApplyStandardChange(ctx context.Context, p authz.Principal, county region.Code, newUrban, newRural money.Fen, effectiveMonth string) (StandardChange, error) {
	if !p.Has(authz.CountyApprover) {
		return StandardChange{}, forbidden("只有县级审批人可以确认标准调整")
	}
	scope, err := countyScope(p, county)
	if err != nil {
		return StandardChange{}, err
	}
	if _, err := roster.ParseMonth(effectiveMonth); err != nil {
		return StandardChange{}, err
	}
	var sc StandardChange
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		regs, err := tx.Register(ctx, scope, store.RegisterFilter{})
		if err != nil {
			return err
		}
		var rcs []recomputed
		rcs, sc, err = s.recompute(ctx, county, newUrban, newRural, regs, func(id int64) (household.Household, error) {
			return tx.Household(ctx, id)
		})
		if err != nil {
			return err
		}
		sc.EffectiveMonth = effectiveMonth
		why := fmt.Sprintf("低保标准调整：城市%s元/人·月，农村%s元/人·月，自%s起", newUrban.Yuan(), newRural.Yuan(), effectiveMonth)
		for _, rc := range rcs {
			e := rc.entry
			if !rc.paying || rc.result.Amount == e.Amount {
				continue
			}
			old := e.Amount
			js, _ := json.Marshal(rc.result)
			e.Amount, e.Members, e.Benefit = rc.result.Amount, rc.result.Members, string(js)
			if err := tx.UpdateRecipient(ctx, &e); err != nil {
				return err
			}
			kind := KindIncrease
			if e.Amount < old {
				kind = KindDecrease
			}
			if err := tx.AppendHistory(ctx, &store.HistoryEntry{HouseholdID: e.HouseholdID, Kind: kind, OldAmount: old,
				NewAmount: e.Amount, EffectiveMonth: effectiveMonth, Reason: why}); err != nil {
				return err
			}
			sc.Applied++
		}
		return tx.Audit(ctx, store.Entry{Action: "standard.apply", Object: "region:" + string(county),
			Detail: fmt.Sprintf("%s；重新核算%d户，调整%d户，不再符合条件%d户（待复核），月资金变化%s元",
				why, sc.Recipients, sc.Applied, len(sc.Crossing), sc.Changes.Delta.Yuan())})
	})
	if err != nil {
		return StandardChange{}, err
	}
	return sc, nil
}
