package ledger

import (
	"errors"
	"strings"
	"testing"
	"time"

	"dibao/internal/errs"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/region"
)

const (
	county  = region.Code("130199000000")
	village = region.Code("130199101201")
)

var today = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

func id(seq int) string {
	return string(idcard.Make("130199", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), seq))
}

var header = []string{ColSeq, ColVillage, ColHeadName, ColHeadID, ColPhone, ColFamily, ColCovered, ColUrban,
	ColCategory, ColAmount, ColStartMonth, ColBankName, ColBank, ColAddress, MemberName(2), MemberID(2), MemberRelation(2)}

// good returns a valid row; edit overrides cells by title.
func good(seq int, edit map[string]string) []string {
	vals := map[string]string{ColSeq: "1", ColVillage: string(village), ColHeadName: "张三", ColHeadID: id(seq),
		ColPhone: "13800000000", ColFamily: "2", ColCovered: "2", ColUrban: "农村", ColCategory: "B",
		ColAmount: "560.00", ColStartMonth: "2024-03", ColBankName: "信用社", ColBank: "6228480000000000000",
		ColAddress: "李家庄村1组", MemberName(2): "李四", MemberID(2): id(seq + 500), MemberRelation(2): "配偶"}
	for k, v := range edit {
		vals[k] = v
	}
	row := make([]string, len(header))
	for i, h := range header {
		row[i] = vals[h]
	}
	return row
}

func opts() Options {
	return Options{County: county, Villages: map[region.Code]bool{village: true}, Today: today}
}

func TestValidRow(t *testing.T) {
	rep, es, err := Check([][]string{header, good(1, nil)}, opts())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 1 || rep.Valid != 1 || len(rep.Errors) != 0 || len(es) != 1 {
		t.Fatalf("report %+v entries %d", rep, len(es))
	}
	e := es[0]
	if e.Row != 2 || e.Amount != 56000 || e.StartMonth != "2024-03" || e.Category != "B" || e.Covered != 2 ||
		e.Household.Urban || e.Household.Region != village || len(e.Household.Members) != 2 ||
		e.Household.Members[1].Relation != "spouse" || e.Household.Members[0].Relation != "head" {
		t.Fatalf("entry %+v", e)
	}
	if !strings.Contains(e.Household.Notes, "家庭人口2人") {
		t.Fatalf("notes %q", e.Household.Notes)
	}
}

