package roster

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"dibao/internal/errs"
	"dibao/internal/money"
)

func mustMonth(t testing.TB, s string) Month {
	t.Helper()
	m, err := ParseMonth(s)
	if err != nil {
		t.Fatalf("ParseMonth(%q): %v", s, err)
	}
	return m
}

func TestParseMonth(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"2026-12", true}, {"2026-01", true}, {"1900-01", true}, {"9999-12", true},
		{"2026-13", false}, {"2026-00", false}, {"2026-1", false}, {"2026/12", false},
		{"202612", false}, {"", false}, {"1899-12", false}, {"２０２６-12", false}, {"2026-1a", false}, {" 2026-12", false},
	} {
		m, err := ParseMonth(c.in)
		if (err == nil) != c.ok {
			t.Errorf("ParseMonth(%q) err = %v", c.in, err)
			continue
		}
		if c.ok && m.String() != c.in {
			t.Errorf("round trip %q → %q", c.in, m)
		}
		if !c.ok && messages(err) != MsgMonth {
			t.Errorf("message %q", err)
		}
	}
}

func TestNext(t *testing.T) {
	for in, want := range map[string]string{"2026-12": "2027-01", "2026-01": "2026-02", "2026-11": "2026-12"} {
		if got, err := Next(in); err != nil || got != want {
			t.Errorf("Next(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"9999-12", "x"} {
		if _, err := Next(bad); err == nil {
			t.Errorf("Next(%q) accepted", bad)
		}
	}
	if m := mustMonth(t, "2026-03").Add(-3); m.String() != "2025-12" {
		t.Errorf("Add(-3) = %s", m)
	}
}

func TestAmount(t *testing.T) {
	base := Entitlement{HouseholdID: 1, Region: "130102001001", Amount: 60000, Start: "2026-12", Status: StatusActive}
	with := func(f func(*Entitlement)) Entitlement { e := base; f(&e); return e }
	full := &PhaseOut{FromMonth: "2027-03", Months: 6}
	taper := &PhaseOut{FromMonth: "2027-03", Months: 6, Taper: true}
	cases := []struct {
		name  string
		e     Entitlement
		month string
		r     money.Rounding
		want  money.Fen
		ok    bool
	}{
		{"before start", base, "2026-11", money.YuanHalfUp, 0, false},
		{"start month paid", base, "2026-12", money.YuanHalfUp, 60000, true},
		{"open end", base, "2030-05", money.YuanHalfUp, 60000, true},
		{"end month inclusive", with(func(e *Entitlement) { e.End = "2027-02" }), "2027-02", money.FenExact, 60000, true},
		{"after end", with(func(e *Entitlement) { e.End = "2027-02" }), "2027-03", money.FenExact, 0, false},
		{"single month", with(func(e *Entitlement) { e.End = "2026-12" }), "2026-12", money.FenExact, 60000, true},
		{"suspended", with(func(e *Entitlement) { e.Status = StatusSuspended }), "2027-01", money.FenExact, 0, false},
		{"stopped pays through end", with(func(e *Entitlement) { e.Status, e.End = StatusStopped, "2027-01" }), "2027-01", money.FenExact, 60000, true},
		{"stopped after end", with(func(e *Entitlement) { e.Status, e.End = StatusStopped, "2027-01" }), "2027-02", money.FenExact, 0, false},
		{"stopped without end invalid", with(func(e *Entitlement) { e.Status = StatusStopped }), "2027-01", money.FenExact, 0, false},
		{"zero amount", with(func(e *Entitlement) { e.Amount = 0 }), "2027-01", money.FenExact, 0, false},
		{"invalid status", with(func(e *Entitlement) { e.Status = "" }), "2027-01", money.FenExact, 0, false},
		{"invalid rounding", base, "2027-01", money.Rounding(99), 0, false},
		{"before phase-out full", with(func(e *Entitlement) { e.PhaseOut = taper }), "2027-02", money.FenExact, 60000, true},
		{"phase-out full month 1", with(func(e *Entitlement) { e.PhaseOut = full }), "2027-03", money.FenExact, 60000, true},
		{"phase-out full month 6", with(func(e *Entitlement) { e.PhaseOut = full }), "2027-08", money.FenExact, 60000, true},
		{"phase-out over", with(func(e *Entitlement) { e.PhaseOut = full }), "2027-09", money.FenExact, 0, false},
		{"taper 6/6", with(func(e *Entitlement) { e.PhaseOut = taper }), "2027-03", money.FenExact, 60000, true},
		{"taper 5/6", with(func(e *Entitlement) { e.PhaseOut = taper }), "2027-04", money.FenExact, 50000, true},
		{"taper 1/6", with(func(e *Entitlement) { e.PhaseOut = taper }), "2027-08", money.FenExact, 10000, true},
		{"taper over", with(func(e *Entitlement) { e.PhaseOut = taper }), "2027-09", money.FenExact, 0, false},
		// 655.00 × 5/6 = 545.8333…: fen 545.83, yuan half-up 546, jiao up 545.90.
		{"taper rounding fen", with(func(e *Entitlement) { e.Amount, e.PhaseOut = 65500, taper }), "2027-04", money.FenExact, 54583, true},
		{"taper rounding yuan", with(func(e *Entitlement) { e.Amount, e.PhaseOut = 65500, taper }), "2027-04", money.YuanHalfUp, 54600, true},
		{"taper rounding jiao up", with(func(e *Entitlement) { e.Amount, e.PhaseOut = 65500, taper }), "2027-04", money.JiaoUp, 54590, true},
		// 1.00 × 1/6 = 0.1666…: rounds to 0 yuan, so nothing is payable.
		{"taper rounds to zero", with(func(e *Entitlement) { e.Amount, e.PhaseOut = 100, taper }), "2027-08", money.YuanHalfUp, 0, false},
		{"end cuts phase-out", with(func(e *Entitlement) { e.End, e.PhaseOut = "2027-04", taper }), "2027-05", money.FenExact, 0, false},
		{"phase-out before start invalid", with(func(e *Entitlement) { e.PhaseOut = &PhaseOut{FromMonth: "2026-01", Months: 6} }), "2027-01", money.FenExact, 0, false},
		{"phase-out months invalid", with(func(e *Entitlement) { e.PhaseOut = &PhaseOut{FromMonth: "2027-01", Months: 0} }), "2027-01", money.FenExact, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Amount(c.e, mustMonth(t, c.month), c.r)
			if got != c.want || ok != c.ok {
				t.Errorf("Amount = %d %v, want %d %v", got, ok, c.want, c.ok)
			}
		})
	}
}

func TestTaperSum(t *testing.T) {
	// A full 6-month taper pays 6/6+…+1/6 = 3.5 months' amount.
	e := Entitlement{HouseholdID: 1, Amount: 60000, Start: "2026-01", Status: StatusActive,
		PhaseOut: &PhaseOut{FromMonth: "2026-07", Months: 6, Taper: true}}
	var sum money.Fen
	for m := mustMonth(t, "2026-07"); m < mustMonth(t, "2027-07"); m++ {
		a, _ := Amount(e, m, money.FenExact)
		sum += a
	}
	if sum != 210000 {
		t.Errorf("sum = %d, want 210000", sum)
	}
}

func TestValidate(t *testing.T) {
	e := Entitlement{HouseholdID: 0, Amount: -1, Start: "2026-13", End: "x", Status: "paid",
		PhaseOut: &PhaseOut{FromMonth: "", Months: 99}}
	f := errs.Fields(e.Validate())
	for _, k := range []string{"household_id", "amount", "start", "end", "status", "phase_out.from_month", "phase_out.months"} {
		if f[k] == "" {
			t.Errorf("no error for %s: %v", k, f)
		}
	}
	if err := (Entitlement{HouseholdID: 1, Start: "2026-05", End: "2026-04", Status: StatusActive}).Validate(); err == nil {
		t.Error("end before start accepted")
	}
}

func TestBuild(t *testing.T) {
	ents := []Entitlement{
		{HouseholdID: 3, Region: "130102001002", Amount: 30000, Start: "2026-01", Status: StatusActive},
		{HouseholdID: 1, Region: "130102001002", Amount: 10000, Start: "2026-01", End: "2026-11", Status: StatusStopped},
		{HouseholdID: 1, Region: "130102001002", Amount: 12000, Start: "2026-12", Status: StatusActive}, // successor: no duplicate
		{HouseholdID: 2, Region: "130102001001", Amount: 20000, Start: "2026-01", Status: StatusActive},
		{HouseholdID: 4, Region: "130102001001", Amount: 40000, Start: "2027-01", Status: StatusActive}, // not yet
		{HouseholdID: 5, Region: "130102001001", Amount: 50000, Start: "2026-01", Status: StatusSuspended},
	}
	rows, err := Build(ents, "2026-12", money.YuanHalfUp)
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{HouseholdID: 2, Region: "130102001001", Month: "2026-12", Amount: 20000},
		{HouseholdID: 1, Region: "130102001002", Month: "2026-12", Amount: 12000},
		{HouseholdID: 3, Region: "130102001002", Month: "2026-12", Amount: 30000},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %+v", rows)
	}
	// Building the same month again gives the same roster.
	again, _ := Build(ents, "2026-12", money.YuanHalfUp)
	if !reflect.DeepEqual(rows, again) {
		t.Error("not deterministic")
	}
}

