package benefit

import (
	"strings"
	"testing"
)

func TestExplainContainsEverything(t *testing.T) {
	p := DefaultParams()
	p.Versions[ParamStandardRural] = "130199000000/2026-01-01/v3"
	p.Versions[ParamSupplements] = "130199000000/2025-07-01/v2"
	h := family()
	h.Members = append(h.Members, member(4, "spouse"))
	h.Members[3].CoResident = false
	r := Compute(h, p, on)
	text := r.Explain()
	// Hand-worked: see "elderly and grade-1 disabled child"; member 4 is
	// away and changes nothing: 1145.00.
	for _, want := range []string{
		"结论：符合低保条件",
		"月保障金：1145.00 元（保障 3 人）",
		"第4名成员（配偶），未共同生活",
		"(650.00 − 333.333333…) × 3 = 950.00",
		"650.00 × 10% = 65.00",
		"同时符合未成年人、重度残疾人，按最高一项：650.00 × 20% = 130.00",
		"950.00 + 65.00 + 130.00 = 1145.00",
		"1145.00 → 四舍五入到元 = 1145.00",
		"standard.rural：130199000000/2026-01-01/v3",
		"supplements：130199000000/2025-07-01/v2",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("explanation lacks %q", want)
		}
	}
	for _, l := range r.Lines {
		for _, s := range []string{l.Label, l.Formula, l.Amount.String()} {
			if !strings.Contains(text, s) {
				t.Errorf("explanation lacks line part %q", s)
			}
		}
	}
	for _, c := range r.Checks {
		if !strings.Contains(text, c.Text) {
			t.Errorf("explanation lacks check %q", c.Text)
		}
	}
	for n, v := range r.Versions {
		if !strings.Contains(text, n+"："+v) {
			t.Errorf("explanation lacks version %s %s", n, v)
		}
	}
	// No names or ID numbers: explanations reach trainees and notices.
	for _, m := range h.Members {
		if strings.Contains(text, string(m.IDNumber)) || strings.Contains(text, m.Name) {
			t.Fatalf("explanation leaks a member's identity:\n%s", text)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
}

func TestExplainReasons(t *testing.T) {
	h := withProperty(withIncome(adults(3, false), wage(1, "25650.00", 12)),
		prop("vehicle", "30000.00", 1, false), prop("house", "1.00", 2, false))
	r := Compute(h, DefaultParams(), on)
	text := r.Explain()
	// 25650.00 ÷ 12 = 2137.50; ÷ 3 = 712.50 per person.
	for _, want := range []string{
		"结论：不符合低保条件",
		"人均收入 712.50 元 ≥ 低保标准 650.00 元",
		"拥有机动车辆（价值 30000.00 元）",
		"房产 2 套，超过 1 套",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("explanation lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "月保障金：") {
		t.Errorf("an ineligible household shows an amount:\n%s", text)
	}
}

func TestExplainSinglePersonAndInvalid(t *testing.T) {
	h := nearHousehold()
	h.Members[2].Health, h.Members[2].HealthDetail = "serious", "恶性肿瘤"
	text := Compute(h, DefaultParams(), on).Explain()
	for _, want := range []string{"单人保 1 人", "第3名成员（子女）（重病），可单人保", "属低保边缘家庭", "650.00（按单人户、无收入计全额标准）"} {
		if !strings.Contains(text, want) {
			t.Errorf("explanation lacks %q:\n%s", want, text)
		}
	}
	p := DefaultParams()
	p.RuralStandard = 0
	text = Compute(h, p, on).Explain()
	if !strings.Contains(text, "无法计算") || !strings.Contains(text, "参数错误：农村低保标准必须大于0") {
		t.Errorf("invalid explanation:\n%s", text)
	}
}
