package recipients

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/benefit"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/review"
	"dibao/internal/roster"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// Working age for the able-bodied test of the review cadence.
const (
	workingAgeMin = 16
	workingAgeMax = 59
)

// reviewRule takes the cadence from the policy set.
func reviewRule(set policy.Set) review.Rule {
	rule := review.DefaultRule()
	rule.StableMonths = set.Int(policy.ReviewMonthsStable)
	rule.VariableMonths = set.Int(policy.ReviewMonthsVariable)
	rule.VariableIfAbleBodied = set.Bool(policy.ReviewVariableAbleBodied)
	rule.VariableIfIncomeKinds = nil
	for _, k := range set.List(policy.ReviewVariableIncomeKinds) {
		rule.VariableIfIncomeKinds = append(rule.VariableIfIncomeKinds, household.IncomeKind(k))
	}
	return rule
}

// toReview fills the review rules' view of a recipient from the register
// and the household's current data.
func toReview(e store.RegisterEntry, h household.Household, today time.Time) review.Recipient {
	r := review.Recipient{HouseholdID: e.HouseholdID, Region: e.Region, RelativeFlag: e.RelativeFlag, Complaints: e.Complaints}
	if m, err := roster.ParseMonth(e.StartMonth); err == nil {
		r.Since = time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, today.Location())
	}
	if e.LastReview != "" {
		if d, err := policy.ParseDate(e.LastReview); err == nil {
			r.LastReview = d
		}
	}
	for _, m := range h.Members {
		if !m.CoResident || m.Labour != "full" {
			continue
		}
		if age := m.IDNumber.Age(today); age >= workingAgeMin && age <= workingAgeMax {
			r.AbleBodied = true
		}
	}
	for _, in := range h.Incomes {
		if !slices.Contains(r.IncomeKinds, in.Kind) {
			r.IncomeKinds = append(r.IncomeKinds, in.Kind)
		}
	}
	return r
}

// reviewScope is the scope a review-generating principal works on: the
// system principal everything, a county admin or township officer its own
// scope.
func reviewScope(p authz.Principal) (region.Scope, error) {
	switch {
	case isSystem(p):
		return region.All(), nil
	case p.Has(authz.CountyAdmin), p.Has(authz.TownshipOfficer):
		return p.Scope(), nil
	}
	return region.Scope{}, forbidden("只有县级业务管理员、乡镇（街道）经办人可以生成复核任务")
}

