// Package demo generates and loads the demo county 平安县: regions, the
// twelve staff accounts and a few hundred households with members, income
// and property. Generation is pure and deterministic (same seed, same day →
// same data) so that screenshots, training scenarios and tests agree.
package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/region"
	"dibao/internal/store"
)

// Dataset is the whole demo county, ready to load.
type Dataset struct {
	Seed  int64
	Today time.Time
	// Regions lists the county, then each township followed by its villages,
	// so that every parent precedes its children.
	Regions []store.Region
	Users   []User
	// Households carry Members, Incomes and Properties; IDs are zero until
	// loaded. Income.MemberID is zero here: see Earners.
	Households []household.Household
	// Earners[i][j] is the index in Households[i].Members of the member who
	// receives Households[i].Incomes[j], or -1 for income of the household
	// as a whole. Load turns it into Income.MemberID.
	Earners [][]int
}

// User is a demo staff account with its clear password.
type User struct {
	Username    string
	DisplayName string
	Password    string
	Role        authz.Role
	Region      region.Code
	Posts       string // comma-separated posts (受理, 调查, 审核, 审批, 管理…)
	HireDate    time.Time
}

// Standard returns the demo allowance standard per person per month.
func Standard(urban bool) money.Fen {
	if urban {
		return UrbanStandard
	}
	return RuralStandard
}

// household classes the generator aims at; ExpectedEligible checks them.
type class int

const (
	classEligible class = iota
	classAbove          // income clearly above the standard
	classAssets         // income below, but a disqualifying asset
)

type gen struct {
	r     *rand.Rand
	today time.Time
	ids   map[idcard.ID]bool
}

// Generate builds the demo county from seed. today anchors ages, birth
// dates and hire dates; the result depends on nothing else.
func Generate(seed int64, today time.Time) Dataset {
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.Local)
	g := &gen{r: rand.New(rand.NewPCG(uint64(seed), 0x64696261_6f646d6f)), today: today, ids: map[idcard.ID]bool{}}
	ds := Dataset{Seed: seed, Today: today}
	ds.Regions = append(ds.Regions, store.Region{Code: CountyCode, Name: CountyName, Level: region.County})
	for _, t := range towns {
		ds.Regions = append(ds.Regions, store.Region{Code: t.code, Name: t.name, Level: region.Township,
			Parent: CountyCode, Urban: t.urban})
		for _, v := range villages {
			if townOf(v.code) == t.code {
				ds.Regions = append(ds.Regions, store.Region{Code: v.code, Name: v.name, Level: region.Village,
					Parent: t.code, Urban: v.urban})
			}
		}
	}
	for _, s := range staff {
		ds.Users = append(ds.Users, User{Username: s.username, DisplayName: s.name, Password: Password,
			Role: s.role, Region: s.region, Posts: s.posts, HireDate: s.hired(today)})
	}
	for _, v := range villages {
		for i := 0; i < v.households; i++ {
			h, earners := g.household(v)
			ds.Households = append(ds.Households, h)
			ds.Earners = append(ds.Earners, earners)
		}
	}
	return ds
}

// townOf is the township code of a village code.
func townOf(c region.Code) region.Code { return c[:9] + "000" }

func townName(c region.Code) string {
	for _, t := range towns {
		if t.code == c {
			return t.name
		}
	}
	return ""
}

