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
	"dibao/internal/docs"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/review"
	"dibao/internal/roster"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// Review tasks move through workflow.RecipientReview exactly as cases move
// through their profile (casework.Act): the engine says who may take which
// transition now and why not, every transition is one transaction with an
// optimistic version, an Idempotency-Key, an event in the task's history
// and an audit record, and staff related to the household are recused.

// TaskKindLabel is the Chinese name of a task kind; a kind this package
// does not know (added by another feature) shows as itself.
func TaskKindLabel(kind string) string {
	switch kind {
	case TaskPeriodic:
		return "定期复核"
	case TaskSpotCheck:
		return "县级抽查"
	case TaskChangeReport:
		return "变化报告复核"
	}
	return kind
}

// ReviewAction is one request to move a review task.
type ReviewAction struct {
	TaskID     int64
	Version    int64 // the task version the actor saw; a stale one is a conflict
	Transition string
	Input      workflow.Input
	// IdempotencyKey makes a retried request safe: the first outcome is
	// stored with the change and a replay returns it without acting again.
	IdempotencyKey string
}

// ReviewOutcome is what a review action produced.
type ReviewOutcome struct {
	Task     store.ReviewTask
	Event    store.ReviewEvent
	Proposal *Proposal `json:",omitempty"` // the proposal made or decided
	Notice   string    // number of the notice issued, "" if none
	Warning  string    // e.g. a certification warning under the "warn" gate
	Replayed bool      // the idempotency key had been used: nothing was done now
}

// reviewLoad is a task with everything its transitions and page need.
type reviewLoad struct {
	task      store.ReviewTask
	entry     store.RegisterEntry
	h         household.Household
	set       policy.Set
	params    workflow.Params
	before    benefit.Result // the result in force
	known     bool           // … recorded, not reconstructed from the amount
	after     benefit.Result // recomputed from the household's current data
	relatives []int64        // staff user IDs that must not act on the task
	names     map[region.Code]string
	certified []string
}

// reviewPre is what a review transaction needs from outside it, read
// before it starts: on PostgreSQL the pool is shared, and a transaction
// waiting for a second connection while others wait for its row lock
// would deadlock under load.
type reviewPre struct {
	set       policy.Set
	names     map[region.Code]string
	certified []string // the actor's post certifications valid today
}

func (s *Service) reviewPre(ctx context.Context, p authz.Principal, taskID int64) (reviewPre, error) {
	t, err := s.currentTask(ctx, p, taskID)
	if err != nil {
		return reviewPre{}, err
	}
	var pre reviewPre
	if pre.set, err = policy.Resolve(ctx, s.DB, t.Region.County(), s.today()); err != nil {
		return reviewPre{}, err
	}
	if pre.certified, err = s.certified(ctx, p); err != nil {
		return reviewPre{}, err
	}
	pre.names = map[region.Code]string{}
	for _, c := range []region.Code{t.Region.County(), t.Region.Township(), t.Region} {
		if r, err := s.DB.Region(ctx, c); err == nil {
			pre.names[c] = r.Name
		} else {
			pre.names[c] = string(c)
		}
	}
	return pre, nil
}

func (s *Service) loadReview(ctx context.Context, tx *store.Tx, scope region.Scope, t store.ReviewTask, lock bool, pre reviewPre) (*reviewLoad, error) {
	L := &reviewLoad{task: t, set: pre.set, names: pre.names, certified: pre.certified}
	var err error
	if lock {
		L.entry, err = tx.RecipientForUpdate(ctx, scope, t.HouseholdID)
	} else {
		L.entry, err = tx.ReviewRecipient(ctx, scope, t.HouseholdID)
	}
	if err != nil {
		return nil, err
	}
	if L.h, err = tx.Household(ctx, t.HouseholdID); err != nil {
		return nil, err
	}
	if L.entry.Region != t.Region {
		return nil, errs.New(errs.Conflict, "", "保障对象所在地已变更，请刷新页面后再操作")
	}
	today := s.today()
	L.params = workflow.RecipientReview().Defaults
	L.params.CertificationGate = L.set.Enum(policy.CertificationGate)
	L.after = benefit.Compute(L.h, L.set.BenefitParams(), today)
	L.before, L.known = resultInForce(L.entry)
	if L.relatives, err = s.relativeStaff(ctx, tx, L.entry.HouseholdID); err != nil {
		return nil, err
	}
	return L, nil
}

