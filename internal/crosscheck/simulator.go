package crosscheck

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
	"time"

	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
)

// Scenario says how a simulated report relates to what the household
// declared.
type Scenario int

// The scenarios. Random needs no declaration; Agree and Undeclared use the
// household given to Declare (an empty one if none was).
const (
	// ScenarioRandom finds plausible rural-county items derived from the
	// seed and each ID number.
	ScenarioRandom Scenario = iota
	// ScenarioAgree finds exactly the declared items the platform can see.
	ScenarioAgree
	// ScenarioUndeclared finds the declared items plus one the household did
	// not declare — preferably a vehicle — for training the trainee to
	// notice it.
	ScenarioUndeclared
)

// Label returns the Chinese name shown when setting up a training case.
func (s Scenario) Label() string {
	switch s {
	case ScenarioRandom:
		return "随机生成"
	case ScenarioAgree:
		return "与申报一致"
	case ScenarioUndeclared:
		return "存在未申报事项"
	}
	return ""
}

// SimulatorNote heads the notes of every simulated report, so that a
// simulated report can never pass for a real one.
const SimulatorNote = "【模拟数据】本报告由系统内置的核对模拟器生成，仅用于演示和培训，不能作为真实核对依据。"

// MsgSimulatorUnavailable is the gap reason for a source listed in
// Simulator.Unavailable.
const MsgSimulatorUnavailable = "该项数据暂未接入核对平台（模拟）"

// Simulator is a built-in platform for demo and training. Its reports are a
// pure function of Seed, the request and the case's declaration, so a demo
// or an exam scenario is the same every time it is run. Set the exported
// fields before first use; after that it is safe for concurrent use. Use it
// by pointer.
type Simulator struct {
	Seed           uint64
	Scenario       Scenario         // for cases without a Declare
	PendingFetches int              // Fetch calls answered "not ready" before the report is ready
	Unavailable    []Source         // sources it cannot check: gaps, making reports partial
	Now            func() time.Time // ReceivedAt; nil means time.Now

	mu      sync.Mutex
	cases   map[string]declaration // by case number
	tickets map[string]*simTicket
}

type declaration struct {
	h  household.Household
	sc Scenario
}

type simTicket struct {
	req     Request
	fetches int
}

var _ Adapter = (*Simulator)(nil)

// Declare sets what the household of caseNumber declared and how the
// simulated platform should relate to it.
func (s *Simulator) Declare(caseNumber string, h household.Household, sc Scenario) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cases == nil {
		s.cases = map[string]declaration{}
	}
	s.cases[caseNumber] = declaration{h: h, sc: sc}
}

// Submit validates and accepts the request; the ticket is "SIM-" plus the
// request id. Submitting the same request id again keeps the first.
func (s *Simulator) Submit(ctx context.Context, req Request) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := req.Validate(); err != nil {
		return "", err
	}
	ticket := "SIM-" + req.ID
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tickets == nil {
		s.tickets = map[string]*simTicket{}
	}
	if _, ok := s.tickets[ticket]; !ok {
		req.Persons = append([]Person(nil), req.Persons...)
		req.Scope = append([]Source(nil), req.Scope...)
		s.tickets[ticket] = &simTicket{req: req}
	}
	return ticket, nil
}

// Fetch answers "not ready" PendingFetches times, then the report.
func (s *Simulator) Fetch(ctx context.Context, ticket string) (Report, bool, error) {
	if err := ctx.Err(); err != nil {
		return Report{}, false, err
	}
	s.mu.Lock()
	t, ok := s.tickets[ticket]
	var fetches int
	var req Request
	if ok {
		t.fetches++
		fetches, req = t.fetches, t.req
	}
	s.mu.Unlock()
	if !ok {
		return Report{}, false, errs.New(errs.NotFound, "ticket", "找不到凭证号为“"+quote(ticket)+"”的核对请求")
	}
	if fetches <= s.PendingFetches {
		return Report{}, false, nil
	}
	rep := s.Report(req)
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	rep.ReceivedAt = now()
	return rep, true, nil
}

