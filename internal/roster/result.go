package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"dibao/internal/errs"
	"dibao/internal/money"
)

// The two columns the bank appends to the payment file when it returns it.
const (
	ResultColumn = "处理结果"
	ReasonColumn = "失败原因"
	ResultPaid   = "成功"
	ResultFailed = "失败"
)

// BankResult is one line of the bank's result file.
type BankResult struct {
	Line    int // line in the file, 1 = header
	Seq     int
	Account string
	Amount  money.Fen
	Paid    bool
	Reason  string // 失败原因, "" when paid
}

// ReadBankResult reads the bank's result file: the payment file in format
// f with the columns 处理结果 (成功/失败) and 失败原因 appended; the totals row
// may be kept or dropped. Every problem is reported at once by line number
// as an errs.List with Chinese messages; a file with any problem gives no
// rows.
func ReadBankResult(r io.Reader, f BankFormat) ([]BankResult, error) {
	if f.Columns == nil && f.Encoding == "" {
		f = DefaultBankFormat()
	}
	if err := f.Check(); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxBankFile+1))
	if err != nil {
		return nil, errs.Wrap(err, "读取银行回盘文件失败")
	}
	if len(data) > MaxBankFile {
		return nil, errs.Invalidf("file", "银行回盘文件过大")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errs.Invalidf("file", "银行回盘文件是空的")
	}
	text, err := decodeText(data, f.Encoding)
	if err != nil {
		return nil, err
	}
	header := append(f.Header(), ResultColumn, ReasonColumn)
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, errs.Invalidf("file", "第%d行：CSV格式错误", pe.StartLine)
		}
		return nil, errs.Invalidf("file", "CSV格式错误")
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != strings.Join(header, ",") {
		return nil, errs.Invalidf("file", "表头应为：%s（即导出的代发文件加上“处理结果”“失败原因”两列）", strings.Join(header, ","))
	}
	body := recs[1:]
	if n := len(body); n > 0 && body[n-1][0] == TotalLabel {
		body = body[:n-1]
	}
	iSeq, iAcct, iAmt := f.index(ColSeq), f.index(ColAccount), f.index(ColAmount)
	iRes, iWhy := len(header)-2, len(header)-1
	var l errs.List
	out := make([]BankResult, 0, len(body))
	for i, rec := range body {
		line := i + 2
		if len(rec) != len(header) {
			l.Add("file", "第%d行：应为%d列，实际%d列", line, len(header), len(rec))
			continue
		}
		x := BankResult{Line: line, Account: strings.TrimSpace(rec[iAcct]), Reason: strings.TrimSpace(rec[iWhy])}
		n, err := strconv.Atoi(strings.TrimSpace(rec[iSeq]))
		if err != nil || n < 1 {
			l.Add("seq", "第%d行：序号“%s”无效", line, rec[iSeq])
		}
		x.Seq = n
		if x.Account == "" {
			l.Add("account", "第%d行：银行账号为空", line)
		}
		if a, err := money.Parse(strings.TrimSpace(rec[iAmt])); err != nil || a <= 0 {
			l.Add("amount", "第%d行：金额“%s”无效", line, rec[iAmt])
		} else {
			x.Amount = a
		}
		switch strings.TrimSpace(rec[iRes]) {
		case ResultPaid:
			x.Paid = true
		case ResultFailed:
			if x.Reason == "" {
				l.Add("reason", "第%d行：处理结果为“失败”时须有失败原因", line)
			}
		default:
			l.Add("result", "第%d行：处理结果应为“成功”或“失败”，实际为“%s”", line, rec[iRes])
		}
		if msg := checkCell(x.Reason); msg != "" {
			l.Add("reason", "第%d行：失败原因%s", line, msg)
		}
		if x.Paid {
			x.Reason = ""
		}
		out = append(out, x)
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errs.Invalidf("file", "银行回盘文件中没有发放记录")
	}
	return out, nil
}

// Payment is one line of an approved roster as the payment file numbered
// it: Seq is its 1-based position.
type Payment struct {
	Seq         int
	HouseholdID int64
	Account     string
	Amount      money.Fen
	Paid        bool // already marked paid by an earlier result file
}

// Outcome is a matched result line: the household and what the bank did.
type Outcome struct {
	HouseholdID int64
	Paid        bool
	Reason      string
}

// MatchBankResult matches every result line to the roster by 序号, 银行账号
// and 金额: all three must agree with the payment of that sequence number,
// no sequence number may appear twice, and a payment already marked paid
// cannot become failed. Every mismatch is reported, line by line, in one
// errs.List, and then no outcome is returned.
func MatchBankResult(pays []Payment, results []BankResult) ([]Outcome, error) {
	var l errs.List
	seen := map[int]int{}
	out := make([]Outcome, 0, len(results))
	for _, x := range results {
		where := fmt.Sprintf("第%d行（序号 %d）", x.Line, x.Seq)
		if first, dup := seen[x.Seq]; dup {
			l.Add("seq", "%s：序号与第%d行重复", where, first)
			continue
		}
		seen[x.Seq] = x.Line
		if x.Seq < 1 || x.Seq > len(pays) {
			l.Add("seq", "%s：名册中没有该序号（名册共%d户）", where, len(pays))
			continue
		}
		p := pays[x.Seq-1]
		bad := false
		if x.Account != p.Account {
			l.Add("account", "%s：银行账号 %s 与名册不符", where, x.Account)
			bad = true
		}
		if x.Amount != p.Amount {
			l.Add("amount", "%s：金额 %s 元与名册 %s 元不符", where, x.Amount.String(), p.Amount.String())
			bad = true
		}
		if !bad && p.Paid && !x.Paid {
			l.Add("result", "%s：该笔已由此前的回盘文件确认发放成功，不能改为失败", where)
			bad = true
		}
		if !bad {
			out = append(out, Outcome{HouseholdID: p.HouseholdID, Paid: x.Paid, Reason: x.Reason})
		}
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