func (L *reviewLoad) facts(p authz.Principal, today time.Time, in workflow.Input) workflow.Facts {
	return workflow.Facts{Today: today, Params: L.params, Input: in, RelativeStaff: L.relatives,
		Members: len(L.h.Members), BenefitComputed: L.after.Outcome != benefit.OutcomeInvalid, Eligible: L.after.Eligible,
		RelativeRegistered: L.entry.RelativeFlag,
		ActorProposed:      L.task.Status == "proposed" && L.task.ProposedBy != "" && L.task.ProposedBy == p.Username,
		Certified:          L.certified}
}

func staleTask() error {
	return errs.New(errs.Conflict, "version", "该复核任务已被他人处理，请刷新页面查看最新状态后再操作")
}

func taskObj(id int64) string { return "review_task:" + strconv.FormatInt(id, 10) }

// ActReview performs one transition of a review task. Everything — the
// proposal or the decision applied to the register, the notice, the new
// state and version, the event, the audit record and the idempotency
// record — is one transaction; a refusal says why in Chinese and writes
// nothing.
func (s *Service) ActReview(ctx context.Context, p authz.Principal, a ReviewAction) (ReviewOutcome, error) {
	path := taskObj(a.TaskID) + ":" + a.Transition
	if a.IdempotencyKey != "" {
		var out ReviewOutcome
		if ok, err := s.DB.Replay(ctx, p.UserID, a.IdempotencyKey, path, &out); err != nil || ok {
			if err != nil {
				return ReviewOutcome{}, err
			}
			out.Replayed = true
			return out, nil
		}
	}
	pre, err := s.reviewPre(ctx, p, a.TaskID)
	if err != nil {
		return ReviewOutcome{}, err
	}
	def := workflow.RecipientReview()
	today := s.today()
	var out ReviewOutcome
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		t, err := tx.ReviewTaskForUpdate(ctx, p.Scope(), a.TaskID)
		if err != nil {
			return err
		}
		if t.Version != a.Version {
			return staleTask()
		}
		L, err := s.loadReview(ctx, tx, p.Scope(), t, true, pre)
		if err != nil {
			return err
		}
		f := L.facts(p, today, a.Input)
		tr, err := workflow.Check(def, t.Status, a.Transition, p, p.Region.Level(), f)
		if err != nil {
			return err
		}
		rec, err := workflow.ParseRecord(tr, f)
		if err != nil {
			return err
		}
		warning, err := workflow.Certification(tr, f)
		if err != nil {
			return err
		}
		reason := strings.TrimSpace(a.Input.Reason)
		from, to := t.Status, workflow.Next(tr, t.Status)
		var detail string
		switch tr.ID {
		case "propose":
			prop, err := s.propose(L, rec, today)
			if err != nil {
				return err
			}
			js, err := json.Marshal(prop)
			if err != nil {
				return errs.Wrap(err, "保存复核意见失败")
			}
			t.Proposal, t.ProposedBy = string(js), p.Username
			out.Proposal = &prop
			detail = fmt.Sprintf("复核任务%d：%s，%s元→%s元，自%s起", t.ID, prop.Outcome.Label(),
				prop.OldAmount.Yuan(), prop.NewAmount.Yuan(), prop.EffectiveMonth)
		case "decide":
			prop, err := taskProposal(t)
			if err != nil {
				return err
			}
			if L.entry.Amount != prop.OldAmount {
				return errs.New(errs.Conflict, "", "复核意见提出后保障金额已发生变化，请退回乡镇（街道）重新核算")
			}
			comment, _ := rec["comment"].(string)
			if err := apply(ctx, tx, &L.entry, t, prop, comment, today); err != nil {
				return err
			}
			t.DecidedBy, t.DecidedAt, t.Decision = p.Username, s.now(), "approved"
			if prop.Notice() {
				n, err := s.issueNotice(ctx, tx, L, prop, comment)
				if err != nil {
					return err
				}
				out.Notice = n.Number
			}
			out.Proposal = &prop
			detail = fmt.Sprintf("复核任务%d：同意%s，%s元→%s元，自%s起", t.ID, prop.Outcome.Label(),
				prop.OldAmount.Yuan(), prop.NewAmount.Yuan(), prop.EffectiveMonth)
			if out.Notice != "" {
				detail += "，出具告知书" + out.Notice
			}
		case "send_back":
			t.DecidedBy, t.DecidedAt, t.Decision = p.Username, s.now(), "rejected"
			detail = fmt.Sprintf("复核任务%d：不同意，退回乡镇（街道）：%s", t.ID, reason)
		default:
			return errs.Wrap(fmt.Errorf("recipients: no effect for review transition %q", tr.ID), "复核流程配置错误")
		}
		t.Status = to
		if err := tx.UpdateReviewTask(ctx, &t, a.Version); err != nil {
			return err
		}
		data := map[string]any{"values": rec}
		if warning != "" {
			data["certification_warning"] = warning
			detail += " warning=" + warning
		}
		if out.Notice != "" {
			data["notice"] = out.Notice
		}
		raw, _ := json.Marshal(data)
		ev := store.ReviewEvent{TaskID: t.ID, Transition: tr.ID, From: from, To: to, Record: string(raw), Reason: reason}
		if err := tx.AppendReviewEvent(ctx, &ev); err != nil {
			return err
		}
		if err := tx.Audit(ctx, store.Entry{Action: "review." + tr.ID, Object: hhObj(t.HouseholdID),
			Detail: taskObj(t.ID) + " " + from + " → " + to + "：" + detail}); err != nil {
			return err
		}
		out.Task, out.Event, out.Warning = t, ev, warning
		if a.IdempotencyKey != "" {
			return tx.Remember(ctx, a.IdempotencyKey, path, out)
		}
		return nil
	})
	if err != nil {
		return ReviewOutcome{}, err
	}
	return out, nil
}