// Report computes the simulated report for req directly (ReceivedAt left
// zero), for demo data generators and tests.
func (s *Simulator) Report(req Request) Report {
	s.mu.Lock()
	decl, declared := s.cases[req.CaseNumber]
	s.mu.Unlock()
	if !declared {
		decl.sc = s.Scenario
	}
	d := dice{seed: s.Seed}
	on := req.RequestedAt
	if on.IsZero() {
		on = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}

	var found map[Check][]Finding
	switch decl.sc {
	case ScenarioAgree, ScenarioUndeclared:
		found = declaredFindings(req, decl.h)
		if decl.sc == ScenarioUndeclared {
			addUndeclared(d, req, on, found)
		}
	default:
		found = map[Check][]Finding{}
		for _, p := range req.Persons {
			for _, src := range req.Scope {
				if fs := d.random(p.IDNumber, src, on); len(fs) > 0 {
					found[Check{p.IDNumber, src}] = fs
				}
			}
		}
	}

	unavailable := map[Source]bool{}
	for _, src := range s.Unavailable {
		unavailable[src] = true
	}
	rep := Report{RequestID: req.ID, Notes: SimulatorNote}
	for _, p := range req.Persons {
		for _, src := range req.Scope {
			c := Check{p.IDNumber, src}
			if unavailable[src] {
				rep.Gaps = append(rep.Gaps, Gap{IDNumber: p.IDNumber, Source: src, Reason: MsgSimulatorUnavailable})
				continue
			}
			rep.Checked = append(rep.Checked, c)
			rep.Findings = append(rep.Findings, found[c]...)
		}
	}
	rep.Status = statusOf(len(rep.Checked) > 0, len(rep.Gaps) > 0)
	return rep
}

// dice draws numbers from a hash of the seed and a label, so that every
// value is independent of the order in which others are drawn and stable
// across Go releases (unlike math/rand streams).
type dice struct{ seed uint64 }

func (d dice) draw(parts ...string) uint64 {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], d.seed)
	h.Write(b[:])
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return binary.BigEndian.Uint64(h.Sum(nil)[:8])
}

// chance is true pct percent of the time.
func (d dice) chance(pct uint64, parts ...string) bool { return d.draw(parts...)%100 < pct }

// between is uniform in [lo, hi].
func (d dice) between(lo, hi int64, parts ...string) int64 {
	return lo + int64(d.draw(parts...)%uint64(hi-lo+1))
}

func yuan(y int64) money.Fen { return money.FromYuan(y) }

