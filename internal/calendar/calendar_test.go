package calendar

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

func ymd(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, Location())
	if err != nil {
		panic(err)
	}
	return t
}

func fmtDay(t time.Time) string { return t.Format(time.DateOnly) }

func TestStatutoryYears(t *testing.T) {
	first, last := StatutoryYears()
	if first != 2002 || last != 2027 {
		t.Fatalf("StatutoryYears() = %d, %d; want 2002, 2027 (lunar-go v1.4.7) — update the package doc if lunar-go changed", first, last)
	}
	c := New(nil)
	for _, y := range []int{2002, 2026, 2027} {
		if !c.Covers(y) {
			t.Errorf("Covers(%d) = false, want true", y)
		}
	}
	for _, y := range []int{2001, 2028} {
		if c.Covers(y) {
			t.Errorf("Covers(%d) = true, want false", y)
		}
	}
	if !New([]Override{{Date: ymd("2028-01-01"), Name: "元旦"}}).Covers(2028) {
		t.Error("an override dated 2028 must make Covers(2028) true")
	}
}

// official2026 is the State Council notice on the 2026 holidays, written
// down independently of lunar-go.
var official2026 = struct{ off, work []string }{
	off: []string{
		"2026-01-01", "2026-01-02", "2026-01-03", // 元旦
		"2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", // 春节
		"2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23",
		"2026-04-04", "2026-04-05", "2026-04-06", // 清明
		"2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05", // 劳动节
		"2026-06-19", "2026-06-20", "2026-06-21", // 端午
		"2026-09-25", "2026-09-26", "2026-09-27", // 中秋
		"2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07", // 国庆
	},
	work: []string{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"},
}

// TestOfficial2026 checks every day of 2026 against the State Council notice.
func TestOfficial2026(t *testing.T) {
	c := New(nil)
	special := map[string]bool{}
	for _, s := range official2026.off {
		special[s] = false
	}
	for _, s := range official2026.work {
		special[s] = true
	}
	workdays := 0
	for d := ymd("2026-01-01"); d.Year() == 2026; d = d.AddDate(0, 0, 1) {
		want, isSpecial := special[fmtDay(d)]
		if !isSpecial {
			want = d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
		}
		working, _, source := c.DayInfo(d)
		if working != want {
			t.Errorf("%s: working = %v, want %v", fmtDay(d), working, want)
		}
		if isSpecial && source != SourceStatutory {
			t.Errorf("%s: source = %q, want %q", fmtDay(d), source, SourceStatutory)
		}
		if want {
			workdays++
		}
	}
	if workdays != 248 { // 261 weekdays − 19 on holidays + 6 make-up days
		t.Errorf("the notice gives %d working days in 2026, want 248", workdays)
	}
	if got := c.WorkingDaysBetween(ymd("2025-12-31"), ymd("2026-12-31")); got != workdays {
		t.Errorf("WorkingDaysBetween over 2026 = %d, want %d", got, workdays)
	}
}

// TestMatchesLunarGo checks the snapshot against HolidayUtil itself, day by
// day over the whole range of its data and a month either side.
func TestMatchesLunarGo(t *testing.T) {
	c := New(nil)
	for d := ymd("2001-12-01"); d.Before(ymd("2028-02-01")); d = d.AddDate(0, 0, 1) {
		working, name, source := c.DayInfo(d)
		h := HolidayUtil.GetHoliday(fmtDay(d))
		switch {
		case h != nil:
			wantName := h.GetName()
			if h.IsWork() {
				wantName += "调休"
			}
			if working != h.IsWork() || name != wantName || source != SourceStatutory {
				t.Fatalf("%s: DayInfo = %v %q %q, lunar-go says %v", fmtDay(d), working, name, source, h)
			}
		case d.Weekday() == time.Saturday || d.Weekday() == time.Sunday:
			if working || name != "" || source != SourceWeekend {
				t.Fatalf("%s: DayInfo = %v %q %q, want an ordinary weekend", fmtDay(d), working, name, source)
			}
		default:
			if !working || name != "" || source != SourceWeekday {
				t.Fatalf("%s: DayInfo = %v %q %q, want an ordinary weekday", fmtDay(d), working, name, source)
			}
		}
	}
}

func TestDayInfo(t *testing.T) {
	c := New([]Override{
		{Date: ymd("1999-12-31"), Working: false, Name: "千禧年"},                     // before lunar-go's data
		{Date: ymd("2026-11-11"), Working: false, Name: "测试停工"},                    // Wednesday → day off
		{Date: ymd("2026-12-26"), Working: true, Name: "补班"},                       // Saturday → working
		{Date: ymd("2026-10-01"), Working: true, Name: "改为上班"},                     // wins over lunar-go
		{Date: ymd("2026-10-02"), Working: false, Name: "先录入的名称"},                  // replaced by the next entry
		{Date: ymd("2026-10-02").Add(15 * time.Hour), Working: false, Name: "国庆节"}, // same civil date: last wins
	})
	cases := []struct {
		name    string
		day     time.Time
		working bool
		label   string
		source  string
	}{
		{"National Day holiday", ymd("2026-10-05"), false, "国庆节", SourceStatutory},
		{"National Day make-up Sunday", ymd("2026-09-20"), true, "国庆节调休", SourceStatutory},
		{"National Day make-up Saturday", ymd("2026-10-10"), true, "国庆节调休", SourceStatutory},
		{"Mid-Autumn Friday", ymd("2026-09-25"), false, "中秋节", SourceStatutory},
		{"Spring Festival Monday", ymd("2026-02-23"), false, "春节", SourceStatutory},
		{"New Year make-up Sunday", ymd("2026-01-04"), true, "元旦节调休", SourceStatutory},
		{"Labour Day make-up Saturday", ymd("2026-05-09"), true, "劳动节调休", SourceStatutory},
		{"holiday on a weekend", ymd("2026-06-20"), false, "端午节", SourceStatutory},
		{"ordinary weekday", ymd("2026-11-25"), true, "", SourceWeekday},
		{"ordinary Saturday", ymd("2026-11-28"), false, "", SourceWeekend},
		{"ordinary Sunday", ymd("2026-11-29"), false, "", SourceWeekend},
		{"override weekday to holiday", ymd("2026-11-11"), false, "测试停工", SourceOverride},
		{"override Saturday to working", ymd("2026-12-26"), true, "补班", SourceOverride},
		{"override beats lunar-go", ymd("2026-10-01"), true, "改为上班", SourceOverride},
		{"last override for a date wins", ymd("2026-10-02"), false, "国庆节", SourceOverride},
		{"beyond lunar-go: plain weekday", ymd("2028-01-03"), true, "", SourceWeekday},
		{"before lunar-go: plain weekday", ymd("1999-10-01"), true, "", SourceWeekday},
		{"override before lunar-go", ymd("1999-12-31"), false, "千禧年", SourceOverride},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			working, label, source := c.DayInfo(tc.day)
			if working != tc.working || label != tc.label || source != tc.source {
				t.Fatalf("DayInfo(%s) = %v %q %q, want %v %q %q", fmtDay(tc.day), working, label, source, tc.working, tc.label, tc.source)
			}
			if c.IsWorkingDay(tc.day) != tc.working {
				t.Fatalf("IsWorkingDay(%s) disagrees with DayInfo", fmtDay(tc.day))
			}
		})
	}
}