func taskProposal(t store.ReviewTask) (Proposal, error) {
	var prop Proposal
	if err := json.Unmarshal([]byte(t.Proposal), &prop); err != nil {
		return Proposal{}, errs.Wrap(err, "复核意见数据损坏")
	}
	return prop, nil
}

// propose recomputes the household with its current data and the benefit
// parameters in force today, compares it with the result in force
// (review.Decide) and returns the proposal for the county.
func (s *Service) propose(L *reviewLoad, rec map[string]any, today time.Time) (Proposal, error) {
	str := func(name string) string { v, _ := rec[name].(string); return strings.TrimSpace(v) }
	month := str("effective_month")
	if month == "" {
		month = nextMonth(today)
	}
	m, err := roster.ParseMonth(month)
	if err != nil {
		return Proposal{}, errs.Invalidf("effective_month", "生效月份应写作“2027-01”的格式")
	}
	if m.String() < roster.MonthOf(today.Year(), today.Month()).String() {
		return Proposal{}, errs.Invalidf("effective_month", "生效月份不能早于本月")
	}
	after := L.after
	before := L.before
	if !L.known && (after.Outcome == benefit.OutcomeEligible || after.Outcome == benefit.OutcomeSinglePerson) {
		// Nothing records what the amount in force was computed from:
		// compare the amounts only.
		before.Outcome, before.Eligible, before.Tier = after.Outcome, after.Eligible, after.Tier
		before.Categories = after.Categories
	}
	employment, _ := rec["employment_income"].(bool)
	po := L.set.Int(policy.PhaseoutMonths)
	rp, err := review.Decide(before, after, employment, po)
	if err != nil {
		return Proposal{}, err
	}
	var notes []string
	if v := str("income_check"); v != "" {
		notes = append(notes, "收入："+v)
	}
	if v := str("property_check"); v != "" {
		notes = append(notes, "财产："+v)
	}
	e := L.entry
	prop := Proposal{Proposal: rp, EffectiveMonth: m.String(), Category: e.Category, Members: after.Members,
		PhaseOutMonths: po, PhaseOutTaper: L.set.Bool(policy.PhaseoutTaper), Note: strings.Join(notes, "；"), Result: after}
	if c := str("category"); c != "" && c != e.Category {
		prop.Category = c
		if rp.Outcome == review.NoChange || rp.Outcome == review.Increase || rp.Outcome == review.Decrease {
			prop.Outcome = review.CategoryChange
			prop.Reasons = append(prop.Reasons, "保障类别由"+e.Category+"调整为"+c)
		}
	}
	if prop.Outcome != review.PhaseOut {
		prop.PhaseOutMonths, prop.PhaseOutTaper = 0, false
	}
	return prop, nil
}

