package crosscheck

import (
	"fmt"
	"strings"

	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
)

// Summary is the Chinese text of the check report (核对报告) document:
// status, every finding, what was checked and found nothing, what could not
// be checked and why, and the platform's notes. ID numbers are masked,
// including any that appear inside descriptions, because the document is
// printed and filed with the case.
func (r Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "核对请求编号：%s\n", r.RequestID)
	fmt.Fprintf(&b, "核对状态：%s\n", r.Status.Label())
	if !r.ReceivedAt.IsZero() {
		fmt.Fprintf(&b, "收到结果时间：%s\n", r.ReceivedAt.Format("2006年1月2日 15:04"))
	}

	var incomes, properties int
	for _, f := range r.Findings {
		if f.Kind == KindIncome {
			incomes++
		} else {
			properties++
		}
	}
	if len(r.Findings) == 0 {
		if len(r.Checked) > 0 {
			b.WriteString("核对结果：未发现收入或财产记录。\n")
		}
	} else {
		fmt.Fprintf(&b, "核对发现收入%d项、财产%d项：\n", incomes, properties)
		for i, f := range r.Findings {
			fmt.Fprintf(&b, "%d. %s，%s，%s\n", i+1, f.IDNumber.Mask(), f.Source.Label(), describeFinding(f))
		}
	}

	// Checked and clean, grouped by person in order of appearance.
	withFinding := map[Check]bool{}
	for _, f := range r.Findings {
		withFinding[Check{f.IDNumber, f.Source}] = true
	}
	var order []idcard.ID
	clean := map[idcard.ID][]string{}
	for _, c := range r.Checked {
		if withFinding[c] {
			continue
		}
		if _, ok := clean[c.IDNumber]; !ok {
			order = append(order, c.IDNumber)
		}
		clean[c.IDNumber] = append(clean[c.IDNumber], c.Source.Label())
	}
	if len(order) > 0 {
		b.WriteString("以下项目经核对未发现记录：\n")
		for _, id := range order {
			fmt.Fprintf(&b, "- %s：%s\n", id.Mask(), strings.Join(clean[id], "、"))
		}
	}

	if len(r.Gaps) > 0 {
		b.WriteString("以下项目未能核对，需通过入户调查等方式核实：\n")
		for _, g := range r.Gaps {
			fmt.Fprintf(&b, "- %s，%s：%s\n", g.IDNumber.Mask(), g.Source.Label(), maskIDs(g.Reason))
		}
	}
	if n := strings.TrimSpace(r.Notes); n != "" {
		fmt.Fprintf(&b, "备注：%s\n", maskIDs(n))
	}
	return b.String()
}

// describeFinding is one finding in words: "收入（养老金…）：说明，12个月共2,400.00元（月均200.00元）".
func describeFinding(f Finding) string {
	var b strings.Builder
	if f.Kind == KindIncome {
		fmt.Fprintf(&b, "收入（%s）", f.IncomeKind.Label())
	} else {
		fmt.Fprintf(&b, "财产（%s）", f.PropertyKind.Label())
	}
	if d := strings.TrimSpace(f.Description); d != "" {
		b.WriteString("：" + maskIDs(d))
	}
	if f.Kind == KindIncome && f.Months > 0 {
		about := ""
		if f.Amount%money.Fen(f.Months) != 0 {
			about = "约"
		}
		fmt.Fprintf(&b, "，%d个月共%s元（月均%s%s元）", f.Months, f.Amount.Yuan(), about, monthly(f.Amount, f.Months).Yuan())
	} else {
		if f.Quantity > 1 {
			fmt.Fprintf(&b, "，数量%d", f.Quantity)
		}
		fmt.Fprintf(&b, "，价值%s元", f.Amount.Yuan())
	}
	return b.String()
}

// monthly is amount ÷ months rounded half up to the fen; for display only,
// the benefit engine does its own arithmetic from the totals.
func monthly(amount money.Fen, months int) money.Fen {
	m := money.Fen(months)
	return (amount*2 + m) / (2 * m)
}

// ToItems turns findings into suggestions the investigator can adopt into
// the household: income findings become incomes and property findings
// become properties, in the order of r.Findings, so the i-th income is the
// i-th income finding. MemberID is left 0: the caller maps each income
// finding's IDNumber to a member (household properties have no member).
// Descriptions start with the source so an adopted item shows where it came
// from, and are made to fit household's rules (200 characters, no < or >).
func ToItems(r Report) (incomes []household.Income, properties []household.Property) {
	for _, f := range r.Findings {
		desc := itemDescription(f)
		switch f.Kind {
		case KindIncome:
			months := f.Months
			if months < 1 || months > maxMonths {
				months = 12
			}
			incomes = append(incomes, household.Income{
				Kind: f.IncomeKind, Description: desc, Amount: f.Amount, Months: months,
			})
		case KindProperty:
			q := f.Quantity
			if q < 1 {
				q = 1
			}
			properties = append(properties, household.Property{
				Kind: f.PropertyKind, Description: desc, Value: f.Amount, Quantity: q,
			})
		}
	}
	return incomes, properties
}

// itemDescription is "信息核对（机动车）：…", cut and cleaned to pass
// household's description rules.
func itemDescription(f Finding) string {
	s := "信息核对（" + f.Source.Label() + "）"
	if d := strings.TrimSpace(f.Description); d != "" {
		s += "：" + d
	}
	s = strings.NewReplacer("<", "＜", ">", "＞", "\x00", "").Replace(maskIDs(s))
	if r := []rune(s); len(r) > maxDescriptionRunes {
		s = string(r[:maxDescriptionRunes-1]) + "…"
	}
	return s
}
