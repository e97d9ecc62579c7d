// Package benefit is the benefit engine of SPEC §2.2: from a household and
// a set of versioned parameters it decides eligibility (income and asset
// tests), the monthly amount (补差 gap or 分档 tiers, plus 分类施保
// supplements), near-threshold status (低保边缘) and single-person
// enrollment (单人保), and explains every figure so that a caseworker can
// defend it and a trainee can learn from it. It is pure: no I/O, no state.
//
// Arithmetic is exact. Every intermediate value is an integer count of
// 1/693000 fen; 693000 is divisible by every month count 1–12 and by 1000
// (permille shares), so dividing an income by its months or taking 10 % of
// a standard never rounds; the only rounding is the final amount, once,
// with money.MulDivRound. Displayed intermediate figures (HouseholdIncome,
// PerCapita, Line amounts) are truncated to the fen so that a shown
// per-capita income never contradicts the exact comparison (649.995 shows
// 649.99 < 650.00); formulas print the exact value ("142.857142…").
package benefit

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/money"
)

// den is the number of exact units per fen: lcm(1..12) = 27720 times 25,
// so that it is divisible by every month count and by 1000.
const den = 693_000

// maxItem bounds one income or property amount (100 million yuan), the same
// bound household.ParseIncome applies; larger stored values are data errors.
const maxItem = money.Fen(100_000_000_00)

// Outcome is the kind of result.
type Outcome string

// The outcomes. Eligible is the only one with Result.Eligible true;
// single_person pays individual members of a household that is itself not
// eligible; invalid means the inputs could not be assessed.
const (
	OutcomeEligible      Outcome = "eligible"
	OutcomeIneligible    Outcome = "ineligible"
	OutcomeSinglePerson  Outcome = "single_person"
	OutcomeNearThreshold Outcome = "near_threshold"
	OutcomeInvalid       Outcome = "invalid"
)

// Label is the Chinese name of the outcome.
func (o Outcome) Label() string {
	switch o {
	case OutcomeEligible:
		return "符合低保条件"
	case OutcomeIneligible:
		return "不符合低保条件"
	case OutcomeSinglePerson:
		return "家庭不符合低保条件，符合条件的成员单人保"
	case OutcomeNearThreshold:
		return "不符合低保条件，属低保边缘家庭"
	case OutcomeInvalid:
		return "无法计算"
	}
	return string(o)
}

// Reason and check codes.
const (
	CodeIncome          = "income"           // per-capita income not below the standard
	CodeFinancialAssets = "financial_assets" // financial assets above the limit
	CodeVehicle         = "vehicle"          // a non-exempt vehicle above the exempt value
	CodeHomes           = "homes"            // more homes than allowed
	CodeBusiness        = "business"         // a non-exempt registered business
	CodeNearThreshold   = "near_threshold"   // the 低保边缘 test (a check, never a reason)
	CodeSinglePerson    = "single_person"    // the 单人保 test (a check, never a reason)
	CodeNoMembers       = "no_members"       // nobody lives in the household
	CodeInvalidData     = "invalid_data"     // an income or property item is out of range
	CodeInvalidParams   = "invalid_params"   // the parameters do not validate
)

// Reason is one failed test or input problem, with Chinese text for notices.
type Reason struct {
	Code string
	Text string
}

// Check is one test the household was put to, passed or not, so that an
// explanation shows what was checked and not only what failed.
type Check struct {
	Code   string
	Passed bool
	Text   string
	Params []string // parameter names the test used
}

// Line is one figure of the explanation.
type Line struct {
	Label   string    // Chinese
	Amount  money.Fen // the figure, truncated to the fen except the final amount
	Formula string    // how it was obtained, with exact values
	Params  []string  // parameter names it used
}

