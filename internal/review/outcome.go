package review

import (
	"slices"
	"strconv"

	"dibao/internal/benefit"
	"dibao/internal/errs"
	"dibao/internal/money"
)

// Outcome is the result a review proposes to the county (SPEC §2.3).
type Outcome string

// The review outcomes.
const (
	NoChange       Outcome = "no_change"
	Increase       Outcome = "increase"
	Decrease       Outcome = "decrease"
	CategoryChange Outcome = "category_change"
	PhaseOut       Outcome = "phase_out"
	Stop           Outcome = "stop"
)

// Outcomes lists every outcome in display order.
func Outcomes() []Outcome {
	return []Outcome{NoChange, Increase, Decrease, CategoryChange, PhaseOut, Stop}
}

// Label is the Chinese name of the outcome.
func (o Outcome) Label() string {
	switch o {
	case NoChange:
		return "维持不变"
	case Increase:
		return "增发"
	case Decrease:
		return "减发"
	case CategoryChange:
		return "类别调整"
	case PhaseOut:
		return "渐退"
	case Stop:
		return "停保"
	}
	return string(o)
}

// Proposal is the outcome a review proposes, for the county to decide.
type Proposal struct {
	Outcome   Outcome
	OldAmount money.Fen // monthly amount before
	NewAmount money.Fen // monthly amount proposed; for phase-out the amount that continues (the old one)
	Reasons   []string  // Chinese, for the decision and the notice
}

// Notice reports whether the household must receive a written notice with
// reasons: stops, phase-outs and any reduction of the amount.
func (p Proposal) Notice() bool {
	return p.Outcome == Stop || p.Outcome == PhaseOut || p.NewAmount < p.OldAmount
}

func paying(r benefit.Result) bool {
	return r.Outcome == benefit.OutcomeEligible || r.Outcome == benefit.OutcomeSinglePerson
}

// Decide compares the benefit result in force (before) with the one recomputed
// at review (after) and proposes an outcome:
//
//   - new not paying only because per-capita income reached the standard, the
//     rise came from employment (employmentIncomeRose) and phaseoutMonths > 0:
//     phase_out (渐退), the old amount continuing for phaseoutMonths months;
//   - new not paying for any other reason (assets, income not from
//     employment, no phase-out configured): stop (停保) with the engine's
//     reasons;
//   - paying in both, but the supplement categories, the tier or the kind of
//     enrolment (household or 单人保) changed: category_change, with the
//     amount change among the reasons;
//   - otherwise increase, decrease or no_change by amount.
//
// It is an error (errs.Invalid) if new could not be assessed (invalid inputs:
// fix the data, do not stop the benefit) or old is not a paying result.
func Decide(before, after benefit.Result, employmentIncomeRose bool, phaseoutMonths int) (Proposal, error) {
	if !paying(before) {
		return Proposal{}, errs.Invalidf("", "原核定结果不是在保状态（%s），无法作复核比较", before.Outcome.Label())
	}
	if after.Outcome == benefit.OutcomeInvalid {
		return Proposal{}, errs.Invalidf("", "复核数据不完整或有误，无法重新核算：%s", reasonText(after))
	}
	p := Proposal{OldAmount: before.Amount, NewAmount: after.Amount}
	if !paying(after) {
		p.NewAmount = 0
		incomeOnly := len(after.Reasons) > 0
		for _, r := range after.Reasons {
			if r.Code != benefit.CodeIncome {
				incomeOnly = false
			}
		}
		switch {
		case incomeOnly && employmentIncomeRose && phaseoutMonths > 0:
			p.Outcome = PhaseOut
			p.NewAmount = p.OldAmount
			p.Reasons = append(p.Reasons, "家庭人均收入因就业增加超过低保标准，按规定给予"+strconv.Itoa(phaseoutMonths)+"个月渐退期")
		case incomeOnly && employmentIncomeRose:
			p.Outcome = Stop
			p.Reasons = append(p.Reasons, "家庭人均收入因就业增加超过低保标准，且本地未设渐退期")
		default:
			p.Outcome = Stop
		}
		for _, r := range after.Reasons {
			p.Reasons = append(p.Reasons, r.Text)
		}
		return p, nil
	}
	delta := amountText(p.OldAmount, p.NewAmount)
	if before.Outcome != after.Outcome || before.Tier != after.Tier || !slices.Equal(before.Categories, after.Categories) {
		p.Outcome = CategoryChange
		if before.Outcome != after.Outcome {
			p.Reasons = append(p.Reasons, "保障方式由"+before.Outcome.Label()+"调整为"+after.Outcome.Label())
		}
		if before.Tier != after.Tier {
			p.Reasons = append(p.Reasons, "保障档次由"+orNone(before.Tier)+"调整为"+orNone(after.Tier))
		}
		if !slices.Equal(before.Categories, after.Categories) {
			p.Reasons = append(p.Reasons, "分类施保类别发生变化")
		}
		p.Reasons = append(p.Reasons, delta)
		return p, nil
	}
	switch {
	case p.NewAmount > p.OldAmount:
		p.Outcome = Increase
	case p.NewAmount < p.OldAmount:
		p.Outcome = Decrease
	default:
		p.Outcome = NoChange
	}
	p.Reasons = append(p.Reasons, delta)
	return p, nil
}

func orNone(s string) string {
	if s == "" {
		return "（无）"
	}
	return s
}

func amountText(before, after money.Fen) string {
	o, n := before.Yuan(), after.Yuan()
	switch {
	case after > before:
		return "月保障金由" + o + "元增至" + n + "元"
	case after < before:
		return "月保障金由" + o + "元减至" + n + "元"
	}
	return "月保障金" + o + "元不变"
}

func reasonText(r benefit.Result) string {
	s := ""
	for i, x := range r.Reasons {
		if i > 0 {
			s += "；"
		}
		s += x.Text
	}
	if s == "" {
		return "未说明原因"
	}
	return s
}
