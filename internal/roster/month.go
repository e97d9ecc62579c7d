// Package roster builds the monthly payment roster of SPEC §2.3 from the
// recipients' entitlements: one row per household per month, never two,
// with phase-out (渐退) paid in full or tapered; it compares two rosters for
// a standard change and writes and reads the bank payment file. It is pure:
// no database, no HTTP, no state.
package roster

import (
	"fmt"
	"time"

	"dibao/internal/errs"
)

// MsgMonth is the message for a month that is not of the form 2026-12.
const MsgMonth = "月份格式应为“2026-12”"

// Month is a calendar month, counted as year×12 + month−1 so that months
// compare and add as integers. Its text form is "2026-12".
type Month int32

// Supported years; anything else in a payment roster is a typo.
const (
	minYear = 1900
	maxYear = 9999
)

// MonthOf returns the month of the given year and month.
func MonthOf(year int, m time.Month) Month { return Month(year*12 + int(m) - 1) }

// ParseMonth reads a month written exactly as "YYYY-MM" ("2026-12"), years
// 1900–9999; the error (field "month") says so in Chinese.
func ParseMonth(s string) (Month, error) {
	if len(s) != 7 || s[4] != '-' {
		return 0, errs.Invalidf("month", MsgMonth)
	}
	y, m := 0, 0
	for i, c := range []byte(s) {
		switch {
		case i == 4:
		case c < '0' || c > '9':
			return 0, errs.Invalidf("month", MsgMonth)
		case i < 4:
			y = y*10 + int(c-'0')
		default:
			m = m*10 + int(c-'0')
		}
	}
	if y < minYear || m < 1 || m > 12 {
		return 0, errs.Invalidf("month", MsgMonth)
	}
	return MonthOf(y, time.Month(m)), nil
}

// Year returns the year.
func (m Month) Year() int { return int(m) / 12 }

// Month returns the month of the year.
func (m Month) Month() time.Month { return time.Month(int(m)%12 + 1) }

// String returns "2026-12".
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year(), int(m.Month())) }

// Next returns the following month.
func (m Month) Next() Month { return m + 1 }

// Add returns the month n months later (earlier if n < 0).
func (m Month) Add(n int) Month { return m + Month(n) }

// Valid reports whether m is within the supported years.
func (m Month) Valid() bool { return m.Year() >= minYear && m.Year() <= maxYear }

// Next returns the month after month ("2026-12" → "2027-01").
func Next(month string) (string, error) {
	m, err := ParseMonth(month)
	if err != nil {
		return "", err
	}
	n := m.Next()
	if !n.Valid() {
		return "", errs.Invalidf("month", MsgMonth)
	}
	return n.String(), nil
}
