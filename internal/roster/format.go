package roster

import (
	"slices"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"

	"dibao/internal/errs"
)

// Column keys of the bank payment file. A county chooses which appear and in
// what order (policy parameter bank_csv_columns); seq, account and amount
// are always required because the bank's result file is matched on them.
const (
	ColSeq      = "seq"
	ColName     = "name"
	ColBank     = "bank"
	ColAccount  = "account"
	ColAmount   = "amount"
	ColMonth    = "month"
	ColNote     = "note"
	ColRegion   = "region"
	ColIDMasked = "id_masked"
)

// The encodings of the bank payment file (policy parameter
// bank_csv_encoding).
const (
	UTF8 = "utf-8" // with a byte-order mark, so that Excel shows the Chinese
	GBK  = "gbk"   // what many bank systems still require
)

// BankColumn is one known column of the bank payment file.
type BankColumn struct {
	Key   string
	Title string // header cell
}

var bankColumns = []BankColumn{{ColSeq, "序号"}, {ColName, "户主姓名"}, {ColBank, "开户银行"},
	{ColAccount, "银行账号"}, {ColAmount, "金额(元)"}, {ColMonth, "月份"}, {ColNote, "备注"},
	{ColRegion, "村（社区）"}, {ColIDMasked, "身份证号(脱敏)"}}

// BankColumns lists the known columns in their default order.
func BankColumns() []BankColumn { return slices.Clone(bankColumns) }

func columnTitle(key string) string {
	for _, c := range bankColumns {
		if c.Key == key {
			return c.Title
		}
	}
	return ""
}

// BankFormat is the layout of a county's bank payment file.
type BankFormat struct {
	Columns  []string // column keys in order
	Encoding string   // UTF8 or GBK
}

// DefaultBankFormat is the file ReadBankCSV reads: 序号,户主姓名,开户银行,银行账号,
// 金额(元),月份,备注 in UTF-8 with a byte-order mark.
func DefaultBankFormat() BankFormat {
	return BankFormat{Columns: []string{ColSeq, ColName, ColBank, ColAccount, ColAmount, ColMonth, ColNote}, Encoding: UTF8}
}

// Check validates f: known, distinct columns including seq, account and
// amount, and a known encoding.
func (f BankFormat) Check() error {
	var l errs.List
	seen := map[string]bool{}
	for _, c := range f.Columns {
		switch {
		case columnTitle(c) == "":
			l.Add("bank_csv_columns", "银行代发文件列“%s”无效", c)
		case seen[c]:
			l.Add("bank_csv_columns", "银行代发文件列“%s”重复", columnTitle(c))
		}
		seen[c] = true
	}
	if !seen[ColSeq] || !seen[ColAccount] || !seen[ColAmount] {
		l.Add("bank_csv_columns", "银行代发文件须包含序号、银行账号和金额")
	}
	if f.Encoding != UTF8 && f.Encoding != GBK {
		l.Add("bank_csv_encoding", "银行代发文件编码只能为 utf-8 或 gbk")
	}
	return l.Err()
}

// Header is the header row of f.
func (f BankFormat) Header() []string {
	out := make([]string, len(f.Columns))
	for i, c := range f.Columns {
		out[i] = columnTitle(c)
	}
	return out
}

func (f BankFormat) index(key string) int { return slices.Index(f.Columns, key) }

// gbkOK reports whether s can be written in GBK; bad is the first
// character that cannot.
func gbkOK(s string) (bad string, ok bool) {
	enc := simplifiedchinese.GBK.NewEncoder()
	for _, r := range s {
		if r < 0x80 {
			continue
		}
		if _, err := enc.String(string(r)); err != nil {
			return string(r), false
		}
	}
	return "", true
}

// encodeGBK converts UTF-8 text to GBK.
func encodeGBK(b []byte) ([]byte, error) {
	out, err := simplifiedchinese.GBK.NewEncoder().Bytes(b)
	if err != nil {
		return nil, errs.Invalidf("file", "代发文件无法转换为GBK编码")
	}
	return out, nil
}

// decodeText reads a file in encoding enc as UTF-8 text, dropping a UTF-8
// byte-order mark.
func decodeText(data []byte, enc string) (string, error) {
	if enc == GBK {
		if strings.HasPrefix(string(data), bom) {
			return strings.TrimPrefix(string(data), bom), nil // sent back as UTF-8 after all
		}
		out, err := simplifiedchinese.GBK.NewDecoder().Bytes(data)
		if err != nil {
			return "", errs.Invalidf("file", "文件不是GBK编码，无法读取")
		}
		return string(out), nil
	}
	return strings.TrimPrefix(string(data), bom), nil
}
