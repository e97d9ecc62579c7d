package roster

import (
	"cmp"
	"fmt"
	"slices"

	"dibao/internal/errs"
	"dibao/internal/money"
	"dibao/internal/region"
)

// Status is the payment status of an entitlement.
type Status string

// The statuses. A stopped entitlement still pays the months up to its End,
// so that re-building a past month gives the same roster.
const (
	StatusActive    Status = "active"    // 正常发放
	StatusSuspended Status = "suspended" // 暂停发放: pays nothing while suspended
	StatusStopped   Status = "stopped"   // 停保: pays through End (which must be set), nothing after
)

// Label is the Chinese name of the status.
func (s Status) Label() string {
	switch s {
	case StatusActive:
		return "正常发放"
	case StatusSuspended:
		return "暂停发放"
	case StatusStopped:
		return "停保"
	}
	return string(s)
}

// MaxPhaseOutMonths bounds a phase-out; the national rule is at most 6.
const MaxPhaseOutMonths = 12

// PhaseOut is a phase-out period (渐退): from FromMonth, Months months are
// still paid, in full or, with Taper, falling linearly: month i (1-based) of
// n pays (n−i+1)/n of the amount (6 months: 6/6, 5/6 … 1/6). Nothing is paid
// after the last phase-out month.
type PhaseOut struct {
	FromMonth string // first month of the phase-out, "2027-03"
	Months    int    // 1..MaxPhaseOutMonths
	Taper     bool   // linear taper instead of full payment
}

// Entitlement is a household's monthly benefit over a period of months.
// Start and End are inclusive: Start is the first month paid and End the last
// ("" = open-ended), so a stop effective from May has End = April.
type Entitlement struct {
	HouseholdID int64
	Region      region.Code
	Amount      money.Fen // monthly amount
	Start       string    // first month paid, "2026-12"
	End         string    // last month paid (inclusive), "" = open
	PhaseOut    *PhaseOut // nil: no phase-out
	Status      Status
}

// Validate reports every problem of e at once with Chinese messages.
func (e Entitlement) Validate() error {
	_, err := e.parse()
	return err
}

type span struct {
	start, end Month // end inclusive; end = maxMonth for an open entitlement
	poFrom     Month
	poMonths   int
	taper      bool
	hasPO      bool
}

const maxMonth = Month(maxYear*12 + 11)

func (e Entitlement) parse() (span, error) {
	var l errs.List
	var s span
	if e.HouseholdID <= 0 {
		l.Add("household_id", "户编号无效")
	}
	if e.Amount < 0 || e.Amount > money.MaxAbs {
		l.Add("amount", "月保障金额无效")
	}
	var err error
	if s.start, err = ParseMonth(e.Start); err != nil {
		l.Add("start", "开始月份格式应为“2026-12”")
	}
	s.end = maxMonth
	if e.End != "" {
		if s.end, err = ParseMonth(e.End); err != nil {
			l.Add("end", "结束月份格式应为“2026-12”")
		} else if s.start != 0 && s.end < s.start {
			l.Add("end", "结束月份早于开始月份")
		}
	}
	switch e.Status {
	case StatusActive, StatusSuspended:
	case StatusStopped:
		if e.End == "" {
			l.Add("end", "停保须填写最后发放月份")
		}
	default:
		l.Add("status", "发放状态无效：%q", string(e.Status))
	}
	if po := e.PhaseOut; po != nil {
		s.hasPO, s.poMonths, s.taper = true, po.Months, po.Taper
		if s.poFrom, err = ParseMonth(po.FromMonth); err != nil {
			l.Add("phase_out.from_month", "渐退开始月份格式应为“2026-12”")
		} else if s.start != 0 && s.poFrom < s.start {
			l.Add("phase_out.from_month", "渐退开始月份早于保障开始月份")
		}
		if po.Months < 1 || po.Months > MaxPhaseOutMonths {
			l.Add("phase_out.months", "渐退期应为1至%d个月", MaxPhaseOutMonths)
		}
	}
	return s, l.Err()
}

// Amount returns the amount payable for month under e, phase-out tapering
// rounded per r, and whether anything is payable: false (and 0) for an
// invalid entitlement or rounding, a suspended one, a month outside
// Start..End or after the phase-out, or an amount that is zero.
func Amount(e Entitlement, month Month, r money.Rounding) (money.Fen, bool) {
	a, _, ok := amount(e, month, r)
	return a, ok
}

func amount(e Entitlement, month Month, r money.Rounding) (money.Fen, string, bool) {
	s, err := e.parse()
	if err != nil || r.Label() == "" || e.Status == StatusSuspended || month < s.start || month > s.end {
		return 0, "", false
	}
	a, note := e.Amount, ""
	if s.hasPO && month >= s.poFrom {
		i := int(month - s.poFrom) // 0-based
		if i >= s.poMonths {
			return 0, "", false
		}
		note = fmt.Sprintf("渐退第%d/%d月", i+1, s.poMonths)
		if s.taper {
			k := int64(s.poMonths - i)
			a = money.MulDivRound(a, k, int64(s.poMonths), r)
			note += fmt.Sprintf("（按%d/%d发放）", k, s.poMonths)
		}
	}
	if a <= 0 {
		return 0, "", false
	}
	return a, note, true
}

