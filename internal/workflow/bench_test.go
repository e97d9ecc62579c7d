package workflow

import (
	"testing"

	"dibao/internal/calendar"
)

// Check and Available run on every case page and every transition; the
// deadline schedule on every work-queue row.
func BenchmarkCheck(b *testing.B) {
	d := Seed()
	f := Facts{Today: day("2026-11-27"), Params: DefaultParams(), Members: 3, RelativesDeclared: true, MaterialsChecked: true,
		Input: vals("application_date", "2026-11-20")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Check(d, d.Initial, "intake", clerk, clerk.Region.Level(), f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAvailable(b *testing.B) {
	d := Seed()
	f := Facts{Today: day("2026-11-27"), Params: DefaultParams(), Members: 3}
	b.ReportAllocs()
	for b.Loop() {
		if len(Available(d, d.Initial, clerk, clerk.Region.Level(), f)) == 0 {
			b.Fatal("no options")
		}
	}
}

func BenchmarkDeadlines(b *testing.B) {
	d := Seed()
	cal := calendar.New(nil)
	hist := []Event{{Transition: "intake", At: day("2026-11-02")}, {Transition: "accept", At: day("2026-11-03")}}
	b.ReportAllocs()
	for b.Loop() {
		_ = Deadlines(d, "accepted", hist, day("2026-11-27"), cal, DefaultParams())
	}
}
