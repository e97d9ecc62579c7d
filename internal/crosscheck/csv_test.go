package crosscheck

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"testing"

	"dibao/internal/errs"
	"dibao/internal/idcard"
	"dibao/internal/money"
)

func TestWriteRequestCSV(t *testing.T) {
	second := sampleRequest()
	second.ID = "HD-130199-2026-000124-01"
	second.CaseNumber = "SQ-130199-2026-000124"
	second.Persons = []Person{{Name: "王五", IDNumber: idNoRegion, Relation: "户主"}}
	second.Scope = []Source{Vehicle, RealEstate}

	var buf bytes.Buffer
	if err := WriteRequestCSV(&buf, []Request{sampleRequest(), second}); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	if !bytes.HasPrefix(out, bom) {
		t.Fatal("request file has no BOM")
	}
	if strings.Count(string(out), "\r\n") != 5 || strings.Count(string(out), "\n") != 5 {
		t.Fatalf("want 5 CRLF-terminated lines:\n%q", out)
	}
	recs, err := csv.NewReader(bytes.NewReader(out[len(bom):])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	all := "社会保险/养老金、住房公积金、市场主体登记、机动车、不动产、银行存款、证券、个人所得税"
	want := [][]string{
		RequestHeader,
		{"SQ-130199-2026-000123", "HD-130199-2026-000123-01", "张三", string(idHead), "户主", all},
		{"SQ-130199-2026-000123", "HD-130199-2026-000123-01", "李四", string(idWife), "配偶", all},
		{"SQ-130199-2026-000123", "HD-130199-2026-000123-01", "张小明", string(idSon), "子女", all},
		{"SQ-130199-2026-000124", "HD-130199-2026-000124-01", "王五", string(idNoRegion), "户主", "机动车、不动产"},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Fatalf("records:\n%q\nwant\n%q", recs, want)
	}
	if strings.Join(RequestHeader, ",") != "申请编号,请求编号,姓名,公民身份号码,与户主关系,核对项目" {
		t.Fatalf("header %q", RequestHeader)
	}
}

func TestWriteRequestCSVInvalid(t *testing.T) {
	bad := sampleRequest()
	bad.Persons[1].IDNumber = idcard.ID(badCheck(idWife))
	bad.Scope = nil
	dup := sampleRequest()
	cases := []struct {
		name string
		reqs []Request
		want []string
	}{
		{"none", nil, []string{"没有要导出的核对请求"}},
		{"every problem of every request", []Request{sampleRequest(), bad}, []string{
			"第2个核对请求（HD-130199-2026-000123-01）：第2名人员（" + idcard.Mask(badCheck(idWife)) + "）：" + idcard.MsgCheck,
			"第2个核对请求（HD-130199-2026-000123-01）：请至少选择一个核对项目",
			"第2个核对请求的编号“HD-130199-2026-000123-01”与第1个重复",
		}},
		{"duplicate id", []Request{sampleRequest(), dup}, []string{"第2个核对请求的编号“HD-130199-2026-000123-01”与第1个重复"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteRequestCSV(&buf, c.reqs)
			noFullIDs(t, err)
			if got := messages(err); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("messages %q; want %q", got, c.want)
			}
			if buf.Len() != 0 {
				t.Fatalf("wrote %d bytes despite errors", buf.Len())
			}
		})
	}
}

// header8 is the result header exactly as the brief names the columns.
const header8 = "请求编号,公民身份号码,核对项目,类别(收入/财产),说明,金额(元),月数,数量"

func resultFile(header string, rows ...string) string {
	return "\uFEFF" + header + "\r\n" + strings.Join(rows, "\r\n") + "\r\n"
}

