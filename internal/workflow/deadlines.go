package workflow

import (
	"time"

	"dibao/internal/calendar"
)

// DeadlineRule is a named working-day clock. A transition starts it (the
// start date is the transition's date) and another stops it; the due date
// is the start plus the parameter's number of working days.
type DeadlineRule struct {
	Name          string `json:"name"`
	Label         string `json:"label"` // Chinese, e.g. "转交乡镇时限"
	Param         string `json:"param"` // the parameter holding the working days
	ExtendedParam string `json:"extended_param,omitempty"`
	// Wait marks a period the case must sit out (publicity) rather than a
	// limit it must beat: it is never overdue, and Due is its last day.
	Wait bool `json:"wait,omitempty"`
}

// DeadlineRules is the registry of every deadline a definition may name, in
// display order.
var DeadlineRules = []DeadlineRule{
	{Name: "forward", Label: "转交乡镇时限", Param: "forward_wd"},
	{Name: "investigation_start", Label: "启动调查时限", Param: "investigation_start_wd"},
	{Name: "publicity", Label: "公示期", Param: "publicity_wd", Wait: true},
	{Name: "county_decision", Label: "县级审批时限", Param: "county_decision_wd"},
	{Name: "rejection_notice", Label: "送达不予批准通知时限", Param: "rejection_notice_wd"},
	{Name: "total", Label: "办理总时限", Param: "total_wd", ExtendedParam: "total_wd_extended"},
}

// Rule returns the registered deadline rule with the given name.
func Rule(name string) (DeadlineRule, bool) {
	for _, r := range DeadlineRules {
		if r.Name == name {
			return r, true
		}
	}
	return DeadlineRule{}, false
}

// rule is Rule for the built-in definitions, where a missing name is a
// programming error that Validate and the tests catch.
func rule(name string) *DeadlineRule {
	r, ok := Rule(name)
	if !ok {
		r = DeadlineRule{Name: name}
	}
	return &r
}

// Days returns the rule's working days under p, the extended limit when
// extended and the rule has one.
func (r DeadlineRule) Days(p Params, extended bool) int {
	if extended && r.ExtendedParam != "" {
		n, _ := p.Int(r.ExtendedParam)
		return n
	}
	n, _ := p.Int(r.Param)
	return n
}

// DueDate returns the due date of rule for a clock started on start: the
// Days-th working day after it. The start day itself does not count, as
// in every Chinese statutory period (期间开始的当日不计入); publicity posted
// on 2026-09-28 for 7 working days therefore ends on 2026-10-13.
func DueDate(r DeadlineRule, start time.Time, cal *calendar.Calendar, p Params) time.Time {
	return cal.AddWorkingDays(start, r.Days(p, false))
}

// Event is one recorded transition of a case, as much of it as deadlines
// need.
type Event struct {
	Transition string    `json:"transition"`
	At         time.Time `json:"at"`
}

// Clock is the state of one deadline for a case.
type Clock struct {
	Rule     DeadlineRule `json:"rule"`
	Start    time.Time    `json:"start"`            // civil date it (last) started
	Due      time.Time    `json:"due"`              // last day allowed (for Wait: last day of the period)
	Days     int          `json:"days"`             // working days allowed
	Extended bool         `json:"extended"`         // Days is the extended limit
	Running  bool         `json:"running"`          // started and not stopped
	Stopped  time.Time    `json:"stopped,omitzero"` // civil date it stopped, if it did
	Elapsed  int          `json:"elapsed"`          // working days from Start to Stopped or today
}

// Overdue reports whether a running limit has passed its due date; a Wait
// period is never overdue.
func (c Clock) Overdue(today time.Time) bool {
	return c.Running && !c.Rule.Wait && calendar.DayOf(today).After(c.Due)
}

// Remaining returns the working days left until Due (0 on the due date,
// negative when overdue).
func (c Clock) Remaining(cal *calendar.Calendar, today time.Time) int {
	return cal.WorkingDaysBetween(today, c.Due)
}

// DueSoon reports whether a running limit falls due within the next
// within working days (and is not yet overdue), for work queues.
func (c Clock) DueSoon(cal *calendar.Calendar, today time.Time, within int) bool {
	if !c.Running || c.Rule.Wait || c.Overdue(today) {
		return false
	}
	return c.Remaining(cal, today) <= within
}

// Schedule is every clock of a case as of a day.
type Schedule struct {
	Clocks  []Clock `json:"clocks"`            // clocks ever started, in DeadlineRules order
	Current *Clock  `json:"current,omitempty"` // the current state's deadline, if running
	Total   *Clock  `json:"total,omitempty"`   // the total time limit, once started
}

// Clock returns the clock with the given rule name.
func (s Schedule) Clock(name string) (Clock, bool) {
	for _, c := range s.Clocks {
		if c.Rule.Name == name {
			return c, true
		}
	}
	return Clock{}, false
}

// Deadlines replays a case's history (in order) against d and
// returns its clocks as of today. A later start restarts a clock (a case
// sent back and resubmitted gets a fresh county decision limit); reaching a
// terminal state stops every clock. Transitions not in d are ignored, so a
// history recorded under an older profile version still computes.
func Deadlines(d Definition, state string, history []Event, today time.Time, cal *calendar.Calendar, p Params) Schedule {
	type clk struct {
		started, running, extended bool
		start, stopped             time.Time
	}
	clocks := map[string]*clk{}
	get := func(name string) *clk {
		if clocks[name] == nil {
			clocks[name] = &clk{}
		}
		return clocks[name]
	}
	for _, e := range history {
		t, ok := d.Transition(e.Transition)
		if !ok {
			continue
		}
		day := calendar.DayOf(e.At)
		for _, n := range t.Stops {
			if c := get(n); c.running {
				c.running, c.stopped = false, day
			}
		}
		for _, n := range t.Starts {
			c := get(n)
			c.started, c.running, c.start, c.stopped = true, true, day, time.Time{}
		}
		for _, n := range t.Extends {
			get(n).extended = true
		}
		if s, ok := d.State(t.To); ok && s.Terminal {
			for _, c := range clocks {
				if c.running {
					c.running, c.stopped = false, day
				}
			}
		}
	}
	today = calendar.DayOf(today)
	var out Schedule
	for _, r := range DeadlineRules {
		c := clocks[r.Name]
		if c == nil || !c.started {
			continue
		}
		days := r.Days(p, c.extended)
		end := today
		if !c.running {
			end = c.stopped
		}
		out.Clocks = append(out.Clocks, Clock{
			Rule: r, Start: c.start, Due: cal.AddWorkingDays(c.start, days), Days: days,
			Extended: c.extended && r.ExtendedParam != "", Running: c.running, Stopped: c.stopped,
			Elapsed: max(0, cal.WorkingDaysBetween(c.start, end)),
		})
	}
	for i := range out.Clocks {
		c := &out.Clocks[i]
		if c.Rule.Name == "total" {
			out.Total = c
		}
		if s, ok := d.State(state); ok && s.Deadline != nil && s.Deadline.Name == c.Rule.Name && c.Running {
			out.Current = c
		}
	}
	return out
}

// Fill copies into f the facts guards need from the schedule: the end of
// the current publicity and the state of the total time limit.
func (s Schedule) Fill(f *Facts) {
	f.PublicityEnd = time.Time{}
	if c, ok := s.Clock("publicity"); ok && c.Running {
		f.PublicityEnd = c.Due
	}
	f.TimeLimitRunning = s.Total != nil && s.Total.Running
	f.TimeLimitExtended = s.Total != nil && s.Total.Extended
}