// Result is the outcome of Compute with its full explanation.
type Result struct {
	Outcome         Outcome
	Eligible        bool // the household itself is eligible (OutcomeEligible)
	NearThreshold   bool // 低保边缘: not eligible on income alone, below factor × standard; also true for single_person
	Reasons         []Reason
	Checks          []Check
	Urban           bool
	Mode            Mode
	Members         int       // counted (co-resident) members
	MembersNote     string    // who was counted and who was not, in Chinese
	Persons         int       // people the amount covers: Members, the enrolled individuals, or 0
	SinglePersons   []int     // 1-based positions in Household.Members of 单人保 enrollees
	HouseholdIncome money.Fen // monthly counted income, truncated to the fen (display)
	PerCapita       money.Fen // monthly per-capita income, truncated to the fen (display)
	Standard        money.Fen // the standard applied (urban or rural)
	Tier            string    // label of the hardship tier in tiers mode
	Amount          money.Fen // monthly amount, rounded per Params.Rounding; 0 for an eligible household only if MinPayment is 0 and the exact total rounds to 0
	Categories      []string  // codes of the supplements paid, in parameter order
	Lines           []Line
	Used            []string          // names of the parameters the result depended on, in ParamNames order
	Versions        map[string]string // versions of the used parameters, from Params.Versions
}

// calc carries one computation; all arithmetic values are non-negative
// counts of 1/den fen and saturate instead of overflowing, which can only
// happen for incomes far above any standard and so never changes a result.
type calc struct {
	h       household.Household
	p       Params
	on      time.Time
	r       Result
	used    uint32
	std     money.Fen
	stdName string
	n       int64
	incomeX int64
}

// Compute assesses household h under parameters p on the decision date on
// (which fixes ages). Only co-resident members count: under the 2021 rules
// people who do not share the household's life (prisoners, members settled
// elsewhere, those in long-term institutional care) are neither members for
// the per-capita division nor sources of household income, so their income
// items (by MemberID) are left out too. Items with MemberID 0 or an ID not
// in Members are the household's and count. Invalid parameters or item data
// give OutcomeInvalid with every problem listed, never a panic.
func Compute(h household.Household, p Params, on time.Time) Result {
	c := calc{h: h, p: p, on: on}
	// One line per item plus about a dozen fixed ones: size it once.
	c.r.Lines = make([]Line, 0, len(h.Incomes)+len(h.Members)+12)
	c.r.Urban, c.r.Mode = h.Urban, p.Mode
	c.run()
	return c.r
}

func (c *calc) use(name string) { c.used |= 1 << paramIndex[name] }

func (c *calc) fail(code, text string) { c.r.Reasons = append(c.r.Reasons, Reason{code, text}) }

func (c *calc) check(code string, ok bool, text string, params ...string) {
	c.r.Checks = append(c.r.Checks, Check{Code: code, Passed: ok, Text: text, Params: params})
	if !ok && code != CodeNearThreshold && code != CodeSinglePerson {
		c.fail(code, text)
	}
}

func (c *calc) line(label string, x int64, formula string, params ...string) {
	c.r.Lines = append(c.r.Lines, Line{Label: label, Amount: money.Fen(x / den), Formula: formula, Params: params})
}

func (c *calc) run() {
	defer c.versions()
	c.r.Outcome = OutcomeInvalid
	if err := c.p.Validate(); err != nil {
		var l errs.List
		errors.As(err, &l)
		for _, e := range l {
			c.fail(CodeInvalidParams, "参数错误："+e.Message)
		}
		return
	}
	c.std, c.stdName = c.p.StandardFor(c.h.Urban)
	c.r.Standard = c.std
	c.use(c.stdName)
	if !c.validData() {
		return
	}
	c.members()
	if c.n == 0 {
		c.fail(CodeNoMembers, "没有共同生活的家庭成员，无法计算人均收入")
		return
	}
	c.line("低保标准（"+urbanLabel(c.h.Urban)+"）", int64(c.std)*den, c.std.String()+" 元/人·月", c.stdName)
	c.income()
	stdTotal := satMul(satMul(int64(c.std), c.n), den)
	pc := fmtQ(c.incomeX, den*c.n)
	if c.incomeX < stdTotal {
		c.check(CodeIncome, true, "人均收入 "+pc+" 元 < 低保标准 "+c.std.String()+" 元", c.stdName)
	} else {
		c.check(CodeIncome, false, "人均收入 "+pc+" 元 ≥ 低保标准 "+c.std.String()+" 元", c.stdName)
	}
	incomeOK := c.incomeX < stdTotal
	assetsOK := c.assets()
	switch {
	case incomeOK && assetsOK:
		c.r.Outcome, c.r.Eligible, c.r.Persons = OutcomeEligible, true, int(c.n)
		c.pay()
	case assetsOK && c.near():
		c.r.Outcome, c.r.NearThreshold = OutcomeNearThreshold, true
		c.single()
	default:
		c.r.Outcome = OutcomeIneligible
	}
}