// GenerateReviews creates the periodic review tasks falling due by today
// (review.Generate, cadence from review_months_* of each county's policy)
// for the recipients in the principal's scope. It is idempotent: a
// household with an undecided periodic task gets no second one, also under
// concurrent runs (the review_tasks_one_open index). It returns how many
// tasks it created and the first of them.
func (s *Service) GenerateReviews(ctx context.Context, p authz.Principal, today time.Time) (Generated, error) {
	scope, err := reviewScope(p)
	if err != nil {
		return Generated{}, err
	}
	// A household with an undecided periodic task gets no second one (the
	// store's unique index refuses it too, should one appear meanwhile).
	var open map[int64]time.Time
	err = s.DB.ReadTx(ctx, p, func(tx *store.Tx) error {
		open, err = tx.OpenReviewTasks(ctx, scope, TaskPeriodic)
		return err
	})
	if err != nil {
		return Generated{}, err
	}
	// The register is streamed and its households read reviewBatch at a
	// time (issue 8: serve runs this at start-up over a province; holding
	// every recipient and household at once took gigabytes).
	rules := map[region.Code]review.Rule{}
	byCounty := map[region.Code][]review.Task{}
	var counties []region.Code
	batch := make([]store.RegisterEntry, 0, reviewBatch)
	flush := func() error {
		ids := make([]int64, len(batch))
		for i, e := range batch {
			ids[i] = e.HouseholdID
		}
		hs, err := s.DB.HouseholdsByID(ctx, scope, ids)
		if err != nil {
			return err
		}
		for _, e := range batch {
			c := e.Region.County()
			if _, ok := rules[c]; !ok {
				set, err := policy.Resolve(ctx, s.DB, c, today)
				if err != nil {
					return err
				}
				rules[c] = reviewRule(set)
				counties = append(counties, c)
			}
			h, ok := hs[e.HouseholdID]
			if !ok {
				return errs.New(errs.NotFound, "", "家庭不存在："+strconv.FormatInt(e.HouseholdID, 10))
			}
			byCounty[c] = append(byCounty[c], review.Generate(rules[c], []review.Recipient{toReview(e, h, today)}, open, today, 0)...)
		}
		batch = batch[:0]
		return nil
	}
	err = s.DB.RegisterEach(ctx, scope, store.RegisterFilter{}, func(e store.RegisterEntry) error {
		if batch = append(batch, e); len(batch) == reviewBatch {
			return flush()
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = flush()
	}
	if err != nil {
		return Generated{}, err
	}
	// Written county by county, reviewBatch tasks a transaction, each
	// audited (at least one transaction, so every run is audited); a
	// county's tasks are dropped once written.
	var gen Generated
	write := func(chunk []review.Task) error {
		return s.DB.InTx(ctx, p, func(tx *store.Tx) error {
			n := 0
			for _, t := range chunk {
				rt := store.ReviewTask{HouseholdID: t.HouseholdID, Region: t.Region, Kind: TaskPeriodic,
					Due: t.DueDate.Format(time.DateOnly), Reason: t.Reason}
				ok, err := tx.CreateReviewTask(ctx, &rt)
				if err != nil {
					return err
				}
				if ok {
					if len(gen.First) < GeneratedListed {
						gen.First = append(gen.First, rt)
					}
					n++
				}
			}
			gen.Count += n
			return tx.Audit(ctx, store.Entry{Action: "review.generate", Object: "review_tasks",
				Detail: fmt.Sprintf("生成定期复核任务%d件（截至%s）", n, today.Format(time.DateOnly))})
		})
	}
	wrote := false
	for _, c := range counties {
		ts := byCounty[c]
		slices.SortFunc(ts, func(a, b review.Task) int { // review.Generate's order within a county
			if c := a.DueDate.Compare(b.DueDate); c != 0 {
				return c
			}
			return int(a.HouseholdID - b.HouseholdID)
		})
		for lo := 0; lo < len(ts); lo += reviewBatch {
			if err := write(ts[lo:min(lo+reviewBatch, len(ts))]); err != nil {
				return gen, err
			}
			wrote = true
		}
		byCounty[c] = nil
	}
	if !wrote {
		if err := write(nil); err != nil {
			return gen, err
		}
	}
	return gen, nil
}

// Generated is what GenerateReviews created: how many tasks, and the first
// GeneratedListed of them (a province's run creates hundreds of thousands).
type Generated struct {
	Count int
	First []store.ReviewTask
}

// GeneratedListed is how many created tasks Generated lists.
const GeneratedListed = 100

// reviewBatch is how many recipients GenerateReviews reads, and how many
// tasks it writes, at a time.
const reviewBatch = 1000

// SpotCheckResult is a recorded county spot-check draw.
type SpotCheckResult struct {
	Check   store.SpotCheck
	Chosen  []int64          // household ids, sorted
	Reasons map[int64]string // why each was chosen (近亲属备案, 有投诉举报, 随机抽取)
	Created int              // spot-check tasks created (households with an undecided one keep it)
}

// SpotCheck draws the county spot check (review.Sample): spot_check_rate of
// the county's policy at random plus every relative-registered and
// complained-about household. seed 0 draws a new seed; the seed is recorded
// with the draw and on every task, so the same seed reproduces the same
// households. Only a county admin or approver of the county may draw.
func (s *Service) SpotCheck(ctx context.Context, p authz.Principal, county region.Code, seed uint64) (SpotCheckResult, error) {
	if !p.Has(authz.CountyAdmin) && !p.Has(authz.CountyApprover) {
		return SpotCheckResult{}, forbidden("只有县级业务管理员或审批人可以组织抽查")
	}
	scope, err := countyScope(p, county)
	if err != nil {
		return SpotCheckResult{}, err
	}
	today := s.today()
	set, err := policy.Resolve(ctx, s.DB, county, today)
	if err != nil {
		return SpotCheckResult{}, err
	}
	pr := set.Rate(policy.SpotCheckRate)
	rate := review.Rate{Num: pr.Num, Den: pr.Den}
	if seed == 0 {
		seed = review.NewSeed()
	}
	var res SpotCheckResult
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		regs, err := tx.Register(ctx, scope, store.RegisterFilter{})
		if err != nil {
			return err
		}
		rs := make([]review.Recipient, len(regs))
		byID := make(map[int64]store.RegisterEntry, len(regs))
		for i, e := range regs {
			rs[i] = review.Recipient{HouseholdID: e.HouseholdID, Region: e.Region, RelativeFlag: e.RelativeFlag, Complaints: e.Complaints}
			byID[e.HouseholdID] = e
		}
		res.Chosen, res.Reasons = review.Sample(rs, rate, seed)
		res.Check = store.SpotCheck{Region: county, Month: roster.MonthOf(today.Year(), today.Month()).String(), Seed: seed,
			Rate: fmt.Sprintf("%d/%d", rate.Num, rate.Den), Chosen: len(res.Chosen)}
		if err := tx.AddSpotCheck(ctx, &res.Check); err != nil {
			return err
		}
		due := today.AddDate(0, 1, 0).Format(time.DateOnly)
		for _, id := range res.Chosen {
			t := store.ReviewTask{HouseholdID: id, Region: byID[id].Region, Kind: TaskSpotCheck, Due: due,
				Reason: "县级抽查：" + res.Reasons[id], Seed: strconv.FormatUint(seed, 10), SpotCheckID: res.Check.ID}
			ok, err := tx.CreateReviewTask(ctx, &t)
			if err != nil {
				return err
			}
			if ok {
				res.Created++
			}
		}
		return tx.Audit(ctx, store.Entry{Action: "review.spot_check", Object: "spot_check:" + strconv.FormatInt(res.Check.ID, 10),
			Detail: fmt.Sprintf("县%s抽查：种子%d，比例%s，在保%d户，抽中%d户，新建任务%d件",
				county, seed, res.Check.Rate, len(regs), len(res.Chosen), res.Created)})
	})
	if err != nil {
		return SpotCheckResult{}, err
	}
	return res, nil
}

