package scale

import (
	"dibao/internal/fakedata"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"dibao/internal/benefit"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/store"
)

// Share of the households: recipients paid now, stopped recipients, and
// applications (spread over every workflow state).
const (
	shareActive  = 0.82
	shareStopped = 0.05
)

// Flow is one case state an application is left in, with the path of
// transitions that leads there from draft.
type Flow struct {
	State  string
	Closed bool
	Path   []string // transition ids, each "id:from>to"
}

// Flows are the states applications are spread over: in progress at each
// stage, returned, refused, rejected (before and after notice), withdrawn
// and terminated. Approved cases belong to recipients.
var Flows = []Flow{
	{State: "draft"},
	{State: "submitted", Path: []string{"intake:draft>submitted"}},
	{State: "returned", Path: []string{"intake:draft>submitted", "return:submitted>returned"}},
	{State: "refused", Closed: true, Path: []string{"intake:draft>submitted", "refuse:submitted>refused"}},
	{State: "accepted", Path: pathTo(2)},
	{State: "forwarded", Path: pathTo(3)},
	{State: "investigating", Path: pathTo(4)},
	{State: "appraisal", Path: pathTo(5)},
	{State: "publicity_ready", Path: pathTo(6)},
	{State: "publicity", Path: pathTo(7)},
	{State: "township_review", Path: pathTo(8)},
	{State: "county_decision", Path: pathTo(9)},
	{State: "rejected", Path: append(pathTo(9), "reject:county_decision>rejected")},
	{State: "rejection_delivered", Closed: true, Path: append(pathTo(9), "reject:county_decision>rejected",
		"deliver_rejection:rejected>rejection_delivered")},
	{State: "withdrawn", Closed: true, Path: append(pathTo(4), "withdraw:investigating>withdrawn")},
	{State: "terminated", Closed: true, Path: append(pathTo(4), "terminate:investigating>terminated")},
}

// main is the seed profile's main path from draft to approval.
var mainPath = []string{"intake:draft>submitted", "accept:submitted>accepted", "forward:accepted>forwarded",
	"start_investigation:forwarded>investigating", "submit_to_appraisal:investigating>appraisal",
	"appraise:appraisal>publicity_ready", "start_publicity:publicity_ready>publicity",
	"close_publicity:publicity>township_review", "review_opinion:township_review>county_decision",
	"approve:county_decision>approved"}

func pathTo(n int) []string { return append([]string(nil), mainPath[:n]...) }

// Counts says what a generated batch holds.
type Counts struct {
	Households, Members, Active, Stopped, Applications int
	States                                             map[string]int // applications per case state
}

// Gen generates households one after another; the same seed, province
// and day give the same households.
type Gen struct {
	seed     uint64
	r        *rand.Rand
	today    time.Time
	month    roster.Month
	villages []store.Region
	county   map[region.Code]int // county code → index
	params   []benefit.Params    // per county
	used     []bitset            // per county: (birth day, sequence) of the ID numbers handed out
	area     []string            // per county: the ID numbers' address code
	next     int                 // index of the next household
}

// epoch is the first birth date generated; days count from it.
var epoch = time.Date(1920, 1, 1, 0, 0, 0, 0, time.UTC)

type bitset []uint64

func (b bitset) test(i int) bool { return b[i>>6]&(1<<(i&63)) != 0 }
func (b bitset) set(i int)       { b[i>>6] |= 1 << (i & 63) }

// NewGen prepares generation for the province from seed: params holds the
// benefit parameters in force today in each of ProvinceCounties (in that
// order).
func NewGen(seed uint64, today time.Time, params []benefit.Params) *Gen {
	g := &Gen{seed: seed, r: rand.New(rand.NewPCG(seed, 0x7363616c65)), today: today,
		month: roster.MonthOf(today.Year(), today.Month()), county: map[region.Code]int{}, params: params}
	for i, c := range ProvinceCounties() {
		g.county[c.Code] = i
		g.area = append(g.area, string(c.Code[:6]))
	}
	for _, r := range Regions() {
		if r.Level == region.Village {
			g.villages = append(g.villages, r)
		}
	}
	days := int(today.Sub(epoch).Hours()/24) + 2
	g.used = make([]bitset, Counties)
	for i := range g.used {
		g.used[i] = make(bitset, (days*1000+63)/64)
	}
	return g
}

func (g *Gen) intn(lo, hi int) int       { return lo + g.r.IntN(hi-lo+1) }
func (g *Gen) chance(p float64) bool     { return g.r.Float64() < p }
func pick[T any](g *Gen, xs []T) T       { return xs[g.r.IntN(len(xs))] }
func (g *Gen) yuan(lo, hi int) money.Fen { return money.FromYuan(int64(g.intn(lo, hi))) }

// Next returns the next n households with the counts of what they hold.
func (g *Gen) Next(n int) ([]store.ScaleHousehold, Counts) {
	out := make([]store.ScaleHousehold, 0, n)
	for k := 0; k < n; k++ {
		out = append(out, g.household())
	}
	return out, count(out)
}

