package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"dibao/internal/errs"
	"dibao/internal/money"
)

var bankHeader = [...]string{"序号", "户主姓名", "开户银行", "银行账号", "金额(元)", "月份", "备注"}

// BankHeader returns the header row of the bank payment file.
func BankHeader() []string { return slices.Clone(bankHeader[:]) }

// TotalLabel is the first cell of the totals row.
const TotalLabel = "合计"

const bom = "\uFEFF"

// BankAccount is where a household's benefit is paid, with what the
// optional columns of the file show.
type BankAccount struct {
	Name     string // account holder (户主姓名)
	Bank     string // 开户银行
	Account  string // account number
	Region   string // 村（社区） name, for the region column
	IDMasked string // masked ID number of the head, for the id_masked column
}

// BankRow is one payment line of a bank file as read back.
type BankRow struct {
	Seq     int
	Name    string
	Bank    string
	Account string
	Amount  money.Fen
	Month   string
	Note    string
}

// checkCell rejects text a bank file must not carry: invalid UTF-8, control
// characters (line breaks would split a payment line in some bank systems)
// and a leading = + - @ that a spreadsheet would run as a formula.
func checkCell(s string) string {
	if !utf8.ValidString(s) {
		return "含有无效字符编码"
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\uFEFF' {
			return "含有控制字符"
		}
	}
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "不能以 = + - @ 开头"
	}
	return ""
}

// WriteBankCSV writes rows as a bank payment file in format f (nil columns
// = DefaultBankFormat): CRLF line ends, the header of f's columns, one line
// per row in the order given (序号 1..n, or the rows' own Seq), and a totals row (合计 in the
// first column, the sum in the amount column, 共N户 in the note column or
// else the last free column). UTF-8 files start with a byte-order mark (so
// that Excel shows the Chinese); GBK files carry none. Nothing is written
// unless every row is payable: each household needs a complete account, a
// positive amount, a valid month, cells free of control characters and
// formula prefixes and, in GBK, text GBK can hold; no household may appear
// twice for a month. All problems are reported at once as an errs.List
// naming the household ids (and the head's name where the name is at fault).
func WriteBankCSV(w io.Writer, rows []Row, accounts map[int64]BankAccount, f BankFormat) error {
	bw, err := NewBankWriter(f)
	if err != nil {
		return err
	}
	for _, r := range rows {
		a, ok := accounts[r.HouseholdID]
		bw.Add(r, a, ok)
	}
	return bw.Finish(w)
}

// BankWriter builds a bank payment file row by row, exactly as
// WriteBankCSV does from a slice (which it serves), so that an export can
// stream the roster from the database once instead of holding it: Add
// checks and formats each row, Finish writes the file — or nothing, with
// every problem listed, if any row was not payable.
type BankWriter struct {
	f     BankFormat
	l     errs.List
	seen  map[bankKey]bool
	paid  map[[2]string]int // account, month → first line
	total money.Fen
	n     int
	buf   bytes.Buffer
	cw    *csv.Writer
	rec   []string
	gbk   map[rune]bool // characters already checked against GBK
}

// gbkOK is gbkOK remembering the characters it has checked: a county's
// names share most of theirs.
func (b *BankWriter) gbkOK(s string) (bad string, ok bool) {
	for _, r := range s {
		if r < 0x80 {
			continue
		}
		good, seen := b.gbk[r]
		if !seen {
			_, good = gbkOK(string(r))
			b.gbk[r] = good
		}
		if !good {
			return string(r), false
		}
	}
	return "", true
}

type bankKey struct {
	id    int64
	month string
}

// NewBankWriter starts a file in format f (nil columns = DefaultBankFormat).
func NewBankWriter(f BankFormat) (*BankWriter, error) {
	if f.Columns == nil && f.Encoding == "" {
		f = DefaultBankFormat()
	}
	if err := f.Check(); err != nil {
		return nil, err
	}
	b := &BankWriter{f: f, seen: map[bankKey]bool{}, paid: map[[2]string]int{}, rec: make([]string, len(f.Columns)),
		gbk: map[rune]bool{}}
	if f.Encoding == UTF8 {
		b.buf.WriteString(bom)
	}
	b.cw = csv.NewWriter(&b.buf)
	b.cw.UseCRLF = true
	_ = b.cw.Write(f.Header())
	return b, nil
}

// Has reports whether the file has column key (e.g. ColIDMasked), so
// that a caller reads only what the format shows.
func (b *BankWriter) Has(key string) bool { return b.f.index(key) >= 0 }

