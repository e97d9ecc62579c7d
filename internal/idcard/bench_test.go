package idcard

import (
	"testing"
	"time"
)

// Hot on every import row, registry write and blind-index look-up.
func BenchmarkParse(b *testing.B) {
	id := string(Make("130199", time.Date(1958, 3, 7, 0, 0, 0, 0, time.UTC), 42))
	today := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(id, today); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckChar(b *testing.B) {
	for b.Loop() {
		if _, err := CheckChar("13019919580307042"); err != nil {
			b.Fatal(err)
		}
	}
}