// Skip generates and drops n households (resuming after n written ones).
func (g *Gen) Skip(n int) {
	for lo := 0; lo < n; lo += 10000 {
		g.Next(min(10000, n-lo))
	}
}

func (g *Gen) household() store.ScaleHousehold {
	i := g.next
	g.next++
	v := g.villages[g.r.IntN(len(g.villages))]
	ci := g.county[v.Code.County()]
	h := household.Household{Region: v.Code, Urban: v.Urban,
		Address: fmt.Sprintf("%s%d组%d号", v.Name, 1+g.r.IntN(12), 1+g.r.IntN(200)),
		Phone:   pick(g, fakedata.PhonePrefixes) + fmt.Sprintf("%08d", g.r.IntN(100_000_000)),
	}
	b := pick(g, fakedata.Banks)
	h.BankName = b.Name
	h.BankAccount = b.BIN + fmt.Sprintf("%013d", g.r.Int64N(10_000_000_000_000))[:b.Length-len(b.BIN)]
	g.members(&h, ci)
	kind := g.r.Float64()
	applicant := kind >= shareActive+shareStopped
	g.means(&h, applicant)
	x := store.ScaleHousehold{Household: h}
	x.Case.Number = "SC" + strconv.FormatUint(g.seed, 36) + "-" + strconv.Itoa(i)
	res := benefit.Compute(h, g.params[ci], g.today)
	if !applicant && (!res.Eligible || res.Amount <= 0) {
		applicant = true // not eligible after all: an application the county rejected
		x.Case.State = "rejection_delivered"
	}
	if applicant {
		f := Flows[g.r.IntN(len(Flows))]
		if x.Case.State != "" {
			f = flowOf(x.Case.State)
		}
		x.Case.State, x.Case.Closed = f.State, f.Closed
		x.Case.Events = events(f.Path, v.Code)
		return x
	}
	cat := string("ABC"[g.r.IntN(3)])
	start := g.month.Add(-g.intn(1, 60))
	x.Case.State, x.Case.Closed, x.Case.Amount, x.Case.Category = "approved", true, res.Amount, cat
	x.Case.StartMonth = start.String()
	// The decision alone stands for the recipient's history (one event, as
	// an imported ledger row has): ten per recipient would be most of the
	// rows written.
	x.Case.Events = events(mainPath[len(mainPath)-1:], v.Code)
	x.Case.Events[0].Reason = "经审批纳入最低生活保障"
	x.Recipient = &store.ScaleRecipient{Status: "active", Category: cat, Amount: res.Amount, Persons: res.Persons,
		StartMonth: start.String()}
	if kind >= shareActive {
		end := g.month.Add(-g.intn(1, 6))
		if end.String() < start.String() {
			end = start
		}
		x.Recipient.Status, x.Recipient.EndMonth = "stopped", end.String()
		x.Recipient.StopReason = pick(g, []string{"家庭收入超过低保标准", "户主死亡，家庭无其他成员", "迁出本县",
			"本人申请退出"})
	}
	return x
}

func flowOf(state string) Flow {
	for _, f := range Flows {
		if f.State == state {
			return f
		}
	}
	panic("scale: no flow to " + state)
}

// events turns a path into case events; each is done by the staff account
// of the level that acts (see StaffFor).
func events(path []string, village region.Code) []store.ScaleEvent {
	out := make([]store.ScaleEvent, 0, len(path))
	for _, p := range path {
		id, rest, _ := cut(p, ':')
		from, to, _ := cut(rest, '>')
		actor := Username(village, "clerk")
		switch id {
		case "intake", "accept", "return", "refuse", "forward", "withdraw":
		case "review_opinion":
			actor = Username(village.Township(), "reviewer")
		case "approve", "reject":
			actor = Username(village.County(), "approver")
		default:
			actor = Username(village.Township(), "officer")
		}
		out = append(out, store.ScaleEvent{Transition: id, From: from, To: to, Actor: actor})
	}
	return out
}

func cut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// members draws one to five people (2.5 on average): a head, often a
// spouse, children or grandchildren, sometimes a parent.
func (g *Gen) members(h *household.Household, ci int) {
	size := 1
	switch k := g.r.IntN(100); {
	case k < 22:
		size = 1
	case k < 52:
		size = 2
	case k < 74:
		size = 3
	case k < 90:
		size = 4
	default:
		size = 5
	}
	sur := surname(g)
	headAge := g.intn(28, 88)
	if size == 1 {
		headAge = g.intn(45, 92)
	}
	headMale := g.chance(0.6)
	g.add(h, ci, sur, "head", headMale, headAge)
	if size >= 2 {
		if headAge > 40 && g.chance(0.8) {
			g.add(h, ci, surname(g), "spouse", !headMale, clamp(headAge+g.intn(-5, 3), 20, 95))
		} else {
			g.add(h, ci, sur, "parent", g.chance(0.4), clamp(headAge+g.intn(22, 32), 45, 100))
		}
	}
	for len(h.Members) < size {
		if headAge >= 58 && g.chance(0.6) {
			g.add(h, ci, sur, "grandchild", g.chance(0.5), g.intn(2, 16))
		} else {
			g.add(h, ci, sur, "child", g.chance(0.52), clamp(headAge-g.intn(20, 35), 0, 60))
		}
	}
}