func TestTimeOfDayAndZone(t *testing.T) {
	c := New(nil)
	cases := []struct {
		name    string
		at      time.Time
		day     string
		working bool
	}{
		{"Shanghai midnight", ymd("2026-10-01"), "2026-10-01", false},
		{"Shanghai last second", time.Date(2026, 10, 1, 23, 59, 59, 999999999, Location()), "2026-10-01", false},
		{"Shanghai noon of a weekday", time.Date(2026, 9, 30, 12, 0, 0, 0, Location()), "2026-09-30", true},
		{"UTC instant just before Shanghai midnight", time.Date(2026, 9, 30, 15, 59, 59, 0, time.UTC), "2026-09-30", true},
		{"UTC instant at Shanghai midnight", time.Date(2026, 9, 30, 16, 0, 0, 0, time.UTC), "2026-10-01", false},
		{"fixed +08:00 zone", time.Date(2026, 9, 20, 1, 0, 0, 0, time.FixedZone("", 8*3600)), "2026-09-20", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := DayOf(tc.at)
			if fmtDay(d) != tc.day || d.Location() != Location() || d.Hour() != 0 || d.Minute() != 0 || d.Second() != 0 || d.Nanosecond() != 0 {
				t.Fatalf("DayOf(%v) = %v, want %s 00:00 in Asia/Shanghai", tc.at, d, tc.day)
			}
			if got := c.IsWorkingDay(tc.at); got != tc.working {
				t.Fatalf("IsWorkingDay(%v) = %v, want %v", tc.at, got, tc.working)
			}
			if got := c.AddWorkingDays(tc.at, 0); !got.Equal(d) {
				t.Fatalf("AddWorkingDays(%v, 0) = %v, want %v", tc.at, got, d)
			}
		})
	}
	if !Date(2026, 10, 1).Equal(ymd("2026-10-01")) {
		t.Fatal("Date and ParseInLocation disagree")
	}
}

