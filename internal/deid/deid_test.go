package deid

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"dibao/internal/idcard"
)

func sample() Source {
	loc := time.FixedZone("CST", 8*3600)
	applied := time.Date(2026, 3, 2, 9, 0, 0, 0, loc)
	return Source{
		Applied: applied, Profile: "standard", Outcome: "approved", Category: "B", AmountFen: 123456,
		Address: "平安县城关镇东风村3组12号", Phone: "13912345678", BankName: "农村信用社", BankAccount: "6228480012345678901",
		Notes:  "户主张建国，电话139-1234-5678，住东风村",
		Places: []string{"平安县", "城关镇", "东风村"},
		Members: []Person{
			{Name: "张建国", IDNumber: "130199198001011234", Relation: "户主", Age: 46, Notes: "张建国患慢性病"},
			{Name: "李秀", IDNumber: "13019919820202456x", Relation: "配偶", Age: 44},
		},
		Texts:      []string{`approval：{"name":"张建国","id":"1301**********1234","phone":"139 1234 5678","address":"平安县城关镇东风村3组12号","account":"6228 4800 1234 5678 901"}`},
		Incomes:    []Income{{Kind: "wage", Member: "李秀", Description: "李秀在城关镇打零工", AmountFen: 600000, Months: 12}},
		Properties: []Property{{Kind: "house", Description: "东风村3组12号自建房", ValueFen: 5000000, Quantity: 1}},
		Events: []Event{
			{At: applied, Transition: "apply", To: "accepted", Data: `{"applicant":"张建国","id":"130199198001011234"}`},
			{At: applied.AddDate(0, 0, 12), Transition: "survey", Reason: "入户调查：张**，身份证130199********1234，手机139****5678，账户6228 **** **** 8901；2026-03-14到访", Data: `{"visited":"2026年3月14日","month":"2026-04"}`},
			{At: applied.AddDate(0, 0, 30), Transition: "approve", To: "approved", Reason: "李秀（*秀）、张*国，银行卡号6228480012345678901"},
		},
	}
}

func TestMakeReplacesEverythingConsistently(t *testing.T) {
	src := sample()
	c := Make(src)
	raw, _ := json.Marshal(c)
	s := string(raw)
	for _, orig := range []string{"张建国", "建国", "李秀", "130199198001011234", "13019919820202456x", "13019919820202456X", "011234", "02456X",
		"13912345678", "12345678", "5678", "6228480012345678901", "8901", "平安县", "城关镇", "东风村", "3组12号", "2026"} {
		if strings.Contains(s, orig) {
			t.Errorf("%q survives in %s", orig, s)
		}
	}
	if c.Members[0].Alias != "户主甲" || c.Members[1].Alias != "成员乙" {
		t.Fatalf("aliases %+v", c.Members)
	}
	for i, m := range c.Members {
		id, err := idcard.Parse(m.IDNumber, src.Applied)
		if err != nil || !strings.HasPrefix(m.IDNumber, FakeRegion) {
			t.Fatalf("member %d fake id %q: %v", i, m.IDNumber, err)
		}
		if got := id.Age(src.Applied); got != src.Members[i].Age && got != src.Members[i].Age+1 {
			t.Fatalf("age %d vs %d", got, src.Members[i].Age)
		}
	}
	// Consistency: the same person gets the same pseudonym everywhere.
	if !strings.Contains(c.Steps[0].Data, "户主甲") || !strings.Contains(c.Steps[0].Data, c.Members[0].IDNumber) {
		t.Fatalf("step 0 data %s", c.Steps[0].Data)
	}
	if !strings.Contains(c.Steps[2].Reason, "成员乙") || !strings.Contains(c.Steps[2].Reason, "户主甲") || !strings.Contains(c.Steps[2].Reason, FakeAccount) {
		t.Fatalf("step 2 %s", c.Steps[2].Reason)
	}
	if c.Incomes[0].Member != "成员乙" || !strings.Contains(c.Notes, FakePhone) {
		t.Fatalf("income %+v notes %q", c.Incomes[0], c.Notes)
	}
	if !strings.Contains(c.Texts[0], "户主甲") || !strings.Contains(c.Texts[0], FakeAddress) || !strings.Contains(c.Texts[0], FakeAccount) {
		t.Fatalf("document text %s", c.Texts[0])
	}
	if c.Address != FakeAddress || c.Phone != FakePhone || c.BankAccount != FakeAccount {
		t.Fatalf("household fields %+v", c)
	}
	// Dates relative, amounts and procedure kept.
	if c.Steps[0].Day != 0 || c.Steps[1].Day != 12 || c.Steps[2].Day != 30 {
		t.Fatalf("days %+v", c.Steps)
	}
	if !strings.Contains(c.Steps[1].Reason, "第12天到访") || !strings.Contains(c.Steps[1].Data, "第12天") || !strings.Contains(c.Steps[1].Data, "第1月") {
		t.Fatalf("relative dates %q %q", c.Steps[1].Reason, c.Steps[1].Data)
	}
	if c.AmountFen != 123456 || c.Incomes[0].AmountFen != 600000 || c.Properties[0].ValueFen != 5000000 || len(c.Steps) != 3 {
		t.Fatalf("amounts or steps lost %+v", c)
	}
}

func TestAliasAndDays(t *testing.T) {
	if Alias(0) != "户主甲" || Alias(2) != "成员丙" || Alias(10) != "成员甲1" {
		t.Fatal(Alias(0), Alias(2), Alias(10))
	}
	a := time.Date(2026, 1, 31, 23, 0, 0, 0, time.UTC)
	if d := Days(a, a.Add(2*time.Hour)); d != 1 {
		t.Fatal(d)
	}
	if Make(Source{Applied: a}).Phone != "" {
		t.Fatal("empty phone must stay empty")
	}
}