func TestBuildDuplicates(t *testing.T) {
	ents := []Entitlement{
		{HouseholdID: 7, Region: "130102001001", Amount: 10000, Start: "2026-01", Status: StatusActive},
		{HouseholdID: 8, Region: "130102001001", Amount: 10000, Start: "2026-01", Status: StatusActive},
		{HouseholdID: 7, Region: "130102001001", Amount: 99900, Start: "2026-06", Status: StatusActive},
		{HouseholdID: 7, Region: "130102001001", Amount: 88800, Start: "2026-06", Status: StatusActive},
		{HouseholdID: 9, Region: "130102001001", Amount: 10000, Start: "bad", Status: StatusActive},
	}
	rows, err := Build(ents, "2026-12", money.FenExact)
	if err == nil {
		t.Fatal("duplicates not reported")
	}
	msg := messages(err)
	if !strings.Contains(msg, "户 7 在 2026-12 有 3 条有效保障记录") || !strings.Contains(msg, "第5条保障记录（户 9）") {
		t.Errorf("error = %s", msg)
	}
	if len(rows) != 2 || rows[0].HouseholdID != 7 || rows[0].Amount != 10000 || rows[1].HouseholdID != 8 {
		t.Errorf("rows = %+v", rows)
	}
	seen := map[int64]bool{}
	for _, r := range rows {
		if seen[r.HouseholdID] {
			t.Fatalf("two rows for %d", r.HouseholdID)
		}
		seen[r.HouseholdID] = true
	}
	if _, err := Build(ents, "2026-13", money.FenExact); err == nil {
		t.Error("bad month accepted")
	}
	if _, err := Build(ents, "2026-12", money.Rounding(-1)); err == nil {
		t.Error("bad rounding accepted")
	}
}