func urbanLabel(urban bool) string {
	if urban {
		return "城市"
	}
	return "农村"
}

// memberRef names a member in explanations by position and relation, never
// by name or ID number, because explanations reach trainees and notices.
func memberRef(i int, m household.Member) string {
	s := "第" + strconv.Itoa(i+1) + "名成员"
	if m.Relation != "" {
		s += "（" + m.Relation.Label() + "）"
	}
	return s
}

// validData rejects stored items that household.Parse* would never have
// produced, listing every one, because computing on them could make an
// ineligible household look eligible.
func (c *calc) validData() bool {
	ok := true
	bad := func(text string) { ok = false; c.fail(CodeInvalidData, text) }
	for i, in := range c.h.Incomes {
		n := strconv.Itoa(i + 1)
		if in.Amount < 0 || in.Cost < 0 || in.Amount > maxItem || in.Cost > maxItem {
			bad("第" + n + "项收入的金额或扣除费用无效（应为0至1亿元）")
		}
		if in.Months > 12 {
			bad("第" + n + "项收入的月数 " + strconv.Itoa(in.Months) + " 无效（应为1至12）")
		}
	}
	for i, pr := range c.h.Properties {
		n := strconv.Itoa(i + 1)
		if pr.Value < 0 || pr.Value > maxItem {
			bad("第" + n + "项财产的价值无效（应为0至1亿元）")
		}
		if pr.Quantity < 0 || pr.Quantity > 1000 {
			bad("第" + n + "项财产的数量无效（不能为负数或超过1000）")
		}
	}
	return ok
}

func (c *calc) members() {
	var away []string
	for i, m := range c.h.Members {
		if m.CoResident {
			c.n++
		} else {
			away = append(away, memberRef(i, m))
		}
	}
	c.r.Members = int(c.n)
	text := "共同生活 " + strconv.FormatInt(c.n, 10) + " 人"
	if len(away) > 0 {
		text += "；不计入：" + strings.Join(away, "、") + "，未共同生活，人数和收入均不计入"
	}
	c.r.MembersNote = text
}

// memberIndex finds the member an income item belongs to, or -1.
func (c *calc) memberIndex(id int64) int {
	if id == 0 {
		return -1
	}
	for i, m := range c.h.Members {
		if m.ID == id {
			return i
		}
	}
	return -1
}

func (c *calc) excluded(k household.IncomeKind) bool {
	for _, e := range c.p.ExcludedIncome {
		if e == k {
			return true
		}
	}
	return false
}

