package sheet

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
	"time"

	"dibao/internal/money"
)

func TestWriteThenReadRoundTrips(t *testing.T) {
	type rec struct {
		name string
		amt  money.Fen
		day  time.Time
		ok   bool
	}
	recs := []rec{
		{"张三", 123456, time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC), true},
		{"=HYPERLINK(\"x\")", 5, time.Time{}, false},
	}
	var buf bytes.Buffer
	n, err := Write(&buf, "名册", Cols("姓名", "金额", "日期", "有效"), Rows(recs, func(r rec) []any {
		return []any{r.name, r.amt, r.day, r.ok}
	}))
	if err != nil || n != 2 {
		t.Fatalf("Write = %d, %v", n, err)
	}
	rows, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("rows = %v", rows)
	}
	if strings.Join(rows[0], ",") != "姓名,金额,日期,有效" {
		t.Errorf("header = %v", rows[0])
	}
	if rows[1][0] != "张三" || rows[1][1] != "1234.56" || rows[1][2] != "2027-01-02" || rows[1][3] != "是" {
		t.Errorf("row 1 = %v", rows[1])
	}
	if rows[2][0] != "=HYPERLINK(\"x\")" || rows[2][3] != "否" {
		t.Errorf("row 2 = %v (a formula-like cell must stay text)", rows[2])
	}
}

func TestReadRefusesNonWorkbook(t *testing.T) {
	_, err := Read(strings.NewReader("序号,姓名\n1,张三\n"))
	if err == nil || !strings.Contains(err.Error(), "xlsx") {
		t.Fatalf("err = %v", err)
	}
}

// TestReadRefusesZipBomb: a workbook whose parts unpack to more than
// MaxUnzipped is refused before anything is unpacked (the limit excelize
// applies by default is 16 GB, written to temporary files).
func TestReadRefusesZipBomb(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate,
		CompressedSize64: 2, UncompressedSize64: MaxUnzipped + 1})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte{3, 0})
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	for name, read := range map[string]func() error{
		"Read":      func() error { _, err := Read(bytes.NewReader(buf.Bytes())); return err },
		"ReadSheet": func() error { _, err := ReadSheet(bytes.NewReader(buf.Bytes()), "Sheet1"); return err },
	} {
		if err := read(); err == nil || !strings.Contains(err.Error(), "解压后超过") {
			t.Fatalf("%s: %v", name, err)
		}
	}
}
