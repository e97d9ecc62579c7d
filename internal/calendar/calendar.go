// Package calendar answers working-day questions on the Chinese statutory
// calendar: a working day (工作日) is Monday–Friday, minus statutory holidays,
// plus the make-up working days (调休) announced by the State Council.
//
// Statutory data comes from github.com/6tail/lunar-go v1.4.7 (HolidayUtil),
// whose built-in table starts at 2001-12-29 and ends at 2027-10-09: the full
// schedules for 2002 through 2027 (see StatutoryYears). Its 2026 data matches
// the State Council notice for 2026 day for day (TestOfficial2026); its 2027
// data was added in v1.4.7 and is not checked here. Years outside that range
// are plain Monday–Friday until an admin enters their schedule as Overrides
// (usually by pasting it, see ParseSchedule); an override always wins over
// lunar-go for its date, so a wrong or missing lunar-go entry is fixed the
// same way.
//
// Dates are civil dates in Asia/Shanghai. Every function accepting a
// time.Time uses the calendar date of that instant in Asia/Shanghai, so the
// time of day never matters for a Shanghai time; every date returned is
// midnight in Asia/Shanghai (see Date and DayOf). The package does no I/O.
package calendar

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Values of the source returned by Calendar.DayInfo.
const (
	SourceOverride  = "override"  // an admin-entered Override decided the day
	SourceStatutory = "statutory" // lunar-go's statutory holiday data decided the day
	SourceWeekend   = "weekend"   // an ordinary Saturday or Sunday
	SourceWeekday   = "weekday"   // an ordinary Monday to Friday
)

// maxAdd bounds |n| in AddWorkingDays so that day arithmetic cannot
// overflow; it is about four billion years of working days.
const maxAdd = 1 << 40

// shanghai is loaded once; without tzdata on the host the fixed UTC+8 zone
// gives the same civil dates for every date since China dropped DST in 1991.
var shanghai = loadShanghai()

func loadShanghai() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// Location returns the Asia/Shanghai zone every date of this package lives in.
func Location() *time.Location { return shanghai }

// Date returns midnight of the given civil date in Asia/Shanghai.
func Date(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, shanghai)
}

// DayOf returns midnight in Asia/Shanghai of the civil date containing t there.
func DayOf(t time.Time) time.Time { return fromDays(toDays(t)) }

// Override is one entry of an official schedule entered by an admin; it wins
// over lunar-go's data for its date.
type Override struct {
	Date    time.Time // the civil date (its Asia/Shanghai calendar date; time of day ignored)
	Working bool      // true: a working day (班, e.g. 调休); false: a day off (休)
	Name    string    // shown to users, e.g. "国庆节" or "国庆节调休"; may be empty
}

// entry is a date whose status is not simply "Mon–Fri works": a statutory
// holiday, a make-up day or an override (which may also restate the default).
type entry struct {
	day     int64 // days since 1970-01-01
	working bool
	name    string
	source  string
	cum     int64 // Σ (working − weekday default) over entries up to and including this one
}

// Calendar answers working-day questions for one set of overrides. It is
// immutable after New and safe for concurrent use.
type Calendar struct {
	entries []entry      // sorted by day, one per day
	years   map[int]bool // years with a known schedule (see Covers)
}

// New returns a calendar of lunar-go's statutory data with overrides applied
// on top; for a date listed more than once the last override wins.
func New(overrides []Override) *Calendar {
	stat := statutory()
	years := make(map[int]bool, len(stat.years)+2)
	for y := range stat.years {
		years[y] = true
	}
	ov := make([]entry, 0, len(overrides))
	for _, o := range overrides {
		d := toDays(o.Date)
		ov = append(ov, entry{day: d, working: o.Working, name: o.Name, source: SourceOverride})
		years[fromDays(d).Year()] = true
	}
	// Keep the last override per day (stable sort, then drop all but the
	// last of each run), then merge with the already sorted statutory data.
	slices.SortStableFunc(ov, func(a, b entry) int { return cmp.Compare(a.day, b.day) })
	last := ov[:0]
	for i, e := range ov {
		if i+1 < len(ov) && ov[i+1].day == e.day {
			continue
		}
		last = append(last, e)
	}
	ov = last
	entries := make([]entry, 0, len(stat.entries)+len(ov))
	i, j := 0, 0
	for i < len(stat.entries) || j < len(ov) {
		switch {
		case j == len(ov) || (i < len(stat.entries) && stat.entries[i].day < ov[j].day):
			entries = append(entries, stat.entries[i])
			i++
		case i < len(stat.entries) && stat.entries[i].day == ov[j].day:
			i++ // the override wins; it is appended in the next round
		default:
			entries = append(entries, ov[j])
			j++
		}
	}
	var cum int64
	for k := range entries {
		cum += b2i(entries[k].working) - b2i(isWeekday(entries[k].day))
		entries[k].cum = cum
	}
	return &Calendar{entries: entries, years: years}
}

// IsWorkingDay reports whether d's civil date is a working day.
func (c *Calendar) IsWorkingDay(d time.Time) bool {
	w, _, _ := c.info(toDays(d))
	return w
}

