package workflow

import (
	"testing"
	"time"

	"dibao/internal/calendar"
)

// The 2026 schedule used below, from the State Council notice: Mid-Autumn
// Sep 25–27 off; National Day Oct 1–7 off; Sunday Sep 20 and Saturday Oct
// 10 are make-up working days. Every expected date is counted by hand.
func TestDueDate(t *testing.T) {
	cal := calendar.New(nil)
	p := DefaultParams()
	cases := []struct {
		name  string
		rule  string
		start time.Time
		want  string
	}{
		// Sep 29 (1), 30 (2), Oct 1–7 off, 8 (3), 9 (4), Sat 10 make-up (5), 12 (6), 13 (7).
		{"publicity across National Day", "publicity", day("2026-09-28"), "2026-10-13"},
		{"publicity across National Day, time of day ignored", "publicity", day("2026-09-28").Add(23*time.Hour + 30*time.Minute), "2026-10-13"},
		// Sep 30 (1), Oct 8 (2), 9 (3), 10 (4), 12 (5), 13 (6), 14 (7): the example date.
		{"publicity from Sep 29", "publicity", day("2026-09-29"), "2026-10-14"},
		// Sat Oct 10 make-up (1), 12 (2) … 16 (6), 19 (7).
		{"publicity counting a make-up Saturday", "publicity", day("2026-10-09"), "2026-10-19"},
		// Sun Sep 20 make-up (1), 21 (2), 22 (3); without it, Sep 23.
		{"forward over a make-up Sunday", "forward", day("2026-09-18"), "2026-09-22"},
		// Sep 24 (1), 25–27 Mid-Autumn off, 28 (2), 29 (3).
		{"investigation start over Mid-Autumn", "investigation_start", day("2026-09-23"), "2026-09-29"},
		// Oct 8 (1), 9 (2), 10 (3), 12–16 (8), 19 (9), 20 (10).
		{"county decision across National Day", "county_decision", day("2026-09-30"), "2026-10-20"},
		// Nov 16 (1), 17 (2), 18 (3).
		{"rejection notice over a weekend", "rejection_notice", day("2026-11-13"), "2026-11-18"},
		// Sep 2–4 (3), 7–11 (8), 14–18 (13), Sun 20 (14), 21–24 (18), 28–30 (21),
		// Oct 8–9 (23), Sat 10 (24), 12–16 (29), 19 (30).
		{"total limit from acceptance", "total", day("2026-09-01"), "2026-10-19"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, ok := Rule(c.rule)
			if !ok {
				t.Fatalf("no rule %s", c.rule)
			}
			if got := DueDate(r, c.start, cal, p).Format(time.DateOnly); got != c.want {
				t.Fatalf("DueDate = %s, want %s", got, c.want)
			}
		})
	}
}

// TestPublicityGuardOnCalendar ties DueDate to the guard: the period's
// last day still blocks, the next day does not.
func TestPublicityGuardOnCalendar(t *testing.T) {
	cal := calendar.New(nil)
	r, _ := Rule("publicity")
	end := DueDate(r, day("2026-09-29"), cal, DefaultParams())
	f := Facts{PublicityEnd: end}
	for _, c := range []struct {
		today, want string
	}{
		{"2026-10-01", "公示期未满，截止 2026年10月14日"},
		{"2026-10-14", "公示期未满，截止 2026年10月14日"},
		{"2026-10-15", ""},
	} {
		f.Today = day(c.today)
		err := Guards["publicity_elapsed"](f)
		if got := msgOf(err); got != c.want {
			t.Errorf("%s: %q, want %q", c.today, got, c.want)
		}
	}
}

func msgOf(err error) string {
	if err == nil {
		return ""
	}
	return errText(err)
}

func ev(id, date string) Event { return Event{Transition: id, At: day(date).Add(10 * time.Hour)} }