// handWritten answers sampleRequest narrowed to three sources, the way a
// platform operator would: findings, nothing-found rows and one source
// that could not be checked.
func handWritten() string {
	const r = "HD-130199-2026-000123-01"
	return resultFile(header8,
		r+","+string(idHead)+",社会保险/养老金,收入,城乡居民基本养老保险待遇,\"2,400.00\",12,",
		r+","+string(idHead)+",机动车,无记录,,,,",
		r+","+string(idHead)+",银行存款,财产,银行存款余额,12345.67,,",
		r+","+string(idWife)+",social_insurance,收入,城乡居民基本养老保险待遇,1800,12,",
		r+","+string(idWife)+",机动车,无记录,,,,",
		r+","+string(idWife)+",银行存款,无记录,,,,",
		r+","+string(idSon)+",社会保险/养老金,收入,企业职工养老保险缴费记录,18000,6,",
		r+","+string(idSon)+",机动车,财产,小型普通客车1辆,45000,,1",
		r+","+string(idSon)+",银行存款,未核对,银行系统维护，暂停查询,,,",
	)
}

func TestRoundTrip(t *testing.T) {
	req := sampleRequest()
	req.Scope = []Source{SocialInsurance, Vehicle, Deposit}
	var out bytes.Buffer
	if err := WriteRequestCSV(&out, []Request{req}); err != nil {
		t.Fatal(err)
	}
	reps, err := ReadResultCSV(strings.NewReader(handWritten()))
	if err != nil {
		t.Fatalf("read: %q", messages(err))
	}
	if len(reps) != 1 {
		t.Fatalf("%d reports", len(reps))
	}
	rep := reps[0]
	want := Report{
		RequestID: req.ID,
		Status:    StatusPartial,
		Findings: []Finding{
			{IDNumber: idHead, Source: SocialInsurance, Kind: KindIncome, IncomeKind: "pension", Description: "城乡居民基本养老保险待遇", Amount: 240000, Months: 12},
			{IDNumber: idHead, Source: Deposit, Kind: KindProperty, PropertyKind: "deposit", Description: "银行存款余额", Amount: 1234567, Quantity: 1},
			{IDNumber: idWife, Source: SocialInsurance, Kind: KindIncome, IncomeKind: "pension", Description: "城乡居民基本养老保险待遇", Amount: 180000, Months: 12},
			{IDNumber: idSon, Source: SocialInsurance, Kind: KindIncome, IncomeKind: "pension", Description: "企业职工养老保险缴费记录", Amount: 1800000, Months: 6},
			{IDNumber: idSon, Source: Vehicle, Kind: KindProperty, PropertyKind: "vehicle", Description: "小型普通客车1辆", Amount: 4500000, Quantity: 1},
		},
		Checked: []Check{
			{idHead, SocialInsurance}, {idHead, Vehicle}, {idHead, Deposit},
			{idWife, SocialInsurance}, {idWife, Vehicle}, {idWife, Deposit},
			{idSon, SocialInsurance}, {idSon, Vehicle},
		},
		Gaps: []Gap{{IDNumber: idSon, Source: Deposit, Reason: "银行系统维护，暂停查询"}},
	}
	if !reflect.DeepEqual(rep, want) {
		t.Fatalf("report\n%+v\nwant\n%+v", rep, want)
	}
	if err := Match(req, rep); err != nil {
		t.Fatalf("Match: %q", messages(err))
	}
	if filled := FillGaps(req, rep); !reflect.DeepEqual(filled, rep) {
		t.Fatalf("FillGaps changed a fully answered report: %+v", filled)
	}

	// Written back and read again, the report is the same.
	var res bytes.Buffer
	if err := WriteResultCSV(&res, reps); err != nil {
		t.Fatalf("WriteResultCSV: %q", messages(err))
	}
	again, err := ReadResultCSV(&res)
	if err != nil {
		t.Fatalf("reread: %q", messages(err))
	}
	if !reflect.DeepEqual(again, reps) {
		t.Fatalf("reread\n%+v\nwant\n%+v", again, reps)
	}
}