func TestBuildPhaseOutNote(t *testing.T) {
	ents := []Entitlement{{HouseholdID: 1, Amount: 60000, Start: "2026-01", Status: StatusActive,
		PhaseOut: &PhaseOut{FromMonth: "2026-11", Months: 6, Taper: true}}}
	rows, err := Build(ents, "2026-12", money.YuanHalfUp)
	if err != nil || len(rows) != 1 || rows[0].Amount != 50000 || rows[0].Note != "渐退第2/6月（按5/6发放）" {
		t.Errorf("rows = %+v, %v", rows, err)
	}
}

func TestDiff(t *testing.T) {
	before := []Row{
		{HouseholdID: 1, Region: "a", Amount: 10000},
		{HouseholdID: 2, Region: "a", Amount: 20000},
		{HouseholdID: 3, Region: "b", Amount: 30000},
		{HouseholdID: 4, Region: "b", Amount: 40000},
	}
	after := []Row{
		{HouseholdID: 1, Region: "a", Amount: 10000}, // unchanged
		{HouseholdID: 2, Region: "a", Amount: 25000}, // +5000
		{HouseholdID: 4, Region: "b", Amount: 35000}, // −5000
		{HouseholdID: 5, Region: "a", Amount: 50000}, // added
	} // 3 removed (−30000)
	c := Diff(before, after)
	if c.Added != 1 || c.Removed != 1 || c.Increased != 1 || c.Decreased != 1 || c.Unchanged != 1 {
		t.Errorf("counts = %+v", c)
	}
	if c.OldTotal != 100000 || c.NewTotal != 120000 || c.Delta != 20000 {
		t.Errorf("totals = %d %d %d", c.OldTotal, c.NewTotal, c.Delta)
	}
	var sum money.Fen
	var order []int64
	for _, it := range c.Items {
		sum += it.Delta
		order = append(order, it.HouseholdID)
		if it.Kind.Label() == string(it.Kind) {
			t.Errorf("no label for %s", it.Kind)
		}
	}
	if sum != c.Delta {
		t.Errorf("items sum %d ≠ delta %d", sum, c.Delta)
	}
	if want := []int64{2, 5, 3, 4}; !reflect.DeepEqual(order, want) {
		t.Errorf("order = %v, want %v", order, want)
	}
	if c.Items[2].Kind != Removed || c.Items[2].Old != 30000 || c.Items[2].New != 0 {
		t.Errorf("removed = %+v", c.Items[2])
	}
	if e := Diff(nil, nil); e.Delta != 0 || len(e.Items) != 0 {
		t.Errorf("empty diff = %+v", e)
	}
}