// DayInfo tells whether d's civil date is a working day, the holiday's name
// ("" for ordinary days; statutory make-up days are named like "国庆节调休";
// override names as entered) and which source decided it: SourceOverride,
// SourceStatutory, SourceWeekend or SourceWeekday.
func (c *Calendar) DayInfo(d time.Time) (working bool, name string, source string) {
	return c.info(toDays(d))
}

func (c *Calendar) info(day int64) (bool, string, string) {
	if i, ok := slices.BinarySearchFunc(c.entries, day, func(e entry, d int64) int { return cmp.Compare(e.day, d) }); ok {
		e := c.entries[i]
		return e.working, e.name, e.source
	}
	if isWeekday(day) {
		return true, "", SourceWeekday
	}
	return false, "", SourceWeekend
}

// AddWorkingDays returns the date that is n working days after start's
// civil date: the n-th working day strictly after it, so start itself never
// counts. For n < 0 it is the |n|-th working day strictly before start; for
// n == 0 it is start's own date even if that is not a working day. The
// result is midnight in Asia/Shanghai and satisfies
// WorkingDaysBetween(start, AddWorkingDays(start, n)) == n for every n.
// It panics if |n| > 2^40, far beyond any real deadline.
func (c *Calendar) AddWorkingDays(start time.Time, n int) time.Time {
	if int64(n) > maxAdd || int64(n) < -maxAdd {
		panic(fmt.Sprintf("calendar: AddWorkingDays: n = %d out of range", n))
	}
	d := toDays(start)
	if n == 0 {
		return fromDays(d)
	}
	// The working days are numbered by the prefix count w; the answer is the
	// k-th of them, i.e. the first day t with w(t) ≥ k. lo always has
	// w(lo) < k and hi has w(hi) ≥ k; gallop to bracket, then bisect.
	var k, lo, hi int64
	step := abs(int64(n))*7/5 + 7 // enough unless holidays intervene
	if n > 0 {
		k = c.w(d) + int64(n)
		lo, hi = d, d+step
		for c.w(hi) < k {
			lo, step = hi, step*2
			hi = d + step
		}
	} else {
		k = c.w(d-1) + int64(n) + 1
		lo, hi = d-1-step, d-1
		for c.w(lo) >= k {
			hi, step = lo, step*2
			lo = d - 1 - step
		}
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if c.w(mid) >= k {
			hi = mid
		} else {
			lo = mid
		}
	}
	return fromDays(hi)
}

// WorkingDaysBetween counts the working days met when moving from a's civil
// date to b's, not counting a and counting b: for a ≤ b the working days in
// the interval (a, b], for a > b minus the working days in [b, a). So it is
// 0 for the same date, WorkingDaysBetween(a, AddWorkingDays(a, n)) == n for
// every n, and AddWorkingDays(a, WorkingDaysBetween(a, b)) == b whenever b is
// a working day. It is not antisymmetric when a or b is a day off.
func (c *Calendar) WorkingDaysBetween(a, b time.Time) int {
	da, db := toDays(a), toDays(b)
	if da <= db {
		return int(c.w(db) - c.w(da))
	}
	return -int(c.w(da-1) - c.w(db-1))
}

// NextWorkingDay returns the first working day strictly after d's civil
// date (AddWorkingDays(d, 1)).
func (c *Calendar) NextWorkingDay(d time.Time) time.Time {
	return c.AddWorkingDays(d, 1)
}

// Covers reports whether the holiday schedule of year is known: lunar-go's
// data has it or at least one override is dated in it. Without it the year
// is computed as plain Monday–Friday, so callers can warn the admin.
func (c *Calendar) Covers(year int) bool { return c.years[year] }

// w is a prefix count of working days: w(t) − w(s) is the number of working
// days in (s, t] for s ≤ t.
func (c *Calendar) w(t int64) int64 {
	i := sort.Search(len(c.entries), func(i int) bool { return c.entries[i].day > t })
	var cum int64
	if i > 0 {
		cum = c.entries[i-1].cum
	}
	return weekdaysUpTo(t) + cum
}

// Day numbers: days since 1970-01-01 (a Thursday); 1970-01-05 is day 4, a Monday.

func toDays(t time.Time) int64 {
	y, m, d := t.In(shanghai).Date()
	return civilDays(y, m, d)
}

func civilDays(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func fromDays(n int64) time.Time {
	y, m, d := time.Unix(n*86400, 0).UTC().Date()
	return Date(y, m, d)
}

// weekdayIndex is 0 for Monday … 6 for Sunday.
func weekdayIndex(day int64) int64 { return floorMod(day-4, 7) }

func isWeekday(day int64) bool { return weekdayIndex(day) < 5 }

// weekdaysUpTo is a prefix count of Mondays–Fridays (relative to day 4).
func weekdaysUpTo(day int64) int64 {
	u := day - 4
	q := floorDiv(u, 7)
	return 5*q + min(u-7*q+1, 5)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - b*floorDiv(a, b) }

func abs(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
