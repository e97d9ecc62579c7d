// Package review holds the pure rules of dynamic management (SPEC §2.3):
// how often a recipient household is reviewed, which reviews are due, the
// county's reproducible spot-check sample, and the outcome a review proposes
// when the benefit engine recomputes a household. It does no I/O and keeps no
// state; callers load recipients and record the results.
package review

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/region"
)

// MaxMonths is the longest review interval whatever the rule says: the seed
// requires the township to review every recipient at least once a year.
const MaxMonths = 12

// Rule configures the review cadence; its values come from the versioned
// policy parameters review_months_stable and review_months_variable.
type Rule struct {
	StableMonths          int                    // review_months_stable: interval for stable households
	VariableMonths        int                    // review_months_variable: interval for households whose situation may change
	VariableIfAbleBodied  bool                   // able-bodied working-age members make a household variable
	VariableIfIncomeKinds []household.IncomeKind // any of these income kinds makes a household variable
}

// DefaultRule returns the SPEC §4 defaults: 12 months for stable households,
// 6 months for households with irregular income, able-bodied members or
// business income.
func DefaultRule() Rule {
	return Rule{StableMonths: 12, VariableMonths: 6, VariableIfAbleBodied: true,
		VariableIfIncomeKinds: []household.IncomeKind{"business"}}
}

// Validate reports every problem of the rule at once with Chinese messages.
func (rule Rule) Validate() error {
	var l errs.List
	if rule.StableMonths < 1 || rule.StableMonths > MaxMonths {
		l.Add("review_months_stable", "常规复核周期应为1至%d个月", MaxMonths)
	}
	if rule.VariableMonths < 1 || rule.VariableMonths > MaxMonths {
		l.Add("review_months_variable", "重点复核周期应为1至%d个月", MaxMonths)
	}
	if rule.VariableMonths > rule.StableMonths && rule.StableMonths >= 1 {
		l.Add("review_months_variable", "重点复核周期不应长于常规复核周期")
	}
	return l.Err()
}

// Recipient is what the review rules need to know about a recipient
// household; the caller fills it from the register.
type Recipient struct {
	HouseholdID     int64
	Region          region.Code
	Since           time.Time              // enrolment: the first month paid (any day of it)
	LastReview      time.Time              // date of the last completed review; zero if none
	AbleBodied      bool                   // has able-bodied members of working age
	IrregularIncome bool                   // caseworker's judgement: income varies (seasonal work, odd jobs)
	IncomeKinds     []household.IncomeKind // kinds of counted income the household has
	RelativeFlag    bool                   // registered as a relative of staff or village cadres (近亲属备案)
	Complaints      int                    // complaints or reports received (投诉举报)
}

// Cadence returns the review interval in months for r and the reason in
// Chinese. Months outside 1..MaxMonths in the rule are clamped so that every
// recipient is reviewed at least once a year.
func Cadence(rule Rule, r Recipient) (months int, reason string) {
	var why string
	switch {
	case r.IrregularIncome:
		why = "收入不固定"
	case rule.VariableIfAbleBodied && r.AbleBodied:
		why = "家庭有劳动年龄内有劳动能力成员"
	default:
		for _, k := range r.IncomeKinds {
			if slices.Contains(rule.VariableIfIncomeKinds, k) {
				why = "家庭有" + k.Label()
				break
			}
		}
	}
	if why != "" {
		months = clampMonths(rule.VariableMonths)
		return months, why + "，每" + strconv.Itoa(months) + "个月复核一次"
	}
	months = clampMonths(rule.StableMonths)
	return months, "家庭收入和人员状况相对稳定，每" + strconv.Itoa(months) + "个月复核一次"
}

func clampMonths(m int) int {
	if m < 1 || m > MaxMonths {
		return MaxMonths
	}
	return m
}

// addMonths adds n calendar months to the civil date d, clamping the day to
// the end of a shorter month (31 Aug + 6 months = 28/29 Feb), unlike
// time.AddDate which would spill into March.
func addMonths(d time.Time, n int) time.Time {
	y, m, day := d.Date()
	first := calendar.Date(y, m, 1).AddDate(0, n, 0)
	last := first.AddDate(0, 1, -1).Day()
	return calendar.Date(first.Year(), first.Month(), min(day, last))
}

// Next returns the date the next review of r falls due: the last review, or
// the first day of the enrolment month if there has been none (or the last
// review predates enrolment), plus the cadence. Dates are Asia/Shanghai civil
// dates.
func Next(rule Rule, r Recipient) time.Time {
	months, _ := Cadence(rule, r)
	since := calendar.DayOf(r.Since)
	base := calendar.Date(since.Year(), since.Month(), 1)
	if !r.LastReview.IsZero() {
		if lr := calendar.DayOf(r.LastReview); !lr.Before(base) {
			base = lr
		}
	}
	return addMonths(base, months)
}

// Due returns the next review date of r and whether it falls on or before
// today plus horizonDays (the generation horizon; 0 means due or overdue
// today).
func Due(rule Rule, r Recipient, today time.Time, horizonDays int) (time.Time, bool) {
	next := Next(rule, r)
	limit := calendar.DayOf(today).AddDate(0, 0, max(horizonDays, 0))
	return next, !next.After(limit)
}

// Task is a periodic review task to be created for a household.
type Task struct {
	HouseholdID int64
	Region      region.Code
	DueDate     time.Time // Asia/Shanghai civil date
	Months      int       // the cadence that produced it
	Reason      string    // Chinese: why this cadence
	Overdue     bool      // the due date is before today
}

// Generate returns the review tasks to create on today for recipients whose
// next review falls within horizonDays. existing maps household id → due
// date of its open review task; a household with an open task gets none, and
// a household listed twice in recipients gets one, so running Generate again
// with the tasks it returned added to existing returns nothing. Tasks are
// sorted by due date, then household id.
func Generate(rule Rule, recipients []Recipient, existing map[int64]time.Time, today time.Time, horizonDays int) []Task {
	seen := make(map[int64]bool, len(recipients))
	day := calendar.DayOf(today)
	var out []Task
	for _, r := range recipients {
		if seen[r.HouseholdID] {
			continue
		}
		seen[r.HouseholdID] = true
		if _, open := existing[r.HouseholdID]; open {
			continue
		}
		next, due := Due(rule, r, today, horizonDays)
		if !due {
			continue
		}
		months, reason := Cadence(rule, r)
		out = append(out, Task{HouseholdID: r.HouseholdID, Region: r.Region, DueDate: next,
			Months: months, Reason: reason, Overdue: next.Before(day)})
	}
	slices.SortFunc(out, func(a, b Task) int {
		return cmp.Or(a.DueDate.Compare(b.DueDate), cmp.Compare(a.HouseholdID, b.HouseholdID))
	})
	return out
}
