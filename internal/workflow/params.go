package workflow

import (
	"fmt"
	"slices"
)

// Values of the appraisal policy (SPEC §2.1 step 3).
const (
	AppraisalAlways      = "always"       // every case is appraised before publicity (seed)
	AppraisalOnObjection = "on_objection" // only a case that drew an objection (national 2021)
	AppraisalNever       = "never"
)

// Values of the certification_gate policy (SPEC §3.5).
const (
	GateEnforce = "enforce" // an uncertified actor is refused
	GateWarn    = "warn"    // allowed, but the UI and audit record say so
	GateOff     = "off"
)

// Params are the policy parameters the workflow reads (SPEC §4). The policy
// package resolves them per region and effective date; the case records the
// version it used, so the values here are whatever that version says.
type Params struct {
	MinInvestigators     int    `json:"min_investigators"`
	PublicityWD          int    `json:"publicity_wd"`
	Appraisal            string `json:"appraisal"`
	ForwardWD            int    `json:"forward_wd"`
	InvestigationStartWD int    `json:"investigation_start_wd"`
	CountyDecisionWD     int    `json:"county_decision_wd"`
	RejectionNoticeWD    int    `json:"rejection_notice_wd"`
	TotalWD              int    `json:"total_wd"`
	TotalWDExtended      int    `json:"total_wd_extended"`
	CertificationGate    string `json:"certification_gate"`
}

// DefaultParams returns the SPEC §4 defaults (the seed profile's).
func DefaultParams() Params {
	return Params{
		MinInvestigators:     2,
		PublicityWD:          7,
		Appraisal:            AppraisalAlways,
		ForwardWD:            3,
		InvestigationStartWD: 3,
		CountyDecisionWD:     10,
		RejectionNoticeWD:    3,
		TotalWD:              30,
		TotalWDExtended:      45,
		CertificationGate:    GateWarn,
	}
}

// Int returns the integer parameter with the given SPEC name, so that
// definitions can refer to parameters by name (DeadlineRule.Param,
// Field.MinParam) and Validate can check those names.
func (p Params) Int(name string) (int, bool) {
	switch name {
	case "min_investigators":
		return p.MinInvestigators, true
	case "publicity_wd":
		return p.PublicityWD, true
	case "forward_wd":
		return p.ForwardWD, true
	case "investigation_start_wd":
		return p.InvestigationStartWD, true
	case "county_decision_wd":
		return p.CountyDecisionWD, true
	case "rejection_notice_wd":
		return p.RejectionNoticeWD, true
	case "total_wd":
		return p.TotalWD, true
	case "total_wd_extended":
		return p.TotalWDExtended, true
	}
	return 0, false
}

// Validate reports every out-of-range value at once, for the policy editor
// and start-up; a zero deadline would make every case overdue on day one.
func (p Params) Validate() error {
	var probs []string
	check := func(name string, v, lo, hi int) {
		if v < lo || v > hi {
			probs = append(probs, fmt.Sprintf("%s = %d, want %d..%d", name, v, lo, hi))
		}
	}
	check("min_investigators", p.MinInvestigators, 1, 10)
	check("publicity_wd", p.PublicityWD, 1, 60)
	check("forward_wd", p.ForwardWD, 1, 60)
	check("investigation_start_wd", p.InvestigationStartWD, 1, 60)
	check("county_decision_wd", p.CountyDecisionWD, 1, 60)
	check("rejection_notice_wd", p.RejectionNoticeWD, 1, 60)
	check("total_wd", p.TotalWD, 1, 250)
	check("total_wd_extended", p.TotalWDExtended, p.TotalWD, 250)
	if !slices.Contains([]string{AppraisalAlways, AppraisalOnObjection, AppraisalNever}, p.Appraisal) {
		probs = append(probs, fmt.Sprintf("appraisal = %q, want always, on_objection or never", p.Appraisal))
	}
	if !slices.Contains([]string{GateEnforce, GateWarn, GateOff}, p.CertificationGate) {
		probs = append(probs, fmt.Sprintf("certification_gate = %q, want enforce, warn or off", p.CertificationGate))
	}
	if len(probs) == 0 {
		return nil
	}
	return &ValidationError{Subject: "params", Problems: probs}
}