func TestDeadlines(t *testing.T) {
	cal := calendar.New(nil)
	d := Seed()
	p := DefaultParams()
	accepted := []Event{ev("intake", "2026-09-01"), ev("accept", "2026-09-01")}
	toCounty := append(append([]Event{}, accepted...),
		ev("forward", "2026-09-02"), ev("start_investigation", "2026-09-03"),
		ev("record_home_visit", "2026-09-04"), ev("submit_to_appraisal", "2026-09-10"),
		ev("appraise", "2026-09-14"), ev("start_publicity", "2026-09-15"),
		ev("close_publicity", "2026-09-25"), ev("review_opinion", "2026-10-22"),
		ev("county_send_back", "2026-10-23"), ev("review_opinion", "2026-10-26"),
	)
	type want struct {
		current         string // rule name of Current, "" for none
		currentDue      string
		overdue, soon   bool
		totalDue        string
		totalDays       int
		totalElapsed    int
		totalRunning    bool
		publicityEndSet bool
	}
	cases := []struct {
		name    string
		state   string
		history []Event
		today   string
		want    want
	}{
		{"just accepted", "accepted", accepted, "2026-09-01",
			want{current: "forward", currentDue: "2026-09-04", totalDue: "2026-10-19", totalDays: 30, totalRunning: true}},
		{"forward due soon", "accepted", accepted, "2026-09-03",
			want{current: "forward", currentDue: "2026-09-04", soon: true, totalDue: "2026-10-19", totalDays: 30, totalElapsed: 2, totalRunning: true}},
		{"forward overdue", "accepted", accepted, "2026-09-07",
			want{current: "forward", currentDue: "2026-09-04", overdue: true, totalDue: "2026-10-19", totalDays: 30, totalElapsed: 4, totalRunning: true}},
		{"in publicity, never overdue", "publicity", toCounty[:8], "2026-10-30",
			want{current: "publicity", currentDue: "2026-09-23", totalDue: "2026-10-19", totalDays: 30, totalElapsed: 39, totalRunning: true, publicityEndSet: true}},
		{"sent back and resubmitted: fresh county limit", "county_decision", toCounty, "2026-10-27",
			want{current: "county_decision", currentDue: "2026-11-09", totalDue: "2026-10-19", totalDays: 30, totalElapsed: 36, totalRunning: true}},
		{"extended", "county_decision", append(append([]Event{}, toCounty...), ev("extend_time_limit", "2026-10-27")), "2026-10-27",
			want{current: "county_decision", currentDue: "2026-11-09", totalDue: "2026-11-09", totalDays: 45, totalElapsed: 36, totalRunning: true}},
		{"approved stops the total", "approved", append(append([]Event{}, toCounty...), ev("extend_time_limit", "2026-10-27"), ev("approve", "2026-11-05")), "2026-12-01",
			want{totalDue: "2026-11-09", totalDays: 45, totalElapsed: 43}},
		{"withdrawal stops everything", "withdrawn", append(append([]Event{}, accepted...), ev("withdraw", "2026-09-02")), "2026-09-30",
			want{totalDue: "2026-10-19", totalDays: 30, totalElapsed: 1}},
		{"unknown transitions are ignored", "accepted", append(append([]Event{}, accepted...), ev("retired_step", "2026-09-02")), "2026-09-01",
			want{current: "forward", currentDue: "2026-09-04", totalDue: "2026-10-19", totalDays: 30, totalRunning: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			today := day(c.today)
			s := Deadlines(d, c.state, c.history, today, cal, p)
			w := c.want
			switch {
			case w.current == "" && s.Current != nil:
				t.Errorf("current = %s, want none", s.Current.Rule.Name)
			case w.current != "" && s.Current == nil:
				t.Errorf("current = none, want %s", w.current)
			case w.current != "":
				cur := *s.Current
				if cur.Rule.Name != w.current || cur.Due.Format(time.DateOnly) != w.currentDue {
					t.Errorf("current = %s due %s, want %s due %s", cur.Rule.Name, cur.Due.Format(time.DateOnly), w.current, w.currentDue)
				}
				if cur.Overdue(today) != w.overdue || cur.DueSoon(cal, today, 1) != w.soon {
					t.Errorf("overdue %v soon %v, want %v %v", cur.Overdue(today), cur.DueSoon(cal, today, 1), w.overdue, w.soon)
				}
			}
			if s.Total == nil {
				t.Fatal("no total clock")
			}
			tot := *s.Total
			if got := tot.Due.Format(time.DateOnly); got != w.totalDue || tot.Days != w.totalDays || tot.Elapsed != w.totalElapsed || tot.Running != w.totalRunning {
				t.Errorf("total = due %s days %d elapsed %d running %v, want %s %d %d %v",
					got, tot.Days, tot.Elapsed, tot.Running, w.totalDue, w.totalDays, w.totalElapsed, w.totalRunning)
			}
			var f Facts
			s.Fill(&f)
			if !f.PublicityEnd.IsZero() != w.publicityEndSet || f.TimeLimitRunning != w.totalRunning || f.TimeLimitExtended != (w.totalDays == 45) {
				t.Errorf("Fill = %+v", f)
			}
		})
	}
}

func TestDeadlinesBeforeAcceptance(t *testing.T) {
	s := Deadlines(Seed(), "submitted", []Event{ev("intake", "2026-09-01")}, day("2026-09-02"), calendar.New(nil), DefaultParams())
	if s.Total != nil || s.Current != nil || len(s.Clocks) != 0 {
		t.Fatalf("schedule = %+v, want empty", s)
	}
}

func TestRejectionNoticeClock(t *testing.T) {
	cal := calendar.New(nil)
	h := []Event{ev("accept", "2026-09-01"), ev("review_opinion", "2026-10-09"), ev("reject", "2026-10-13")}
	s := Deadlines(Seed(), "rejected", h, day("2026-10-19"), cal, DefaultParams())
	if s.Current == nil || s.Current.Rule.Name != "rejection_notice" || s.Current.Due.Format(time.DateOnly) != "2026-10-16" || !s.Current.Overdue(day("2026-10-19")) {
		t.Fatalf("current = %+v", s.Current)
	}
	if c, _ := s.Clock("county_decision"); c.Running || c.Elapsed != 3 { // Oct 10 is a make-up Saturday
		t.Fatalf("county clock = %+v", c)
	}
	h = append(h, ev("deliver_rejection", "2026-10-15"))
	s = Deadlines(Seed(), "rejection_delivered", h, day("2026-10-19"), cal, DefaultParams())
	if c, _ := s.Clock("rejection_notice"); c.Running || c.Stopped.Format(time.DateOnly) != "2026-10-15" || c.Elapsed != 2 {
		t.Fatalf("notice clock = %+v", c)
	}
}