func (g *gen) intn(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func pick[T any](g *gen, xs []T) T { return xs[g.r.IntN(len(xs))] }

// yuan returns a random whole-yuan amount in [lo, hi] yuan, as fen.
func (g *gen) yuan(lo, hi int) money.Fen { return money.Fen(g.intn(lo, hi)) * 100 }

// roundYuan rounds fen to whole yuan (amounts on a form are whole yuan).
func roundYuan(f money.Fen) money.Fen { return (f + 50) / 100 * 100 }

type person struct {
	male     bool
	age      int
	surname  string
	rel      household.Relation
	student  bool
	away     bool // works elsewhere: not co-resident
	disabled bool // forced disability (the disabled-adult household)
}

func (g *gen) surname(v villageDef) string {
	if v.surname != "" && g.chance(0.5) {
		return v.surname
	}
	// The first dozen surnames are drawn about half of the time.
	if g.chance(0.5) {
		return surnames[g.r.IntN(12)]
	}
	return pick(g, surnames)
}

// composition draws the people of one household; the head comes first.
func (g *gen) composition(v villageDef, c class) []person {
	sur := g.surname(v)
	other := func() string { return g.surname(villageDef{}) }
	var ps []person
	add := func(p person) { ps = append(ps, p) }
	kids := func(fatherSur string, youngestParent, n int) {
		for i := 0; i < n; i++ {
			age := youngestParent - g.intn(20, 34)
			if age < 0 {
				continue
			}
			student := age >= 6 && age <= 21 && (age < 18 || g.chance(0.5))
			add(person{male: g.chance(0.52), age: age, surname: fatherSur, rel: "child", student: student,
				away: age >= 18 && !student && g.chance(0.25)})
		}
	}
	k := g.r.IntN(100)
	if c == classAbove {
		// Households above the line are more often working families.
		k = g.intn(25, 99)
	}
	switch {
	case k < 15: // single elder, often with children living elsewhere
		add(person{male: g.chance(0.4), age: g.intn(62, 90), surname: sur, rel: "head"})
	case k < 27: // elderly couple
		h := g.intn(60, 86)
		add(person{male: true, age: h, surname: sur, rel: "head"})
		add(person{male: false, age: clamp(h-g.intn(-2, 5), 55, 95), surname: other(), rel: "spouse"})
	case k < 32: // grandparents raising grandchildren (留守儿童)
		h := g.intn(58, 75)
		add(person{male: true, age: h, surname: sur, rel: "head"})
		if g.chance(0.7) {
			add(person{male: false, age: clamp(h-g.intn(-2, 5), 52, 90), surname: other(), rel: "spouse"})
		}
		for i := g.intn(1, 2); i > 0; i-- {
			a := g.intn(3, 15)
			add(person{male: g.chance(0.5), age: a, surname: sur, rel: "grandchild", student: a >= 6})
		}
	case k < 40: // parents with a severely disabled adult child
		h := g.intn(50, 72)
		add(person{male: true, age: h, surname: sur, rel: "head"})
		w := clamp(h-g.intn(-2, 5), 45, 90)
		if g.chance(0.75) {
			add(person{male: false, age: w, surname: other(), rel: "spouse"})
		}
		add(person{male: g.chance(0.6), age: clamp(w-g.intn(22, 32), 18, 60), surname: sur, rel: "child", disabled: true})
	case k < 52: // single parent
		male := g.chance(0.3)
		h := g.intn(28, 50)
		hs := sur
		childSur := sur
		if !male {
			childSur = other() // children carry the absent father's surname
		}
		add(person{male: male, age: h, surname: hs, rel: "head"})
		kids(childSur, h, g.intn(1, 2))
	case k < 57: // single working-age adult, ill or disabled
		add(person{male: g.chance(0.6), age: g.intn(30, 59), surname: sur, rel: "head", disabled: g.chance(0.5)})
	case k < 80: // couple with children
		h := g.intn(27, 52)
		w := clamp(h-g.intn(-2, 5), 22, 60)
		add(person{male: true, age: h, surname: sur, rel: "head"})
		add(person{male: false, age: w, surname: other(), rel: "spouse"})
		kids(sur, min(h, w), g.intn(1, 3))
	default: // three generations
		h := g.intn(32, 55)
		w := clamp(h-g.intn(-2, 5), 26, 60)
		add(person{male: true, age: h, surname: sur, rel: "head"})
		add(person{male: false, age: w, surname: other(), rel: "spouse"})
		kids(sur, min(h, w), g.intn(1, 2))
		fa := h + g.intn(22, 34)
		if fa <= 92 && g.chance(0.6) {
			add(person{male: true, age: fa, surname: sur, rel: "parent"})
		}
		if len(ps) < 6 {
			add(person{male: false, age: clamp(fa-g.intn(0, 5), h+20, 95), surname: other(), rel: "parent"})
		}
	}
	if len(ps) > 6 {
		ps = ps[:6]
	}
	return ps
}

func clamp(x, lo, hi int) int { return max(lo, min(hi, x)) }

func (g *gen) givenName(male bool, age int, used map[string]bool, sur string) string {
	var list []string
	switch {
	case male && age >= 60:
		list = maleOld
	case male && age >= 30:
		list = maleMid
	case male:
		list = maleYoung
	case age >= 60:
		list = femaleOld
	case age >= 30:
		list = femaleMid
	default:
		list = femaleYoung
	}
	for {
		n := sur + pick(g, list)
		if !used[n] {
			used[n] = true
			return n
		}
	}
}

// idNumber returns a fresh valid ID number for a person born on birth.
func (g *gen) idNumber(addr6 string, birth time.Time, male bool) idcard.ID {
	for {
		seq := g.r.IntN(499)*2 + 2 // even: female
		if male {
			seq = g.r.IntN(500)*2 + 1
		}
		id := idcard.Make(addr6, birth, seq)
		if !g.ids[id] {
			g.ids[id] = true
			return id
		}
	}
}

func (g *gen) member(p person, c class) household.Member {
	birth := g.today.AddDate(-p.age, 0, -g.intn(1, 364))
	addr := countyAddr6
	if (p.rel == "spouse" && g.chance(0.3)) || g.chance(0.05) {
		addr = pick(g, otherAddr6)
	}
	m := household.Member{Relation: p.rel, IDNumber: g.idNumber(addr, birth, p.male), Health: "healthy",
		CoResident: !p.away}
	hardship := 1.0
	if c == classEligible {
		hardship = 2
	}
	// Health: illness grows with age and is commoner in poor households.
	switch {
	case p.age >= 60 && g.chance(0.10*hardship), p.age >= 18 && p.age < 60 && g.chance(0.05*hardship):
		m.Health, m.HealthDetail = "serious", pick(g, seriousIllness)
	case p.age < 18 && g.chance(0.02*hardship):
		m.Health, m.HealthDetail = "serious", pick(g, childIllness)
	case p.age >= 50 && g.chance(0.4), p.age >= 18 && g.chance(0.06):
		m.Health, m.HealthDetail = "chronic", pick(g, chronicIllness)
	}
	if p.disabled || (!p.away && g.chance(0.05*hardship)) {
		m.DisabilityGrade = g.intn(1, 4)
		if p.disabled {
			m.DisabilityGrade = g.intn(1, 2)
		}
		kind := pick(g, disabilityKinds)
		causes := disabilityCause[kind][0]
		if m.DisabilityGrade > 2 {
			causes = disabilityCause[kind][1]
		}
		m.DisabilityDetail = fmt.Sprintf("%s残疾%s级（%s）", kind, gradeCN[m.DisabilityGrade], pick(g, causes))
	}
	switch {
	case p.age < 16 || p.student:
		m.Labour = "none"
	case m.DisabilityGrade == 1 || m.DisabilityGrade == 2 || p.age >= 70:
		m.Labour = "none"
	case m.Health == "serious":
		m.Labour = pick(g, []household.Labour{"none", "none", "partial"})
	case m.DisabilityGrade > 0 || p.age >= 60 || (m.Health == "chronic" && g.chance(0.3)):
		m.Labour = "partial"
	default:
		m.Labour = "full"
	}
	if p.away {
		// A member working elsewhere is able-bodied by definition here.
		m.Health, m.HealthDetail, m.Labour = "healthy", "", "full"
	}
	return m
}

func (g *gen) phone() string {
	return pick(g, phonePrefixes) + fmt.Sprintf("%08d", g.r.IntN(100_000_000))
}

// bankAccount draws a bank and a card number with a valid Luhn check digit.
func (g *gen) bankAccount() (name, account string) {
	b := banks[g.r.IntN(3)] // rural credit cooperatives and the postal bank first
	if g.chance(0.3) {
		b = pick(g, banks)
	}
	var sb strings.Builder
	sb.WriteString(b.BIN)
	for sb.Len() < b.Length-1 {
		sb.WriteByte(byte('0' + g.r.IntN(10)))
	}
	s := sb.String()
	return b.Name, s + string(rune('0'+luhn(s)))
}

// luhn returns the check digit that makes digits+check pass the Luhn test.
func luhn(digits string) int {
	sum := 0
	double := true
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return (10 - sum%10) % 10
}

func (g *gen) address(v villageDef) string {
	town := townName(townOf(v.code))
	if v.urban {
		if g.chance(0.6) {
			return fmt.Sprintf("%s%s%d号楼%d单元%d0%d室", town, v.name, g.intn(1, 24), g.intn(1, 4), g.intn(1, 6), g.intn(1, 4))
		}
		return fmt.Sprintf("%s%s%s%d号", town, v.name, v.street, g.intn(1, 260))
	}
	return fmt.Sprintf("%s%s%d组%d号", town, v.name, g.intn(1, 8), g.intn(1, 60))
}

func (g *gen) pickClass() class {
	switch x := g.r.IntN(100); {
	case x < 50:
		return classEligible
	case x < 75:
		return classAbove
	default:
		return classAssets
	}
}

// household draws one household of village v.
func (g *gen) household(v villageDef) (household.Household, []int) {
	c := g.pickClass()
	ps := g.composition(v, c)
	h := household.Household{Region: v.code, Urban: v.urban, Address: g.address(v)}
	used := map[string]bool{}
	for _, p := range ps {
		m := g.member(p, c)
		m.Name = g.givenName(p.male, p.age, used, p.surname)
		h.Members = append(h.Members, m)
	}
	if g.chance(0.88) {
		h.Phone = g.phone()
	}
	if g.chance(0.85) {
		h.BankName, h.BankAccount = g.bankAccount()
	}
	var earners []int
	h.Incomes, earners = g.incomes(h, ps, c)
	h.Properties = g.properties(h, c)
	h.Notes = notes(h, ps, g)
	return h, earners
}

func coResident(h household.Household) int {
	n := 0
	for _, m := range h.Members {
		if m.CoResident {
			n++
		}
	}
	return n
}

// incomes draws income items so that the counted per-capita income lands in
// the band of class c.
func (g *gen) incomes(h household.Household, ps []person, c class) ([]household.Income, []int) {
	var ins []household.Income
	var who []int
	addIn := func(member int, kind household.IncomeKind, desc string, amount, cost money.Fen, months int) {
		ins = append(ins, household.Income{Kind: kind, Description: desc, Amount: amount, Cost: cost, Months: months})
		who = append(who, member)
	}
	std := Standard(h.Urban)
	n := coResident(h)
	var ratio float64 // target per-capita counted income / standard
	switch c {
	case classEligible:
		ratio = 0.15 + 0.70*g.r.Float64()
	case classAbove:
		ratio = 1.2 + 1.6*g.r.Float64()
	default:
		ratio = 0.25 + 0.65*g.r.Float64()
	}
	target := money.Fen(ratio * float64(std) * float64(n))
	var counted money.Fen
	// Elders: resident pension (central part not counted, personal account
	// counted) or, for some urban elders above the line, an employee pension.
	for i, p := range ps {
		if p.age < 60 || p.away {
			continue
		}
		if h.Urban && c == classAbove && g.chance(0.5) && counted < target {
			mon := roundYuan(min(target-counted, g.yuan(2200, 3800)))
			addIn(i, "pension", "企业职工基本养老金", mon*12, 0, 12)
			counted += mon
			continue
		}
		addIn(i, "pension_central", "城乡居民基础养老金（中央部分）", 143_00*12, 0, 12)
		if counted < target {
			mon := min(target-counted, g.yuan(15, 60))
			addIn(i, "pension", "城乡居民养老保险个人账户养老金", mon*12, 0, 12)
			counted += mon
		}
	}
	rest := target - counted
	var workers []int
	for i, p := range ps {
		m := h.Members[i]
		if !p.away && !p.student && p.age >= 18 && p.age < 65 && (m.Labour == "full" || m.Labour == "partial") {
			workers = append(workers, i)
		}
	}
	if rest > 0 && !h.Urban && g.chance(0.3) {
		// Land transferred to a cooperative: property income.
		mon := min(rest, g.yuan(40, 130))
		addIn(-1, "property", "土地流转租金", roundYuan(mon*12), 0, 12)
		rest -= mon
	}
	if rest > 0 && len(workers) == 0 {
		desc := "亲友资助"
		if ps[0].age >= 55 {
			desc = "子女给付的赡养费"
		}
		addIn(-1, "transfer", desc, roundYuan(rest*12), 0, 12)
		rest = 0
	}
	for k, i := range workers {
		if rest <= 0 {
			break
		}
		share := rest
		if k < len(workers)-1 {
			share = money.Fen(float64(rest) * (0.4 + 0.4*g.r.Float64()))
		}
		rest -= share
		months := 12
		if g.chance(0.15) {
			months = g.intn(6, 10) // seasonal or recent work: income over fewer months
		}
		net := share * money.Fen(months)
		switch {
		case !h.Urban && g.chance(0.4):
			cost := roundYuan(money.Fen(float64(net) * (0.4 + 0.8*g.r.Float64())))
			addIn(i, "business", pick(g, bizRural), roundYuan(net)+cost, cost, months)
		case h.Urban && g.chance(0.12):
			cost := roundYuan(money.Fen(float64(net) * (0.2 + 0.3*g.r.Float64())))
			addIn(i, "business", pick(g, bizUrban), roundYuan(net)+cost, cost, months)
		default:
			list := wageRural
			if h.Urban {
				list = wageUrban
			}
			var cost money.Fen
			if g.chance(0.3) {
				cost = roundYuan(money.Fen(float64(net) * (0.03 + 0.05*g.r.Float64())))
			}
			addIn(i, "wage", pick(g, list), roundYuan(net)+cost, cost, months)
		}
	}
	// Income that the rules do not count (SPEC §2.2): present in every class.
	for i, p := range ps {
		if p.student && p.age >= 16 && g.chance(0.5) {
			addIn(i, "scholarship", "国家助学金", g.yuan(2000, 3300), 0, 12)
		}
	}
	if ps[0].age >= 60 && ps[0].male && g.chance(0.06) {
		addIn(0, "veteran", "优抚对象定期抚恤补助", g.yuan(600, 900)*12, 0, 12)
	}
	if !h.Urban && ps[0].age >= 60 && g.chance(0.1) {
		addIn(-1, "family_planning", "农村部分计划生育家庭奖励扶助金", 960_00, 0, 12)
	}
	if c == classEligible && g.chance(0.15) {
		addIn(-1, "assistance", "临时救助金（因病）", g.yuan(10, 30)*100, 0, 12)
	}
	if g.chance(0.01) {
		addIn(0, "heroism", "见义勇为奖励金", 5000_00, 0, 12)
	}
	return ins, who
}

// properties draws assets; households of classAssets get one that
// disqualifies them.
func (g *gen) properties(h household.Household, c class) []household.Property {
	var ps []household.Property
	add := func(kind household.PropertyKind, desc string, value money.Fen, qty int, exempt bool) {
		ps = append(ps, household.Property{Kind: kind, Description: desc, Value: value, Quantity: qty, Exempt: exempt})
	}
	std := Standard(h.Urban)
	n := money.Fen(coResident(h))
	limit := AssetMonths * std * n
	switch {
	case !h.Urban && g.chance(0.95):
		add("house", fmt.Sprintf("宅基地自建房（砖混，约%d平方米）", g.intn(60, 160)), g.yuan(50, 150)*1000, 1, false)
	case h.Urban && g.chance(0.6):
		add("house", fmt.Sprintf("自有住房（约%d平方米）", g.intn(45, 90)), g.yuan(150, 350)*1000, 1, false)
	}
	switch c {
	case classEligible:
		if g.chance(0.6) {
			add("deposit", "活期存款", min(g.yuan(300, 20000), limit/5), 1, false)
		}
		for _, m := range h.Members {
			if m.DisabilityGrade > 0 && m.DisabilityGrade <= 2 && strings.HasPrefix(m.DisabilityDetail, "肢体") && g.chance(0.5) {
				add("vehicle", "残疾人机动轮椅车", g.yuan(3000, 8000), 1, true)
				break
			}
		}
	case classAbove:
		if g.chance(0.5) {
			add("deposit", "定期存款", g.yuan(5000, 80000), 1, false)
		}
		if g.chance(0.3) {
			add("vehicle", fmt.Sprintf("小型轿车（%d年购置）", g.intn(2012, g.today.Year()-1)), g.yuan(20, 90)*1000, 1, false)
		}
		if g.chance(0.1) {
			add("insurance", "商业养老保险（现金价值）", g.yuan(10, 60)*1000, 1, false)
		}
	case classAssets:
		switch x := g.r.IntN(100); {
		case x < 40:
			add("vehicle", fmt.Sprintf("小型轿车（%d年购置）", g.intn(2012, g.today.Year()-1)), g.yuan(30, 120)*1000, 1, false)
		case x < 70:
			v := roundYuan(money.Fen(float64(limit) * (1.3 + 1.7*g.r.Float64())))
			add("deposit", "定期存款", v, 1, false)
		case x < 90:
			add("house", fmt.Sprintf("县城商品房（约%d平方米）", g.intn(70, 120)), g.yuan(300, 600)*1000, 1, false)
			if len(ps) < 2 { // the county flat is the only one so far
				add("house", "宅基地自建房", g.yuan(50, 120)*1000, 1, false)
			}
		default:
			add("business", pick(g, []string{"个体工商户（小超市）", "个体工商户（餐馆）", "个体工商户（农资店）"}),
				g.yuan(50, 200)*1000, 1, false)
		}
	}
	return ps
}

func notes(h household.Household, ps []person, g *gen) string {
	if !g.chance(0.35) {
		return ""
	}
	for _, m := range h.Members {
		if m.Health == "serious" {
			return "因病致贫"
		}
	}
	for _, m := range h.Members {
		if m.DisabilityGrade > 0 {
			return "因残致贫"
		}
	}
	switch {
	case len(ps) == 1 && ps[0].age >= 60:
		return "独居老人，子女在外地"
	case ps[0].rel == "head" && len(ps) > 1 && ps[len(ps)-1].rel == "grandchild":
		return "留守儿童家庭，子女外出务工"
	}
	return ""
}
