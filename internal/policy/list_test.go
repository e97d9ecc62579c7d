package policy

import (
	"slices"
	"strings"
	"testing"

	"dibao/internal/errs"
	"dibao/internal/roster"
)

func TestListParameter(t *testing.T) {
	d := Defaults()
	if f := d.BankFormat(); !slices.Equal(f.Columns, roster.DefaultBankFormat().Columns) || f.Encoding != roster.UTF8 {
		t.Fatalf("default bank format %+v", f)
	}
	for raw, want := range map[string]string{
		"seq，name、account amount":    "seq,name,account,amount",
		" 序号, 银行账号 ,金额(元),身份证号(脱敏) ": "seq,account,amount,id_masked",
		"SEQ,Account,AMOUNT,region":  "seq,account,amount,region",
	} {
		v, err := Parse(BankCSVColumns, raw)
		if err != nil || v.String() != want || v.Kind() != List {
			t.Errorf("%q → %q, %v; want %q", raw, v.String(), err, want)
		}
	}
	for raw, want := range map[string]string{
		"seq,phone,amount": "“phone”不是可选项",
		"seq,seq,account":  "“seq”重复出现",
		" , ，":             "请填写「银行代发文件列」",
		"":                 "请填写「银行代发文件列」",
	} {
		_, err := Parse(BankCSVColumns, raw)
		if errs.CodeOf(err) != errs.Invalid || !strings.Contains(err.Error()+errs.As(err).Message, want) {
			t.Errorf("%q: %v, want %q", raw, err, want)
		}
	}
	def, _ := Lookup(BankCSVColumns)
	v, _ := Parse(BankCSVColumns, "seq,account,amount")
	if got := def.Format(v); got != "序号、银行账号、金额(元)" {
		t.Errorf("Format = %q", got)
	}
	// A set without account or amount is refused when saved.
	bad, _ := Parse(BankCSVColumns, "seq,name,amount")
	if err := d.With(BankCSVColumns, bad, "test").Check(); errs.CodeOf(err) != errs.Invalid || !strings.Contains(err.Error(), "银行账号") {
		t.Errorf("Check: %v", err)
	}
	if _, err := Parse(BankCSVEncoding, "gbk"); err != nil {
		t.Error(err)
	}
	if _, err := Parse(BankCSVEncoding, "big5"); errs.CodeOf(err) != errs.Invalid {
		t.Error("big5 accepted")
	}
}
