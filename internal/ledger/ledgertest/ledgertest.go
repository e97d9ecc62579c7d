// Package ledgertest builds ledger workbooks with known mistakes for the
// tests of the import service, pages, API and CLI.
package ledgertest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"dibao/internal/idcard"
	"dibao/internal/ledger"
	"dibao/internal/region"
	"dibao/internal/sheet"
)

// Header is the header row of the generated workbooks (with one extra member).
var Header = []string{ledger.ColSeq, ledger.ColVillage, ledger.ColHeadName, ledger.ColHeadID, ledger.ColPhone,
	ledger.ColFamily, ledger.ColCovered, ledger.ColUrban, ledger.ColCategory, ledger.ColAmount, ledger.ColStartMonth,
	ledger.ColBankName, ledger.ColBank, ledger.ColAddress, ledger.MemberName(2), ledger.MemberID(2),
	ledger.MemberRelation(2)}

// HeadID is the head's ID number of generated row n (1-based data row).
func HeadID(n int) idcard.ID {
	return idcard.Make("130199", time.Date(1960+n%30, time.Month(1+n%12), 1+n%28, 0, 0, 0, 0, time.UTC), 100+n)
}

// MemberID is the second member's ID number of generated row n.
func MemberID(n int) idcard.ID {
	return idcard.Make("130199", time.Date(1962+n%30, time.Month(1+n%12), 1+n%28, 0, 0, 0, 0, time.UTC), 500+n)
}

// Bad lists the spreadsheet rows of Rows that are wrong and the column the
// report must name.
var Bad = map[int]string{
	3:  ledger.ColHeadID,     // bad check digit
	5:  ledger.ColVillage,    // unknown village
	7:  ledger.ColAmount,     // negative amount
	9:  ledger.ColHeadID,     // same head as row 2
	11: ledger.ColHeadID,     // already in the database (Existing)
	13: ledger.ColStartMonth, // bad month
}

// Existing is the ID number that the tests register before the import
// (row 11's head).
var Existing = HeadID(10)

// Rows returns count data rows (count ≥ 12) with the mistakes of Bad, the
// others valid, alternating between the two villages. The unknown village
// is the first one with its last digit changed.
func Rows(count int, villages ...region.Code) [][]string {
	out := [][]string{Header}
	for n := 1; n <= count; n++ {
		v := villages[n%len(villages)]
		head, mem := string(HeadID(n)), string(MemberID(n))
		row := []string{fmt.Sprint(n), string(v), fmt.Sprintf("户主%d", n), head, "13800000000", "2", "2", "农村", "B",
			fmt.Sprintf("%d.50", 300+n), "2025-01", "平安县农村信用社", fmt.Sprintf("62284800000000%05d", n),
			fmt.Sprintf("第%d组", n), fmt.Sprintf("成员%d", n), mem, "配偶"}
		if n%2 == 0 {
			row[7] = "城市"
		}
		switch n + 1 { // spreadsheet row
		case 3:
			c := head[17]
			if c == '0' {
				c = '1'
			} else {
				c = '0'
			}
			row[3] = head[:17] + string(c)
		case 5:
			row[1] = string(villages[0][:11]) + "9"
		case 7:
			row[9] = "-120"
		case 9:
			row[3] = string(HeadID(1))
		case 13:
			row[10] = "2025-13"
		}
		out = append(out, row)
	}
	return out
}

// Workbook writes rows (the first being the header) as an xlsx file.
func Workbook(t testing.TB, rows [][]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	i := 1
	_, err := sheet.Write(&buf, "台账", sheet.Cols(rows[0]...), func() ([]any, bool) {
		if i >= len(rows) {
			return nil, false
		}
		vals := make([]any, len(rows[i]))
		for j, v := range rows[i] {
			vals[j] = v
		}
		i++
		return vals, true
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