func clamp(v, lo, hi int) int { return min(max(v, lo), hi) }

func surname(g *Gen) string {
	if g.chance(0.5) {
		return fakedata.Surnames[g.r.IntN(12)]
	}
	return pick(g, fakedata.Surnames)
}

// add appends a member with a new valid ID number of the household's
// county (sequence parity gives the sex, as on a real card).
func (g *Gen) add(h *household.Household, ci int, sur string, rel household.Relation, male bool, age int) {
	birth := g.today.AddDate(-age, 0, -g.r.IntN(365))
	if birth.Before(epoch) {
		birth = epoch
	}
	day := int(birth.Sub(epoch).Hours() / 24)
	used := g.used[ci]
	seq := g.r.IntN(500) * 2
	if male {
		seq++
	}
	for tries := 0; used.test(day*1000 + seq); tries++ {
		seq += 2
		if seq > 999 {
			seq -= 1000
			if male && seq%2 == 0 {
				seq++
			}
		}
		if tries > 500 { // the day is full: the next day
			day++
			birth = birth.AddDate(0, 0, 1)
			tries = 0
		}
	}
	used.set(day*1000 + seq)
	id := idcard.Make(g.area[ci], birth, seq)
	m := household.Member{Name: sur + given(g, male, birth.Year()), Relation: rel, IDNumber: id, CoResident: true,
		Labour: "full", Health: "healthy"}
	switch {
	case age >= 60 || age < 16:
		m.Labour = "none"
	case g.chance(0.25):
		m.Labour = "partial"
	}
	switch k := g.r.IntN(100); {
	case k < 6:
		m.Health, m.Labour = "serious", "none"
	case k < 25:
		m.Health = "chronic"
	}
	if g.chance(0.08) {
		m.DisabilityGrade = g.intn(1, 4)
		if m.DisabilityGrade <= 2 {
			m.Labour = "none"
		}
	}
	if rel == "child" && age >= 18 && g.chance(0.15) {
		m.CoResident = false // works elsewhere
	}
	h.Members = append(h.Members, m)
}

func given(g *Gen, male bool, year int) string {
	gen := 0
	switch {
	case year >= 1996:
		gen = 2
	case year >= 1966:
		gen = 1
	}
	if male {
		return pick(g, [][]string{fakedata.MaleOld, fakedata.MaleMid, fakedata.MaleYoung}[gen])
	}
	return pick(g, [][]string{fakedata.FemaleOld, fakedata.FemaleMid, fakedata.FemaleYoung}[gen])
}

// means gives the household income and property: recipients little of
// either, applicants anything.
func (g *Gen) means(h *household.Household, applicant bool) {
	hi := 250
	if applicant {
		hi = 1400
	}
	for _, m := range h.Members {
		if m.Labour == "full" && m.CoResident && g.chance(0.5) {
			desc := pick(g, fakedata.WageRural)
			if h.Urban {
				desc = pick(g, fakedata.WageUrban)
			}
			months := g.intn(3, 12)
			h.Incomes = append(h.Incomes, household.Income{Kind: "wage", Description: desc,
				Amount: g.yuan(100, hi) * money.Fen(months), Months: months})
		}
	}
	if g.chance(0.35) {
		h.Incomes = append(h.Incomes, household.Income{Kind: "pension", Description: "城乡居民养老保险",
			Amount: g.yuan(100, 180) * 12, Months: 12})
	}
	if !h.Urban && g.chance(0.3) {
		h.Incomes = append(h.Incomes, household.Income{Kind: "business", Description: pick(g, fakedata.BizRural),
			Amount: g.yuan(300, 2400), Cost: g.yuan(0, 300), Months: 12})
	}
	if g.chance(0.6) {
		h.Properties = append(h.Properties, household.Property{Kind: "house", Description: "自有住房一处",
			Value: g.yuan(20_000, 150_000), Quantity: 1})
	}
	if g.chance(0.4) {
		h.Properties = append(h.Properties, household.Property{Kind: "deposit", Description: "银行存款",
			Value: g.yuan(200, 8_000), Quantity: 1})
	}
}

// Username is the generated staff account of role at region code c, e.g.
// "c411121clerk"-style names: "s" + the code's significant digits + role.
func Username(c region.Code, role string) string {
	s := string(c)
	switch c.Level() {
	case region.County:
		s = s[:6]
	case region.Township:
		s = s[:9]
	}
	return "s" + s + "-" + role
}