func TestEachError(t *testing.T) {
	badCheck := id(7)
	badCheck = badCheck[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", badCheck[17])+1)%11])
	cases := []struct {
		name, col, want string
		edit            map[string]string
	}{
		{"check digit", ColHeadID, idcard.MsgCheck, map[string]string{ColHeadID: badCheck}},
		{"birth date", ColHeadID, idcard.MsgBirth, map[string]string{ColHeadID: "130199197002300011"}},
		{"scientific", ColHeadID, "科学计数法", map[string]string{ColHeadID: "1.30199E+17"}},
		{"missing head id", ColHeadID, idcard.MsgEmpty, map[string]string{ColHeadID: ""}},
		{"missing name", ColHeadName, "请填写户主姓名", map[string]string{ColHeadName: ""}},
		{"unknown village", ColVillage, "本县没有代码为", map[string]string{ColVillage: "130199101299"}},
		{"other county", ColVillage, "不在本县", map[string]string{ColVillage: "130200101201"}},
		{"township not village", ColVillage, "不是村（社区）代码", map[string]string{ColVillage: "130199101000"}},
		{"bad code", ColVillage, "", map[string]string{ColVillage: "12345"}},
		{"negative amount", ColAmount, "不能为负数", map[string]string{ColAmount: "-10"}},
		{"zero amount", ColAmount, "必须大于0", map[string]string{ColAmount: "0"}},
		{"huge amount", ColAmount, "超过上限", map[string]string{ColAmount: "56000"}},
		{"text amount", ColAmount, "月保障金额“五百”不是有效金额", map[string]string{ColAmount: "五百"}},
		{"ID in the amount column", ColAmount, "月保障金额不是有效金额", map[string]string{ColAmount: id(1) + "元"}},
		{"bad month", ColStartMonth, "格式不正确", map[string]string{ColStartMonth: "2024-13"}},
		{"future month", ColStartMonth, "晚于下个月", map[string]string{ColStartMonth: "2027-01"}},
		{"urban value", ColUrban, "只能填“城市”或“农村”", map[string]string{ColUrban: "郊区"}},
		{"category", ColCategory, "只能填 A、B 或 C", map[string]string{ColCategory: "D"}},
		{"phone", ColPhone, "联系电话格式不正确", map[string]string{ColPhone: "12345"}},
		{"bank digits", ColBank, "12至30位数字", map[string]string{ColBank: "6228-48"}},
		{"bank without name", ColBankName, "同时填写开户银行", map[string]string{ColBankName: ""}},
		{"family size", ColFamily, "少于本行登记的成员人数", map[string]string{ColFamily: "1", ColCovered: "1"}},
		{"covered", ColCovered, "不能多于家庭人口", map[string]string{ColCovered: "3"}},
		{"family not number", ColFamily, "整数", map[string]string{ColFamily: "两"}},
		{"address", ColAddress, "请填写住址", map[string]string{ColAddress: ""}},
		{"member relation", MemberRelation(2), "无法识别", map[string]string{MemberRelation(2): "邻居"}},
		{"second head", MemberRelation(2), "只能有一名户主", map[string]string{MemberRelation(2): "户主"}},
		{"member id missing", MemberID(2), idcard.MsgEmpty, map[string]string{MemberID(2): ""}},
		{"member same as head", MemberID(2), "与本行另一成员", map[string]string{MemberID(2): id(1)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, es, err := Check([][]string{header, good(1, c.edit)}, opts())
			if err != nil {
				t.Fatal(err)
			}
			if rep.Rows != 1 || rep.Valid != 0 || len(es) != 0 {
				t.Fatalf("row accepted: %+v", rep)
			}
			found := false
			for _, p := range rep.Errors {
				if p.Row == 2 && p.Column == c.col && strings.Contains(p.Message, c.want) {
					found = true
				}
			}
			if !found {
				t.Fatalf("want row 2 %s %q, got %+v", c.col, c.want, rep.Errors)
			}
		})
	}
}

func TestDuplicatesInFileAndDatabase(t *testing.T) {
	o := opts()
	known := id(3)
	o.Known = func(x idcard.ID) (bool, error) { return string(x) == known, nil }
	rows := [][]string{header,
		good(1, nil),
		good(2, map[string]string{ColHeadID: id(1)}), // same head as row 2
		good(3, nil), // head already in the database
		good(4, map[string]string{MemberID(2): id(501)}), // member of row 2 again
		{}, // blank row: skipped
		good(5, nil),
	}
	rep, es, err := Check(rows, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 5 || rep.Valid != 2 || len(es) != 2 || es[0].Row != 2 || es[1].Row != 7 {
		t.Fatalf("report %+v entries %+v", rep, es)
	}
	want := []Problem{
		{3, ColHeadID, "与第2行的身份证号重复（同一人只能导入一次）"},
		{4, ColHeadID, "该身份证号已登记在系统的家庭档案中，不能重复导入"},
		{5, MemberID(2), "与第2行的身份证号重复（同一人只能导入一次）"},
	}
	if len(rep.Errors) != len(want) {
		t.Fatalf("errors %+v", rep.Errors)
	}
	for i, w := range want {
		if rep.Errors[i] != w {
			t.Fatalf("error %d = %+v, want %+v", i, rep.Errors[i], w)
		}
	}
	boom := errors.New("db down")
	o.Known = func(idcard.ID) (bool, error) { return false, boom }
	if _, _, err := Check(rows, o); !errors.Is(err, boom) {
		t.Fatalf("lookup error not returned: %v", err)
	}
}

func TestHeader(t *testing.T) {
	// Any order, spaces and half-width brackets, unknown columns ignored.
	row := []string{" 住址 ", "备注", "月保障金额(元)", ColStartMonth, ColUrban, ColCovered, ColFamily, ColHeadID,
		ColHeadName, "村(社区)代码"}
	idx, err := Header(row)
	if err != nil {
		t.Fatal(err)
	}
	if idx[ColAddress] != 0 || idx[ColAmount] != 2 || idx[ColVillage] != 9 {
		t.Fatalf("idx %v", idx)
	}
	rows := [][]string{row, {"村1组", "x", "300", "2025-1", "城市", "1", "1", id(9), "王五", string(village)}}
	rep, es, err := Check(rows, opts())
	if err != nil || rep.Valid != 1 || !es[0].Household.Urban || es[0].StartMonth != "2025-01" || es[0].Category != "" {
		t.Fatalf("%v %+v %+v", err, rep, es)
	}
	for _, c := range []struct {
		rows [][]string
		want string
	}{
		{nil, "工作表是空的"},
		{[][]string{{"姓名", "金额"}}, "不是台账模板的表头"},
		{[][]string{{ColVillage, ColHeadName}}, "表头缺少必填列：户主公民身份号码"},
		{[][]string{header}, "没有数据行"},
		{[][]string{append(append([]string{}, header...), ColAddress)}, "出现了两次"},
		{[][]string{append(append([]string{}, header[:14]...), MemberName(3))}, "成员3的列不完整"},
	} {
		_, _, err := Check(c.rows, opts())
		if err == nil || errs.As(err).Field != "file" || !strings.Contains(errs.As(err).Message, c.want) {
			t.Errorf("%v: got %v, want %q", c.rows, err, c.want)
		}
	}
}

func TestParseMonth(t *testing.T) {
	for in, want := range map[string]string{"2024-03": "2024-03", "2024/3": "2024-03", "2024.03": "2024-03",
		"2024年3月": "2024-03", "202403": "2024-03", "2024-3": "2024-03", "2024-03-01": "2024-03", "2024/3/1": "2024-03",
		"2024年3月1日": "2024-03"} {
		if got, ok := ParseMonth(in); !ok || got != want {
			t.Errorf("ParseMonth(%q) = %q %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "2024", "24-03", "2024-00", "2024-13", "2024-03-40", "2024-03-x", "abcd-ef", "3/2024", "2024/3-1"} {
		if got, ok := ParseMonth(in); ok {
			t.Errorf("ParseMonth(%q) = %q, want refusal", in, got)
		}
	}
}

func TestLabourDefault(t *testing.T) {
	old := string(idcard.Make("130199", time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC), 11))
	_, es, err := Check([][]string{header, good(1, map[string]string{ColHeadID: old})}, opts())
	if err != nil || len(es) != 1 || es[0].Household.Members[0].Labour != "none" || es[0].Household.Members[1].Labour != "full" {
		t.Fatalf("%v %+v", err, es)
	}
	if MaxAmount != money.FromYuan(20000) {
		t.Fatal("max amount changed without updating the template rules")
	}
}