// income sums the counted items, each (Amount − Cost) ÷ Months exactly;
// Months ≤ 0 (not filled in) means the item covers the whole income window.
// A loss (Cost above Amount) counts as zero rather than being set off
// against other sources, so a failing sideline cannot hide a wage.
func (c *calc) income() {
	if len(c.h.Incomes) > 0 {
		c.use(ParamExcludedIncome)
	}
	var terms []string
	for _, in := range c.h.Incomes {
		label := "收入：" + in.Kind.Label()
		idx := c.memberIndex(in.MemberID)
		if idx >= 0 {
			label = "收入：" + memberRef(idx, c.h.Members[idx]) + in.Kind.Label()
		}
		switch {
		case idx >= 0 && !c.h.Members[idx].CoResident:
			c.line(label, 0, "该成员未共同生活，其收入不计入")
			continue
		case c.excluded(in.Kind):
			c.line(label, 0, in.Kind.Label()+"不计入家庭收入", ParamExcludedIncome)
			continue
		}
		var params []string
		m := in.Months
		if m <= 0 {
			m = c.p.IncomeWindowMonths
			c.use(ParamIncomeWindow)
			params = []string{ParamIncomeWindow}
		}
		net := in.Amount - in.Cost
		f := in.Amount.String()
		if in.Cost != 0 {
			f = "(" + f + " − " + in.Cost.String() + ")"
		}
		f += " ÷ " + strconv.Itoa(m)
		if net < 0 {
			c.line(label, 0, f+" < 0，亏损不抵减其他收入，按 0.00 计", params...)
			continue
		}
		x := int64(net) * (den / int64(m))
		c.incomeX = satAdd(c.incomeX, x)
		terms = append(terms, fmtQ(x, den))
		c.line(label, x, f+" = "+fmtQ(x, den), params...)
	}
	c.r.HouseholdIncome = money.Fen(c.incomeX / den)
	c.r.PerCapita = money.Fen(c.incomeX / den / c.n)
	total := fmtQ(c.incomeX, den)
	f := "无计入收入，按 0.00 计"
	if len(terms) == 1 {
		f = terms[0]
	} else if len(terms) > 1 {
		f = strings.Join(terms, " + ") + " = " + total
	}
	c.line("家庭月收入", c.incomeX, f)
	c.r.Lines = append(c.r.Lines, Line{Label: "人均月收入", Amount: c.r.PerCapita,
		Formula: total + " ÷ " + strconv.FormatInt(c.n, 10) + " = " + fmtQ(c.incomeX, den*c.n)})
}

// assets runs the asset tests and reports whether all passed. An item
// marked Exempt is recorded but never tested, whatever its kind: the flag
// is the caseworker's documented exemption (a disability vehicle, a
// business exempted by the county, an earmarked compensation deposit).
// Kind "other" is recorded for the investigation but has no test here:
// SPEC §2.2 names limits only for financial assets, vehicles, homes and
// businesses. A house item with Quantity 0 counts as one home.
func (c *calc) assets() bool {
	ok := true
	var fin money.Fen
	var finTerms []string
	homes, exemptHomes := 0, 0
	for _, pr := range c.h.Properties {
		switch pr.Kind {
		case "deposit", "securities", "insurance":
			if pr.Exempt {
				continue
			}
			fin = money.Fen(satAdd(int64(fin), int64(pr.Value)))
			finTerms = append(finTerms, pr.Kind.Label()+" "+pr.Value.String())
		case "vehicle":
			v := pr.Value.String()
			if pr.Exempt {
				c.check(CodeVehicle, true, "机动车辆（价值 "+v+" 元）已认定豁免，不影响资格")
				continue
			}
			c.use(ParamVehicleExemptValue)
			if pr.Value > c.p.VehicleExemptValue {
				ok = false
				c.check(CodeVehicle, false, "拥有机动车辆（价值 "+v+" 元）", ParamVehicleExemptValue)
			} else {
				c.check(CodeVehicle, true, "机动车辆价值 "+v+" 元，不超过豁免价值 "+c.p.VehicleExemptValue.String()+" 元", ParamVehicleExemptValue)
			}
		case "house":
			if pr.Exempt {
				exemptHomes += max(pr.Quantity, 1)
			} else {
				homes += max(pr.Quantity, 1)
			}
		case "business":
			if pr.Exempt {
				c.check(CodeBusiness, true, "经营实体已认定豁免，不影响资格")
				continue
			}
			c.use(ParamBusinessDisqualifies)
			if c.p.BusinessDisqualifies {
				ok = false
				c.check(CodeBusiness, false, "拥有工商登记经营实体（价值 "+pr.Value.String()+" 元）", ParamBusinessDisqualifies)
			} else {
				c.check(CodeBusiness, true, "拥有经营实体，按本地规定不作为否决条件", ParamBusinessDisqualifies)
			}
		}
	}
	// Financial assets: the household total against AssetMonths × standard
	// × members, which is SPEC's per-capita limit multiplied out so that no
	// division is needed.
	c.use(ParamAssetMonths)
	limit := money.Fen(satMul(satMul(int64(c.p.AssetMonths), int64(c.std)), c.n))
	limitF := strconv.Itoa(c.p.AssetMonths) + " 个月 × " + c.std.String() + " 元 × " + strconv.FormatInt(c.n, 10) + " 人"
	finF := "无"
	if len(finTerms) > 0 {
		finF = strings.Join(finTerms, " + ")
	}
	if len(finTerms) > 1 {
		finF += " = " + fin.String()
	}
	c.r.Lines = append(c.r.Lines,
		Line{Label: "金融资产合计", Amount: fin, Formula: finF},
		Line{Label: "金融资产上限", Amount: limit, Formula: limitF + " = " + limit.String(), Params: []string{ParamAssetMonths, c.stdName}})
	if fin <= limit {
		c.check(CodeFinancialAssets, true, "金融资产 "+fin.String()+" 元，不超过上限 "+limit.String()+" 元", ParamAssetMonths, c.stdName)
	} else {
		ok = false
		c.check(CodeFinancialAssets, false, "金融资产 "+fin.String()+" 元，超过上限 "+limit.String()+" 元（"+limitF+"）", ParamAssetMonths, c.stdName)
	}
	if homes+exemptHomes > 0 {
		c.use(ParamMaxHomes)
		note := ""
		if exemptHomes > 0 {
			note = "（另有 " + strconv.Itoa(exemptHomes) + " 套已认定豁免）"
		}
		h, m := strconv.Itoa(homes), strconv.Itoa(c.p.MaxHomes)
		if homes > c.p.MaxHomes {
			ok = false
			c.check(CodeHomes, false, "房产 "+h+" 套，超过 "+m+" 套"+note, ParamMaxHomes)
		} else {
			c.check(CodeHomes, true, "房产 "+h+" 套，不超过 "+m+" 套"+note, ParamMaxHomes)
		}
	}
	return ok
}

