package region

import "testing"

// Parse and Contains guard every scoped query and write.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("130199101201"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScopeContains(b *testing.B) {
	s := ScopeOf("130199000000")
	for b.Loop() {
		if !s.Contains("130199101201") {
			b.Fatal("not contained")
		}
	}
}
