package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"dibao/internal/errs"
)

// seedBooks are real workbooks to start the xlsx fuzzers from: a written
// sheet, an empty-cell sheet and a two-sheet book.
func seedBooks(f *testing.F) {
	f.Helper()
	var a bytes.Buffer
	if _, err := Write(&a, "台账", Cols("姓名", "金额"), Rows([]string{"张三", " 李四 ", "=1+1"}, func(s string) []any {
		return []any{s, int64(len(s))}
	})); err != nil {
		f.Fatal(err)
	}
	f.Add(a.Bytes())
	var b bytes.Buffer
	if _, err := Write(&b, "", nil, Rows([]int{}, func(int) []any { return nil })); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	var c bytes.Buffer
	if err := WriteBook(&c, []Sheet{{Name: "一", Cols: Cols("甲"), Next: Rows([]string{"x"}, func(s string) []any { return []any{s} })},
		{Name: "二", Cols: Cols("乙"), Next: Rows([]string{"y"}, func(s string) []any { return []any{s} })}}); err != nil {
		f.Fatal(err)
	}
	f.Add(c.Bytes())
	// A zip that is no workbook, and plain text.
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	w, _ := zw.Create("[Content_Types].xml")
	_, _ = w.Write([]byte("<Types/>"))
	_ = zw.Close()
	f.Add(z.Bytes())
	f.Add([]byte("序号,姓名\n1,张三\n"))
	f.Add([]byte{})
}

// FuzzRead feeds arbitrary bytes to the upload reader: it never panics, an
// error is a structured "file" error with nothing returned, and rows come
// back trimmed with no trailing blank row.
func FuzzRead(f *testing.F) {
	seedBooks(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := Read(bytes.NewReader(data))
		if err != nil {
			if rows != nil {
				t.Fatalf("error %v with rows %v", err, rows)
			}
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != errs.Invalid || e.Field != "file" || e.Message == "" {
				t.Fatalf("not a structured file error: %#v", err)
			}
			return
		}
		if len(rows) > 0 && blank(rows[len(rows)-1]) {
			t.Fatalf("trailing blank row: %q", rows)
		}
		for _, r := range rows {
			for _, c := range r {
				if c != strings.TrimSpace(c) {
					t.Fatalf("untrimmed cell %q", c)
				}
			}
		}
	})
}

// xmlText is s as an xlsx cell can hold it: characters XML 1.0 does not
// allow (most C0 controls, U+FFFE, U+FFFF) become U+FFFD.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return '\uFFFD'
		}
		return r
	}, s)
}

// FuzzWriteRead round-trips text through a written sheet: what Write
// stores as a string cell, Read gives back (trimmed), formula-like text
// included; only characters XML cannot carry are replaced.
func FuzzWriteRead(f *testing.F) {
	f.Add("张三", "=HYPERLINK(\"x\")")
	f.Add(" 410102199001011234 ", "@SUM(A1)")
	f.Add("", "-1")
	f.Add("a\nb", "<b>&amp;</b>")
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a+b) || len(a)+len(b) > 4000 {
			return
		}
		var buf bytes.Buffer
		if _, err := Write(&buf, "S", Cols("A", "B"), Rows([][2]string{{a, b}}, func(r [2]string) []any { return []any{r[0], r[1]} })); err != nil {
			return // excelize refuses some text (e.g. over 32767 characters)
		}
		rows, err := Read(&buf)
		if err != nil {
			t.Fatalf("Read of a written sheet: %v", err)
		}
		want := []string{strings.TrimSpace(xmlText(a)), strings.TrimSpace(xmlText(b))}
		for len(want) > 0 && want[len(want)-1] == "" {
			want = want[:len(want)-1]
		}
		var got []string
		if len(rows) > 1 {
			got = rows[1]
		}
		for len(got) > 0 && got[len(got)-1] == "" {
			got = got[:len(got)-1]
		}
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("round trip: wrote %q %q, read %q", a, b, got)
		}
	})
}
