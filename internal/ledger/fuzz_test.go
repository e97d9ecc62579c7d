package ledger

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"dibao/internal/errs"
)

// rowsOf turns fuzz text into sheet rows: lines are rows, tabs separate
// cells (what sheet.Read hands over after trimming).
func rowsOf(text string, withHeader bool) [][]string {
	var rows [][]string
	if withHeader {
		rows = append(rows, header)
	}
	if text == "" {
		return rows
	}
	for _, line := range strings.Split(text, "\n") {
		cells := strings.Split(line, "\t")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows = append(rows, cells)
	}
	return rows
}

// FuzzCheck runs the 台账 checker on arbitrary rows: it never panics; a
// refusal is a structured "file" error with nothing returned; otherwise the
// report adds up, every problem names a row of the sheet, and every entry
// is a valid row of the county with a sane amount and month.
func FuzzCheck(f *testing.F) {
	f.Add(strings.Join(good(1, nil), "\t"), true)
	f.Add(strings.Join(good(1, nil), "\t")+"\n"+strings.Join(good(2, map[string]string{ColAmount: "abc"}), "\t"), true)
	f.Add(strings.Join(good(3, map[string]string{ColStartMonth: "2024年3月1日", ColCategory: "", ColVillage: "130199101299"}), "\t"), true)
	f.Add(strings.Join(good(4, map[string]string{ColHeadID: "4.10102E+17", ColFamily: "99", ColCovered: "-1"}), "\t"), true)
	f.Add(strings.Join(header, "\t")+"\n"+strings.Join(good(5, nil), "\t"), false)
	f.Add(strings.Join(header[:3], "\t")+"\n1\t2", false)
	f.Add("", true)
	f.Add("", false)
	f.Fuzz(func(t *testing.T, text string, withHeader bool) {
		rows := rowsOf(text, withHeader)
		rep, entries, err := Check(rows, opts())
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != errs.Invalid || e.Message == "" {
				t.Fatalf("not a structured refusal: %#v", err)
			}
			if rep.Rows != 0 || rep.Valid != 0 || len(rep.Errors) != 0 || entries != nil {
				t.Fatalf("refused with a result: %+v %d", rep, len(entries))
			}
			return
		}
		if rep.Valid != len(entries) || rep.Valid > rep.Rows || rep.Rows < 1 || rep.Rows > len(rows)-1 {
			t.Fatalf("report %+v with %d entries from %d rows", rep, len(entries), len(rows))
		}
		if (rep.Valid < rep.Rows) != (len(rep.Errors) > 0) {
			t.Fatalf("bad rows without problems (or the reverse): %+v", rep)
		}
		for _, p := range rep.Errors {
			if p.Row < 2 || p.Row > len(rows) || p.Message == "" {
				t.Fatalf("problem %+v outside the sheet of %d rows", p, len(rows))
			}
		}
		last := 0
		for _, e := range entries {
			if e.Row <= last || e.Row > len(rows) {
				t.Fatalf("entry row %d after %d", e.Row, last)
			}
			last = e.Row
			if !opts().Villages[e.Household.Region] {
				t.Fatalf("entry in region %s outside the county", e.Household.Region)
			}
			if e.Amount <= 0 || e.Amount > MaxAmount {
				t.Fatalf("amount %d", e.Amount)
			}
			if m, ok := ParseMonth(e.StartMonth); !ok || m != e.StartMonth {
				t.Fatalf("start month %q", e.StartMonth)
			}
			if len(e.Household.Members) == 0 || e.Household.Members[0].Relation != "head" {
				t.Fatalf("entry without a head: %+v", e.Household.Members)
			}
			if e.Covered < 1 || e.Covered > e.FamilySize {
				t.Fatalf("covered %d of %d", e.Covered, e.FamilySize)
			}
		}
	})
}

var monthRe = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

// FuzzParseMonth: a month that parses is YYYY-MM and parses to itself.
func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"2024-03", "2024/3/1", "2024年3月", "2024年3月1日", "202403", "2024.3", " 2024-3 ", "1899-12", "2024-13", "2024-3-32", "２０２４-03", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, ok := ParseMonth(s)
		if !ok {
			if m != "" {
				t.Fatalf("ParseMonth(%q) = %q, false", s, m)
			}
			return
		}
		if !monthRe.MatchString(m) || m < "1900-01" {
			t.Fatalf("ParseMonth(%q) = %q", s, m)
		}
		if again, ok := ParseMonth(m); !ok || again != m {
			t.Fatalf("ParseMonth(%q) = %q, %v", m, again, ok)
		}
	})
}
