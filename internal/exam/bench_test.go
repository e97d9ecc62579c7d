package exam

import (
	"strconv"
	"testing"

	"dibao/internal/enroll"
)

// Grade runs at every submit, including the thousands of an exam day's
// auto-submit sweep.
func BenchmarkGrade50(b *testing.B) {
	kinds := []Kind{Single, Multiple, TrueFalse, Fill}
	items := make([]Item, 50)
	answers := map[int]string{}
	for i := range items {
		items[i] = Item{N: i + 1, Question: q(int64(i+1), kinds[i%4], enroll.PolicyLaw, 1), Points: 2}
		answers[i+1] = strconv.Itoa(i % 3)
	}
	b.ReportAllocs()
	for b.Loop() {
		r := Grade(items, answers, 60)
		if r.Total != 100 {
			b.Fatalf("total %d", r.Total)
		}
	}
}