// ReviewInput is what the township adds to a recomputation.
type ReviewInput struct {
	EmploymentIncomeRose bool   // the income rise came from employment (渐退 applies)
	EffectiveMonth       string // YYYY-MM the outcome takes effect; "" = next month
	Category             string // new category for a category change; "" = unchanged
	Note                 string // the township's findings, Chinese
}

// Proposal is what a review task stores for the county to decide.
type Proposal struct {
	review.Proposal
	EffectiveMonth string
	Category       string
	Members        int
	PhaseOutMonths int
	PhaseOutTaper  bool
	Note           string
	Result         benefit.Result // the recomputed result, with its explanation and parameter versions
}

// ProposeReview is the township's proposal on a review task (the
// "propose" transition of workflow.RecipientReview, see ActReview): the
// household is recomputed with its current data and the benefit parameters
// in force today, compared with the result in force (review.Decide), and
// the proposal is stored on the task for the county. in.Note stands for the
// income and property findings.
func (s *Service) ProposeReview(ctx context.Context, p authz.Principal, taskID int64, in ReviewInput) (Proposal, error) {
	t, err := s.currentTask(ctx, p, taskID)
	if err != nil {
		return Proposal{}, err
	}
	note := strings.TrimSpace(in.Note)
	if note == "" {
		note = "见家庭档案"
	}
	vals := map[string][]string{"verified_on": {s.today().Format(time.DateOnly)}, "income_check": {note},
		"property_check": {note}, "effective_month": {in.EffectiveMonth}, "category": {in.Category}}
	if in.EmploymentIncomeRose {
		vals["employment_income"] = []string{"true"}
	}
	out, err := s.ActReview(ctx, p, ReviewAction{TaskID: taskID, Version: t.Version, Transition: "propose",
		Input: workflow.Input{Values: vals}})
	if err != nil {
		return Proposal{}, err
	}
	return *out.Proposal, nil
}

