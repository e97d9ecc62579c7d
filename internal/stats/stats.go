// Package stats computes the county dashboard (SPEC §2.3, issue 4 item 9):
// recipients by category, supplement, urban/rural and township; monthly
// fund totals; applications by stage with overdue counts and the median
// days each stage takes. The store aggregates in SQL within the caller's
// scope; this package labels, derives medians and decides who may look.
package stats

import (
	"context"
	"slices"
	"time"

	"dibao/internal/authz"
	"dibao/internal/benefit"
	"dibao/internal/calendar"
	"dibao/internal/casework"
	"dibao/internal/errs"
	"dibao/internal/money"
	"dibao/internal/policy"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// Service answers the dashboard's questions.
type Service struct {
	DB  *store.DB
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// CategoryRow is the active recipients of one category (保障类别).
type CategoryRow struct {
	Category        string
	Label           string
	UrbanHouseholds int
	RuralHouseholds int
	Households      int
	Persons         int
	Amount          money.Fen
	UrbanAmount     money.Fen
	RuralAmount     money.Fen
}

// SupplementRow is the households paid one category supplement (分类施保).
type SupplementRow struct {
	Code       string
	Label      string
	Households int
}

// TownshipRow is the active recipients of one township.
type TownshipRow struct {
	Code       region.Code
	Households int
	Urban      int
	Rural      int
	Persons    int
	Amount     money.Fen
}

// MonthRow is the fund total of one month.
type MonthRow struct {
	Month      string
	Households int
	Amount     money.Fen
}

// StageRow is one workflow state with its cases, deadline counts and the
// median time cases spent in it.
type StageRow struct {
	Profile    string
	State      string
	Label      string
	Terminal   bool
	Cases      int     // cases now in this state
	Overdue    int     // open cases past their step or total due date (casework.Urgency)
	DueSoon    int     // open cases due within four days
	Samples    int     // completed stays measured
	MedianDays float64 // median days of a completed stay, one decimal; 0 when Samples is 0
}

// County is every number the dashboard shows for a region.
type County struct {
	Region       region.Code
	Households   int
	Persons      int
	Amount       money.Fen // monthly total of the active register
	Urban        int
	Rural        int
	ByCategory   []CategoryRow
	BySupplement []SupplementRow
	ByTownship   []TownshipRow
	Months       []MonthRow
	MonthsSource string // "roster" (payment rosters) or "register" (entitlements from the register)
	Stages       []StageRow
	OpenCases    int
	Overdue      int
	DueSoon      int
	Today        string // YYYY-MM-DD the deadline counts were taken
}

// CanView reports whether p may see the dashboard: the county office
// (admin, approver) and auditors.
func CanView(p authz.Principal) bool {
	return p.Has(authz.CountyAdmin) || p.Has(authz.CountyApprover) || p.Has(authz.Auditor)
}

// Region checks the region asked for: "" means the principal's own region
// (its whole scope); otherwise a county or township within scope.
func Region(p authz.Principal, code string) (region.Code, error) {
	if !CanView(p) {
		return "", errs.New(errs.Forbidden, "", "只有县级业务管理员、审批人或审计人员可以查看统计分析")
	}
	if code == "" {
		if p.Region == "" {
			return "", errs.Invalidf("region", "请选择统计范围（县或乡镇）")
		}
		return p.Region, nil
	}
	c, err := region.Parse(code)
	if err != nil {
		e := errs.As(err)
		return "", errs.Invalidf("region", "统计范围无效：%s", e.Message)
	}
	if l := c.Level(); l != region.County && l != region.Township {
		return "", errs.Invalidf("region", "统计范围须为县（市、区）或乡镇（街道）")
	}
	if !p.Scope().Contains(c) {
		return "", errs.New(errs.Forbidden, "region", "该地区不在您的管辖范围内")
	}
	return c, nil
}

// County computes the dashboard for code ("" = the principal's region).
func (s *Service) County(ctx context.Context, p authz.Principal, code string) (County, error) {
	rc, err := Region(p, code)
	if err != nil {
		return County{}, err
	}
	scope := region.ScopeOf(rc)
	if rc == p.Region || rc == "" {
		scope = p.Scope()
	}
	out := County{Region: rc}
	today := calendar.DayOf(s.now())
	out.Today = today.Format(time.DateOnly)

	cats, err := s.DB.RecipientsByCategory(ctx, scope)
	if err != nil {
		return County{}, err
	}
	out.ByCategory = categoryRows(cats)
	for _, c := range out.ByCategory {
		out.Households += c.Households
		out.Persons += c.Persons
		out.Amount += c.Amount
		out.Urban += c.UrbanHouseholds
		out.Rural += c.RuralHouseholds
	}
	sups, err := s.DB.RecipientsBySupplement(ctx, scope)
	if err != nil {
		return County{}, err
	}
	out.BySupplement = supplementRows(sups)
	towns, err := s.DB.RecipientsByTownship(ctx, scope)
	if err != nil {
		return County{}, err
	}
	for _, t := range towns {
		out.ByTownship = append(out.ByTownship, TownshipRow{Code: t.Township, Households: t.Households, Urban: t.Urban,
			Rural: t.Households - t.Urban, Persons: t.Persons, Amount: t.Amount})
	}
	if out.Months, out.MonthsSource, err = s.months(ctx, p, rc, scope, today); err != nil {
		return County{}, err
	}
	states, err := s.DB.CasesByState(ctx, scope)
	if err != nil {
		return County{}, err
	}
	open, err := s.DB.OpenCaseDeadlines(ctx, scope)
	if err != nil {
		return County{}, err
	}
	durs, err := s.DB.StageDurations(ctx, scope)
	if err != nil {
		return County{}, err
	}
	out.Stages = stageRows(states, open, durs, today)
	for _, st := range out.Stages {
		out.Overdue += st.Overdue
		out.DueSoon += st.DueSoon
	}
	out.OpenCases = len(open)
	return out, nil
}

// CategoryLabels are the category choices of the approval form.
func CategoryLabels() map[string]string {
	out := map[string]string{}
	for _, d := range workflow.Profiles() {
		for _, t := range d.Transitions {
			for _, f := range t.Records {
				if f.Name == "category" {
					for _, o := range f.Options {
						if _, ok := out[o.Value]; !ok {
							out[o.Value] = o.Label
						}
					}
				}
			}
		}
	}
	return out
}

func categoryRows(cs []store.CategoryCount) []CategoryRow {
	labels := CategoryLabels()
	var out []CategoryRow
	idx := map[string]int{}
	for _, c := range cs {
		i, ok := idx[c.Category]
		if !ok {
			i = len(out)
			idx[c.Category] = i
			l := labels[c.Category]
			if l == "" {
				l = c.Category
			}
			out = append(out, CategoryRow{Category: c.Category, Label: l})
		}
		r := &out[i]
		r.Households += c.Households
		r.Persons += c.Persons
		r.Amount += c.Amount
		if c.Urban {
			r.UrbanHouseholds += c.Households
			r.UrbanAmount += c.Amount
		} else {
			r.RuralHouseholds += c.Households
			r.RuralAmount += c.Amount
		}
	}
	return out
}

// supplementRows labels the supplement counts in the order of the default
// parameters, unknown codes last.
func supplementRows(cs []store.SupplementCount) []SupplementRow {
	order := map[string]int{}
	labels := map[string]string{}
	for i, s := range benefit.DefaultParams().Supplements {
		order[s.Code], labels[s.Code] = i, s.Label
	}
	out := make([]SupplementRow, 0, len(cs))
	for _, c := range cs {
		l := labels[c.Code]
		if l == "" {
			l = c.Code
		}
		out = append(out, SupplementRow{Code: c.Code, Label: l, Households: c.Households})
	}
	slices.SortStableFunc(out, func(a, b SupplementRow) int {
		oa, ka := order[a.Code]
		ob, kb := order[b.Code]
		switch {
		case ka && kb:
			return oa - ob
		case ka:
			return -1
		case kb:
			return 1
		}
		return 0
	})
	return out
}

// months returns the fund totals by month: from the payment rosters, or,
// if no roster was ever generated within scope, the amounts the register
// entitles for the twelve months up to the current one.
func (s *Service) months(ctx context.Context, p authz.Principal, rc region.Code, scope region.Scope,
	today time.Time) ([]MonthRow, string, error) {
	tot, err := s.DB.RosterTotals(ctx, scope)
	if err != nil {
		return nil, "", err
	}
	if len(tot) > 0 {
		out := make([]MonthRow, len(tot))
		for i, t := range tot {
			out[i] = MonthRow{Month: t.Month, Households: t.Households, Amount: t.Amount}
		}
		return out, "roster", nil
	}
	rounding := money.YuanHalfUp
	if c := rc.County(); c != "" {
		if set, err := policy.Resolve(ctx, s.DB, c, today); err == nil {
			rounding = set.Rounding()
		}
	}
	var ents []roster.Entitlement
	err = s.DB.ReadTx(ctx, p, func(tx *store.Tx) error {
		regs, err := tx.Register(ctx, scope, store.RegisterFilter{Status: "all"})
		if err != nil {
			return err
		}
		hist, err := tx.HistoryIn(ctx, scope)
		if err != nil {
			return err
		}
		for _, e := range regs {
			ents = append(ents, recipients.Entitlements(e, hist[e.HouseholdID])...)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	cur := roster.MonthOf(today.Year(), today.Month())
	out := make([]MonthRow, 0, 12)
	for m := cur.Add(-11); m <= cur; m++ {
		row := MonthRow{Month: m.String()}
		seen := map[int64]bool{}
		for _, e := range ents {
			if a, ok := roster.Amount(e, m, rounding); ok && a > 0 {
				row.Amount += a
				if !seen[e.HouseholdID] {
					seen[e.HouseholdID] = true
					row.Households++
				}
			}
		}
		out = append(out, row)
	}
	return out, "register", nil
}

// stageRows lays the case counts out in workflow order: every state of
// every profile that has cases or measured stays, labelled, with the
// deadline counts of casework.Urgency and the median stay.
func stageRows(states []store.StateCount, open []store.Case, durs []store.StageDuration, today time.Time) []StageRow {
	type key struct{ profile, state string }
	counts := map[key]int{}
	for _, c := range states {
		counts[key{c.Profile, c.State}] += c.Cases
	}
	overdue, soon := map[key]int{}, map[key]int{}
	for _, c := range open {
		o, d := casework.Urgency(c, today)
		if o {
			overdue[key{c.Profile, c.State}]++
		}
		if d {
			soon[key{c.Profile, c.State}]++
		}
	}
	stays := map[key][]int64{}
	for _, d := range durs {
		k := key{d.Profile, d.State}
		stays[k] = append(stays[k], d.Millis)
	}
	var out []StageRow
	seen := map[key]bool{}
	add := func(k key, label string, terminal bool) {
		seen[k] = true
		if counts[k] == 0 && len(stays[k]) == 0 {
			return
		}
		out = append(out, StageRow{Profile: k.profile, State: k.state, Label: label, Terminal: terminal, Cases: counts[k],
			Overdue: overdue[k], DueSoon: soon[k], Samples: len(stays[k]), MedianDays: MedianDays(stays[k])})
	}
	for _, d := range workflow.Profiles() {
		for _, st := range d.States {
			add(key{d.Name, st.ID}, st.Label, st.Terminal)
		}
	}
	// States no profile defines any more still count.
	var rest []key
	for k := range counts {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	for k := range stays {
		if !seen[k] && counts[k] == 0 {
			rest = append(rest, k)
		}
	}
	slices.SortFunc(rest, func(a, b key) int {
		if a.profile != b.profile {
			if a.profile < b.profile {
				return -1
			}
			return 1
		}
		if a.state < b.state {
			return -1
		}
		if a.state > b.state {
			return 1
		}
		return 0
	})
	for _, k := range slices.Compact(rest) {
		add(k, k.state, false)
	}
	return out
}

// MedianDays is the median of durations in milliseconds, in days rounded
// to one decimal (the mean of the two middle values for an even count); 0
// for none.
func MedianDays(ms []int64) float64 {
	if len(ms) == 0 {
		return 0
	}
	xs := slices.Clone(ms)
	slices.Sort(xs)
	n := len(xs)
	var m float64
	if n%2 == 1 {
		m = float64(xs[n/2])
	} else {
		m = (float64(xs[n/2-1]) + float64(xs[n/2])) / 2
	}
	days := m / float64(24*time.Hour/time.Millisecond)
	return float64(int64(days*10+0.5)) / 10
}
