package roster

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"dibao/internal/errs"
	"dibao/internal/money"
)

func msgs(err error) string {
	var l errs.List
	if errors.As(err, &l) {
		var out []string
		for _, e := range l {
			out = append(out, e.Message)
		}
		return strings.Join(out, "\n")
	}
	if err == nil {
		return ""
	}
	return errs.As(err).Message
}

func TestBankFormatCheck(t *testing.T) {
	if err := DefaultBankFormat().Check(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    BankFormat
		want string
	}{
		{BankFormat{Columns: []string{ColSeq, ColAccount}, Encoding: UTF8}, "须包含序号、银行账号和金额"},
		{BankFormat{Columns: []string{ColSeq, ColAccount, ColAmount, "phone"}, Encoding: UTF8}, "“phone”无效"},
		{BankFormat{Columns: []string{ColSeq, ColAccount, ColAmount, ColSeq}, Encoding: UTF8}, "“序号”重复"},
		{BankFormat{Columns: []string{ColSeq, ColAccount, ColAmount}, Encoding: "big5"}, "utf-8 或 gbk"},
	} {
		if err := c.f.Check(); errs.CodeOf(err) != errs.Invalid || !strings.Contains(msgs(err), c.want) {
			t.Errorf("%+v: %v, want %q", c.f, err, c.want)
		}
	}
}

func gbkFormat() BankFormat {
	return BankFormat{Columns: []string{ColAccount, ColName, ColAmount, ColSeq, ColRegion, ColIDMasked}, Encoding: GBK}
}

func TestWriteBankCSVColumnsAndGBK(t *testing.T) {
	rows, acc := bankFixture()
	acc[11] = BankAccount{Name: "张三", Bank: "农行", Account: "6228480010000000011", Region: "李家庄村", IDMasked: "130199********002X"}
	var buf bytes.Buffer
	if err := WriteBankCSV(&buf, rows, acc, gbkFormat()); err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(buf.Bytes(), []byte(bom)) {
		t.Fatal("a GBK file carries no byte-order mark")
	}
	text, err := simplifiedchinese.GBK.NewDecoder().Bytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := "银行账号,户主姓名,金额(元),序号,村（社区）,身份证号(脱敏)\r\n" +
		"6228480010000000011,张三,650.00,1,李家庄村,130199********002X\r\n" +
		"6228480010000000012,\"李四,\"\"小\"\"\",1234.50,2,,\r\n" +
		"6228480010000000013,王五,0.01,3,,\r\n" +
		"合计,,1884.51,,,共3户\r\n"
	if string(text) != want {
		t.Errorf("got\n%q\nwant\n%q", text, want)
	}
	// The same bytes are not valid UTF-8 Chinese: the file really is GBK.
	if bytes.Contains(buf.Bytes(), []byte("张三")) {
		t.Error("file is not GBK-encoded")
	}
}

func TestWriteBankCSVRefusesNonGBK(t *testing.T) {
	rows, acc := bankFixture()
	a := acc[12]
	a.Name = "李\U00020000"
	acc[12] = a
	var buf bytes.Buffer
	err := WriteBankCSV(&buf, rows, acc, gbkFormat())
	if errs.CodeOf(err) != errs.Invalid || buf.Len() != 0 {
		t.Fatalf("err %v, wrote %d bytes", err, buf.Len())
	}
	if m := msgs(err); !strings.Contains(m, "第2行（户 12，户主 李\U00020000）") || !strings.Contains(m, "无法用GBK编码") {
		t.Fatalf("message %q", m)
	}
	// UTF-8 takes any name.
	if err := WriteBankCSV(&buf, rows, acc, BankFormat{Columns: gbkFormat().Columns, Encoding: UTF8}); err != nil {
		t.Fatal(err)
	}
}

// result builds a result file in the default format (UTF-8).
func result(lines ...string) string {
	return bom + "序号,户主姓名,开户银行,银行账号,金额(元),月份,备注,处理结果,失败原因\r\n" + strings.Join(lines, "\r\n") + "\r\n"
}