// DecideReview is the county's decision on a proposed review: approved
// (the "decide" transition), the proposal is applied to the register from
// its effective month and a notice issued for a decrease, phase-out or
// stop; not approved ("send_back", a reason is required), the task goes
// back to the township.
func (s *Service) DecideReview(ctx context.Context, p authz.Principal, taskID int64, approve bool, reason string) error {
	t, err := s.currentTask(ctx, p, taskID)
	if err != nil {
		return err
	}
	a := ReviewAction{TaskID: taskID, Version: t.Version, Transition: "decide",
		Input: workflow.Input{Values: map[string][]string{"comment": {reason}}}}
	if !approve {
		a.Transition, a.Input = "send_back", workflow.Input{Reason: reason}
	}
	_, err = s.ActReview(ctx, p, a)
	return err
}

// currentTask reads a task within the caller's scope for its version.
func (s *Service) currentTask(ctx context.Context, p authz.Principal, taskID int64) (store.ReviewTask, error) {
	var t store.ReviewTask
	err := s.DB.ReadTx(ctx, p, func(tx *store.Tx) error {
		var err error
		t, err = tx.ReviewTask(ctx, p.Scope(), taskID)
		return err
	})
	return t, err
}

// apply writes an approved proposal to the register and the history.
func apply(ctx context.Context, tx *store.Tx, e *store.RegisterEntry, t store.ReviewTask, prop Proposal, reason string, today time.Time) error {
	kind := KindReview
	result, _ := json.Marshal(prop.Result)
	switch prop.Outcome {
	case review.Increase, review.Decrease, review.CategoryChange:
		kind = map[review.Outcome]string{review.Increase: KindIncrease, review.Decrease: KindDecrease,
			review.CategoryChange: KindCategoryChange}[prop.Outcome]
		e.Amount, e.Category, e.Members, e.Benefit = prop.NewAmount, prop.Category, prop.Members, string(result)
	case review.PhaseOut:
		kind = KindPhaseOut
		e.PhaseOutFrom, e.PhaseOutMonths, e.PhaseOutTaper = prop.EffectiveMonth, prop.PhaseOutMonths, prop.PhaseOutTaper
	case review.Stop:
		kind = KindStop
		end, err := prevMonth(prop.EffectiveMonth)
		if err != nil {
			return err
		}
		e.Status, e.EndMonth = string(roster.StatusStopped), end
	}
	e.LastReview = today.Format(time.DateOnly)
	if err := tx.UpdateRecipient(ctx, e); err != nil {
		return err
	}
	why := strings.Join(prop.Reasons, "；")
	if prop.Note != "" {
		why += "（乡镇意见：" + prop.Note + "）"
	}
	if reason != "" {
		why += "（县级意见：" + reason + "）"
	}
	newAmount := prop.NewAmount
	if prop.Outcome == review.Stop {
		newAmount = 0
	}
	return tx.AppendHistory(ctx, &store.HistoryEntry{HouseholdID: e.HouseholdID, Kind: kind, OldAmount: prop.OldAmount,
		NewAmount: newAmount, EffectiveMonth: prop.EffectiveMonth, Reason: why, TaskID: t.ID})
}
