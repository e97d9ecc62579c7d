package sheet

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestWriteBook(t *testing.T) {
	var buf bytes.Buffer
	err := WriteBook(&buf, []Sheet{
		{Name: "台账", Cols: Cols("序号", "身份证号"), Next: Rows([][]any{{1, "130199195001010012"}}, func(r []any) []any { return r }),
			Text: []int{1}},
		{Name: "填写说明", Cols: Cols("项目", "说明"), Next: Rows([]string{"=1+1"}, func(s string) []any { return []any{"a", s} })},
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil || len(rows) != 2 || rows[1][1] != "130199195001010012" {
		t.Fatalf("first sheet %v %v", err, rows)
	}
	notes, err := ReadSheet(bytes.NewReader(buf.Bytes()), "填写说明")
	if err != nil || len(notes) != 2 || notes[1][1] != "=1+1" {
		t.Fatalf("second sheet %v %v", err, notes)
	}
	if _, err := ReadSheet(bytes.NewReader(buf.Bytes()), "没有"); err == nil {
		t.Fatal("a missing sheet was read")
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.GetActiveSheetIndex() != 0 {
		t.Errorf("active sheet %d", f.GetActiveSheetIndex())
	}
	if formula, _ := f.GetCellFormula("填写说明", "B2"); formula != "" {
		t.Errorf("text became a formula: %q", formula)
	}
	id, err := f.GetColStyle("台账", "B")
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil || st.NumFmt != 49 {
		t.Fatalf("ID column is not text: %v %+v", err, st)
	}
	other, _ := f.GetColStyle("台账", "A")
	if other == id {
		t.Error("every column is text")
	}
}