// Add checks and appends one row paid to account a (ok false: the
// household has no account).
func (b *BankWriter) Add(r Row, a BankAccount, ok bool) {
	i, f, l := b.n, b.f, &b.l
	b.n++
	where := func() string { return fmt.Sprintf("第%d行（户 %d）", i+1, r.HouseholdID) }
	switch {
	case !ok:
		l.Add("account", "%s：没有银行账户信息，不能生成代发文件", where())
	case strings.TrimSpace(a.Name) == "" || strings.TrimSpace(a.Bank) == "" || strings.TrimSpace(a.Account) == "":
		l.Add("account", "%s：银行账户信息不完整（户名、开户银行、账号均须填写）", where())
	}
	for _, c := range [...]struct{ col, label, v string }{{ColName, "户名", a.Name}, {ColBank, "开户银行", a.Bank},
		{ColAccount, "银行账号", a.Account}, {ColNote, "备注", r.Note}, {ColRegion, "村（社区）", a.Region},
		{ColIDMasked, "身份证号", a.IDMasked}} {
		if f.index(c.col) < 0 && c.col != ColName && c.col != ColBank && c.col != ColAccount {
			continue
		}
		if msg := checkCell(c.v); msg != "" {
			l.Add("account", "%s：%s%s", where(), c.label, msg)
			continue
		}
		if f.Encoding == GBK && f.index(c.col) >= 0 {
			if bad, ok := b.gbkOK(c.v); !ok {
				who := where()
				if c.col == ColName {
					who = fmt.Sprintf("第%d行（户 %d，户主 %s）", i+1, r.HouseholdID, a.Name)
				}
				l.Add("encoding", "%s：%s中的“%s”无法用GBK编码，请改用UTF-8编码导出或在家庭档案中更正后重新生成", who, c.label, bad)
			}
		}
	}
	switch {
	case r.Amount <= 0 || r.Amount > money.MaxAbs:
		l.Add("amount", "%s：金额必须大于零", where())
	case b.total > money.MaxAbs-r.Amount:
		l.Add("amount", "%s：合计金额过大", where())
	default:
		b.total += r.Amount
	}
	if _, err := ParseMonth(r.Month); err != nil {
		l.Add("month", "%s：%s", where(), MsgMonth)
	}
	k := bankKey{r.HouseholdID, r.Month}
	if b.seen[k] {
		l.Add("household_id", "%s：同一户同一月份重复出现，不能重复发放", where())
	} else if a.Account != "" {
		pk := [2]string{a.Account, r.Month}
		if first, dup := b.paid[pk]; dup {
			l.Add("account", "%s：银行账号与第%d行相同，同一账号同一月份不能发放两次", where(), first)
		} else {
			b.paid[pk] = i + 1
		}
	}
	b.seen[k] = true
	if len(*l) > 0 {
		return // nothing will be written: no need to format
	}
	rec := b.rec
	for j, c := range f.Columns {
		switch c {
		case ColSeq:
			rec[j] = strconv.Itoa(seqOf(i, r))
		case ColName:
			rec[j] = a.Name
		case ColBank:
			rec[j] = a.Bank
		case ColAccount:
			rec[j] = a.Account
		case ColAmount:
			rec[j] = r.Amount.String()
		case ColMonth:
			rec[j] = r.Month
		case ColNote:
			rec[j] = r.Note
		case ColRegion:
			rec[j] = a.Region
		case ColIDMasked:
			rec[j] = a.IDMasked
		}
	}
	_ = b.cw.Write(rec)
}

// Rows is the number of rows added.
func (b *BankWriter) Rows() int { return b.n }

// Total is the sum of the payable amounts added.
func (b *BankWriter) Total() money.Fen { return b.total }

// Finish writes the file to w with its totals row (GBK-encoded if the
// format says so), or returns every problem found and writes nothing.
func (b *BankWriter) Finish(w io.Writer) error {
	if err := b.l.Err(); err != nil {
		return err
	}
	_ = b.cw.Write(b.f.totalsRow(b.total, b.n))
	b.cw.Flush()
	if err := b.cw.Error(); err != nil {
		return errs.Wrap(err, "写入代发文件失败")
	}
	out := b.buf.Bytes()
	if b.f.Encoding == GBK {
		var err error
		if out, err = encodeGBK(out); err != nil {
			return err
		}
	}
	if _, err := w.Write(out); err != nil {
		return errs.Wrap(err, "写入代发文件失败")
	}
	return nil
}

