package enroll

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"dibao/internal/calendar"
)

// Want returns every enrollment that should exist on today, sorted by
// person and plan. It is named Want rather than Plan because Plan is the
// type; its result is the want argument of Diff.
//
// Per kind (the person must be active and match the plan's Audience):
//   - Onboarding: hired within the plan's period; due hire date + 7
//     calendar days. Made even when that is already past, because a new
//     hire entered late still owes onboarding and the dashboard should show
//     it as overdue.
//   - Regular: hired before the plan's quarter began; due the quarter's last
//     day. The quarter someone joins in is covered by their onboarding, so
//     hired 2026-09-30 means onboarding now and regular training from Q4,
//     hired 2026-10-01 means regular training from 2027 Q1. Where several
//     regular plans of a quarter match, one is chosen (see preferred).
//   - Special: hired by the due date; due the day before SpecialStart.
//   - Annual: hired by the period's end; due the period's end.
//   - PolicyUpdate: hired by the day of the change (Period.Start), since
//     later hires learn the new rule in onboarding; due Period.End.
//
// done marks, as for Diff, the enrollments with a record behind them. Want
// needs it for regular training only: once a person has begun one regular
// plan of a quarter, no other regular plan of that quarter is wanted for
// them, so adding a township's own plan mid-quarter does not enroll people
// who already attended the county's.
//
// Except for onboarding, nothing is wanted once its due date has passed:
// the plan's sessions are over, so a person who joins its audience late
// (say, moves to the 调查 post after the special work began) is not given
// an item they can no longer take; Diff keeps the overdue items that
// already exist. Plans that fail Validate are skipped, because enrolling
// people by a malformed rule would be worse than enrolling nobody.
func Want(people []Person, plans []Plan, done map[Key]bool, today time.Time) []Enrollment {
	today = calendar.DayOf(today)
	var out []Enrollment
	// "At least once a quarter" needs one regular enrollment per person and
	// quarter, even where a county-wide and a township plan overlap.
	type quarterOf struct {
		person  int64
		quarter time.Time
	}
	quarters := map[int64]time.Time{} // regular plan → its quarter
	for _, pl := range plans {
		if pl.Kind == Regular {
			quarters[pl.ID] = calendar.DayOf(pl.Period.Start)
		}
	}
	begun := map[quarterOf]int64{} // the begun regular plan, lowest id if several
	for k, ok := range done {
		if q, regular := quarters[k.PlanID]; ok && regular {
			qk := quarterOf{k.PersonID, q}
			if id, seen := begun[qk]; !seen || k.PlanID < id {
				begun[qk] = k.PlanID
			}
		}
	}
	type pick struct {
		at   int // index in out
		plan Plan
	}
	regular := map[quarterOf]pick{}
	for _, pl := range plans {
		if pl.Validate() != nil {
			continue
		}
		for _, p := range people {
			if !p.Active || !pl.Audience.Matches(p) {
				continue
			}
			e, ok := enrollment(pl, p, today)
			if !ok {
				continue
			}
			if pl.Kind == Regular {
				k := quarterOf{p.ID, calendar.DayOf(pl.Period.Start)}
				if id, ok := begun[k]; ok && id != pl.ID {
					continue
				}
				if r, seen := regular[k]; seen {
					if preferred(pl, r.plan) {
						out[r.at] = e
						r.plan = pl
						regular[k] = r
					}
					continue
				}
				regular[k] = pick{len(out), pl}
			}
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b Enrollment) int {
		return cmp.Or(cmp.Compare(a.PersonID, b.PersonID), cmp.Compare(a.PlanID, b.PlanID))
	})
	return out
}

// preferred chooses between two regular plans of one quarter that both
// match a person: the more targeted audience (more criteria set), as a
// township's own session is meant for its staff rather than the county's
// general one; then the lower ID, so that the choice is stable.
func preferred(a, b Plan) bool {
	if sa, sb := a.Audience.criteria(), b.Audience.criteria(); sa != sb {
		return sa > sb
	}
	return a.ID < b.ID
}

// criteria counts the criteria a rule sets.
func (r Rule) criteria() int {
	n := 0
	for _, set := range []bool{len(r.Posts) > 0, len(r.Regions) > 0, len(r.Roles) > 0, !r.HiredFrom.IsZero(), !r.HiredTo.IsZero()} {
		if set {
			n++
		}
	}
	return n
}