// random is what a rural county's platform typically finds for one person
// and source: small resident pensions for the elderly, migrant-work wages
// for some working-age people, now and then a vehicle, deposits of a few
// thousand to tens of thousands of yuan.
func (d dice) random(id idcard.ID, src Source, on time.Time) []Finding {
	age := id.Age(on)
	k := string(id)
	inc := func(kind household.IncomeKind, desc string, monthly money.Fen, months int) []Finding {
		return []Finding{{IDNumber: id, Source: src, Kind: KindIncome, IncomeKind: kind,
			Description: desc, Amount: monthly * money.Fen(months), Months: months}}
	}
	prop := func(kind household.PropertyKind, desc string, value money.Fen) []Finding {
		return []Finding{{IDNumber: id, Source: src, Kind: KindProperty, PropertyKind: kind,
			Description: desc, Amount: value, Quantity: 1}}
	}
	working := age >= 18 && age < 60
	// Whether a working-age person works for wages decides two sources, so
	// it is one draw.
	wage := working && d.chance(30, k, "works")
	switch src {
	case SocialInsurance:
		switch {
		case age >= 60 && d.chance(85, k, "pension"):
			m := yuan(d.between(100, 300, k, "pension-amount"))
			return inc("pension", "城乡居民基本养老保险待遇，每月"+m.Yuan()+"元", m, 12)
		case wage:
			m := yuan(d.between(150, 350, k, "wage-amount") * 10)
			months := int(d.between(6, 12, k, "wage-months"))
			return inc("wage", fmt.Sprintf("企业职工基本养老保险缴费记录，缴费基数每月%s元，缴费%d个月", m.Yuan(), months), m, months)
		}
	case HousingFund:
		if wage && d.chance(30, k, "fund") {
			return prop("other", "住房公积金账户余额", yuan(d.between(2000, 15000, k, "fund-amount")))
		}
	case Business:
		if age >= 18 && age < 70 && d.chance(4, k, "business") {
			return prop("business", "个体工商户登记，状态为存续", yuan(d.between(10, 100, k, "business-amount")*1000))
		}
	case Vehicle:
		if age >= 18 && age <= 65 && d.chance(10, k, "vehicle") {
			year := on.Year() - int(d.between(1, 10, k, "vehicle-year"))
			return prop("vehicle", fmt.Sprintf("小型普通客车1辆，%d年登记", year), yuan(d.between(20, 80, k, "vehicle-amount")*1000))
		}
	case RealEstate:
		if age >= 18 && d.chance(6, k, "house") {
			area := d.between(60, 110, k, "house-area")
			return prop("house", fmt.Sprintf("城镇住宅1套，建筑面积%d平方米", area), yuan(d.between(120, 350, k, "house-amount")*1000))
		}
	case Deposit:
		if age >= 16 && d.chance(45, k, "deposit") {
			v := money.Fen(d.between(1000_00, 60000_00, k, "deposit-amount"))
			desc := "银行存款余额"
			if n := d.between(1, 3, k, "deposit-accounts"); n > 1 {
				desc = fmt.Sprintf("银行存款余额，%d个账户合计", n)
			}
			return prop("deposit", desc, v)
		}
	case Securities:
		if age >= 18 && age < 70 && d.chance(2, k, "securities") {
			return prop("securities", "证券账户资产市值", yuan(d.between(1000, 20000, k, "securities-amount")))
		}
	}
	return nil
}

// incomeSource and propertySource say where a platform would see a
// declared item; kinds it cannot see (transfers, allowances, commercial
// insurance) are absent.
var (
	incomeSource = map[household.IncomeKind]Source{
		"wage": SocialInsurance, "pension": SocialInsurance, "pension_central": SocialInsurance,
		"business": Business, "property": Deposit,
	}
	propertySource = map[household.PropertyKind]Source{
		"deposit": Deposit, "securities": Securities, "vehicle": Vehicle, "house": RealEstate, "business": Business,
	}
)

// declaredFindings is what the platform sees of the declared items.
// Household-level items (property, income with no member) belong to the
// head if the head is in the request, else to the first person.
func declaredFindings(req Request, h household.Household) map[Check][]Finding {
	found := map[Check][]Finding{}
	if len(req.Persons) == 0 {
		return found
	}
	inReq := map[idcard.ID]bool{}
	for _, p := range req.Persons {
		inReq[p.IDNumber] = true
	}
	byMember := map[int64]idcard.ID{}
	for _, m := range h.Members {
		byMember[m.ID] = m.IDNumber
	}
	owner := req.Persons[0].IDNumber
	if len(h.Members) > 0 && inReq[h.Members[0].IDNumber] {
		owner = h.Members[0].IDNumber
	}
	inScope := map[Source]bool{}
	for _, s := range req.Scope {
		inScope[s] = true
	}
	add := func(f Finding) {
		if !inScope[f.Source] || !inReq[f.IDNumber] {
			return
		}
		c := Check{f.IDNumber, f.Source}
		// Two identical declared items would read as a duplicate row.
		for _, g := range found[c] {
			if g == f {
				f.Description += "（另一项）"
			}
		}
		found[c] = append(found[c], f)
	}
	for _, in := range h.Incomes {
		src, ok := incomeSource[in.Kind]
		if !ok || in.Amount <= 0 {
			continue
		}
		id, ok := byMember[in.MemberID]
		if !ok || in.MemberID == 0 {
			id = owner
		}
		months := in.Months
		if months < 1 || months > maxMonths {
			months = 12
		}
		add(Finding{IDNumber: id, Source: src, Kind: KindIncome, IncomeKind: in.Kind,
			Description: describe(in.Description, in.Kind.Label()), Amount: min(in.Amount, MaxItemAmount), Months: months})
	}
	for _, p := range h.Properties {
		src, ok := propertySource[p.Kind]
		if !ok {
			continue
		}
		q := p.Quantity
		if q < 1 || q > maxQuantity {
			q = 1
		}
		add(Finding{IDNumber: owner, Source: src, Kind: KindProperty, PropertyKind: p.Kind,
			Description: describe(p.Description, p.Kind.Label()), Amount: min(max(p.Value, 0), MaxItemAmount), Quantity: q})
	}
	return found
}