func TestReadResultCSVTolerance(t *testing.T) {
	const r = "HD-1"
	wantOne := []Finding{{IDNumber: idSon, Source: Vehicle, Kind: KindProperty, PropertyKind: "vehicle", Description: "小型普通客车", Amount: 4500000, Quantity: 1}}
	cases := []struct {
		name string
		file string
		want []Finding
	}{
		{"BOM and CRLF", resultFile(header8, r+","+string(idSon)+",机动车,财产,小型普通客车,45000,,1"), wantOne},
		{"no BOM, LF", header8 + "\n" + r + "," + string(idSon) + ",机动车,财产,小型普通客车,45000,,1\n", wantOne},
		{"no final newline", header8 + "\n" + r + "," + string(idSon) + ",机动车,财产,小型普通客车,45000,,1", wantOne},
		{"blank lines and padding cells", resultFile(header8, "", r+","+string(idSon)+",机动车,财产,小型普通客车,45000,,1,,", ",,,,,,,"), wantOne},
		{"quantity empty means one", resultFile(header8, r+","+string(idSon)+",vehicle,property,小型普通客车,45000,0,"), wantOne},
		{"aliases, order, full-width brackets, ignored columns", resultFile(
			"序号,姓名,金额（元）,类别,身份证号,核对项目,请求编号,数量,月数,说明",
			"1,张小明,45000,财产,"+string(idSon)+",机动车,"+r+",1,,小型普通客车"), wantOne},
		{"ID kept as Excel text with an apostrophe", resultFile(header8, r+",'"+string(idSon)+",机动车,财产,小型普通客车,45000,,1"), wantOne},
		{"ID typed with lower x, spaces and a tab", resultFile(header8,
			r+",\t 11010519491231002x ,机动车,财产,小型普通客车,45000,,1"),
			[]Finding{{IDNumber: "11010519491231002X", Source: Vehicle, Kind: KindProperty, PropertyKind: "vehicle", Description: "小型普通客车", Amount: 4500000, Quantity: 1}}},
		{"unknown region prefix", resultFile(header8, r+","+string(idNoRegion)+",机动车,财产,小型普通客车,45000,,1"),
			[]Finding{{IDNumber: idNoRegion, Source: Vehicle, Kind: KindProperty, PropertyKind: "vehicle", Description: "小型普通客车", Amount: 4500000, Quantity: 1}}},
		{"kind column overrides the default", resultFile(header8+",类型",
			r+","+string(idSon)+",社会保险/养老金,收入,缴费记录,18000,6,,工资性收入"),
			[]Finding{{IDNumber: idSon, Source: SocialInsurance, Kind: KindIncome, IncomeKind: "wage", Description: "缴费记录", Amount: 1800000, Months: 6}}},
		{"property value zero is allowed", resultFile(header8, r+","+string(idSon)+",市场主体登记,财产,个体工商户,0,,"),
			[]Finding{{IDNumber: idSon, Source: Business, Kind: KindProperty, PropertyKind: "business", Description: "个体工商户", Amount: 0, Quantity: 1}}},
		{"escaped formula in description", resultFile(header8, r+","+string(idSon)+",机动车,财产,'=车辆,45000,,1"),
			[]Finding{{IDNumber: idSon, Source: Vehicle, Kind: KindProperty, PropertyKind: "vehicle", Description: "=车辆", Amount: 4500000, Quantity: 1}}},
		{"multi-line quoted cell elsewhere", resultFile(header8, r+","+string(idSon)+",机动车,财产,\"小型普通客车\",45000,,1"), wantOne},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reps, err := readResultCSV(strings.NewReader(c.file), today)
			if err != nil {
				t.Fatalf("error: %q", messages(err))
			}
			if len(reps) != 1 || !reflect.DeepEqual(reps[0].Findings, c.want) || reps[0].Status != StatusComplete {
				t.Fatalf("reports %+v; want findings %+v", reps, c.want)
			}
		})
	}
}

// row is one data row of a header8 file, for building bad files.
type row struct{ req, id, src, cat, desc, amt, months, qty string }

func (r row) String() string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write([]string{r.req, r.id, r.src, r.cat, r.desc, r.amt, r.months, r.qty})
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

func income() row {
	return row{"HD-1", string(idHead), "社会保险/养老金", "收入", "养老金", "2400", "12", ""}
}

func property() row {
	return row{"HD-1", string(idSon), "机动车", "财产", "小型普通客车", "45000", "", "1"}
}

func with(r row, edit func(r *row)) string {
	edit(&r)
	return r.String()
}

