package roster

import (
	"fmt"
	"io"
	"testing"
)

// WriteBankCSV writes every row of a county's monthly bank file.
func BenchmarkWriteBankCSV(b *testing.B) {
	for _, enc := range []string{UTF8, GBK} {
		b.Run(string(enc), func(b *testing.B) {
			const n = 1000
			rows := make([]Row, n)
			acc := make(map[int64]BankAccount, n)
			for i := range rows {
				id := int64(i + 1)
				rows[i] = Row{HouseholdID: id, Month: "2026-12", Amount: 65000}
				acc[id] = BankAccount{Name: "张三", Bank: "农村信用社", Account: fmt.Sprintf("62284800%011d", i), Region: "李家庄村", IDMasked: "130199********002X"}
			}
			f := BankFormat{Columns: []string{ColSeq, ColName, ColAccount, ColAmount, ColRegion, ColIDMasked}, Encoding: enc}
			b.ReportAllocs()
			for b.Loop() {
				if err := WriteBankCSV(io.Discard, rows, acc, f); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