// near applies the 低保边缘 test to a household that failed only on income.
func (c *calc) near() bool {
	c.use(ParamNearThreshold)
	f := c.p.NearThresholdFactor
	lineX := satMul(satMul(int64(f), int64(c.std)), den/1000)
	c.line("低保边缘线", lineX, f.Times()+" × "+c.std.String()+" = "+fmtQ(lineX, den), ParamNearThreshold, c.stdName)
	ok := satMul(c.incomeX, 1000) < satMul(satMul(satMul(int64(f), int64(c.std)), c.n), den)
	pc, limit := fmtQ(c.incomeX, den*c.n), fmtQ(lineX, den)
	if ok {
		c.check(CodeNearThreshold, true, "人均收入 "+pc+" 元 < "+f.Times()+" × 低保标准 = "+limit+" 元，属低保边缘家庭", ParamNearThreshold)
	} else {
		c.check(CodeNearThreshold, false, "人均收入 "+pc+" 元 ≥ "+f.Times()+" × 低保标准 = "+limit+" 元，不属低保边缘家庭", ParamNearThreshold)
	}
	return ok
}

// pay computes the amount of an eligible household.
func (c *calc) pay() {
	c.use(ParamMode)
	var baseX int64
	n := strconv.FormatInt(c.n, 10)
	switch c.p.Mode {
	case ModeTiers:
		c.use(ParamTiers)
		i := c.tier()
		t := c.p.Tiers[i]
		amt := t.Rural
		if c.h.Urban {
			amt = t.Urban
		}
		c.r.Tier = t.Label
		baseX = satMul(satMul(int64(amt), c.n), den)
		band := "人均收入 " + fmtQ(c.incomeX, den*c.n) + " 元 < " + t.Below.Percent() + " × " + c.std.String() + " = " + fmtQ(int64(t.Below)*int64(c.std), 1000) + " 元"
		if i > 0 {
			prev := c.p.Tiers[i-1].Below
			band = fmtQ(int64(prev)*int64(c.std), 1000) + " 元 ≤ " + band
		}
		c.line("分档金额（"+t.Label+"）", baseX, band+"；"+amt.String()+" × "+n+" = "+fmtQ(baseX, den), ParamTiers, c.stdName)
	default:
		baseX = satMul(satMul(int64(c.std), c.n), den) - c.incomeX
		c.line("补差金额", baseX, "("+c.std.String()+" − "+fmtQ(c.incomeX, den*c.n)+") × "+n+" = "+fmtQ(baseX, den), c.stdName)
	}
	terms := []string{fmtQ(baseX, den)}
	total := baseX
	var cats uint32
	for i, m := range c.h.Members {
		if m.CoResident {
			x, t := c.supplement(i, m, &cats)
			if x > 0 {
				total = satAdd(total, x)
				terms = append(terms, t)
			}
		}
	}
	c.finish(total, terms, cats)
}

