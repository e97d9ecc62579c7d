package library_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"dibao/internal/errs"
	"dibao/internal/library"
)

// FuzzParseTopics: accepted topics are 1 to 20 characters without
// separators, unique, at most 10, and their joined form parses to the
// same list; a refusal is a "topics" field error with nothing returned.
func FuzzParseTopics(f *testing.F) {
	for _, s := range []string{"收入核算，财产认定、复核", "a,a,b", "", " , ,", strings.Repeat("长", 21), "1 2 3 4 5 6 7 8 9 10 11", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := library.ParseTopics(s)
		if err != nil {
			if e := errs.As(err); e.Code != errs.Invalid || e.Field != "topics" || ts != nil {
				t.Fatalf("ParseTopics(%q) = %q, %#v", s, ts, err)
			}
			return
		}
		if len(ts) > 10 {
			t.Fatalf("%d topics", len(ts))
		}
		for i, x := range ts {
			if x == "" || utf8.RuneCountInString(x) > 20 || strings.ContainsAny(x, ",，、 \n") || slices.Contains(ts[:i], x) {
				t.Fatalf("topic %q in %q", x, ts)
			}
		}
		again, err := library.ParseTopics(strings.Join(ts, "、"))
		if err != nil || !slices.Equal(again, ts) {
			t.Fatalf("round trip of %q: %q, %v", ts, again, err)
		}
	})
}
