package sheet

import (
	"io"

	"github.com/xuri/excelize/v2"

	"dibao/internal/errs"
)

// Sheet is one sheet of a workbook written by WriteBook.
type Sheet struct {
	Name string
	Cols []Column
	Next func() ([]any, bool)
	// Text lists 0-based columns formatted as text (@), so that an ID or
	// account number typed into the sheet later stays digits instead of
	// becoming 1.30199E+17.
	Text []int
}

// WriteBook writes a workbook of several sheets (e.g. an import template
// with its 填写说明 sheet), each like Write's: a bold frozen header row and
// streamed rows. The first sheet is the active one.
func WriteBook(w io.Writer, sheets []Sheet) error {
	f := newFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	yuan, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.00")})
	if err != nil {
		return err
	}
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd")})
	if err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	for si, s := range sheets {
		name := s.Name
		if name == "" {
			name = "Sheet" + string(rune('1'+si))
		}
		if si == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return err
		}
		for i, c := range s.Cols {
			wd := c.Width
			if wd == 0 {
				wd = 14
			}
			if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
				return err
			}
		}
		for _, c := range s.Text {
			if err := sw.SetColStyle(c+1, c+1, text); err != nil {
				return err
			}
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		head := make([]any, len(s.Cols))
		for i, c := range s.Cols {
			head[i] = excelize.Cell{StyleID: bold, Value: c.Title}
		}
		if err := sw.SetRow("A1", head, excelize.RowOpts{StyleID: bold}); err != nil {
			return err
		}
		for n := 0; s.Next != nil; n++ {
			vals, ok := s.Next()
			if !ok {
				break
			}
			if n >= MaxRows {
				return errs.Invalidf("", "导出行数超过 Excel 上限（%d 行），请缩小筛选范围", MaxRows)
			}
			row := make([]any, 0, len(vals))
			for _, v := range vals {
				if str, ok := v.(string); ok && len(str) > 60 {
					row = append(row, excelize.Cell{StyleID: wrap, Value: str})
					continue
				}
				row = append(row, cell(v, yuan, date))
			}
			axis, _ := excelize.CoordinatesToCellName(1, n+2)
			if err := sw.SetRow(axis, row); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}

// ReadSheet returns the rows of the named sheet of an xlsx workbook, for
// tests and tools that check a written workbook with several sheets.
func ReadSheet(r io.Reader, name string) ([][]string, error) {
	f, err := excelize.OpenReader(io.LimitReader(r, MaxUpload+1), openOptions)
	if err != nil {
		return nil, openError(err)
	}
	defer f.Close()
	rows, err := f.GetRows(name)
	if err != nil {
		return nil, errs.Invalidf("file", "工作簿中没有工作表“%s”", name)
	}
	return rows, nil
}
