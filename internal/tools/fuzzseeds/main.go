// Command fuzzseeds writes the committed seed corpora of the fuzz targets
// (testdata/fuzz/<Name>/ in Go's corpus format) that are awkward to write
// by hand: real workbooks made with the same writer the system uses, and
// inputs with bytes a source file should not hold. Run it from the module
// root after changing a seed: go run ./internal/tools/fuzzseeds
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"dibao/internal/exams"
	"dibao/internal/ledger"
	"dibao/internal/ledgerimport"
	"dibao/internal/sheet"
)

// value is one corpus line: its Go type and literal.
type value string

func str(s string) value   { return value("string(" + strconv.Quote(s) + ")") }
func raw(b []byte) value   { return value("[]byte(" + strconv.Quote(string(b)) + ")") }
func boolean(b bool) value { return value(fmt.Sprintf("bool(%v)", b)) }

func write(dir, name string, vals ...value) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, v := range vals {
		b.WriteString(string(v) + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
		log.Fatal(err)
	}
}

func book(name string, cols []string, rows [][]any) []byte {
	var buf bytes.Buffer
	if _, err := sheet.Write(&buf, name, sheet.Cols(cols...), sheet.Rows(rows, func(r []any) []any { return r })); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

func main() {
	// Workbooks: the ledger template as offered for download, a filled
	// ledger with a good and a bad row, a question bank, and a cut-off file.
	var tpl bytes.Buffer
	if err := ledgerimport.Template(&tpl); err != nil {
		log.Fatal(err)
	}
	var titles []string
	for _, c := range ledger.Columns() {
		titles = append(titles, c.Title)
	}
	good := make([]any, len(titles))
	bad := make([]any, len(titles))
	for i, c := range ledger.Columns() {
		good[i] = c.Example
		bad[i] = c.Example
		if c.Title == ledger.ColHeadID {
			bad[i] = "1.30199E+17"
		}
		if c.Title == ledger.ColAmount {
			bad[i] = "=1+1"
		}
	}
	filled := book("台账", titles, [][]any{good, bad, make([]any, len(titles))})
	bank := book("题库", exams.SheetColumns, [][]any{
		{"", "单选题", "政策法规", "易", "低保标准由谁制定？", "县级人民政府", "乡镇人民政府", "村委会", "", "", "", "A"},
		{"3", "填空题", "业务技能", "中", "入户调查不少于___人", "", "", "", "", "", "", "2｜两"},
	})
	d := "internal/sheet/testdata/fuzz/FuzzRead"
	write(d, "ledger-template", raw(tpl.Bytes()))
	write(d, "ledger-filled", raw(filled))
	write(d, "question-bank", raw(bank))
	write(d, "truncated", raw(filled[:len(filled)/2]))
	write(d, "csv-not-xlsx", raw([]byte("序号,户主姓名\r\n1,张三\r\n")))

	d = "internal/sheet/testdata/fuzz/FuzzWriteRead"
	write(d, "control-chars", str("a\x01b\x1fc"), str("\t 前后空白 \u3000"))
	write(d, "formula-and-markup", str("=CMD|' /C calc'!A0"), str("<x:row>&lt;"))

	// Ledger rows as sheet.Read returns them (cells tab-separated).
	row := func(vals []any) string {
		s := make([]string, len(vals))
		for i, v := range vals {
			s[i] = fmt.Sprint(v)
		}
		return strings.Join(s, "\t")
	}
	d = "internal/ledger/testdata/fuzz/FuzzCheck"
	write(d, "template-example", str(row(good)), boolean(false))
	write(d, "example-with-bad-row", str(strings.Join(titles, "\t")+"\n"+row(good)+"\n"+row(bad)), boolean(false))
	write(d, "fullwidth-and-blank", str("１\t\t张三\n\t\t\n"), boolean(true))
	d = "internal/ledger/testdata/fuzz/FuzzParseMonth"
	write(d, "excel-date", str("2024/3/1"))
	write(d, "chinese-month-padded", str("2024年03月"))
	write(d, "day-32", str("2024-03-32"))

	d = "internal/exams/testdata/fuzz/FuzzParseRow"
	write(d, "multiple-with-separators", str("\t多选题\t沟通服务\t难\t哪些属于？\t甲\t乙\t丙\t丁\t\t\tA、C，D"))
	write(d, "gap-in-options", str("\t单选题\t政策法规\t1\t题\t甲\t\t丙\t\t\t\tC"))
	write(d, "truefalse-with-options", str("7\t判断题\t业务技能\t2\t对吗\t甲\t乙\t\t\t\t\t√"))

	d = "internal/upload/testdata/fuzz/FuzzCheck"
	write(d, "bidi-override", str("发票\u202egpj.exe"), raw([]byte("%PDF-1.4\n")))
	write(d, "c1-control-and-path", str("..\\x/\u0085名单<b>.jpeg"), raw([]byte{0xFF, 0xD8, 0xFF, 0xE0}))

	d = "internal/attach/testdata/fuzz/FuzzDisposition"
	write(d, "quote-in-ascii-name", str(`a"b.pdf`))
	write(d, "space-and-header-break", str("my file.pdf\r\nX: y"))
	write(d, "quote-in-extension", str(`x."; filename="evil.exe`))

	d = "internal/web/testdata/fuzz/FuzzHouseholdForm"
	var many []string
	for i := 0; i < 40; i++ {
		many = append(many, "member_name=%E5%BC%A0"+strconv.Itoa(i))
	}
	write(d, "more-rows-than-allowed", str(strings.Join(many, "&")))
	write(d, "blank-head-row", str("member_name=&member_name=%E6%9D%8E&member_relation=&member_relation=spouse"))
	log.Print("fuzzseeds: written")
}
