package public

import (
	"testing"

	"dibao/internal/casework"
	"dibao/internal/money"
	"dibao/internal/region"
)

func TestRowsKeepTheAllowList(t *testing.T) {
	v := region.Code("130199101201")
	in := []casework.PublicRow{
		{Village: v, HeadName: "张三明", Size: 3, Amount: money.Fen(123456), Period: "2026-10-08 至 2026-10-16"},
		{Village: v, HeadName: "李*", Size: 1, Amount: money.Fen(50000), Period: "2026-11 起"},
		{Village: v, HeadName: "欧阳春花", Size: 2, Amount: money.Fen(100), Period: "2026-11 起"},
		{Village: v, HeadName: "王", Size: 1, Amount: money.Fen(100), Period: "2026-11 起"},
		{Village: "130199102201", HeadName: "赵*四", Size: 1, Amount: money.Fen(100), Period: "2026-11 起"},
	}
	got := rows(in, v)
	want := []row{
		{No: 1, HeadName: "张*明", Size: 3, Amount: "1,234.56", Period: "2026-10-08 至 2026-10-16"},
		{No: 2, HeadName: "李*", Size: 1, Amount: "500.00", Period: "2026-11 起"},
		{No: 3, HeadName: "欧**花", Size: 2, Amount: "1.00", Period: "2026-11 起"},
		{No: 4, HeadName: "王", Size: 1, Amount: "1.00", Period: "2026-11 起"},
	}
	if len(got) != len(want) {
		t.Fatalf("rows = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestOffice(t *testing.T) {
	for in, want := range map[string]string{
		"东湖镇":     "东湖镇人民政府",
		"城关街道":    "城关街道办事处",
		"城关街道办事处": "城关街道办事处",
		"":        "所在乡镇人民政府（街道办事处）",
		"东湖镇人民政府": "东湖镇人民政府",
	} {
		if got := office(in); got != want {
			t.Errorf("office(%q) = %q, want %q", in, got, want)
		}
	}
}
