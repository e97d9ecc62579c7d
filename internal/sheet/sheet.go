// Package sheet writes and reads the Excel workbooks dibao exchanges with
// people: every list page's export, roster exports, import templates and
// the ledgers (台账) and question banks people upload. Writing streams rows
// (excelize StreamWriter), so a sheet of a hundred thousand rows never sits
// in memory as cells; reading returns the first sheet as text.
//
// Text that a spreadsheet would run as a formula (leading = + - @) stays
// text: strings are stored as inline strings, never as formulas (only
// SetCellFormula writes a formula in excelize).
package sheet

import (
	"archive/zip"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"dibao/internal/errs"
	"dibao/internal/money"
)

// MaxRows is the largest sheet Write produces or Read accepts (the xlsx
// limit less the header).
const MaxRows = 1_048_575

// MaxUpload is the largest workbook Read accepts, in bytes.
const MaxUpload = 20 << 20

// MaxUnzipped bounds a workbook's unpacked size. A zip of MaxUpload bytes
// can unpack to gigabytes (a zip bomb) that excelize would otherwise
// write to temporary files (its default limit is 16 GB); a full
// million-row ledger of text cells stays under it.
const MaxUnzipped = 1 << 30

// openOptions are the excelize options of every read.
var openOptions = excelize.Options{UnzipSizeLimit: MaxUnzipped}

// openError is the Chinese message for a workbook excelize cannot open.
func openError(err error) error {
	if strings.Contains(err.Error(), "unzip size exceeds") {
		return errs.Invalidf("file", "文件解压后超过 %d MB：请删去多余的工作表或数据后重新上传", MaxUnzipped>>20)
	}
	return errs.Invalidf("file", "无法读取该文件：请上传 Excel 工作簿（.xlsx）")
}

// Column is one column of a written sheet.
type Column struct {
	Title string
	Width float64 // in characters; 0 = 14
}

// Cols makes columns from titles with the default width.
func Cols(titles ...string) []Column {
	out := make([]Column, len(titles))
	for i, t := range titles {
		out[i] = Column{Title: t}
	}
	return out
}

// Write streams one sheet named name with a bold header row and the rows
// that next yields, then writes the workbook to w. next is called until it
// returns false; each row's values may be string, integer, money.Fen
// (written as a number of yuan with two decimals), time.Time (a date), bool
// (是/否) or nil. It returns the number of data rows written.
func Write(w io.Writer, name string, cols []Column, next func() ([]any, bool)) (int, error) {
	f := newFile()
	defer f.Close()
	if name == "" {
		name = "Sheet1"
	}
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return 0, err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return 0, err
	}
	for i, c := range cols {
		wd := c.Width
		if wd == 0 {
			wd = 14
		}
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return 0, err
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return 0, err
	}
	yuan, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.00")})
	if err != nil {
		return 0, err
	}
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd")})
	if err != nil {
		return 0, err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, Split: false, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return 0, err
	}
	head := make([]any, len(cols))
	for i, c := range cols {
		head[i] = excelize.Cell{StyleID: bold, Value: c.Title}
	}
	if err := sw.SetRow("A1", head, excelize.RowOpts{StyleID: bold}); err != nil {
		return 0, err
	}
	n := 0
	buf := make([]any, 0, len(cols))
	for {
		vals, ok := next()
		if !ok {
			break
		}
		if n >= MaxRows {
			return n, errs.Invalidf("", "导出行数超过 Excel 上限（%d 行），请缩小筛选范围", MaxRows)
		}
		buf = buf[:0]
		for _, v := range vals {
			buf = append(buf, cell(v, yuan, date))
		}
		if err := sw.SetRow("A"+strconv.Itoa(n+2), buf); err != nil {
			return n, err
		}
		n++
	}
	if err := sw.Flush(); err != nil {
		return n, err
	}
	if _, err := f.WriteTo(w); err != nil {
		return n, err
	}
	return n, nil
}

// Rows adapts a slice to Write's next function.
func Rows[T any](xs []T, row func(T) []any) func() ([]any, bool) {
	i := 0
	return func() ([]any, bool) {
		if i >= len(xs) {
			return nil, false
		}
		i++
		return row(xs[i-1]), true
	}
}

func ptr[T any](v T) *T { return &v }

// newFile is a workbook compressed at deflate's best speed: a roster of a
// hundred thousand rows spent a third of its export in the default level
// (issue 8), for a file a little larger.
func newFile() *excelize.File {
	f := excelize.NewFile()
	f.SetZipWriter(func(w io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(w)
		zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(out, flate.BestSpeed)
		})
		return zw
	})
	return f
}

func cell(v any, yuan, date int) any {
	switch x := v.(type) {
	case nil:
		return nil
	case money.Fen:
		return excelize.Cell{StyleID: yuan, Value: float64(x) / 100}
	case time.Time:
		if x.IsZero() {
			return nil
		}
		return excelize.Cell{StyleID: date, Value: x}
	case bool:
		if x {
			return "是"
		}
		return "否"
	case string:
		return x // inline string; never a formula
	default:
		return v
	}
}

// Read returns the first sheet of an xlsx workbook as rows of trimmed text
// (row 0 is normally the header). Trailing empty rows are dropped. A file
// that is not an xlsx workbook is refused with a Chinese message.
func Read(r io.Reader) ([][]string, error) {
	lr := &io.LimitedReader{R: r, N: MaxUpload + 1}
	f, err := excelize.OpenReader(lr, openOptions)
	if lr.N <= 0 {
		return nil, errs.Invalidf("file", "文件超过 %d MB", MaxUpload>>20)
	}
	if err != nil {
		return nil, openError(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errs.Invalidf("file", "工作簿中没有工作表")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, fmt.Errorf("sheet: rows: %w", err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		cols, err := rows.Columns()
		if err != nil {
			return nil, errs.Invalidf("file", "工作表第 %d 行无法读取", len(out)+1)
		}
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		out = append(out, cols)
		if len(out) > MaxRows+1 {
			return nil, errs.Invalidf("file", "行数超过 Excel 上限")
		}
	}
	if err := rows.Error(); err != nil {
		return nil, errors.Join(errs.Invalidf("file", "工作表无法读取"), err)
	}
	for len(out) > 0 && blank(out[len(out)-1]) {
		out = out[:len(out)-1]
	}
	return out, nil
}

func blank(row []string) bool {
	for _, c := range row {
		if c != "" {
			return false
		}
	}
	return true
}

// ContentType is the media type of an xlsx workbook.
const ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
