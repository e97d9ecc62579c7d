// Package recipients runs the recipient register over time (SPEC §2.3):
// the register and its history, periodic reviews and county spot checks,
// review proposals recomputed with the benefit engine and decided by the
// county, the monthly payment roster with its bank file, and a standard
// change previewed, confirmed and applied as a resumable batch job. The rules come
// from the pure packages review, roster, benefit and policy; this package
// loads, authorises, writes and audits.
package recipients

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/benefit"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/money"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/store"
)

// Service is the recipient-management use case.
type Service struct {
	DB  *store.DB
	Now func() time.Time
	// StandardChunk is how many items of a standard change one transaction
	// applies (0 = DefaultStandardChunk).
	StandardChunk int
}

// History kinds (recipient_history.kind).
const (
	KindEnrolled       = "enrolled"
	KindReview         = "review"
	KindIncrease       = "increase"
	KindDecrease       = "decrease"
	KindCategoryChange = "category_change"
	KindPhaseOut       = "phase_out"
	KindStop           = "stop"
)

// Task kinds (review_tasks.kind).
const (
	TaskPeriodic  = "periodic"
	TaskSpotCheck = "spot_check"
)

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Service) today() time.Time { return calendar.DayOf(s.now()) }

func hhObj(id int64) string { return "household:" + strconv.FormatInt(id, 10) }

// isSystem reports whether p is a batch principal (authz.System).
func isSystem(p authz.Principal) bool {
	return strings.HasPrefix(p.Username, "system:") && len(p.Roles) == 0
}

func forbidden(msg string) error { return errs.New(errs.Forbidden, "", msg) }

// countyScope checks that r is a county within the principal's reach and
// returns its scope. A township user reaches only the townships in its own
// scope, so for county-wide operations the principal must be county-level
// (or the system principal).
func countyScope(p authz.Principal, county region.Code) (region.Scope, error) {
	if county.Level() != region.County {
		return region.Scope{}, errs.Invalidf("county", "请选择县（市、区）")
	}
	if !isSystem(p) && !p.Scope().Contains(county) {
		return region.Scope{}, forbidden("该县（市、区）不在您的管辖范围内")
	}
	return region.ScopeOf(county), nil
}

// Register lists the recipients within the principal's scope matching f
// (category, status, urban/rural, amount range, review due).
func (s *Service) Register(ctx context.Context, p authz.Principal, f store.RegisterFilter) ([]store.RegisterEntry, error) {
	if err := p.Require(authz.HouseholdView); err != nil {
		return nil, err
	}
	return s.DB.Register(ctx, p.Scope(), f)
}

// History returns a recipient's change history in order (the timeline).
func (s *Service) History(ctx context.Context, p authz.Principal, householdID int64) ([]store.HistoryEntry, error) {
	if err := p.Require(authz.HouseholdView); err != nil {
		return nil, err
	}
	// A household that is not on the register within the caller's scope
	// is not found — not an empty history that looks like one.
	if _, err := s.DB.RegisterEntry(ctx, p.Scope(), householdID); err != nil {
		return nil, err
	}
	return s.DB.History(ctx, p.Scope(), householdID)
}

// resultInForce is the benefit result a recipient is paid on: the one
// stored at its last decision, else the approving case's, else a minimal
// eligible result (known false); its amount is always the amount in force.
func resultInForce(e store.RegisterEntry) (r benefit.Result, known bool) {
	for _, js := range []string{e.Benefit, e.CaseBenefit} {
		if js == "" {
			continue
		}
		var x benefit.Result
		if json.Unmarshal([]byte(js), &x) == nil &&
			(x.Outcome == benefit.OutcomeEligible || x.Outcome == benefit.OutcomeSinglePerson) {
			r, known = x, true
			break
		}
	}
	if r.Outcome == "" {
		r = benefit.Result{Outcome: benefit.OutcomeEligible, Eligible: true, Members: e.Members, Persons: e.Members}
	}
	r.Amount = e.Amount
	return r, known
}

// amountKinds are the history kinds whose new_amount is paid from their
// effective month.
var amountKinds = map[string]bool{KindEnrolled: true, KindIncrease: true, KindDecrease: true,
	KindCategoryChange: true, KindPhaseOut: true}

// Entitlements derives the payment periods of a recipient from the register
// row and its history: the amount before the first change (the first
// change's old amount, or the current amount if there is none) from the
// start month, then each amount change from its effective month; the last
// period carries the end month, the phase-out and the status. A period that
// ends before it starts is left out.
func Entitlements(e store.RegisterEntry, history []store.HistoryEntry) []roster.Entitlement {
	status := roster.Status(e.Status)
	switch status {
	case roster.StatusActive, roster.StatusSuspended, roster.StatusStopped:
	default:
		status = roster.StatusStopped
	}
	type seg struct {
		from   string
		amount money.Fen
	}
	var segs []seg
	for _, h := range history {
		if !amountKinds[h.Kind] {
			continue
		}
		if len(segs) == 0 && h.EffectiveMonth > e.StartMonth {
			segs = append(segs, seg{e.StartMonth, h.OldAmount})
		}
		from := max(h.EffectiveMonth, e.StartMonth)
		if n := len(segs); n > 0 && segs[n-1].from == from {
			segs[n-1].amount = h.NewAmount
			continue
		}
		segs = append(segs, seg{from, h.NewAmount})
	}
	if len(segs) == 0 {
		segs = append(segs, seg{e.StartMonth, e.Amount})
	}
	var out []roster.Entitlement
	for i, sg := range segs {
		en := roster.Entitlement{HouseholdID: e.HouseholdID, Region: e.Region, Amount: sg.amount,
			Start: sg.from, Status: roster.StatusActive}
		if i+1 < len(segs) {
			end, err := prevMonth(segs[i+1].from)
			if err != nil || end < sg.from {
				continue
			}
			en.End = end
		} else {
			en.End, en.Status = e.EndMonth, status
			if status == roster.StatusStopped && (en.End == "" || en.End < sg.from) {
				continue
			}
			if e.PhaseOutFrom != "" && e.PhaseOutMonths > 0 && e.PhaseOutFrom >= sg.from {
				en.PhaseOut = &roster.PhaseOut{FromMonth: e.PhaseOutFrom, Months: e.PhaseOutMonths, Taper: e.PhaseOutTaper}
			}
		}
		out = append(out, en)
	}
	return out
}

func prevMonth(month string) (string, error) {
	m, err := roster.ParseMonth(month)
	if err != nil {
		return "", err
	}
	return m.Add(-1).String(), nil
}

func nextMonth(t time.Time) string {
	return roster.MonthOf(t.Year(), t.Month()).Next().String()
}