func TestReadResultCSVErrors(t *testing.T) {
	long := strings.Repeat("说", 201)
	cases := []struct {
		name string
		file string
		want []string
	}{
		// Header.
		{"empty file", "", []string{"结果文件为空"}},
		{"only a BOM", "\uFEFF", []string{"结果文件为空"}},
		{"header only", resultFile(header8), []string{"结果文件没有数据行"}},
		{"xlsx", "PK\x03\x04rest", []string{"这是Excel工作簿（.xlsx）文件，请在Excel中另存为“CSV UTF-8（逗号分隔）”格式后导入"}},
		{"GBK header", "\xc7\xeb\xc7\xf3\xb1\xe0\xba\xc5,x\r\n", []string{"文件不是UTF-8编码（可能是Excel另存的GBK编码），请另存为“CSV UTF-8（逗号分隔）”格式后重新导入"}},
		{"unknown, duplicate and missing columns", resultFile("请求编号,公民身份号码,核对项目,类别,说明,金额,金额(元),月数,备注", income().String()), []string{
			"第1行：“金额”列重复", "第1行：无法识别的列“备注”", "第1行：缺少“数量”列"}},
		// Whole rows.
		{"too few columns", resultFile(header8, "HD-1,"+string(idHead)+",机动车,无记录,,,"), []string{"第2行：应有8列，实际有7列"}},
		{"extra non-empty cell", resultFile(header8, property().String()+",多余"), []string{"第2行：应有8列，实际有9列"}},
		{"invalid UTF-8 in a row", resultFile(header8, with(property(), func(r *row) { r.desc = "\xb3\xb5" })), []string{"第2行：含有无法识别的字符，文件应为UTF-8编码"}},
		{"unterminated quote", resultFile(header8, property().String(), "HD-1,\"abc"), []string{"第3行：CSV格式错误，引号不配对"}},
		{"bare quote", resultFile(header8, "HD-1,ab\"c,机动车,无记录,,,,"), []string{"第2行：CSV格式错误，未加引号的内容中出现了引号"}},
		{"duplicate row", resultFile(header8, property().String(), property().String()), []string{"第3行：与第2行完全相同，重复的结果会被重复计算"}},
		{"nothing found and a finding", resultFile(header8, with(property(), func(r *row) { r.cat, r.desc, r.amt, r.qty = "无记录", "", "", "" }), property().String()),
			[]string{"第3行：与第2行矛盾：同一人员的“机动车”不能既是“无记录”又是“财产”"}},
		{"not checked twice", resultFile(header8, with(property(), func(r *row) { r.cat, r.amt, r.qty = "未核对", "", "" }),
			with(property(), func(r *row) { r.cat, r.desc, r.amt, r.qty = "未核对", "又一次", "", "" })),
			[]string{"第3行：与第2行矛盾：同一人员的“机动车”不能既是“未核对”又是“未核对”"}},
		{"line numbers count blank lines", resultFile(header8, property().String(), "", with(property(), func(r *row) { r.amt = "x" })),
			[]string{"第4行“金额”列：金额格式不正确"}},
		// Columns.
		{"request id empty", resultFile(header8, with(income(), func(r *row) { r.req = "" })), []string{"第2行“请求编号”列：请填写请求编号"}},
		{"request id with path", resultFile(header8, with(income(), func(r *row) { r.req = "../x" })), []string{"第2行“请求编号”列：请求编号“../x”格式不正确"}},
		{"ID empty", resultFile(header8, with(income(), func(r *row) { r.id = "" })), []string{"第2行“公民身份号码”列：" + idcard.MsgEmpty}},
		{"ID short", resultFile(header8, with(income(), func(r *row) { r.id = "13019919580312" })), []string{"第2行“公民身份号码”列：" + idcard.MsgLength}},
		{"ID letters", resultFile(header8, with(income(), func(r *row) { r.id = "13019919580312A01X" })), []string{"第2行“公民身份号码”列：" + idcard.MsgChars}},
		{"ID check digit", resultFile(header8, with(income(), func(r *row) { r.id = badCheck(idHead) })), []string{"第2行“公民身份号码”列：" + idcard.MsgCheck}},
		{"ID birth date", resultFile(header8, with(income(), func(r *row) { r.id = "130199195802300011" })), []string{"第2行“公民身份号码”列：" + idcard.MsgBirth}},
		{"ID born in the future", resultFile(header8, with(income(), func(r *row) { r.id = string(idcard.Make("130199", date(2027, 1, 1), 1)) })), []string{"第2行“公民身份号码”列：" + idcard.MsgFuture}},
		{"ID mangled by Excel", resultFile(header8, with(income(), func(r *row) { r.id = "1.30199E+17" })), []string{"第2行“公民身份号码”列：" + MsgSciNotation}},
		{"source empty", resultFile(header8, with(income(), func(r *row) { r.src = "" })), []string{"第2行“核对项目”列：请填写核对项目"}},
		{"source unknown", resultFile(header8, with(income(), func(r *row) { r.src = "彩票" })), []string{"第2行“核对项目”列：无法识别的核对项目“彩票”"}},
		{"ID in the source column is masked", resultFile(header8, with(income(), func(r *row) { r.src = string(idWife) })),
			[]string{"第2行“核对项目”列：无法识别的核对项目“" + idWife.Mask() + "”"}},
		{"category empty", resultFile(header8, with(income(), func(r *row) { r.cat = "" })), []string{"第2行“类别”列：请填写类别（收入、财产、无记录或未核对）"}},
		{"category unknown", resultFile(header8, with(income(), func(r *row) { r.cat = "支出" })), []string{"第2行“类别”列：类别应为收入、财产、无记录或未核对，不能是“支出”"}},
		{"vehicle as income", resultFile(header8, with(property(), func(r *row) { r.cat, r.months, r.qty = "收入", "12", "" })), []string{"第2行“类别”列：“机动车”只能核对出财产，不能是收入"}},
		{"tax as property", resultFile(header8, with(property(), func(r *row) { r.src = "个人所得税" })), []string{"第2行“类别”列：“个人所得税”只能核对出收入，不能是财产"}},
		{"description too long", resultFile(header8, with(income(), func(r *row) { r.desc = long })), []string{"第2行“说明”列：说明不能超过200个字"}},
		{"description with control character", resultFile(header8, with(income(), func(r *row) { r.desc = "养老\x01金" })), []string{"第2行“说明”列：说明含有不允许的字符"}},
		{"description over two lines", resultFile(header8, with(income(), func(r *row) { r.desc = "养老\n金" })), []string{"第2行“说明”列：说明含有不允许的字符"}},
		{"amount empty", resultFile(header8, with(income(), func(r *row) { r.amt = "" })), []string{"第2行“金额”列：请填写金额"}},
		{"amount three decimals", resultFile(header8, with(income(), func(r *row) { r.amt = "1.234" })), []string{"第2行“金额”列：" + money.MsgDecimals}},
		{"amount not a number", resultFile(header8, with(income(), func(r *row) { r.amt = "约两千" })), []string{"第2行“金额”列：" + money.MsgFormat}},
		{"amount negative", resultFile(header8, with(income(), func(r *row) { r.amt = "-5" })), []string{"第2行“金额”列：" + money.MsgNegative}},
		{"amount absurd", resultFile(header8, with(income(), func(r *row) { r.amt = "100000000.01" })), []string{"第2行“金额”列：" + MsgAmountLarge}},
		{"amount beyond money", resultFile(header8, with(income(), func(r *row) { r.amt = "99999999999999999999" })), []string{"第2行“金额”列：" + money.MsgTooLarge}},
		{"income of zero", resultFile(header8, with(income(), func(r *row) { r.amt = "0" })), []string{"第2行“金额”列：收入金额应大于0"}},
		{"income without months", resultFile(header8, with(income(), func(r *row) { r.months = "" })), []string{"第2行“月数”列：收入请填写月数（1至12）"}},
		{"thirteen months", resultFile(header8, with(income(), func(r *row) { r.months = "13" })), []string{"第2行“月数”列：月数应为1至12的整数"}},
		{"months not a number", resultFile(header8, with(income(), func(r *row) { r.months = "全年" })), []string{"第2行“月数”列：月数应为1至12的整数"}},
		{"income with quantity", resultFile(header8, with(income(), func(r *row) { r.qty = "2" })), []string{"第2行“数量”列：收入不填写数量"}},
		{"property with months", resultFile(header8, with(property(), func(r *row) { r.months = "3" })), []string{"第2行“月数”列：财产不填写月数"}},
		{"quantity zero", resultFile(header8, with(property(), func(r *row) { r.qty = "0" })), []string{"第2行“数量”列：数量应为1至1000的整数"}},
		{"quantity too many", resultFile(header8, with(property(), func(r *row) { r.qty = "1001" })), []string{"第2行“数量”列：数量应为1至1000的整数"}},
		{"nothing found with values", resultFile(header8, with(property(), func(r *row) { r.cat, r.months = "无记录", "1" })), []string{
			"第2行“金额”列：“无记录”不填写金额", "第2行“月数”列：“无记录”不填写月数", "第2行“数量”列：“无记录”不填写数量"}},
		{"not checked with amount", resultFile(header8, with(property(), func(r *row) { r.cat, r.qty = "未核对", "" })), []string{"第2行“金额”列：“未核对”不填写金额"}},
		{"kind of the wrong category", resultFile(header8+",类型", income().String()+",存款"), []string{"第2行“类型”列：“存款”是财产类型，收入行应填写收入类型"}},
		{"kind unknown", resultFile(header8+",类型", property().String()+",飞机"), []string{"第2行“类型”列：无法识别的财产类型“飞机”"}},
		{"property given an income kind", resultFile(header8+",类型", property().String()+",wage"), []string{"第2行“类型”列：“wage”是收入类型，财产行应填写财产类型"}},
		{"nothing found with a kind", resultFile(header8+",类型", with(property(), func(r *row) { r.cat, r.amt, r.qty = "无记录", "", "" })+",vehicle"), []string{"第2行“类型”列：“无记录”不填写类型"}},
		// Every problem at once.
		{"all bad rows reported together", resultFile(header8,
			income().String(),
			with(income(), func(r *row) { r.id, r.amt = badCheck(idWife), "1.234" }),
			property().String(),
			with(property(), func(r *row) { r.src, r.months = "彩票", "2" }),
		), []string{
			"第3行“公民身份号码”列：" + idcard.MsgCheck,
			"第3行“金额”列：" + money.MsgDecimals,
			"第5行“核对项目”列：无法识别的核对项目“彩票”",
			"第5行“月数”列：财产不填写月数",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reps, err := readResultCSV(strings.NewReader(c.file), today)
			if err == nil {
				t.Fatalf("no error; reports %+v", reps)
			}
			noFullIDs(t, err)
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("code %s: %v", errs.CodeOf(err), err)
			}
			if got := messages(err); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("messages\n%q\nwant\n%q", got, c.want)
			}
			if reps != nil {
				t.Fatalf("reports returned with errors: %+v", reps)
			}
		})
	}
}