// describe keeps a declared description if it is fit for a result file.
func describe(desc, fallback string) string {
	if desc == "" || hasControl(desc) || len([]rune(desc)) > maxDescriptionRunes-10 {
		return fallback
	}
	return desc
}

// addUndeclared adds one item the household did not declare: a vehicle if
// the platform checks vehicles and none was declared, else a sizeable
// deposit, else wages, else a house — whichever the scope allows first.
func addUndeclared(d dice, req Request, on time.Time, found map[Check][]Finding) {
	if len(req.Persons) == 0 {
		return
	}
	inScope := map[Source]bool{}
	for _, s := range req.Scope {
		inScope[s] = true
	}
	declaredKind := map[household.PropertyKind]bool{}
	for _, fs := range found {
		for _, f := range fs {
			declaredKind[f.PropertyKind] = true
		}
	}
	// The owner is a deterministic pick among working-age adults, else
	// adults, else anyone.
	pick := func(lo, hi int) idcard.ID {
		var cands []idcard.ID
		for _, p := range req.Persons {
			if a := p.IDNumber.Age(on); a >= lo && a <= hi {
				cands = append(cands, p.IDNumber)
			}
		}
		if len(cands) == 0 {
			for _, p := range req.Persons {
				if p.IDNumber.Age(on) >= 18 {
					cands = append(cands, p.IDNumber)
				}
			}
		}
		if len(cands) == 0 {
			return req.Persons[0].IDNumber
		}
		return cands[d.draw(req.ID, "undeclared-owner")%uint64(len(cands))]
	}
	k := req.ID
	var f Finding
	switch {
	case inScope[Vehicle] && !declaredKind["vehicle"]:
		year := on.Year() - int(d.between(1, 8, k, "undeclared-year"))
		f = Finding{IDNumber: pick(18, 65), Source: Vehicle, Kind: KindProperty, PropertyKind: "vehicle",
			Description: fmt.Sprintf("小型普通客车1辆，%d年登记", year), Amount: yuan(d.between(20, 80, k, "undeclared-vehicle") * 1000), Quantity: 1}
	case inScope[Deposit]:
		f = Finding{IDNumber: pick(18, 80), Source: Deposit, Kind: KindProperty, PropertyKind: "deposit",
			Description: "银行定期存款，1个账户", Amount: money.Fen(d.between(30000_00, 60000_00, k, "undeclared-deposit")), Quantity: 1}
	case inScope[SocialInsurance]:
		m := yuan(d.between(150, 350, k, "undeclared-wage") * 10)
		f = Finding{IDNumber: pick(18, 59), Source: SocialInsurance, Kind: KindIncome, IncomeKind: "wage",
			Description: "企业职工基本养老保险缴费记录，缴费基数每月" + m.Yuan() + "元，缴费12个月", Amount: m * 12, Months: 12}
	case inScope[RealEstate]:
		f = Finding{IDNumber: pick(18, 80), Source: RealEstate, Kind: KindProperty, PropertyKind: "house",
			Description: "城镇住宅1套，建筑面积" + strconv.FormatInt(d.between(60, 110, k, "undeclared-area"), 10) + "平方米",
			Amount:      yuan(d.between(120, 350, k, "undeclared-house") * 1000), Quantity: 1}
	default:
		return
	}
	c := Check{f.IDNumber, f.Source}
	found[c] = append(found[c], f)
}
