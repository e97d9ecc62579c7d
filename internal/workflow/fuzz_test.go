package workflow

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"dibao/internal/errs"
	"dibao/internal/money"
)

// FuzzParseRecord submits arbitrary forms to every transition of every
// built-in workflow that records fields: never a panic; a refusal lists
// only the transition's own fields (or reason) with a message; accepted
// values have the documented types and bounds (dates YYYY-MM-DD not after
// today, numbers 0…1,000,000, money not negative, staff lists of positive
// IDs without duplicates and without the household's relatives).
func FuzzParseRecord(f *testing.F) {
	var ts []Transition
	for _, d := range []Definition{Seed(), National2021(), ChangeReport(), RecipientReview()} {
		for _, t := range d.Transitions {
			if len(t.Records) > 0 || t.RequiresReason {
				ts = append(ts, t)
			}
		}
	}
	if len(ts) == 0 {
		f.Fatal("no transition records fields")
	}
	f.Add(uint8(0), "visit_date=2026-09-01&investigators=11&investigators=12&form_filled=on&findings=x", "")
	f.Add(uint8(1), "visit_date=2026-09-02&investigators=abc&investigators=13&form_filled=no&amount=-1", "理由")
	f.Add(uint8(2), "report=x&opinion=eligible&opinion_reason=y&count=1000001&visit_date=2026-02-30", "")
	base := baseFacts()
	base.RelativeStaff = []int64{13}
	f.Fuzz(func(t *testing.T, which uint8, form, reason string) {
		tr := ts[int(which)%len(ts)]
		v, err := url.ParseQuery(form)
		if err != nil {
			return
		}
		ff := base
		ff.Input = Input{Values: v, Reason: reason}
		out, err := ParseRecord(tr, ff)
		if err != nil {
			l := errs.Fields(err)
			if len(l) == 0 || out != nil {
				t.Fatalf("refusal %#v with %v", err, out)
			}
			for name, msg := range l {
				known := name == "reason" && tr.RequiresReason ||
					slices.ContainsFunc(tr.Records, func(fd Field) bool { return fd.Name == name })
				if !known || msg == "" {
					t.Fatalf("%s: error for %q: %q", tr.ID, name, msg)
				}
			}
			return
		}
		for _, fd := range tr.Records {
			x, ok := out[fd.Name]
			if !ok {
				if fd.Required {
					t.Fatalf("%s: required %s missing", tr.ID, fd.Name)
				}
				continue
			}
			switch fd.Kind {
			case KindDate:
				s, _ := x.(string)
				d, err := time.Parse(time.DateOnly, s)
				if err != nil || d.Format(time.DateOnly) != s || s > ff.Today.Format(time.DateOnly) {
					t.Fatalf("%s: date %v", fd.Name, x)
				}
			case KindNumber:
				if n, _ := x.(int64); n < 0 || n > 1_000_000 {
					t.Fatalf("%s: number %v", fd.Name, x)
				}
			case KindMoney:
				if m, ok := x.(money.Fen); !ok || m < 0 {
					t.Fatalf("%s: money %v", fd.Name, x)
				}
			case KindStaffList:
				ids, _ := x.([]int64)
				for i, id := range ids {
					if id <= 0 || slices.Contains(ids[:i], id) || slices.Contains(ff.RelativeStaff, id) {
						t.Fatalf("%s: staff %v", fd.Name, ids)
					}
				}
			case KindSelect:
				if !slices.ContainsFunc(fd.Options, func(c Choice) bool { return c.Value == x }) {
					t.Fatalf("%s: option %v", fd.Name, x)
				}
			}
		}
	})
}
