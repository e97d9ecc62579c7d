package crosscheck

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"dibao/internal/errs"
	"dibao/internal/household"
)

// Limits on a batch file. 50,000 rows is a large county's whole caseload
// with every member and source; beyond that a file is a mistake or an
// attack, and the bytes limit keeps memory bounded before rows are counted.
const (
	MaxResultRows  = 50_000
	MaxResultBytes = 32 << 20
	// maxReportedErrors stops the error list where a person stops reading;
	// a file with more is wrong as a whole (a wrong column order, say).
	maxReportedErrors = 100
)

// bom is the UTF-8 byte order mark. Excel on Chinese Windows reads a CSV
// without it as GBK and shows mojibake.
var bom = []byte{0xEF, 0xBB, 0xBF}

// RequestHeader is the header row of a request file: one row per person
// per request; 核对项目 lists the source labels joined by "、".
var RequestHeader = []string{"申请编号", "请求编号", "姓名", "公民身份号码", "与户主关系", "核对项目"}

// scopeSep joins source labels in the 核对项目 cell of a request file; it
// cannot occur in a label.
const scopeSep = "、"

// WriteRequestCSV writes requests as one CSV file for upload to the
// platform: UTF-8 with BOM and CRLF line ends so that Excel on Chinese
// Windows opens it correctly, a Chinese header (RequestHeader), and one row
// per person per request. Every request is validated first and nothing is
// written if any is invalid. ID numbers are written in full as plain
// digits, because the platform matches on them: the file is sensitive and
// the caller must audit the export. (Excel shows an 18-digit number in
// scientific notation; that is only display, but saving the file from Excel
// destroys the last digits, so the file must be uploaded as exported.)
func WriteRequestCSV(w io.Writer, reqs []Request) error {
	var l errs.List
	if len(reqs) == 0 {
		l.Add("requests", "没有要导出的核对请求")
	}
	seen := map[string]int{}
	rows := 0
	for i, r := range reqs {
		if err := r.Validate(); err != nil {
			for _, e := range asList(err) {
				l.Add(fmt.Sprintf("requests[%d].%s", i, e.Field), "第%d个核对请求（%s）：%s", i+1, quote(r.ID), e.Message)
			}
		}
		if j, dup := seen[r.ID]; dup && r.ID != "" {
			l.Add(fmt.Sprintf("requests[%d].id", i), "第%d个核对请求的编号“%s”与第%d个重复", i+1, quote(r.ID), j+1)
		}
		seen[r.ID] = i
		rows += len(r.Persons)
	}
	if rows > MaxResultRows {
		l.Add("requests", "核对请求文件不能超过%d行，请分批导出", MaxResultRows)
	}
	if err := l.Err(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	if _, err := bw.Write(bom); err != nil {
		return errs.Wrap(err, "写入核对请求文件失败")
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	if err := cw.Write(RequestHeader); err != nil {
		return errs.Wrap(err, "写入核对请求文件失败")
	}
	for _, r := range reqs {
		labels := make([]string, len(r.Scope))
		for i, s := range r.Scope {
			labels[i] = s.Label()
		}
		scope := strings.Join(labels, scopeSep)
		for _, p := range r.Persons {
			rec := []string{
				strings.TrimSpace(r.CaseNumber), r.ID, strings.TrimSpace(p.Name), string(p.IDNumber),
				household.Relation(strings.TrimSpace(p.Relation)).Label(), scope,
			}
			if err := cw.Write(rec); err != nil {
				return errs.Wrap(err, "写入核对请求文件失败")
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return errs.Wrap(err, "写入核对请求文件失败")
	}
	if err := bw.Flush(); err != nil {
		return errs.Wrap(err, "写入核对请求文件失败")
	}
	return nil
}

// asList returns err's items as a List, a single error as a List of one.
func asList(err error) errs.List {
	var l errs.List
	if errors.As(err, &l) {
		return l
	}
	return errs.List{errs.As(err)}
}

// resultColumn is one column of the result file.
type resultColumn struct {
	key      string
	header   string   // what WriteResultCSV writes
	aliases  []string // also accepted on import
	optional bool
}

// ResultHeader is the header row of a result file, as WriteResultCSV
// writes it. One row per finding, or per person and source with nothing
// found or not checked:
//
//	请求编号          the request number the row answers
//	公民身份号码      the person's ID number (身份证号, 身份证号码 also accepted)
//	核对项目          source code or label: 社会保险/养老金, 住房公积金, 市场主体登记, 机动车, 不动产, 银行存款, 证券, 个人所得税
//	类别(收入/财产)   收入 | 财产 | 无记录 (checked, nothing found) | 未核对 (not checked; 说明 says why); 类别 also accepted
//	类型              optional: household income or property kind, code or label; by default it follows the source
//	说明              free text, at most 200 characters
//	金额(元)          income: total received over 月数 months; property: value; empty for 无记录 and 未核对; 金额 also accepted
//	月数              income: 1–12; otherwise empty or 0
//	数量              property: 1–1000, empty means 1; otherwise empty or 0
//
// On import the columns may come in any order, 类型 may be left out, 序号
// and 姓名 columns are ignored, and full-width brackets and spaces in the
// header do not matter. Every request must have at least one row, or it
// has no report at all.
var ResultHeader = []string{"请求编号", "公民身份号码", "核对项目", "类别(收入/财产)", "类型", "说明", "金额(元)", "月数", "数量"}

// resultColumns defines the result file columns in ResultHeader order.
var resultColumns = []resultColumn{
	{key: colRequestID, header: "请求编号"},
	{key: colIDNumber, header: "公民身份号码", aliases: []string{"身份证号", "身份证号码"}},
	{key: colSource, header: "核对项目"},
	{key: colCategory, header: "类别(收入/财产)", aliases: []string{"类别"}},
	{key: colKind, header: "类型", aliases: []string{"收入/财产类型"}, optional: true},
	{key: colDescription, header: "说明"},
	{key: colAmount, header: "金额(元)", aliases: []string{"金额"}},
	{key: colMonths, header: "月数"},
	{key: colQuantity, header: "数量"},
}

// ignoredColumns are columns platforms commonly add that carry nothing the
// report needs.
var ignoredColumns = []string{"序号", "姓名"}

// normHeader makes header matching tolerant of what spreadsheet editing
// does to a header: spaces, full-width brackets, a BOM left in the cell.
func normHeader(s string) string {
	s = strings.TrimPrefix(s, "\uFEFF")
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\u3000':
			return -1
		case '（':
			return '('
		case '）':
			return ')'
		}
		return r
	}, s)
}

// ReadResultCSV parses the platform's result file (see ResultHeader) into
// one Report per request number, in order of first appearance, with the
// status derived from the rows: 未核对 rows make a report partial, or
// failed if nothing was checked. Parsing is strict: every bad row is
// reported at once (errs.List, up to 100 problems) with its line and column
// ("第5行“金额”列：金额最多保留两位小数"), and no report is returned. A BOM
// and CRLF line ends are accepted. ReceivedAt is left zero for the caller to
// set; the caller must still Match each report against its request.
func ReadResultCSV(r io.Reader) ([]Report, error) {
	return readResultCSV(r, time.Now())
}

func readResultCSV(r io.Reader, today time.Time) ([]Report, error) {
	lr := &io.LimitedReader{R: r, N: MaxResultBytes + 1}
	br := bufio.NewReader(lr)
	if head, _ := br.Peek(4); bytes.HasPrefix(head, bom) {
		_, _ = br.Discard(len(bom))
	} else if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return nil, errs.Invalidf("file", "这是Excel工作簿（.xlsx）文件，请在Excel中另存为“CSV UTF-8（逗号分隔）”格式后导入")
	}
	tooLarge := func() error {
		return errs.Invalidf("file", "结果文件超过%dMB，请让核对平台分批导出", MaxResultBytes>>20)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // counted per row so that the message names the line

	header, err := cr.Read()
	switch {
	case lr.N <= 0:
		return nil, tooLarge()
	case err == io.EOF:
		return nil, errs.Invalidf("file", "结果文件为空")
	case err != nil:
		return nil, csvError(err)
	}
	cols, err := mapHeader(header)
	if err != nil {
		return nil, err
	}

	var l errs.List
	asm := newAssembler(func(line int) string { return fmt.Sprintf("第%d行", line) })
	rows := 0
	for len(l) < maxReportedErrors {
		rec, err := cr.Read()
		if lr.N <= 0 {
			return nil, tooLarge()
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, errs.Wrap(err, "读取结果文件失败")
			}
			l = append(l, asList(csvError(err))...)
			break // the reader cannot resynchronise after a quoting error
		}
		line, _ := cr.FieldPos(0)
		if blank(rec) {
			continue
		}
		if rows++; rows > MaxResultRows {
			return nil, errs.Invalidf("file", "结果文件超过%d行，请让核对平台分批导出", MaxResultRows)
		}
		loc := csvLoc(line)
		if rowProblem := checkRecord(rec, len(header)); rowProblem != "" {
			field, prefix := loc("")
			l.Add(field, "%s%s", prefix, rowProblem)
			continue
		}
		raw := rawFromRecord(rec, cols)
		if p, ok := validateResult(raw, loc, &l, today); ok {
			asm.add(p, line, loc, &l)
		}
	}
	if len(l) >= maxReportedErrors {
		l = append(l[:maxReportedErrors], errs.Invalidf("file", "错误较多，仅列出前%d处；请核对文件的列是否与模板一致", maxReportedErrors))
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	if rows == 0 {
		return nil, errs.Invalidf("file", "结果文件没有数据行")
	}
	return asm.finish(), nil
}

// mapHeader finds each column's position; unknown, duplicate and missing
// columns are all reported at once.
func mapHeader(header []string) (map[string]int, error) {
	var l errs.List
	for _, h := range header {
		if !utf8.ValidString(h) {
			return nil, errs.Invalidf("file", "文件不是UTF-8编码（可能是Excel另存的GBK编码），请另存为“CSV UTF-8（逗号分隔）”格式后重新导入")
		}
	}
	cols := map[string]int{}
	for i, h := range header {
		n := normHeader(h)
		if n == "" || contains(ignoredColumns, n) {
			continue
		}
		key := ""
		for _, c := range resultColumns {
			if n == normHeader(c.header) || contains(c.aliases, n) {
				key = c.key
				break
			}
		}
		switch {
		case key == "":
			l.Add("header", "第1行：无法识别的列“%s”", quote(h))
		case cols[key] > 0:
			l.Add("header", "第1行：“%s”列重复", colNames[key])
		default:
			cols[key] = i + 1 // +1 so that the zero value means absent
		}
	}
	for _, c := range resultColumns {
		if cols[c.key] == 0 && !c.optional {
			l.Add("header", "第1行：缺少“%s”列", c.header)
		}
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	return cols, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkRecord returns what is wrong with a record as a whole, if anything.
// Spreadsheets often pad rows with empty trailing cells, which is harmless.
func checkRecord(rec []string, want int) string {
	for _, f := range rec {
		if !utf8.ValidString(f) {
			return "含有无法识别的字符，文件应为UTF-8编码"
		}
	}
	if len(rec) < want || !blank(rec[min(want, len(rec)):]) {
		return fmt.Sprintf("应有%d列，实际有%d列", want, len(rec))
	}
	return ""
}

func rawFromRecord(rec []string, cols map[string]int) rawResult {
	get := func(key string) string {
		if i := cols[key]; i > 0 && i-1 < len(rec) {
			return rec[i-1]
		}
		return ""
	}
	return rawResult{
		requestID:   get(colRequestID),
		idNumber:    get(colIDNumber),
		source:      get(colSource),
		category:    get(colCategory),
		kind:        get(colKind),
		description: get(colDescription),
		amount:      get(colAmount),
		months:      get(colMonths),
		quantity:    get(colQuantity),
	}
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func csvLoc(line int) locator {
	return func(col string) (string, string) {
		if col == "" {
			return fmt.Sprintf("line%d", line), fmt.Sprintf("第%d行：", line)
		}
		return fmt.Sprintf("line%d.%s", line, col), fmt.Sprintf("第%d行“%s”列：", line, colNames[col])
	}
}

// csvError translates encoding/csv's English errors.
func csvError(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return errs.Wrap(err, "读取结果文件失败")
	}
	what := "文件格式错误"
	switch {
	case errors.Is(pe.Err, csv.ErrQuote):
		what = "引号不配对"
	case errors.Is(pe.Err, csv.ErrBareQuote):
		what = "未加引号的内容中出现了引号"
	}
	return errs.Invalidf(fmt.Sprintf("line%d", pe.Line), "第%d行：CSV格式错误，%s", pe.Line, what)
}

// WriteResultCSV writes reports in the result file format that
// ReadResultCSV reads back identically (apart from ReceivedAt and Notes,
// which the format does not carry): for each checked person and source its
// findings or a 无记录 row, then a 未核对 row per gap. The simulator uses it
// to produce result files for batch-exchange training and demos. Every row
// is validated first and nothing is written if any is invalid.
func WriteResultCSV(w io.Writer, reports []Report) error {
	var recs [][]string
	for _, rep := range reports {
		if len(rep.Findings) == 0 && len(rep.Checked) == 0 && len(rep.Gaps) == 0 {
			return errs.Invalidf("findings", "核对结果“%s”没有任何内容，结果文件无法表示", quote(rep.RequestID))
		}
		done := make([]bool, len(rep.Findings))
		for _, c := range rep.Checked {
			found := false
			for i, f := range rep.Findings {
				if !done[i] && f.IDNumber == c.IDNumber && f.Source == c.Source {
					recs = append(recs, rawRecord(findingRaw(rep.RequestID, f)))
					done[i], found = true, true
				}
			}
			if !found {
				recs = append(recs, rawRecord(rawResult{requestID: rep.RequestID, idNumber: string(c.IDNumber),
					source: c.Source.Label(), category: categoryNames[catNone][0]}))
			}
		}
		for i, f := range rep.Findings {
			if !done[i] {
				recs = append(recs, rawRecord(findingRaw(rep.RequestID, f)))
			}
		}
		for _, g := range rep.Gaps {
			recs = append(recs, rawRecord(rawResult{requestID: rep.RequestID, idNumber: string(g.IDNumber),
				source: g.Source.Label(), category: categoryNames[catUnchecked][0], description: g.Reason}))
		}
	}
	if len(recs) > MaxResultRows {
		return errs.Invalidf("findings", "结果文件不能超过%d行", MaxResultRows)
	}
	// Validate exactly what will be written, with the reader's rules.
	var l errs.List
	asm := newAssembler(func(line int) string { return fmt.Sprintf("第%d行", line) })
	today := time.Now()
	for i, rec := range recs {
		line := i + 2
		loc := csvLoc(line)
		if p, ok := validateResult(rawFromRecord(rec, defaultCols), loc, &l, today); ok {
			asm.add(p, line, loc, &l)
		}
		if len(l) >= maxReportedErrors {
			break
		}
	}
	if err := l.Err(); err != nil {
		return err
	}

	bw := bufio.NewWriter(w)
	if _, err := bw.Write(bom); err != nil {
		return errs.Wrap(err, "写入结果文件失败")
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	_ = cw.Write(ResultHeader)
	for _, rec := range recs {
		_ = cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return errs.Wrap(err, "写入结果文件失败")
	}
	if err := bw.Flush(); err != nil {
		return errs.Wrap(err, "写入结果文件失败")
	}
	return nil
}

// defaultCols maps the columns of ResultHeader to their positions.
var defaultCols = func() map[string]int {
	m := map[string]int{}
	for i, c := range resultColumns {
		m[c.key] = i + 1
	}
	return m
}()

// rawRecord lays a raw result out in ResultHeader order, escaping the one
// free-text cell against formula injection.
func rawRecord(r rawResult) []string {
	return []string{r.requestID, r.idNumber, r.source, r.category, r.kind, escapeCell(r.description), r.amount, r.months, r.quantity}
}