// seqOf is the 序号 of row i: its own Seq (a re-payment file keeps the
// numbers of the month's file, so the bank's result matches the roster) or
// its position.
func seqOf(i int, r Row) int {
	if r.Seq > 0 {
		return r.Seq
	}
	return i + 1
}

// totalsRow is 合计 in the first column, the total in the amount column and
// 共N户 in the note column, or else in the last column that is neither.
func (f BankFormat) totalsRow(total money.Fen, n int) []string {
	rec := make([]string, len(f.Columns))
	rec[0] = TotalLabel
	amt := f.index(ColAmount)
	rec[amt] = total.String()
	note := f.index(ColNote)
	if note < 0 {
		for j := len(rec) - 1; j > 0; j-- {
			if j != amt {
				note = j
				break
			}
		}
	}
	if note > 0 {
		rec[note] = totalNote(n)
	}
	return rec
}

func totalNote(n int) string { return fmt.Sprintf("共%d户", n) }

// MaxBankFile bounds the size ReadBankCSV accepts (64 MiB, far above a
// county's monthly file).
const MaxBankFile = 64 << 20

// ReadBankCSV reads a file written by WriteBankCSV (the byte-order mark is
// optional) and checks it the same way: the exact header, sequence numbers
// 1..n, complete accounts, positive amounts, valid months, safe cells, and a
// final totals row whose sum and count match. Every problem is reported at
// once, by line number, as an errs.List.
func ReadBankCSV(r io.Reader) ([]BankRow, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBankFile+1))
	if err != nil {
		return nil, errs.Wrap(err, "读取代发文件失败")
	}
	if len(data) > MaxBankFile {
		return nil, errs.Invalidf("file", "代发文件过大")
	}
	data = bytes.TrimPrefix(data, []byte(bom))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = len(bankHeader)
	recs, err := cr.ReadAll()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, errs.Invalidf("file", "第%d行：CSV格式错误（每行应为%d列）", pe.StartLine, len(bankHeader))
		}
		return nil, errs.Invalidf("file", "CSV格式错误")
	}
	if len(recs) < 2 {
		return nil, errs.Invalidf("file", "代发文件缺少表头或合计行")
	}
	for i, h := range bankHeader {
		if recs[0][i] != h {
			return nil, errs.Invalidf("file", "表头应为：%s", strings.Join(bankHeader[:], ","))
		}
	}
	var l errs.List
	body, last := recs[1:len(recs)-1], recs[len(recs)-1]
	out := make([]BankRow, 0, len(body))
	var total money.Fen
	seen := make(map[[2]string]bool, len(body))
	for i, rec := range body {
		line := i + 2
		br := BankRow{Name: rec[1], Bank: rec[2], Account: rec[3], Month: rec[5], Note: rec[6]}
		if n, err := strconv.Atoi(rec[0]); err != nil || n != i+1 {
			l.Add("seq", "第%d行：序号应为%d", line, i+1)
		}
		br.Seq = i + 1
		if strings.TrimSpace(br.Name) == "" || strings.TrimSpace(br.Bank) == "" || strings.TrimSpace(br.Account) == "" {
			l.Add("account", "第%d行：户名、开户银行、账号均须填写", line)
		}
		for j, v := range rec {
			if msg := checkCell(v); msg != "" {
				l.Add("file", "第%d行“%s”：%s", line, bankHeader[j], msg)
			}
		}
		if a, err := money.Parse(rec[4]); err != nil || a <= 0 {
			l.Add("amount", "第%d行：金额必须是大于零的数", line)
		} else if total > money.MaxAbs-a {
			l.Add("amount", "第%d行：合计金额过大", line)
		} else {
			br.Amount = a
			total += a
		}
		if _, err := ParseMonth(br.Month); err != nil {
			l.Add("month", "第%d行：%s", line, MsgMonth)
		}
		k := [2]string{br.Account, br.Month}
		if seen[k] {
			l.Add("account", "第%d行：同一账号同一月份重复出现", line)
		}
		seen[k] = true
		out = append(out, br)
	}
	lastLine := len(recs)
	if last[0] != TotalLabel || last[1] != "" || last[2] != "" || last[3] != "" || last[5] != "" {
		l.Add("file", "第%d行：最后一行应为合计行", lastLine)
	} else {
		if a, err := money.Parse(last[4]); err != nil || a != total {
			l.Add("file", "第%d行：合计金额应为%s", lastLine, total.String())
		}
		if last[6] != totalNote(len(body)) {
			l.Add("file", "第%d行：合计户数应为“%s”", lastLine, totalNote(len(body)))
		}
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