// tier returns the index of the household's hardship tier; Validate
// guarantees the last bound is the standard, and an eligible household is
// below it.
func (c *calc) tier() int {
	for i, t := range c.p.Tiers {
		if satMul(c.incomeX, 1000) < satMul(satMul(satMul(int64(t.Below), int64(c.std)), c.n), den) {
			return i
		}
	}
	return len(c.p.Tiers) - 1
}

// single enrolls qualifying members of a near-threshold household.
func (c *calc) single() {
	c.use(ParamSinglePerson)
	if c.p.SinglePerson == SingleNone {
		c.check(CodeSinglePerson, false, "本地未实行单人保", ParamSinglePerson)
		return
	}
	var names []string
	for i, m := range c.h.Members {
		if m.CoResident && c.singleQualifies(m) {
			c.r.SinglePersons = append(c.r.SinglePersons, i+1)
			names = append(names, memberRef(i, m)+singleWhy(m, c.p.SinglePersonMaxGrade))
		}
	}
	if len(names) == 0 {
		c.check(CodeSinglePerson, false, "无重度残疾或重病成员，不适用单人保", ParamSinglePerson)
		return
	}
	c.check(CodeSinglePerson, true, strings.Join(names, "、")+"，可单人保", ParamSinglePerson)
	c.r.Outcome, c.r.Persons = OutcomeSinglePerson, len(c.r.SinglePersons)
	var terms []string
	var total int64
	var cats uint32
	for _, pos := range c.r.SinglePersons {
		i := pos - 1
		m := c.h.Members[i]
		var x int64
		var f string
		if c.p.SinglePerson == SingleShare {
			x = satMul(satMul(int64(c.std), int64(c.p.SinglePersonShare)), den/1000)
			f = c.std.String() + " × " + c.p.SinglePersonShare.Percent() + " = " + fmtQ(x, den)
		} else {
			x = int64(c.std) * den
			f = c.std.String() + "（按单人户、无收入计全额标准）"
		}
		c.line("单人保："+memberRef(i, m), x, f, ParamSinglePerson, c.stdName)
		total = satAdd(total, x)
		terms = append(terms, fmtQ(x, den))
		if sx, t := c.supplement(i, m, &cats); sx > 0 {
			total = satAdd(total, sx)
			terms = append(terms, t)
		}
	}
	c.finish(total, terms, cats)
}

func (c *calc) singleQualifies(m household.Member) bool {
	return m.Health == "serious" || (m.DisabilityGrade >= 1 && m.DisabilityGrade <= c.p.SinglePersonMaxGrade)
}

func singleWhy(m household.Member, maxGrade int) string {
	var w []string
	if m.DisabilityGrade >= 1 && m.DisabilityGrade <= maxGrade {
		w = append(w, strconv.Itoa(m.DisabilityGrade)+"级残疾")
	}
	if m.Health == "serious" {
		w = append(w, "重病")
	}
	return "（" + strings.Join(w, "、") + "）"
}

// supplement adds the member's 分类施保 lines and returns the exact amount
// and its term for the sum. Age categories need a readable birth date: a
// member whose ID number does not give one gets no age category rather
// than being taken for a newborn.
func (c *calc) supplement(i int, m household.Member, cats *uint32) (int64, string) {
	c.use(ParamSupplements)
	var best, count int
	var bestX, sum int64
	var labels []string
	best = -1
	birthKnown := !m.IDNumber.BirthDate().IsZero()
	age := m.IDNumber.Age(c.on)
	for k, s := range c.p.Supplements {
		if !supplementApplies(s, m, age, birthKnown) {
			continue
		}
		x := satAdd(satMul(int64(s.Fixed), den), satMul(satMul(int64(c.std), int64(s.Share)), den/1000))
		count++
		labels = append(labels, s.Label)
		if c.p.StackSupplements {
			*cats |= 1 << k
			sum = satAdd(sum, x)
			c.line(c.supplementLabel(s, i, m, age), x, c.supplementFormula(s, x), ParamSupplements, c.stdName)
		} else if x > bestX || best < 0 {
			best, bestX = k, x
		}
	}
	if count == 0 {
		return 0, ""
	}
	if !c.p.StackSupplements {
		s := c.p.Supplements[best]
		*cats |= 1 << best
		sum = bestX
		f := c.supplementFormula(s, bestX)
		if count > 1 {
			f = "同时符合" + strings.Join(labels, "、") + "，按最高一项：" + f
		}
		c.line(c.supplementLabel(s, i, m, age), bestX, f, ParamSupplements, c.stdName)
	}
	return sum, fmtQ(sum, den)
}