func bankFixture() ([]Row, map[int64]BankAccount) {
	rows := []Row{
		{HouseholdID: 11, Month: "2026-12", Amount: 65000},
		{HouseholdID: 12, Month: "2026-12", Amount: 123450, Note: "渐退第2/6月（按5/6发放）"},
		{HouseholdID: 13, Month: "2026-12", Amount: 1},
	}
	acc := map[int64]BankAccount{
		11: {Name: "张三", Bank: "中国农业银行某支行", Account: "6228480010000000011"},
		12: {Name: "李四,\"小\"", Bank: "农村信用社", Account: "6228480010000000012"},
		13: {Name: "王五", Bank: "邮储银行", Account: "6228480010000000013"},
		99: {Name: "未发放", Bank: "x", Account: "1"},
	}
	return rows, acc
}

func TestWriteBankCSV(t *testing.T) {
	rows, acc := bankFixture()
	var buf bytes.Buffer
	if err := WriteBankCSV(&buf, rows, acc, DefaultBankFormat()); err != nil {
		t.Fatal(err)
	}
	want := "\uFEFF序号,户主姓名,开户银行,银行账号,金额(元),月份,备注\r\n" +
		"1,张三,中国农业银行某支行,6228480010000000011,650.00,2026-12,\r\n" +
		"2,\"李四,\"\"小\"\"\",农村信用社,6228480010000000012,1234.50,2026-12,渐退第2/6月（按5/6发放）\r\n" +
		"3,王五,邮储银行,6228480010000000013,0.01,2026-12,\r\n" +
		"合计,,,,1884.51,,共3户\r\n"
	if buf.String() != want {
		t.Errorf("got\n%q\nwant\n%q", buf.String(), want)
	}
	got, err := ReadBankCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) {
		t.Fatalf("read %d rows", len(got))
	}
	for i, g := range got {
		a := acc[rows[i].HouseholdID]
		w := BankRow{Seq: i + 1, Name: a.Name, Bank: a.Bank, Account: a.Account, Amount: rows[i].Amount, Month: rows[i].Month, Note: rows[i].Note}
		if g != w {
			t.Errorf("row %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestWriteBankCSVEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteBankCSV(&buf, nil, nil, DefaultBankFormat()); err != nil {
		t.Fatal(err)
	}
	got, err := ReadBankCSV(&buf)
	if err != nil || len(got) != 0 {
		t.Errorf("empty: %v %v", got, err)
	}
}

func TestWriteBankCSVRefuses(t *testing.T) {
	rows, acc := bankFixture()
	rows = append(rows,
		Row{HouseholdID: 20, Month: "2026-12", Amount: 100},               // no account
		Row{HouseholdID: 21, Month: "2026-12", Amount: 100},               // incomplete account
		Row{HouseholdID: 22, Month: "2026-12", Amount: 0},                 // zero
		Row{HouseholdID: 11, Month: "2026-12", Amount: 100},               // duplicate household+month
		Row{HouseholdID: 23, Month: "2026-12", Amount: 100},               // formula name
		Row{HouseholdID: 24, Month: "202612", Amount: 100},                // bad month
		Row{HouseholdID: 25, Month: "2026-12", Amount: 100, Note: "a\nb"}, // control char
		Row{HouseholdID: 26, Month: "2026-12", Amount: 100},               // same account as 11
	)
	acc[21] = BankAccount{Name: "赵六", Bank: "", Account: "1"}
	acc[22] = BankAccount{Name: "a", Bank: "b", Account: "22"}
	acc[23] = BankAccount{Name: "=HYPERLINK(1)", Bank: "b", Account: "23"}
	acc[24] = BankAccount{Name: "a", Bank: "b", Account: "24"}
	acc[25] = BankAccount{Name: "a", Bank: "b", Account: "25"}
	acc[26] = acc[11]
	var buf bytes.Buffer
	err := WriteBankCSV(&buf, rows, acc, DefaultBankFormat())
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes despite errors", buf.Len())
	}
	l, ok := err.(errs.List)
	if !ok {
		t.Fatalf("err = %T %v", err, err)
	}
	msg := messages(err)
	for _, s := range []string{"户 20）：没有银行账户", "户 21）：银行账户信息不完整", "户 22）：金额必须大于零",
		"户 11）：同一户同一月份重复", "户 23）：户名不能以", "户 24）：月份格式", "户 25）：备注含有控制字符", "户 26）：银行账号与第1行相同"} {
		if !strings.Contains(msg, s) {
			t.Errorf("missing %q in %s", s, msg)
		}
	}
	if len(l) != 8 {
		t.Errorf("%d errors: %s", len(l), msg)
	}
}