func TestReadBankResult(t *testing.T) {
	in := result(
		"1,张三,农行,6228480010000000011,650.00,2026-12,,成功,",
		"2,李四,信用社,6228480010000000012,1234.50,2026-12,,失败,账户已冻结",
		"合计,,,,1884.50,,共2户,,")
	got, err := ReadBankResult(strings.NewReader(in), DefaultBankFormat())
	if err != nil {
		t.Fatal(err)
	}
	want := []BankResult{
		{Line: 2, Seq: 1, Account: "6228480010000000011", Amount: 65000, Paid: true},
		{Line: 3, Seq: 2, Account: "6228480010000000012", Amount: 123450, Reason: "账户已冻结"},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %+v", got)
	}
	// GBK, in a custom format.
	f := BankFormat{Columns: []string{ColAmount, ColAccount, ColSeq}, Encoding: GBK}
	g, _ := simplifiedchinese.GBK.NewEncoder().String("金额(元),银行账号,序号,处理结果,失败原因\r\n1.00,62,1,成功,\r\n")
	if got, err := ReadBankResult(strings.NewReader(g), f); err != nil || len(got) != 1 || !got[0].Paid || got[0].Amount != 100 {
		t.Fatalf("GBK result: %+v, %v", got, err)
	}
	for _, c := range []struct{ in, want string }{
		{"序号,户主姓名\r\n", "表头应为"},
		{result("1,张三,农行,62,650.00,2026-12,,已处理,"), "第2行：处理结果应为“成功”或“失败”，实际为“已处理”"},
		{result("1,张三,农行,62,650.00,2026-12,,失败,"), "第2行：处理结果为“失败”时须有失败原因"},
		{result("x,张三,农行,62,650.00,2026-12,,成功,"), "第2行：序号“x”无效"},
		{result("1,张三,农行,62,-5,2026-12,,成功,"), "第2行：金额“-5”无效"},
		{result("1,张三,农行,62,650.00,2026-12,成功,"), "第2行：应为9列，实际8列"},
		{result("1,张三,农行,62,650.00,2026-12,,失败,=cmd()"), "失败原因不能以 = + - @ 开头"},
		{"", "空的"},
	} {
		_, err := ReadBankResult(strings.NewReader(c.in), DefaultBankFormat())
		if errs.CodeOf(err) != errs.Invalid || !strings.Contains(msgs(err), c.want) {
			t.Errorf("%q: %v, want %q", c.in, msgs(err), c.want)
		}
	}
}

func TestMatchBankResult(t *testing.T) {
	pays := []Payment{
		{Seq: 1, HouseholdID: 11, Account: "A1", Amount: 100},
		{Seq: 2, HouseholdID: 12, Account: "A2", Amount: 200, Paid: true},
		{Seq: 3, HouseholdID: 13, Account: "A3", Amount: 300},
	}
	ok := []BankResult{{Line: 2, Seq: 1, Account: "A1", Amount: 100, Paid: true},
		{Line: 3, Seq: 3, Account: "A3", Amount: 300, Reason: "户名不符"}}
	out, err := MatchBankResult(pays, ok)
	if err != nil || len(out) != 2 || out[0] != (Outcome{HouseholdID: 11, Paid: true}) ||
		out[1] != (Outcome{HouseholdID: 13, Reason: "户名不符"}) {
		t.Fatalf("%+v, %v", out, err)
	}
	bad := []BankResult{
		{Line: 2, Seq: 1, Account: "A9", Amount: 100, Paid: true},
		{Line: 3, Seq: 2, Account: "A2", Amount: 200, Reason: "超时"},
		{Line: 4, Seq: 3, Account: "A3", Amount: money.Fen(301), Paid: true},
		{Line: 5, Seq: 3, Account: "A3", Amount: 300, Paid: true},
		{Line: 6, Seq: 4, Account: "A4", Amount: 400, Paid: true},
	}
	out, err = MatchBankResult(pays, bad)
	m := msgs(err)
	for _, want := range []string{"第2行（序号 1）：银行账号 A9 与名册不符", "第3行（序号 2）：该笔已由此前的回盘文件确认发放成功",
		"第4行（序号 3）：金额 3.01 元与名册 3.00 元不符", "第5行（序号 3）：序号与第4行重复", "第6行（序号 4）：名册中没有该序号（名册共3户）"} {
		if !strings.Contains(m, want) {
			t.Errorf("missing %q in\n%s", want, m)
		}
	}
	if out != nil {
		t.Errorf("outcomes with a mismatch: %+v", out)
	}
}