func TestReadResultCSVFieldsAreDistinct(t *testing.T) {
	file := resultFile(header8,
		with(income(), func(r *row) { r.amt = "x" }),
		with(income(), func(r *row) { r.amt = "y" }))
	_, err := ReadResultCSV(strings.NewReader(file))
	want := map[string]string{"line2.amount": "第2行“金额”列：金额格式不正确", "line3.amount": "第3行“金额”列：金额格式不正确"}
	if got := errs.Fields(err); !reflect.DeepEqual(got, want) {
		t.Fatalf("fields %v; want %v", got, want)
	}
}

func TestReadResultCSVLimits(t *testing.T) {
	t.Run("too many rows", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(header8 + "\n")
		for i := range MaxResultRows + 1 {
			fmt.Fprintf(&b, "HD-1,%s,银行存款,财产,存款,%s,,\n", idSon, money.Fen(i+1))
		}
		_, err := ReadResultCSV(strings.NewReader(b.String()))
		if got := messages(err); !reflect.DeepEqual(got, []string{"结果文件超过50000行，请让核对平台分批导出"}) {
			t.Fatalf("messages %q", got)
		}
	})
	t.Run("exactly the row limit", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(header8 + "\n")
		for i := range MaxResultRows {
			fmt.Fprintf(&b, "HD-1,%s,银行存款,财产,存款,%s,,\n", idSon, money.Fen(i+1))
		}
		reps, err := ReadResultCSV(strings.NewReader(b.String()))
		if err != nil || len(reps) != 1 || len(reps[0].Findings) != MaxResultRows || len(reps[0].Checked) != 1 {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("too many bytes", func(t *testing.T) {
		r := io.MultiReader(strings.NewReader(header8+"\nHD-1,\""), endless('a'))
		_, err := ReadResultCSV(r)
		if got := messages(err); !reflect.DeepEqual(got, []string{"结果文件超过32MB，请让核对平台分批导出"}) {
			t.Fatalf("messages %q", got)
		}
	})
	t.Run("huge header", func(t *testing.T) {
		_, err := ReadResultCSV(endless('a'))
		if got := messages(err); !reflect.DeepEqual(got, []string{"结果文件超过32MB，请让核对平台分批导出"}) {
			t.Fatalf("messages %q", got)
		}
	})
	t.Run("error list is capped", func(t *testing.T) {
		var rows []string
		for i := range 150 {
			rows = append(rows, with(income(), func(r *row) { r.amt = fmt.Sprintf("x%d", i) }))
		}
		_, err := ReadResultCSV(strings.NewReader(resultFile(header8, rows...)))
		got := messages(err)
		if len(got) != maxReportedErrors+1 || got[len(got)-1] != "错误较多，仅列出前100处；请核对文件的列是否与模板一致" {
			t.Fatalf("%d messages, last %q", len(got), got[len(got)-1])
		}
	})
}

// endless is a reader of one byte repeated forever.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

func TestWriteResultCSV(t *testing.T) {
	rep := Report{
		RequestID: "HD-1",
		Findings: []Finding{
			{IDNumber: idSon, Source: Vehicle, Kind: KindProperty, PropertyKind: "vehicle", Description: "=HYPERLINK(\"http://x\")", Amount: 4500000, Quantity: 1},
			{IDNumber: idHead, Source: SocialInsurance, Kind: KindIncome, IncomeKind: "pension", Description: "养老金, \"城乡居民\"", Amount: 240000, Months: 12},
		},
		Checked: []Check{{idHead, SocialInsurance}, {idHead, Vehicle}, {idSon, Vehicle}},
		Gaps:    []Gap{{IDNumber: idSon, Source: Deposit, Reason: "-系统维护"}},
		Status:  StatusPartial,
	}
	var buf bytes.Buffer
	if err := WriteResultCSV(&buf, []Report{rep}); err != nil {
		t.Fatalf("write: %q", messages(err))
	}
	text := buf.String()
	if !strings.HasPrefix(text, "\uFEFF"+strings.Join(ResultHeader, ",")+"\r\n") {
		t.Fatalf("header: %q", text)
	}
	for _, want := range []string{`'=HYPERLINK(""http://x"")`, `,'-系统维护,`, ",无记录,"} {
		if !strings.Contains(text, want) {
			t.Errorf("file lacks %q:\n%s", want, text)
		}
	}
	got, err := ReadResultCSV(strings.NewReader(text))
	if err != nil {
		t.Fatalf("read: %q", messages(err))
	}
	// The writer groups findings by Checked order.
	want := rep
	want.Findings = []Finding{rep.Findings[1], rep.Findings[0]}
	if !reflect.DeepEqual(got, []Report{want}) {
		t.Fatalf("read back\n%+v\nwant\n%+v", got, want)
	}

	t.Run("invalid report writes nothing", func(t *testing.T) {
		bad := rep
		bad.Findings = []Finding{{IDNumber: idSon, Source: Vehicle, Kind: KindIncome, IncomeKind: "wage", Amount: 1, Months: 1}}
		var buf bytes.Buffer
		err := WriteResultCSV(&buf, []Report{bad})
		if got := messages(err); !reflect.DeepEqual(got, []string{"第4行“类别”列：“机动车”只能核对出财产，不能是收入"}) || buf.Len() != 0 {
			t.Fatalf("messages %q, %d bytes", got, buf.Len())
		}
	})
	t.Run("empty report cannot be written", func(t *testing.T) {
		err := WriteResultCSV(io.Discard, []Report{{RequestID: "HD-2"}})
		if got := messages(err); !reflect.DeepEqual(got, []string{"核对结果“HD-2”没有任何内容，结果文件无法表示"}) {
			t.Fatalf("messages %q", got)
		}
	})
}

func TestCellEscape(t *testing.T) {
	for _, s := range []string{"", "a", "=1", "+1", "-", "@x", "'", "'a", "'=1", "''=1", "a=1"} {
		esc := escapeCell(s)
		if esc != "" && strings.ContainsRune("=+-@", rune(esc[0])) {
			t.Errorf("escapeCell(%q) = %q starts with a formula character", s, esc)
		}
		if back := unescapeCell(esc); back != s {
			t.Errorf("unescapeCell(escapeCell(%q)) = %q", s, back)
		}
	}
}

func FuzzReadResultCSV(f *testing.F) {
	f.Add(handWritten())
	f.Add(resultFile(header8, income().String(), property().String()))
	f.Add(resultFile(header8+",类型", income().String()+",wage"))
	f.Add(resultFile("序号,金额（元）,类别,身份证号,核对项目,请求编号,数量,月数,说明", "1,45000,财产,"+string(idSon)+",机动车,HD-1,1,,'=x"))
	f.Add(resultFile(header8, with(income(), func(r *row) { r.cat = "未核对" })))
	f.Add("PK\x03\x04")
	f.Add("\xc7\xeb,\xc7\xf3\n")
	f.Add(header8 + "\nHD-1,\"abc")
	f.Fuzz(func(t *testing.T, data string) {
		reps, err := readResultCSV(strings.NewReader(data), today)
		if err != nil {
			noFullIDs(t, err)
			if reps != nil {
				t.Fatal("reports with an error")
			}
			return
		}
		// Whatever reads must write and read back: the second round trip is
		// exact, the first equal up to the order of findings.
		var b1, b2 bytes.Buffer
		if err := WriteResultCSV(&b1, reps); err != nil {
			t.Fatalf("write after read: %q", messages(err))
		}
		reps2, err := readResultCSV(&b1, today)
		if err != nil {
			t.Fatalf("reread: %q", messages(err))
		}
		if err := WriteResultCSV(&b2, reps2); err != nil {
			t.Fatalf("second write: %q", messages(err))
		}
		reps3, err := readResultCSV(&b2, today)
		if err != nil || !reflect.DeepEqual(reps2, reps3) {
			t.Fatalf("second round trip differs: %v", err)
		}
		if len(reps) != len(reps2) {
			t.Fatalf("%d reports, then %d", len(reps), len(reps2))
		}
		for i := range reps {
			a, b := sortedFindings(reps[i].Findings), sortedFindings(reps2[i].Findings)
			if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(reps[i].Checked, reps2[i].Checked) ||
				!reflect.DeepEqual(reps[i].Gaps, reps2[i].Gaps) || reps[i].Status != reps2[i].Status {
				t.Fatalf("round trip changed report %d", i)
			}
		}
	})
}

func sortedFindings(fs []Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprintf("%+v", f)
	}
	sort.Strings(out)
	return out
}

func TestResultHeaderMatchesColumns(t *testing.T) {
	if len(ResultHeader) != len(resultColumns) {
		t.Fatalf("%d headers, %d columns", len(ResultHeader), len(resultColumns))
	}
	for i, c := range resultColumns {
		if ResultHeader[i] != c.header {
			t.Errorf("column %d: header %q, column %q", i, ResultHeader[i], c.header)
		}
	}
}

// failing returns its content, then an I/O error.
type failing struct{ r io.Reader }

func (f failing) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("disk unplugged")
	}
	return n, err
}

func TestReadResultCSVIOError(t *testing.T) {
	_, err := ReadResultCSV(failing{strings.NewReader(resultFile(header8, property().String()))})
	if errs.CodeOf(err) != errs.Internal || errs.As(err).Message != "读取结果文件失败" {
		t.Fatalf("error %v", err)
	}
}