func TestAddWorkingDays(t *testing.T) {
	c := New([]Override{
		{Date: ymd("2026-11-11"), Working: false, Name: "测试停工"},
		{Date: ymd("2026-11-14"), Working: true, Name: "补班"},
	})
	cases := []struct {
		name  string
		start string
		n     int
		want  string
	}{
		{"zero returns start", "2026-09-30", 0, "2026-09-30"},
		{"zero on a holiday returns it", "2026-10-03", 0, "2026-10-03"},
		{"across National Day week", "2026-09-30", 3, "2026-10-10"},
		{"one day across National Day", "2026-09-30", 1, "2026-10-08"},
		{"from inside the holiday", "2026-10-03", 1, "2026-10-08"},
		{"Friday to make-up Sunday", "2026-09-18", 1, "2026-09-20"},
		{"across Mid-Autumn", "2026-09-24", 1, "2026-09-28"},
		{"across the new year into make-up Sunday", "2025-12-31", 1, "2026-01-04"},
		{"across Spring Festival", "2026-02-14", 1, "2026-02-24"},
		{"ten days across Spring Festival", "2026-02-12", 10, "2026-03-04"},
		{"ordinary week", "2026-11-23", 5, "2026-11-30"},
		{"from a Sunday", "2026-11-29", 1, "2026-11-30"},
		{"overrides: skip weekday off, use Saturday", "2026-11-10", 3, "2026-11-14"},
		{"past 2026 (248 working days) into 2027", "2026-01-01", 250, "2027-01-05"},
		{"beyond lunar-go data", "2028-03-03", 1, "2028-03-06"},
		{"back one from after National Day", "2026-10-08", -1, "2026-09-30"},
		{"back one from make-up Saturday", "2026-10-10", -1, "2026-10-09"},
		{"back three from inside the holiday", "2026-10-04", -3, "2026-09-28"},
		{"back one from a Sunday", "2026-11-29", -1, "2026-11-27"},
		{"back across overrides", "2026-11-16", -2, "2026-11-13"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := ymd(tc.start)
			got := c.AddWorkingDays(start, tc.n)
			if fmtDay(got) != tc.want {
				t.Fatalf("AddWorkingDays(%s, %d) = %s, want %s", tc.start, tc.n, fmtDay(got), tc.want)
			}
			if naive := naiveAdd(c, start, tc.n); !naive.Equal(got) {
				t.Fatalf("naive walk gives %s", fmtDay(naive))
			}
			if b := c.WorkingDaysBetween(start, got); b != tc.n {
				t.Fatalf("WorkingDaysBetween(%s, %s) = %d, want %d", tc.start, tc.want, b, tc.n)
			}
			if late := start.Add(23*time.Hour + 59*time.Minute); !c.AddWorkingDays(late, tc.n).Equal(got) {
				t.Fatal("time of day changed the result")
			}
		})
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	c := New(nil)
	cases := []struct {
		name string
		a, b string
		want int
	}{
		{"same day", "2026-10-01", "2026-10-01", 0},
		{"same working day", "2026-09-30", "2026-09-30", 0},
		{"next working day", "2026-09-29", "2026-09-30", 1},
		{"National Day week counts (a, b]", "2026-09-30", "2026-10-10", 3},
		{"holiday only", "2026-09-30", "2026-10-07", 0},
		{"end on a day off is not counted", "2026-10-08", "2026-10-11", 2},
		{"start on a day off", "2026-10-07", "2026-10-08", 1},
		{"September 2026", "2026-08-31", "2026-09-30", 22},
		{"backwards counts [b, a)", "2026-10-10", "2026-09-30", -3},
		{"backwards from a day off", "2026-10-11", "2026-10-08", -3},
		{"backwards to a day off", "2026-10-08", "2026-10-07", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := ymd(tc.a), ymd(tc.b)
			if got := c.WorkingDaysBetween(a, b); got != tc.want {
				t.Fatalf("WorkingDaysBetween(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			if got := naiveBetween(c, a, b); got != tc.want {
				t.Fatalf("naive count = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestNextWorkingDay(t *testing.T) {
	c := New(nil)
	cases := []struct{ name, day, want string }{
		{"ordinary Wednesday", "2026-11-25", "2026-11-26"},
		{"Friday to Monday", "2026-11-27", "2026-11-30"},
		{"eve of National Day", "2026-09-30", "2026-10-08"},
		{"make-up Sunday comes next", "2026-09-19", "2026-09-20"},
		{"working day itself is skipped", "2026-10-08", "2026-10-09"},
		{"eve of Spring Festival make-up Saturday", "2026-02-13", "2026-02-14"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.NextWorkingDay(ymd(tc.day)); fmtDay(got) != tc.want {
				t.Fatalf("NextWorkingDay(%s) = %s, want %s", tc.day, fmtDay(got), tc.want)
			}
		})
	}
}

// TestConsistencyRandom checks AddWorkingDays and WorkingDaysBetween against
// each other and against a day-by-day walk over random dates in 2024–2026,
// with and without random overrides.
func TestConsistencyRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 10))
	first := ymd("2024-01-01")
	randomDay := func() time.Time { return first.AddDate(0, 0, rng.IntN(3*366)) }
	var ovs []Override
	for range 60 {
		ovs = append(ovs, Override{Date: randomDay(), Working: rng.IntN(2) == 0, Name: "随机"})
	}
	for name, c := range map[string]*Calendar{"statutory": New(nil), "random overrides": New(ovs)} {
		t.Run(name, func(t *testing.T) {
			for range 3000 {
				d := randomDay().Add(time.Duration(rng.IntN(24*60)) * time.Minute)
				n := rng.IntN(121) - 60
				got := c.AddWorkingDays(d, n)
				if b := c.WorkingDaysBetween(d, got); b != n {
					t.Fatalf("WorkingDaysBetween(%v, AddWorkingDays(_, %d) = %s) = %d", d, n, fmtDay(got), b)
				}
				if n != 0 && !c.IsWorkingDay(got) {
					t.Fatalf("AddWorkingDays(%v, %d) = %s is not a working day", d, n, fmtDay(got))
				}
				if naive := naiveAdd(c, d, n); !naive.Equal(got) {
					t.Fatalf("AddWorkingDays(%v, %d) = %s, naive walk %s", d, n, fmtDay(got), fmtDay(naive))
				}
				e := randomDay()
				if b, nb := c.WorkingDaysBetween(d, e), naiveBetween(c, d, e); b != nb {
					t.Fatalf("WorkingDaysBetween(%v, %v) = %d, naive %d", d, e, b, nb)
				}
				if c.IsWorkingDay(e) && !c.AddWorkingDays(d, c.WorkingDaysBetween(d, e)).Equal(DayOf(e)) {
					t.Fatalf("AddWorkingDays(d, WorkingDaysBetween(d, e)) != e for working day e = %s", fmtDay(e))
				}
			}
		})
	}
}

func TestFarDates(t *testing.T) {
	c := New(nil)
	cases := []struct {
		name  string
		start string
		n     int
	}{
		{"a million forward", "2026-01-01", 1_000_000},
		{"a million back", "2026-01-01", -1_000_000},
		{"long before lunar-go", "1900-03-01", 1000},
		{"limit forward", "2026-01-01", 1 << 40},
		{"limit back", "2026-01-01", -(1 << 40)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := ymd(tc.start)
			got := c.AddWorkingDays(start, tc.n)
			if b := c.WorkingDaysBetween(start, got); b != tc.n {
				t.Fatalf("WorkingDaysBetween(%s, %v) = %d, want %d", tc.start, got, b, tc.n)
			}
			if !c.IsWorkingDay(got) {
				t.Fatalf("result %v is not a working day", got)
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Fatal("AddWorkingDays with n beyond 2^40 must panic")
		}
	}()
	c.AddWorkingDays(ymd("2026-01-01"), 1<<40+1)
}

func TestWeekdayArithmetic(t *testing.T) {
	// The closed forms must agree with package time far from the epoch too.
	for _, s := range []string{"1600-02-29", "1969-12-28", "1970-01-01", "1970-01-05", "2026-11-27", "2400-12-31"} {
		d := ymd(s)
		n := toDays(d)
		if got, want := isWeekday(n), d.Weekday() != time.Saturday && d.Weekday() != time.Sunday; got != want {
			t.Errorf("isWeekday(%s) = %v, want %v", s, got, want)
		}
		if got := weekdaysUpTo(n) - weekdaysUpTo(n-1); got != b2i(isWeekday(n)) {
			t.Errorf("weekdaysUpTo step at %s = %d", s, got)
		}
		if !fromDays(n).Equal(d) {
			t.Errorf("fromDays(toDays(%s)) = %v", s, fromDays(n))
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			c := New([]Override{{Date: ymd("2026-12-26"), Working: true}})
			d := ymd("2026-09-01").AddDate(0, 0, i)
			for j := range 200 {
				got := c.AddWorkingDays(d, j%40-20)
				if c.WorkingDaysBetween(d, got) != j%40-20 {
					t.Error("inconsistent result under concurrency")
					return
				}
				c.DayInfo(got)
			}
		})
	}
	wg.Wait()
}

// naiveAdd walks day by day; the reference for AddWorkingDays.
func naiveAdd(c *Calendar, start time.Time, n int) time.Time {
	d := DayOf(start)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDate(0, 0, step)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d
}

// naiveBetween counts day by day, excluding a and including b.
func naiveBetween(c *Calendar, a, b time.Time) int {
	a, b = DayOf(a), DayOf(b)
	count, sign := 0, 1
	if b.Before(a) {
		sign = -1
	}
	for d := a; !d.Equal(b); {
		d = d.AddDate(0, 0, sign)
		if c.IsWorkingDay(d) {
			count++
		}
	}
	return sign * count
}

func BenchmarkAddWorkingDays(b *testing.B) {
	c := New([]Override{{Date: ymd("2026-12-26"), Working: true, Name: "补班"}})
	for _, n := range []int{5, 20, 250} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			start := ymd("2026-01-01")
			i := 0
			for b.Loop() {
				c.AddWorkingDays(start.AddDate(0, 0, i%365), n)
				i++
			}
		})
	}
}

func BenchmarkNew(b *testing.B) {
	ovs := []Override{{Date: ymd("2028-01-01"), Name: "元旦"}, {Date: ymd("2027-12-31"), Name: "元旦"}}
	for b.Loop() {
		New(ovs)
	}
}
