package review

import (
	"testing"

	"dibao/internal/benefit"
)

// Decide runs once per recipient in a review and a standard-change preview.
func BenchmarkDecide(b *testing.B) {
	before := res(benefit.OutcomeEligible, 50000, []string{"elderly"})
	after := res(benefit.OutcomeEligible, 40000, []string{"elderly"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decide(before, after, false, 6); err != nil {
			b.Fatal(err)
		}
	}
}