// issueNotice prints the notice of a decision that lowers, phases out or
// stops the payment: numbered per county, kind and year like every case
// document, rendered once to prove it complete, and kept as the snapshot
// of what was issued.
func (s *Service) issueNotice(ctx context.Context, tx *store.Tx, L *reviewLoad, prop Proposal, comment string) (store.ReviewNotice, error) {
	now, today := s.now(), s.today()
	county := L.entry.Region.County()
	serial, err := tx.NextSerial(ctx, "doc:"+docs.KindReviewNotice, county, today.Year())
	if err != nil {
		return store.ReviewNotice{}, err
	}
	name := func(c region.Code) string {
		if n := L.names[c]; n != "" {
			return n
		}
		return string(c)
	}
	countyName := name(county)
	hdr := docs.Header{Number: docs.Number(docs.KindReviewNotice, county, today.Year(), serial), IssuedOn: now,
		CountyName: countyName, TownshipName: name(L.entry.Region.Township()), VillageName: name(L.entry.Region),
		Issuer: countyName + "民政局"}
	r := prop.Result
	reasons := slices.Clone(prop.Reasons)
	if r.Outcome == benefit.OutcomeEligible || r.Outcome == benefit.OutcomeSinglePerson || r.Standard > 0 {
		reasons = append(reasons, fmt.Sprintf("经复核，家庭月收入%s元，人均月收入%s元，适用低保标准%s元/人·月",
			r.HouseholdIncome.Yuan(), r.PerCapita.Yuan(), r.Standard.Yuan()))
	}
	if c := strings.TrimSpace(comment); c != "" {
		reasons = append(reasons, "县级审批意见："+c)
	}
	newAmount := prop.NewAmount
	if prop.Outcome == review.Stop {
		newAmount = 0
	}
	data := docs.ReviewNotice{Header: hdr, HeadName: L.h.HeadName(), HouseholdSize: len(L.h.Members),
		TaskRef: TaskKindLabel(L.task.Kind) + " 第" + strconv.FormatInt(L.task.ID, 10) + "号",
		Outcome: prop.Outcome.Label(), Stop: prop.Outcome == review.Stop, OldAmount: prop.OldAmount, NewAmount: newAmount,
		EffectiveMonth: prop.EffectiveMonth, PhaseOutMonths: prop.PhaseOutMonths, Reasons: reasons, DecidedOn: now,
		Appeal: docs.Appeal{ReviewBody: countyName + "人民政府", Court: countyName + "人民法院"}}
	for _, l := range r.Lines {
		data.Lines = append(data.Lines, docs.ExplanationLine{Label: l.Label, Formula: l.Formula, Amount: l.Amount})
	}
	keys := make([]string, 0, len(r.Versions))
	for k := range r.Versions {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		data.Versions = append(data.Versions, docs.ParamVersion{Name: k, Version: r.Versions[k]})
	}
	if _, err := docs.Render(docs.KindReviewNotice, data); err != nil {
		return store.ReviewNotice{}, err
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return store.ReviewNotice{}, errs.Wrap(err, "保存告知书失败")
	}
	n := store.ReviewNotice{TaskID: L.task.ID, Kind: docs.KindReviewNotice, Number: hdr.Number, Data: string(raw)}
	return n, tx.AddReviewNotice(ctx, &n)
}

