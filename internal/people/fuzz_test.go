package people_test

import (
	"strings"
	"testing"
	"time"

	"dibao/internal/errs"
	"dibao/internal/people"
)

// FuzzParseHireDate: an accepted hire date is canonical YYYY-MM-DD, from
// 1950 to today, and parses to itself; a refusal is a hire_date error.
func FuzzParseHireDate(f *testing.F) {
	for _, s := range []string{"2024-03-01", " 2024-03-01 ", "2026-11-28", "1949-12-31", "2024-02-30", "2024/03/01", "", "0000-01-01", "+999-01-01"} {
		f.Add(s)
	}
	today := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := people.ParseHireDate(s, today)
		if err != nil {
			if e := errs.As(err); e.Code != errs.Invalid || e.Field != "hire_date" || d != "" {
				t.Fatalf("ParseHireDate(%q) = %q, %#v", s, d, err)
			}
			return
		}
		if d != strings.TrimSpace(s) || d < "1950-01-01" || d > today.Format(time.DateOnly) {
			t.Fatalf("ParseHireDate(%q) = %q", s, d)
		}
		if again, err := people.ParseHireDate(d, today); err != nil || again != d {
			t.Fatalf("ParseHireDate(%q) = %q, %v", d, again, err)
		}
	})
}