func supplementApplies(s Supplement, m household.Member, age int, birthKnown bool) bool {
	if s.ageBased() {
		if !birthKnown || (s.MinAge > 0 && age < s.MinAge) || (s.MaxAge > 0 && age >= s.MaxAge) {
			return false
		}
	}
	if s.MaxDisabilityGrade > 0 && (m.DisabilityGrade < 1 || m.DisabilityGrade > s.MaxDisabilityGrade) {
		return false
	}
	return !s.SeriousIllness || m.Health == "serious"
}

func (c *calc) supplementLabel(s Supplement, i int, m household.Member, age int) string {
	l := "分类施保：" + s.Label + "，" + memberRef(i, m)
	if s.ageBased() {
		l += "，" + strconv.Itoa(age) + "岁"
	}
	return l
}

func (c *calc) supplementFormula(s Supplement, x int64) string {
	var parts []string
	if s.Fixed != 0 {
		parts = append(parts, s.Fixed.String())
	}
	if s.Share != 0 {
		parts = append(parts, c.std.String()+" × "+s.Share.Percent())
	}
	return strings.Join(parts, " + ") + " = " + fmtQ(x, den)
}

// finish rounds the exact total once and applies the minimum payment.
func (c *calc) finish(total int64, terms []string, cats uint32) {
	c.use(ParamRounding)
	c.use(ParamMinPayment)
	for k, s := range c.p.Supplements {
		if cats&(1<<k) != 0 {
			c.r.Categories = append(c.r.Categories, s.Code)
		}
	}
	pre := fmtQ(total, den)
	if len(terms) > 1 {
		c.line("合计（取整前）", total, strings.Join(terms, " + ")+" = "+pre)
	}
	rounded := money.MulDivRound(money.Fen(total), 1, den, c.p.Rounding)
	amount := rounded
	f := pre + " → " + c.p.Rounding.Label() + " = " + rounded.String()
	params := []string{ParamRounding}
	if rounded < c.p.MinPayment {
		amount = c.p.MinPayment
		f += "；低于最低发放额 " + c.p.MinPayment.String() + " 元，按 " + amount.String() + " 元发放"
		params = append(params, ParamMinPayment)
	}
	c.r.Amount = amount
	c.r.Lines = append(c.r.Lines, Line{Label: "月保障金", Amount: amount, Formula: f, Params: params})
}

// versions records the used parameters and their versions.
func (c *calc) versions() {
	for i, n := range paramNames {
		if c.used&(1<<i) == 0 {
			continue
		}
		c.r.Used = append(c.r.Used, n)
		if v, ok := c.p.Versions[n]; ok {
			if c.r.Versions == nil {
				c.r.Versions = map[string]string{}
			}
			c.r.Versions[n] = v
		}
	}
}

// fmtQ prints num/d fen in yuan exactly when it ends within four digits
// after the fen, else with those digits and "…": 142.857142….
func fmtQ(num, d int64) string {
	s := money.Fen(num / d).String()
	r := num % d
	if r == 0 {
		return s
	}
	b := []byte(s)
	for i := 0; i < 4 && r != 0; i++ {
		r *= 10
		b = append(b, byte('0'+r/d))
		r %= d
	}
	if r != 0 {
		b = append(b, "…"...)
	}
	return string(b)
}

// satAdd adds non-negative values, saturating at the int64 maximum.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// satMul multiplies non-negative values, saturating at the int64 maximum.
func satMul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}
