package casework_test

import (
	"testing"
	"time"

	"dibao/internal/casework"
	"dibao/internal/store"
)

func TestUrgency(t *testing.T) {
	today := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name          string
		c             store.Case
		overdue, soon bool
	}{
		{"no dates", store.Case{}, false, false},
		{"step due today", store.Case{DueDate: "2026-11-27"}, false, true},
		{"step due in four days", store.Case{DueDate: "2026-12-01"}, false, true},
		{"step due in five days", store.Case{DueDate: "2026-12-02"}, false, false},
		{"step late", store.Case{DueDate: "2026-11-26"}, true, false},
		{"total limit passed", store.Case{DueDate: "2026-12-10", TotalDue: "2026-11-20"}, true, false},
		{"closed case is never urgent", store.Case{DueDate: "2026-11-01", Closed: true}, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if o, s := casework.Urgency(c.c, today); o != c.overdue || s != c.soon {
				t.Fatalf("Urgency = %v, %v; want %v, %v", o, s, c.overdue, c.soon)
			}
		})
	}
}