// enrollment applies the kind's rule to one matching active person.
func enrollment(pl Plan, p Person, today time.Time) (Enrollment, bool) {
	e := Enrollment{PersonID: p.ID, PlanID: pl.ID}
	hired := time.Time{}
	if !p.HireDate.IsZero() {
		hired = calendar.DayOf(p.HireDate)
	}
	// hiredBy reports whether the person had joined by d; an unknown hire
	// date counts as long ago (see Rule.Matches).
	hiredBy := func(d time.Time) bool { return hired.IsZero() || !hired.After(d) }
	switch pl.Kind {
	case Onboarding:
		if hired.IsZero() || !pl.Period.Contains(hired) {
			return e, false
		}
		e.Due = addDays(hired, OnboardingDays)
		e.Reason = fmt.Sprintf("新入职（%s入职）：入职后%d日内完成岗前培训", date(hired), OnboardingDays)
		return e, true
	case Regular:
		qs, qe := Quarter(pl.Period.Start)
		if !hiredBy(addDays(qs, -1)) {
			return e, false
		}
		e.Due = qe
		e.Reason = fmt.Sprintf("在岗人员每季度至少参加一次常规培训：%s内完成", QuarterLabel(qs))
	case Special:
		e.Due = addDays(pl.SpecialStart, -1)
		if !hiredBy(e.Due) {
			return e, false
		}
		var posts []string
		for _, s := range p.Posts {
			if slices.Contains(pl.Audience.Posts, s) && !slices.Contains(posts, s) {
				posts = append(posts, s)
			}
		}
		if len(posts) > 0 {
			e.Reason = fmt.Sprintf("专项培训（%s岗位）：专项工作开始前完成，截止%s", strings.Join(posts, "、"), date(e.Due))
		} else {
			e.Reason = fmt.Sprintf("专项培训：专项工作开始前完成，截止%s", date(e.Due))
		}
	case Annual:
		e.Due = calendar.DayOf(pl.Period.End)
		if !hiredBy(e.Due) {
			return e, false
		}
		e.Reason = fmt.Sprintf("年度培训：%s前完成", date(e.Due))
	case PolicyUpdate:
		if !hiredBy(calendar.DayOf(pl.Period.Start)) {
			return e, false
		}
		e.Due = calendar.DayOf(pl.Period.End)
		e.Reason = fmt.Sprintf("政策更新：%s，请于%s前阅读并确认", pl.Title, date(e.Due))
	default:
		return e, false
	}
	return e, !e.Due.Before(today)
}

// Diff compares the enrollments that should exist (want, from Want with the
// same done and today) with those stored (have) and says what to insert (add), what
// stays (keep) and what to delete (drop). A stored enrollment is kept when
//   - it is still wanted (keep holds the wanted version, so that a changed
//     plan date or hire date shows up as a different Due or Reason, which the
//     caller writes back);
//   - done[key] is set: the caller marks every enrollment with a record
//     behind it (completed, or started: attendance, watched time), because
//     deleting it would delete training that happened;
//   - its due date is before today: an overdue item is a compliance fact
//     of a closed period (also for staff since deactivated), not a plan to
//     revise.
//
// Everything else in have is dropped: a future, untouched item whose person
// left the audience (changed post, moved region, deactivated) or whose plan
// is gone. Only the first stored enrollment per key counts; later
// duplicates are dropped unless done. Each result keeps its input's order.
func Diff(want, have []Enrollment, done map[Key]bool, today time.Time) (add, keep, drop []Enrollment) {
	today = calendar.DayOf(today)
	wanted := make(map[Key]Enrollment, len(want))
	for _, w := range want {
		if _, dup := wanted[w.Key()]; !dup {
			wanted[w.Key()] = w
		}
	}
	seen := make(map[Key]bool, len(have))
	for _, h := range have {
		k := h.Key()
		first := !seen[k]
		seen[k] = true
		w, ok := wanted[k]
		switch {
		case done[k]:
			keep = append(keep, h)
		case !first:
			drop = append(drop, h)
		case ok:
			keep = append(keep, w)
		case calendar.DayOf(h.Due).Before(today):
			keep = append(keep, h)
		default:
			drop = append(drop, h)
		}
	}
	added := make(map[Key]bool)
	for _, w := range want {
		if k := w.Key(); !seen[k] && !added[k] {
			added[k] = true
			add = append(add, w)
		}
	}
	return add, keep, drop
}

// Quarter returns the first and the last day (inclusive) of the calendar
// quarter holding t's civil date in Asia/Shanghai.
func Quarter(t time.Time) (start, end time.Time) {
	y, m, _ := calendar.DayOf(t).Date()
	start = calendar.Date(y, (m-1)/3*3+1, 1)
	return start, calendar.DayOf(start.AddDate(0, 3, -1))
}

// QuarterLabel names the quarter holding t, e.g. "2026年第4季度".
func QuarterLabel(t time.Time) string {
	y, m, _ := calendar.DayOf(t).Date()
	return fmt.Sprintf("%d年第%d季度", y, (int(m)-1)/3+1)
}

// addDays moves a civil date by n calendar days; AddDate on a Shanghai
// midnight stays a midnight because China has no daylight saving time.
func addDays(t time.Time, n int) time.Time {
	return calendar.DayOf(calendar.DayOf(t).AddDate(0, 0, n))
}

func date(t time.Time) string { return t.Format(time.DateOnly) }
