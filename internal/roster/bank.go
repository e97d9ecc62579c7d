package roster

import (
	"bufio"
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

// BankAccount is where a household's benefit is paid.
type BankAccount struct {
	Name    string // account holder (户主姓名)
	Bank    string // 开户银行
	Account string // account number
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

// WriteBankCSV writes rows as a bank payment file: UTF-8 with a byte-order
// mark (so that Excel shows the Chinese), CRLF line ends, the header
// 序号,户主姓名,开户银行,银行账号,金额(元),月份,备注, one line per row in the order
// given, and a totals row (合计, sum, 共N户). Nothing is written unless every
// row is payable: each household needs a complete account, a positive
// amount, a valid month, cells free of control characters and formula
// prefixes, and no household may appear twice for a month; all problems are
// reported at once as an errs.List naming the household ids.
func WriteBankCSV(w io.Writer, rows []Row, accounts map[int64]BankAccount) error {
	var l errs.List
	type key struct {
		id    int64
		month string
	}
	seen := make(map[key]bool, len(rows))
	paid := make(map[[2]string]int, len(rows)) // account, month → first line
	var total money.Fen
	for i, r := range rows {
		where := fmt.Sprintf("第%d行（户 %d）", i+1, r.HouseholdID)
		a, ok := accounts[r.HouseholdID]
		switch {
		case !ok:
			l.Add("account", "%s：没有银行账户信息，不能生成代发文件", where)
		case strings.TrimSpace(a.Name) == "" || strings.TrimSpace(a.Bank) == "" || strings.TrimSpace(a.Account) == "":
			l.Add("account", "%s：银行账户信息不完整（户名、开户银行、账号均须填写）", where)
		}
		for _, c := range [...]struct{ label, v string }{{"户名", a.Name}, {"开户银行", a.Bank}, {"银行账号", a.Account}, {"备注", r.Note}} {
			if msg := checkCell(c.v); msg != "" {
				l.Add("account", "%s：%s%s", where, c.label, msg)
			}
		}
		switch {
		case r.Amount <= 0 || r.Amount > money.MaxAbs:
			l.Add("amount", "%s：金额必须大于零", where)
		case total > money.MaxAbs-r.Amount:
			l.Add("amount", "%s：合计金额过大", where)
		default:
			total += r.Amount
		}
		if _, err := ParseMonth(r.Month); err != nil {
			l.Add("month", "%s：%s", where, MsgMonth)
		}
		k := key{r.HouseholdID, r.Month}
		if seen[k] {
			l.Add("household_id", "%s：同一户同一月份重复出现，不能重复发放", where)
		} else if a.Account != "" {
			pk := [2]string{a.Account, r.Month}
			if first, dup := paid[pk]; dup {
				l.Add("account", "%s：银行账号与第%d行相同，同一账号同一月份不能发放两次", where, first)
			} else {
				paid[pk] = i + 1
			}
		}
		seen[k] = true
	}
	if err := l.Err(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(bom); err != nil {
		return errs.Wrap(err, "写入代发文件失败")
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	_ = cw.Write(bankHeader[:])
	for i, r := range rows {
		a := accounts[r.HouseholdID]
		_ = cw.Write([]string{strconv.Itoa(i + 1), a.Name, a.Bank, a.Account, r.Amount.String(), r.Month, r.Note})
	}
	_ = cw.Write([]string{TotalLabel, "", "", "", total.String(), "", totalNote(len(rows))})
	cw.Flush()
	if err := cw.Error(); err != nil {
		return errs.Wrap(err, "写入代发文件失败")
	}
	if err := bw.Flush(); err != nil {
		return errs.Wrap(err, "写入代发文件失败")
	}
	return nil
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
