package calendar

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

// lunar-go's table is scanned year by year over this range; its data
// starts in 2001, and a later release adding years past 2199 is not a concern.
const scanFrom, scanTo = 1949, 2199

type statutoryData struct {
	entries []entry      // sorted by day; cum is filled in by New
	years   map[int]bool // target years: the holiday each entry belongs to
}

// statutory snapshots lunar-go's data once. HolidayUtil answers by scanning
// a string on every call, and its HolidayUtil.Fix mutates package state
// unsynchronised, so the snapshot is both faster and race-free; changes to
// the schedule go through Overrides, not HolidayUtil.Fix.
var statutory = sync.OnceValue(func() statutoryData {
	s := statutoryData{years: map[int]bool{}}
	for y := scanFrom; y <= scanTo; y++ {
		l := HolidayUtil.GetHolidaysByYear(y)
		for el := l.Front(); el != nil; el = el.Next() {
			h := el.Value.(*HolidayUtil.Holiday)
			day, err := time.Parse(time.DateOnly, h.GetDay())
			if err != nil {
				panic("calendar: lunar-go holiday day " + h.GetDay() + ": " + err.Error())
			}
			target, err := time.Parse(time.DateOnly, h.GetTarget())
			if err != nil {
				panic("calendar: lunar-go holiday target " + h.GetTarget() + ": " + err.Error())
			}
			name := h.GetName()
			if h.IsWork() {
				name += "调休"
			}
			s.entries = append(s.entries, entry{
				day:     civilDays(day.Date()),
				working: h.IsWork(),
				name:    name,
				source:  SourceStatutory,
			})
			s.years[target.Year()] = true
		}
	}
	// New merges with this slice, so it must be sorted and one per day
	// whatever order a lunar-go release keeps its table in.
	slices.SortStableFunc(s.entries, func(a, b entry) int { return cmp.Compare(a.day, b.day) })
	s.entries = slices.CompactFunc(s.entries, func(a, b entry) bool { return a.day == b.day })
	return s
})

// StatutoryYears returns the first and last year whose holiday schedule is
// built into lunar-go (2002 and 2027 for v1.4.7).
func StatutoryYears() (first, last int) {
	for y := range statutory().years {
		if first == 0 || y < first {
			first = y
		}
		if y > last {
			last = y
		}
	}
	return first, last
}