// Row is one line of a monthly roster: a household paid for a month.
type Row struct {
	HouseholdID int64
	Region      region.Code
	Month       string // "2026-12"
	Amount      money.Fen
	Note        string // e.g. "渐退第2/6月（按5/6发放）"
	Seq         int    // bank file: the row's 序号 in the month's payment file; 0 = its position
}

func compareRows(a, b Row) int {
	return cmp.Or(cmp.Compare(a.Region, b.Region), cmp.Compare(a.HouseholdID, b.HouseholdID), cmp.Compare(a.Month, b.Month))
}

// Build returns the roster for month: one row per household with an amount
// payable (see Amount), sorted by region code then household id. A household
// never gets two rows: if several entitlements pay it in the month the first
// (in input order) is kept and the duplicates are reported, as are invalid
// entitlements (left out) and an invalid month or rounding (no rows). The
// error is an errs.List with Chinese messages naming the household id; a
// roster built with an error must not be approved.
func Build(ents []Entitlement, month string, r money.Rounding) ([]Row, error) {
	m, err := ParseMonth(month)
	if err != nil {
		return nil, err
	}
	if r.Label() == "" {
		return nil, errs.Invalidf("rounding", "取整方式无效")
	}
	var l errs.List
	seen := make(map[int64]int, len(ents)) // household → payable entitlements
	rows := make([]Row, 0, len(ents))
	for i, e := range ents {
		if err := e.Validate(); err != nil {
			for _, fe := range err.(errs.List) {
				l.Add(fe.Field, "第%d条保障记录（户 %d）：%s", i+1, e.HouseholdID, fe.Message)
			}
			continue
		}
		a, note, ok := amount(e, m, r)
		if !ok {
			continue
		}
		seen[e.HouseholdID]++
		if seen[e.HouseholdID] > 1 {
			continue
		}
		rows = append(rows, Row{HouseholdID: e.HouseholdID, Region: e.Region, Month: m.String(), Amount: a, Note: note})
	}
	dups := make([]int64, 0)
	for id, n := range seen {
		if n > 1 {
			dups = append(dups, id)
		}
	}
	slices.Sort(dups)
	for _, id := range dups {
		l.Add("household_id", "户 %d 在 %s 有 %d 条有效保障记录，仅保留第一条，请核实后再审批", id, m, seen[id])
	}
	slices.SortFunc(rows, compareRows)
	return rows, l.Err()
}

// ChangeKind classifies one household's change between two rosters.
type ChangeKind string

// The change kinds.
const (
	Added     ChangeKind = "added"     // 新增
	Removed   ChangeKind = "removed"   // 停发
	Increased ChangeKind = "increased" // 增加
	Decreased ChangeKind = "decreased" // 减少
)

// Label is the Chinese name of the kind.
func (k ChangeKind) Label() string {
	switch k {
	case Added:
		return "新增"
	case Removed:
		return "停发"
	case Increased:
		return "增加"
	case Decreased:
		return "减少"
	}
	return string(k)
}

// Change is one household whose amount differs between two rosters.
type Change struct {
	HouseholdID int64
	Region      region.Code
	Kind        ChangeKind
	Old, New    money.Fen // 0 when absent
	Delta       money.Fen // New − Old
}

// Changes is the difference between two rosters, e.g. before and after a
// standard change, for the county to see before confirming.
type Changes struct {
	Items                                           []Change // changed households, sorted by region then household id
	Added, Removed, Increased, Decreased, Unchanged int
	OldTotal, NewTotal                              money.Fen
	Delta                                           money.Fen // NewTotal − OldTotal, also the sum of the items' Delta
}

// Diff compares two rosters household by household (rows of one household
// in the same roster, which Build never produces, are summed so the totals
// stay the sums of the rows).
func Diff(before, after []Row) Changes {
	type pair struct {
		region   region.Code
		old, new money.Fen
		inOld    bool
		inNew    bool
	}
	byID := make(map[int64]*pair)
	get := func(r Row) *pair {
		p := byID[r.HouseholdID]
		if p == nil {
			p = &pair{region: r.Region}
			byID[r.HouseholdID] = p
		}
		return p
	}
	var c Changes
	for _, r := range before {
		p := get(r)
		p.old += r.Amount
		p.inOld = true
		c.OldTotal += r.Amount
	}
	for _, r := range after {
		p := get(r)
		p.new += r.Amount
		p.inNew = true
		p.region = r.Region
		c.NewTotal += r.Amount
	}
	c.Delta = c.NewTotal - c.OldTotal
	for id, p := range byID {
		ch := Change{HouseholdID: id, Region: p.region, Old: p.old, New: p.new, Delta: p.new - p.old}
		switch {
		case !p.inOld:
			ch.Kind = Added
			c.Added++
		case !p.inNew:
			ch.Kind = Removed
			c.Removed++
		case p.new > p.old:
			ch.Kind = Increased
			c.Increased++
		case p.new < p.old:
			ch.Kind = Decreased
			c.Decreased++
		default:
			c.Unchanged++
			continue
		}
		c.Items = append(c.Items, ch)
	}
	slices.SortFunc(c.Items, func(a, b Change) int {
		return cmp.Or(cmp.Compare(a.Region, b.Region), cmp.Compare(a.HouseholdID, b.HouseholdID))
	})
	return c
}