func TestReadBankCSVErrors(t *testing.T) {
	h := "序号,户主姓名,开户银行,银行账号,金额(元),月份,备注\n"
	cases := []struct{ name, in, want string }{
		{"empty", "", "缺少表头"},
		{"no total", h + "1,a,b,c,1.00,2026-12,\n", "合计行"},
		{"bad header", "a,b,c,d,e,f,g\n合计,,,,0.00,,共0户\n", "表头应为"},
		{"wrong total", h + "1,a,b,c,1.00,2026-12,\n合计,,,,2.00,,共1户\n", "合计金额应为1.00"},
		{"wrong count", h + "1,a,b,c,1.00,2026-12,\n合计,,,,1.00,,共2户\n", "合计户数"},
		{"bad seq", h + "2,a,b,c,1.00,2026-12,\n合计,,,,1.00,,共1户\n", "第2行：序号应为1"},
		{"bad amount", h + "1,a,b,c,-1,2026-12,\n合计,,,,0.00,,共1户\n", "第2行：金额"},
		{"columns", h + "1,a,b\n", "CSV格式错误"},
		{"dup account", h + "1,a,b,c,1.00,2026-12,\n2,a,b,c,1.00,2026-12,\n合计,,,,2.00,,共2户\n", "第3行：同一账号"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadBankCSV(strings.NewReader(c.in))
			if err == nil || !strings.Contains(messages(err), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

// FuzzReadBankCSV checks that ReadBankCSV never panics and that whatever it
// accepts survives a write/read round trip unchanged.
func FuzzReadBankCSV(f *testing.F) {
	rows, acc := bankFixture()
	var buf bytes.Buffer
	if err := WriteBankCSV(&buf, rows, acc, DefaultBankFormat()); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("序号,户主姓名,开户银行,银行账号,金额(元),月份,备注\n合计,,,,0,,共0户\n"))
	f.Add([]byte("序号,户主姓名,开户银行,银行账号,金额(元),月份,备注\n1,a,b,c,\"1,234.5\",2026-12,x\n合计,,,,1234.50,,共1户\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ReadBankCSV(bytes.NewReader(data))
		if err != nil {
			return
		}
		rs := make([]Row, len(got))
		acc := make(map[int64]BankAccount, len(got))
		for i, g := range got {
			id := int64(g.Seq)
			rs[i] = Row{HouseholdID: id, Month: g.Month, Amount: g.Amount, Note: g.Note}
			acc[id] = BankAccount{Name: g.Name, Bank: g.Bank, Account: g.Account}
		}
		var out bytes.Buffer
		if err := WriteBankCSV(&out, rs, acc, DefaultBankFormat()); err != nil {
			t.Fatalf("accepted file cannot be written back: %v", err)
		}
		again, err := ReadBankCSV(&out)
		if err != nil {
			t.Fatalf("written file not readable: %v\n%q", err, out.String())
		}
		if !reflect.DeepEqual(got, again) {
			t.Fatalf("round trip changed rows:\n%+v\n%+v", got, again)
		}
	})
}

// messages joins the Chinese messages of every error in err.
func messages(err error) string {
	l, ok := err.(errs.List)
	if !ok {
		return errs.As(err).Message
	}
	var s []string
	for _, e := range l {
		s = append(s, e.Message)
	}
	return strings.Join(s, "\n")
}