// ReviewView is a review task as its page and the API show it.
type ReviewView struct {
	Task       store.ReviewTask
	Definition workflow.Definition
	State      workflow.State
	Entry      store.RegisterEntry
	Household  household.Household
	Events     []store.ReviewEvent
	Proposal   *Proposal         // the proposal on the task, if any
	InForce    benefit.Result    // the result the amount in force was computed from
	Current    benefit.Result    // recomputed now from the household's current data
	Options    []workflow.Option // what the caller may do now, or why not
	Notice     *store.ReviewNotice
	Relatives  []int64 // staff recused from the task
}

// Review loads a task with its household, history, proposal, the benefit
// recomputed from the current data and the caller's options.
func (s *Service) Review(ctx context.Context, p authz.Principal, taskID int64) (ReviewView, error) {
	if err := p.Require(authz.HouseholdView); err != nil {
		return ReviewView{}, err
	}
	pre, err := s.reviewPre(ctx, p, taskID)
	if err != nil {
		return ReviewView{}, err
	}
	def := workflow.RecipientReview()
	var v ReviewView
	err = s.DB.ReadTx(ctx, p, func(tx *store.Tx) error {
		t, err := tx.ReviewTask(ctx, p.Scope(), taskID)
		if err != nil {
			return err
		}
		L, err := s.loadReview(ctx, tx, p.Scope(), t, false, pre)
		if err != nil {
			return err
		}
		v = ReviewView{Task: t, Definition: def, Entry: L.entry, Household: L.h, InForce: L.before, Current: L.after,
			Relatives: L.relatives}
		v.State, _ = def.State(t.Status)
		if v.Events, err = tx.ReviewEvents(ctx, t.ID); err != nil {
			return err
		}
		if t.Proposal != "" {
			prop, err := taskProposal(t)
			if err != nil {
				return err
			}
			v.Proposal = &prop
		}
		if n, ok, err := tx.ReviewNotice(ctx, t.ID); err != nil {
			return err
		} else if ok {
			v.Notice = &n
		}
		v.Options = workflow.Available(def, t.Status, p, p.Region.Level(), L.facts(p, s.today(), workflow.Input{}))
		return nil
	})
	return v, err
}

// ReviewTaskList is the review work queue within the caller's scope;
// township (a township code within the scope) narrows it further.
func (s *Service) ReviewTaskList(ctx context.Context, p authz.Principal, township region.Code, f store.ReviewTaskFilter) ([]store.ReviewTaskRow, int, error) {
	if err := p.Require(authz.HouseholdView); err != nil {
		return nil, 0, err
	}
	scope := p.Scope()
	if township != "" {
		if township.Level() != region.Township || !scope.Contains(township) {
			return nil, 0, errs.Invalidf("township", "请选择您管辖范围内的乡镇（街道）")
		}
		scope = region.ScopeOf(township)
	}
	if f.DueBefore != "" {
		if _, err := time.Parse(time.DateOnly, f.DueBefore); err != nil {
			return nil, 0, errs.Invalidf("due_before", "到期日期应写作“2027-01-31”的格式")
		}
	}
	return s.DB.ReviewTaskList(ctx, scope, f)
}

// ReviewNoticeHTML prints the notice issued with a task's decision from
// its stored snapshot, exactly as issued.
func (s *Service) ReviewNoticeHTML(ctx context.Context, p authz.Principal, taskID int64) (store.ReviewNotice, []byte, error) {
	if err := p.Require(authz.HouseholdView); err != nil {
		return store.ReviewNotice{}, nil, err
	}
	var n store.ReviewNotice
	err := s.DB.ReadTx(ctx, p, func(tx *store.Tx) error {
		if _, err := tx.ReviewTask(ctx, p.Scope(), taskID); err != nil {
			return err
		}
		var ok bool
		var err error
		if n, ok, err = tx.ReviewNotice(ctx, taskID); err != nil {
			return err
		}
		if !ok {
			return errs.New(errs.NotFound, "", "该复核任务未出具告知书（仅减发、渐退、停保时出具）")
		}
		return nil
	})
	if err != nil {
		return store.ReviewNotice{}, nil, err
	}
	html, err := docs.RenderJSON(n.Kind, []byte(n.Data))
	return n, html, err
}
