package household

import (
	"testing"
	"time"

	"dibao/internal/errs"
)

var today = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

func validDraft() Draft {
	return Draft{
		Region: "130199101201", Address: "李家庄村3组12号", Urban: "rural", Phone: "13812345678",
		BankName: "农村信用社", BankAccount: "6228480012345678901",
		Members: []MemberDraft{
			{Name: "张三", Relation: "head", IDNumber: "11010519491231002X", Labour: "partial", Health: "chronic", CoResident: "1"},
			{Name: "张小红", Relation: "child", IDNumber: "11010520150101005x", Labour: "none", Health: "healthy", CoResident: "on",
				DisabilityGrade: "2", DisabilityDetail: "智力残疾"},
		},
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		name   string
		edit   func(d *Draft)
		fields []string // every field expected in the error list; nil = valid
	}{
		{"valid", func(d *Draft) {}, nil},
		{"wrong check digit", func(d *Draft) { d.Members[0].IDNumber = "110105194912310021" }, []string{"members[0].id_number"}},
		{"county code instead of village", func(d *Draft) { d.Region = "130199000000" }, []string{"region_code"}},
		{"junk region", func(d *Draft) { d.Region = "abc" }, []string{"region_code"}},
		{"every problem at once", func(d *Draft) {
			d.Address = ""
			d.Urban = "x"
			d.Phone = "123"
			d.BankAccount = "12ab"
			d.Members[1].Name = ""
			d.Members[1].IDNumber = "11010519491231002X"
		}, []string{"address", "urban", "phone", "bank_account", "members[1].name", "members[1].id_number"}},
		{"no members", func(d *Draft) { d.Members = nil }, []string{"members"}},
		{"second head", func(d *Draft) { d.Members[1].Relation = "head" }, []string{"members[1].relation"}},
		{"serious illness needs detail", func(d *Draft) { d.Members[0].Health = "serious" }, []string{"members[0].health_detail"}},
		{"disability grade out of range", func(d *Draft) { d.Members[1].DisabilityGrade = "7" }, []string{"members[1].disability_grade"}},
		{"bank account without bank", func(d *Draft) { d.BankName = "" }, []string{"bank_name"}},
		{"markup in address", func(d *Draft) { d.Address = "<script>" }, []string{"address"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := validDraft()
			c.edit(&d)
			h, err := Parse(d, today)
			if c.fields == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if h.HeadName() != "张三" || h.Members[1].IDNumber != "11010520150101005X" || !h.Members[1].CoResident || h.Urban {
					t.Fatalf("parsed wrong: %+v", h)
				}
				return
			}
			got := errs.Fields(err)
			for _, f := range c.fields {
				if got[f] == "" {
					t.Errorf("missing error for %s; got %v", f, got)
				}
			}
			if len(got) != len(c.fields) {
				t.Errorf("got %d field errors %v, want %d", len(got), got, len(c.fields))
			}
		})
	}
}

func TestParseIncomeAndProperty(t *testing.T) {
	members := []int64{7, 8}
	in, err := ParseIncome(IncomeDraft{MemberID: "8", Kind: "wage", Amount: "24,000.50", Cost: "1200", Months: "12"}, members)
	if err != nil || in.Amount != 2400050 || in.Cost != 120000 || in.MemberID != 8 {
		t.Fatalf("income = %+v, %v", in, err)
	}
	bad := []struct {
		name  string
		d     IncomeDraft
		field string
	}{
		{"negative", IncomeDraft{Kind: "wage", Amount: "-5"}, "amount"},
		{"three decimals", IncomeDraft{Kind: "wage", Amount: "1.234"}, "amount"},
		{"absurd", IncomeDraft{Kind: "wage", Amount: "999999999999"}, "amount"},
		{"other household's member", IncomeDraft{Kind: "wage", Amount: "1", MemberID: "9"}, "member_id"},
		{"cost above amount", IncomeDraft{Kind: "wage", Amount: "1", Cost: "2"}, "cost"},
		{"months 13", IncomeDraft{Kind: "wage", Amount: "1", Months: "13"}, "months"},
		{"unknown kind", IncomeDraft{Kind: "lottery", Amount: "1"}, "kind"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseIncome(c.d, members)
			if errs.Fields(err)[c.field] == "" {
				t.Fatalf("want error on %s, got %v", c.field, err)
			}
		})
	}
	p, err := ParseProperty(PropertyDraft{Kind: "vehicle", Value: "30000", Exempt: "on"})
	if err != nil || p.Value != 3000000 || !p.Exempt || p.Quantity != 1 {
		t.Fatalf("property = %+v, %v", p, err)
	}
	if _, err := ParseProperty(PropertyDraft{Kind: "house", Value: "1", Quantity: "0"}); errs.Fields(err)["quantity"] == "" {
		t.Fatalf("quantity 0 accepted: %v", err)
	}
}
