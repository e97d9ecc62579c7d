package recipients

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/benefit"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/money"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/store"
)

// A standard change (issue 4 item 7, SPEC §2.3) is a persisted batch job:
//
//   - PreviewStandardChange recomputes every active recipient of the county
//     with the new standards (those in phase-out keep their frozen amount)
//     and stores the job with one item per recipient: old and new amount,
//     whether the household is still eligible, and the recipient's version.
//   - ConfirmStandardChange (county approver) refuses a stale preview: if any
//     recipient of the county changed since (its version moved, it left the
//     register or phase-out, or a new one was enrolled) the preview must be
//     recomputed, so what the approver saw is what is applied. In the same
//     transaction it marks the job applying and records the new standards in
//     the policy registry from the effective month.
//   - RunStandardChange applies the items in chunks, each chunk one
//     transaction: the chunk's unapplied items and their recipients are
//     read with one SELECT each (locked on PostgreSQL), the updates and
//     history entries written with multi-row statements and the items
//     claimed with one UPDATE per outcome (applied 0 → 1, checked for every
//     item) in the same transaction (issue 8), so a crash
//     loses at most the chunk in flight and a restart — or a second runner at
//     the same time — never applies an item twice. A recipient changed after
//     the confirmation (a review decided meanwhile) is recomputed from its
//     current data with the new standards rather than overwritten.
//
// Households that would no longer be eligible are never stopped here: a
// stop needs a review with written reasons. They are listed (crossing) and
// get a periodic review task due at once.

// Actions of the audit log.
const (
	auditStandardPreview = "standard.preview"
	auditStandardConfirm = "standard.confirm"
	auditStandardApply   = "standard.apply"
	auditStandardDone    = "standard.applied"
	auditStandardCancel  = "standard.cancel"
)

// DefaultStandardChunk is how many items one transaction applies.
const DefaultStandardChunk = 500

// Messages.
const (
	MsgStandardRole    = "只有县级业务管理员或审批人可以测算标准调整"
	MsgStandardConfirm = "只有县级审批人可以确认标准调整"
	MsgStandardStale   = "测算之后本县已有 %d 户保障对象发生变动，测算结果已过时，请重新测算后再确认"
)

// StandardInput is a parsed standard-change request.
type StandardInput struct {
	County         region.Code
	Urban, Rural   money.Fen
	EffectiveMonth string
}

// ParseStandardInput reads the form or API fields county, urban, rural
// (yuan) and effective (YYYY-MM); every bad field is reported, in Chinese.
func ParseStandardInput(county, urban, rural, effective string) (StandardInput, error) {
	var in StandardInput
	var list errs.List
	c, err := region.Parse(strings.TrimSpace(county))
	if err != nil || c.Level() != region.County {
		list = append(list, errs.New(errs.Invalid, "county", "请选择县（市、区），区划代码应为12位数字"))
	}
	in.County = c
	for _, f := range []struct {
		field, name, raw string
		dst              *money.Fen
	}{{"urban", policy.StandardUrban, urban, &in.Urban}, {"rural", policy.StandardRural, rural, &in.Rural}} {
		if strings.TrimSpace(f.raw) == "" {
			list = append(list, errs.New(errs.Invalid, f.field, "请填写新的"+map[string]string{"urban": "城市", "rural": "农村"}[f.field]+"低保标准（元/人·月）"))
			continue
		}
		v, err := policy.Parse(f.name, f.raw)
		if err != nil {
			list = append(list, errs.New(errs.Invalid, f.field, errs.As(err).Message))
			continue
		}
		fen, err := money.Parse(v.String())
		if err != nil {
			list = append(list, errs.New(errs.Invalid, f.field, errs.As(err).Message))
			continue
		}
		*f.dst = fen
	}
	m, err := roster.ParseMonth(strings.TrimSpace(effective))
	if err != nil {
		list = append(list, errs.New(errs.Invalid, "effective", "生效月份格式应为“2027-01”"))
	} else {
		in.EffectiveMonth = m.String()
	}
	if len(list) > 0 {
		return StandardInput{}, list
	}
	return in, nil
}

// TownshipDelta is one township's share of a standard change.
type TownshipDelta struct {
	Code                          region.Code
	Name                          string
	Recipients, Changed, Crossing int
	Increased, Decreased          int
	OldTotal, Delta               money.Fen
}

// StandardSummary is a standard-change job with its items grouped for
// display.
type StandardSummary struct {
	store.StandardChange
	Increases []store.StandardItem // paying households whose amount rises
	Decreases []store.StandardItem // paying households whose amount falls
	Crossing  []store.StandardItem // households no longer eligible (listed for review)
	Unchanged int
	Townships []TownshipDelta
}

// Done reports whether every item has been applied.
func (s StandardSummary) Done() bool { return s.Status == store.StandardApplied }

func standardAllowed(p authz.Principal) bool {
	return isSystem(p) || p.Has(authz.CountyAdmin) || p.Has(authz.CountyApprover)
}

// CanConfirmStandard says why p may not confirm a standard change (nil if
// it may): pages show the reason instead of the button.
func CanConfirmStandard(p authz.Principal) error {
	if isSystem(p) || p.Has(authz.CountyApprover) {
		return nil
	}
	return forbidden(MsgStandardConfirm)
}

func reasonText(r benefit.Result) string {
	s := ""
	for i, x := range r.Reasons {
		if i > 0 {
			s += "；"
		}
		s += x.Text
	}
	return s
}

// standardParams is the county's benefit parameters in force today with
// the new standards.
func (s *Service) standardParams(ctx context.Context, county region.Code, urban, rural money.Fen) (benefit.Params, error) {
	set, err := policy.Resolve(ctx, s.DB, county, s.today())
	if err != nil {
		return benefit.Params{}, err
	}
	params := set.BenefitParams()
	params.UrbanStandard, params.RuralStandard = urban, rural
	return params, nil
}

// recomputeOne assesses one recipient with params: the item to store.
func (s *Service) recomputeOne(e store.RegisterEntry, h household.Household, params benefit.Params) (store.StandardItem, error) {
	r := benefit.Compute(h, params, s.today())
	if r.Outcome == benefit.OutcomeInvalid {
		return store.StandardItem{}, errs.Invalidf("", "户 %d 的家庭数据无法重新核算，请先更正：%s", e.HouseholdID, reasonText(r))
	}
	js, _ := json.Marshal(r)
	it := store.StandardItem{HouseholdID: e.HouseholdID, Region: e.Region, OldAmount: e.Amount, Version: e.Version,
		Paying: r.Outcome == benefit.OutcomeEligible || r.Outcome == benefit.OutcomeSinglePerson}
	if it.Paying {
		it.NewAmount, it.Members, it.Benefit = r.Amount, r.Members, string(js)
	} else {
		it.NewAmount, it.Members = e.Amount, e.Members
	}
	return it, nil
}

// PreviewStandardChange recomputes every active recipient of the county
// with the new standards and stores the job (status preview) with its
// items; it changes no recipient. The summary gives the counts, the
// households crossing the threshold, the increases and decreases, the total
// monthly cost change (paying households only: crossing ones keep their
// amount until a review decides) and a per-township breakdown.
func (s *Service) PreviewStandardChange(ctx context.Context, p authz.Principal, county region.Code, urban, rural money.Fen,
	effectiveMonth string) (StandardSummary, error) {
	sum, _, err := s.PreviewStandardChangeOnce(ctx, p, "", county, urban, rural, effectiveMonth)
	return sum, err
}

const idemPreviewPath = "standard_change:preview"

// idemReplay looks up an idempotency key of p: the job id its first call
// stored under path, or 0.
func (s *Service) idemReplay(ctx context.Context, p authz.Principal, key, path string) (int64, error) {
	if key == "" {
		return 0, nil
	}
	if len(key) > 100 {
		return 0, errs.Invalidf("Idempotency-Key", "幂等键过长（最多100个字符）")
	}
	prev, ok, err := s.DB.IdempotentGet(ctx, p.UserID, key)
	if err != nil || !ok {
		return 0, err
	}
	if prev.Path != path {
		return 0, errs.New(errs.Conflict, "Idempotency-Key", "该幂等键已用于另一项操作")
	}
	var id int64
	if _, err := fmt.Sscan(prev.Body, &id); err != nil || id <= 0 {
		return 0, errs.Wrap(fmt.Errorf("idempotency body %q", prev.Body), "读取幂等记录失败")
	}
	return id, nil
}

// PreviewStandardChangeOnce is PreviewStandardChange with an idempotency
// key (the API's Idempotency-Key, "" = none): a retried request with the
// same key returns the job the first one stored (replayed) instead of a
// second preview.
func (s *Service) PreviewStandardChangeOnce(ctx context.Context, p authz.Principal, key string, county region.Code,
	urban, rural money.Fen, effectiveMonth string) (sum StandardSummary, replayed bool, err error) {
	if id, err := s.idemReplay(ctx, p, key, idemPreviewPath); err != nil || id > 0 {
		if err != nil {
			return StandardSummary{}, false, err
		}
		sum, err := s.StandardChange(ctx, p, id)
		return sum, true, err
	}
	sum, err = s.previewStandard(ctx, p, key, county, urban, rural, effectiveMonth)
	return sum, false, err
}

func (s *Service) previewStandard(ctx context.Context, p authz.Principal, key string, county region.Code, urban, rural money.Fen,
	effectiveMonth string) (StandardSummary, error) {
	if !standardAllowed(p) {
		return StandardSummary{}, forbidden(MsgStandardRole)
	}
	scope, err := countyScope(p, county)
	if err != nil {
		return StandardSummary{}, err
	}
	if urban <= 0 || rural <= 0 || urban > money.MaxAbs || rural > money.MaxAbs {
		return StandardSummary{}, errs.Invalidf("standard", "新的低保标准应为正数")
	}
	m, err := roster.ParseMonth(effectiveMonth)
	if err != nil {
		return StandardSummary{}, errs.Invalidf("effective", "生效月份格式应为“2027-01”")
	}
	if cur := roster.MonthOf(s.today().Year(), s.today().Month()); m < cur {
		return StandardSummary{}, errs.Invalidf("effective", "生效月份不能早于本月（%s）", cur)
	}
	params, err := s.standardParams(ctx, county, urban, rural)
	if err != nil {
		return StandardSummary{}, err
	}
	regs, err := s.DB.StandardCandidates(ctx, scope)
	if err != nil {
		return StandardSummary{}, err
	}
	job := store.StandardChange{County: county, Urban: urban, Rural: rural, EffectiveMonth: m.String()}
	items := make([]store.StandardItem, 0, len(regs))
	ids := make([]int64, 0, len(regs))
	for _, e := range regs {
		ids = append(ids, e.HouseholdID)
	}
	households, err := s.DB.HouseholdsForBenefit(ctx, scope, ids) // batched: a county has tens of thousands
	if err != nil {
		return StandardSummary{}, err
	}
	for _, e := range regs {
		if e.PhaseOutFrom != "" {
			continue // the amount is frozen during phase-out
		}
		h, ok := households[e.HouseholdID]
		if !ok {
			return StandardSummary{}, errs.New(errs.NotFound, "", "家庭不存在或不在您的管辖范围内")
		}
		it, err := s.recomputeOne(e, h, params)
		if err != nil {
			return StandardSummary{}, err
		}
		it.HeadName = e.HeadName
		items = append(items, it)
		job.OldTotal += e.Amount
		switch {
		case !it.Paying:
			job.Crossing++
		case it.NewAmount > it.OldAmount:
			job.Increased++
		case it.NewAmount < it.OldAmount:
			job.Decreased++
		}
		if it.Paying {
			job.Delta += it.NewAmount - it.OldAmount
		}
	}
	job.Changed = job.Increased + job.Decreased
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		if err := tx.CreateStandardChange(ctx, &job, items); err != nil {
			return err
		}
		if key != "" {
			if err := tx.IdempotentPut(ctx, key, store.IdempotentReply{Method: "POST", Path: idemPreviewPath, Status: 201,
				Body: fmt.Sprint(job.ID)}); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, store.Entry{Action: auditStandardPreview, Object: standardObj(job.ID),
			Detail: fmt.Sprintf("%s；测算%d户，增加%d户，减少%d户，不再符合条件%d户（待复核），月资金变化%s元",
				standardWhy(job), job.Recipients, job.Increased, job.Decreased, job.Crossing, job.Delta.Yuan())})
	})
	if err != nil {
		return StandardSummary{}, err
	}
	// The summary of the items just stored (in the order StandardItems
	// reads them: region, household), without reading them back.
	c, err := s.DB.StandardChange(ctx, s.standardScope(p), job.ID)
	if err != nil {
		return StandardSummary{}, err
	}
	for i := range items {
		items[i].ChangeID, items[i].Benefit = c.ID, ""
	}
	names, err := s.DB.RegionNames(ctx)
	if err != nil {
		return StandardSummary{}, err
	}
	return summarize(c, items, names), nil
}

func standardObj(id int64) string { return fmt.Sprintf("standard_change:%d", id) }

func standardWhy(c store.StandardChange) string {
	return fmt.Sprintf("低保标准调整：城市%s元/人·月，农村%s元/人·月，自%s起", c.Urban.Yuan(), c.Rural.Yuan(), c.EffectiveMonth)
}

// ConfirmStandardChange lets the county approver confirm a previewed job:
// a stale preview is refused (MsgStandardStale), a second job being applied
// in the county too; then, in one transaction, the job becomes applying and
// the new urban and rural standards are recorded in the policy registry
// from the first day of the effective month (or today, if that month has
// begun: the registry never backdates). Run applies it.
func (s *Service) ConfirmStandardChange(ctx context.Context, p authz.Principal, id int64) (store.StandardChange, error) {
	c, _, err := s.ConfirmStandardChangeOnce(ctx, p, "", id)
	return c, err
}

// ConfirmStandardChangeOnce is ConfirmStandardChange with an idempotency
// key: a retried confirmation with the same key answers like the first
// (replayed) instead of failing because the job is no longer a preview.
func (s *Service) ConfirmStandardChangeOnce(ctx context.Context, p authz.Principal, key string, id int64) (store.StandardChange, bool, error) {
	if err := CanConfirmStandard(p); err != nil {
		return store.StandardChange{}, false, err
	}
	path := standardObj(id) + ":confirm"
	if prev, err := s.idemReplay(ctx, p, key, path); err != nil || prev > 0 {
		if err != nil {
			return store.StandardChange{}, false, err
		}
		c, err := s.DB.StandardChange(ctx, s.standardScope(p), prev)
		return c, true, err
	}
	c, err := s.confirmStandard(ctx, p, key, path, id)
	return c, false, err
}

func (s *Service) confirmStandard(ctx context.Context, p authz.Principal, key, path string, id int64) (store.StandardChange, error) {
	var c store.StandardChange
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		var err error
		if c, err = tx.StandardChangeForUpdate(ctx, s.standardScope(p), id); err != nil {
			return err
		}
		if c.Status != store.StandardPreview {
			return errs.New(errs.Conflict, "status", "该标准调整已"+StatusLabel(c.Status)+"，不能再次确认")
		}
		if n, err := tx.StaleStandardItems(ctx, c.ID, c.County); err != nil {
			return err
		} else if n > 0 {
			return errs.New(errs.Conflict, "", fmt.Sprintf(MsgStandardStale, n))
		}
		from := c.EffectiveMonth + "-01"
		if today := policy.DateOf(s.now()); from < today {
			from = today
		}
		if err := tx.ConfirmStandardChange(ctx, &c, from); err != nil {
			return err
		}
		if isSystem(p) && p.Region == "" {
			// A batch principal has no region; it acts for the job's county.
			sp := p
			sp.Region = c.County
			tx.SetPrincipal(sp)
		}
		note := fmt.Sprintf("标准调整 #%d 确认", c.ID)
		for _, x := range []struct {
			name string
			v    money.Fen
		}{{policy.StandardUrban, c.Urban}, {policy.StandardRural, c.Rural}} {
			if err := policy.SetValueIn(ctx, tx, s.now(), c.County, x.name, x.v.String(), from, note); err != nil {
				return err
			}
		}
		if key != "" {
			if err := tx.IdempotentPut(ctx, key, store.IdempotentReply{Method: "POST", Path: path, Status: 202,
				Body: fmt.Sprint(c.ID)}); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, store.Entry{Action: auditStandardConfirm, Object: standardObj(c.ID),
			Detail: fmt.Sprintf("%s；政策参数自%s起生效；%d户待执行", standardWhy(c), from, c.Recipients)})
	})
	return c, err
}

// CancelStandardChange drops a job still in preview.
func (s *Service) CancelStandardChange(ctx context.Context, p authz.Principal, id int64) error {
	if !standardAllowed(p) {
		return forbidden(MsgStandardRole)
	}
	return s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		c, err := tx.StandardChangeForUpdate(ctx, s.standardScope(p), id)
		if err != nil {
			return err
		}
		if err := tx.CancelStandardChange(ctx, &c); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: auditStandardCancel, Object: standardObj(c.ID), Detail: standardWhy(c)})
	})
}

// errNothingClaimed rolls back a chunk whose items another runner took.
var errNothingClaimed = errors.New("nothing claimed")

// RunStandardChange applies the unapplied items of a confirmed job in
// chunks of s.StandardChunk (default 500), one transaction and one audit
// record each, calling progress(done, total) after every chunk; when none
// is left the job becomes applied, with a final audit record. It may be
// called again after a crash, or by two runners at once: every item is
// applied exactly once. It returns the job as it ends.
func (s *Service) RunStandardChange(ctx context.Context, p authz.Principal, id int64, progress func(done, total int)) (store.StandardChange, error) {
	if err := CanConfirmStandard(p); err != nil {
		return store.StandardChange{}, err
	}
	scope := s.standardScope(p)
	c, err := s.DB.StandardChange(ctx, scope, id)
	if err != nil {
		return c, err
	}
	switch c.Status {
	case store.StandardApplied:
		if progress != nil {
			progress(c.Applied, c.Recipients)
		}
		return c, nil
	case store.StandardApplying:
	default:
		return c, errs.New(errs.Conflict, "status", "该标准调整"+StatusLabel(c.Status)+"，不能执行")
	}
	params, err := s.standardParams(ctx, c.County, c.Urban, c.Rural)
	if err != nil {
		return c, err
	}
	chunk := s.StandardChunk
	if chunk <= 0 {
		chunk = DefaultStandardChunk
	}
	countyScope := region.ScopeOf(c.County)
	why := standardWhy(c)
	if progress != nil {
		progress(c.Applied, c.Recipients)
	}
	var todo []int64 // households left to claim, in order
	for {
		if err := ctx.Err(); err != nil {
			return c, err
		}
		if len(todo) == 0 {
			if todo, err = s.DB.UnappliedStandardIDs(ctx, c.ID); err != nil {
				return c, err
			}
		}
		next := todo[:min(chunk, len(todo))]
		todo = todo[len(next):]
		finished, claimed := false, 0
		err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
			if len(next) > 0 {
				items, err := tx.StandardChunkForUpdate(ctx, c.ID, next)
				if err != nil {
					return err
				}
				if len(items) == 0 {
					return errNothingClaimed // another runner took these: go on with the next
				}
				n := len(items)
				up, down, cross, skipped, err := s.applyChunk(ctx, tx, countyScope, c, items, params, why)
				if err != nil {
					return err
				}
				claimed = n
				return tx.Audit(ctx, store.Entry{Action: auditStandardApply, Object: standardObj(c.ID),
					Detail: fmt.Sprintf("%s；本批处理%d户：增加%d户，减少%d户，不再符合条件%d户（待复核），已变动跳过%d户",
						why, n, up, down, cross, skipped)})
			}
			finished = true
			done, err := tx.FinishStandardChange(ctx, &c)
			if err != nil {
				return err
			}
			if !done {
				return errNothingClaimed // another runner finished it, or holds the last items
			}
			return tx.Audit(ctx, store.Entry{Action: auditStandardDone, Object: standardObj(c.ID),
				Detail: fmt.Sprintf("%s；标准调整执行完毕，共%d户", why, c.Recipients)})
		})
		if err != nil && !errors.Is(err, errNothingClaimed) {
			return c, err
		}
		if err == nil && claimed > 0 {
			// Counted here rather than re-read: counting the applied items
			// after every chunk grows with the job.
			c.Applied = min(c.Applied+claimed, c.Recipients)
		} else if cur, err := s.DB.StandardChange(ctx, scope, c.ID); err == nil {
			c = cur
		}
		if progress != nil {
			progress(c.Applied, c.Recipients)
		}
		// Nothing was left to take, but another runner may still hold the
		// last items uncommitted: go round until the job is applied.
		if finished && c.Status == store.StandardApplied {
			return c, nil
		}
	}
}

// applyChunk applies a chunk of claimed items (by household id): one read
// of their recipients, then the new amounts, history entries and outcomes
// with multi-row statements. A recipient changed since the preview goes
// through applyItem (recomputed from its current data, or skipped); a
// household no longer eligible gets its review task. It returns how many
// items went up, down, crossed the threshold or were skipped.
func (s *Service) applyChunk(ctx context.Context, tx *store.Tx, scope region.Scope, c store.StandardChange,
	items []store.StandardItem, params benefit.Params, why string) (up, down, cross, skipped int, err error) {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.HouseholdID
	}
	recs, err := tx.RecipientsForUpdate(ctx, scope, ids)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	var updates []store.AmountUpdate
	var hist []store.HistoryEntry
	outcomes := map[string][]int64{}
	for i := range items {
		it := &items[i]
		e := recs[it.HouseholdID]
		switch {
		case e.Version != it.Version:
			if err := s.applyItem(ctx, tx, scope, c, it, params, why); err != nil {
				return 0, 0, 0, 0, err
			}
			outcomes[it.Outcome] = append(outcomes[it.Outcome], it.HouseholdID)
		case !it.Paying:
			it.Outcome = "crossing"
			if _, err := tx.CreateReviewTask(ctx, &store.ReviewTask{HouseholdID: e.HouseholdID, Region: e.Region, Kind: TaskPeriodic,
				Due: s.today().Format("2006-01-02"), Reason: why + "：按新标准可能不再符合条件，请复核"}); err != nil {
				return 0, 0, 0, 0, err
			}
			outcomes[it.Outcome] = append(outcomes[it.Outcome], it.HouseholdID)
		case it.NewAmount == e.Amount:
			it.Outcome = "unchanged"
			outcomes[it.Outcome] = append(outcomes[it.Outcome], it.HouseholdID)
		default:
			kind := KindIncrease
			if it.NewAmount < e.Amount {
				kind = KindDecrease
			}
			it.Outcome = kind
			updates = append(updates, store.AmountUpdate{HouseholdID: e.HouseholdID, Version: e.Version, Amount: it.NewAmount,
				Members: it.Members})
			hist = append(hist, store.HistoryEntry{HouseholdID: e.HouseholdID, Kind: kind, OldAmount: e.Amount,
				NewAmount: it.NewAmount, EffectiveMonth: c.EffectiveMonth, Reason: why})
			outcomes[it.Outcome] = append(outcomes[it.Outcome], it.HouseholdID)
		}
		switch it.Outcome {
		case KindIncrease:
			up++
		case KindDecrease:
			down++
		case "crossing":
			cross++
		case "skipped":
			skipped++
		}
	}
	if err := tx.UpdateRecipientAmounts(ctx, c.ID, updates); err != nil {
		return 0, 0, 0, 0, err
	}
	if err := tx.AppendChangeHistories(ctx, hist, c.ID); err != nil {
		return 0, 0, 0, 0, err
	}
	// The claim: applied 0 → 1 with the outcome, every item checked.
	for _, o := range []string{KindIncrease, KindDecrease, "unchanged", "crossing", "skipped"} {
		if err := tx.ClaimStandardItems(ctx, c.ID, o, outcomes[o]); err != nil {
			return 0, 0, 0, 0, err
		}
	}
	return up, down, cross, skipped, nil
}

// applyItem applies one claimed item: sets the new amount with an increase
// or decrease from the effective month, opens a review for a household no
// longer eligible, and recomputes a recipient that changed since the
// preview from its current data.
func (s *Service) applyItem(ctx context.Context, tx *store.Tx, scope region.Scope, c store.StandardChange,
	it *store.StandardItem, params benefit.Params, why string) error {
	e, err := tx.RecipientForUpdate(ctx, scope, it.HouseholdID)
	if err != nil {
		return err
	}
	if e.Version != it.Version {
		if e.Status != "active" || e.PhaseOutFrom != "" {
			it.Outcome = "skipped" // stopped or in phase-out since: nothing to adjust
			return tx.SetStandardItemOutcome(ctx, *it)
		}
		h, err := tx.Household(ctx, e.HouseholdID)
		if err != nil {
			return err
		}
		fresh, err := s.recomputeOne(e, h, params)
		if err != nil {
			return err
		}
		fresh.ChangeID, fresh.OldAmount = it.ChangeID, it.OldAmount
		*it = fresh
	}
	switch {
	case !it.Paying:
		it.Outcome = "crossing"
		if _, err := tx.CreateReviewTask(ctx, &store.ReviewTask{HouseholdID: e.HouseholdID, Region: e.Region, Kind: TaskPeriodic,
			Due: s.today().Format("2006-01-02"), Reason: why + "：按新标准可能不再符合条件，请复核"}); err != nil {
			return err
		}
	case it.NewAmount == e.Amount:
		it.Outcome = "unchanged"
	default:
		old := e.Amount
		e.Amount, e.Members, e.Benefit = it.NewAmount, it.Members, it.Benefit
		if err := tx.UpdateRecipient(ctx, &e); err != nil {
			return err
		}
		kind := KindIncrease
		if e.Amount < old {
			kind = KindDecrease
		}
		it.Outcome, it.OldAmount = kind, old
		if err := tx.AppendChangeHistory(ctx, &store.HistoryEntry{HouseholdID: e.HouseholdID, Kind: kind, OldAmount: old,
			NewAmount: e.Amount, EffectiveMonth: c.EffectiveMonth, Reason: why}, c.ID); err != nil {
			return err
		}
	}
	it.ChangeID = c.ID
	return tx.SetStandardItemOutcome(ctx, *it)
}

// standardScope is the scope jobs are read in: the principal's, or every
// region for the system principal.
func (s *Service) standardScope(p authz.Principal) region.Scope {
	if isSystem(p) {
		return region.All()
	}
	return p.Scope()
}

// StandardChange reads a job within the principal's scope with its items
// grouped for display.
func (s *Service) StandardChange(ctx context.Context, p authz.Principal, id int64) (StandardSummary, error) {
	if !standardAllowed(p) {
		return StandardSummary{}, forbidden(MsgStandardRole)
	}
	c, err := s.DB.StandardChange(ctx, s.standardScope(p), id)
	if err != nil {
		return StandardSummary{}, err
	}
	items, err := s.DB.StandardItems(ctx, c.ID)
	if err != nil {
		return StandardSummary{}, err
	}
	names, err := s.DB.RegionNames(ctx)
	if err != nil {
		return StandardSummary{}, err
	}
	return summarize(c, items, names), nil
}

// summarize groups a job's items for display.
func summarize(c store.StandardChange, items []store.StandardItem, names map[region.Code]string) StandardSummary {
	sum := StandardSummary{StandardChange: c}
	towns := map[region.Code]*TownshipDelta{}
	for _, it := range items {
		tc := it.Region.Township()
		td := towns[tc]
		if td == nil {
			td = &TownshipDelta{Code: tc, Name: names[tc]}
			towns[tc] = td
		}
		td.Recipients++
		td.OldTotal += it.OldAmount
		switch {
		case !it.Paying:
			sum.Crossing = append(sum.Crossing, it)
			td.Crossing++
		case it.NewAmount > it.OldAmount:
			sum.Increases = append(sum.Increases, it)
			td.Increased++
		case it.NewAmount < it.OldAmount:
			sum.Decreases = append(sum.Decreases, it)
			td.Decreased++
		default:
			sum.Unchanged++
		}
		if it.Paying {
			td.Delta += it.NewAmount - it.OldAmount
		}
	}
	for _, td := range towns {
		td.Changed = td.Increased + td.Decreased
		sum.Townships = append(sum.Townships, *td)
	}
	sort.Slice(sum.Townships, func(i, j int) bool { return sum.Townships[i].Code < sum.Townships[j].Code })
	return sum
}

// StandardChanges lists the jobs of a county within the principal's
// scope, newest first.
func (s *Service) StandardChanges(ctx context.Context, p authz.Principal, county region.Code) ([]store.StandardChange, error) {
	if !standardAllowed(p) {
		return nil, forbidden(MsgStandardRole)
	}
	scope, err := countyScope(p, county)
	if err != nil {
		return nil, err
	}
	return s.DB.StandardChanges(ctx, scope, "")
}

// StandardProgress is how far a job has got.
type StandardProgress struct {
	ID          int64
	Status      string
	Done, Total int
}

// StandardChangeProgress reads a job's progress (applied items / items).
func (s *Service) StandardChangeProgress(ctx context.Context, p authz.Principal, id int64) (StandardProgress, error) {
	if !standardAllowed(p) {
		return StandardProgress{}, forbidden(MsgStandardRole)
	}
	c, err := s.DB.StandardChange(ctx, s.standardScope(p), id)
	if err != nil {
		return StandardProgress{}, err
	}
	return StandardProgress{ID: c.ID, Status: c.Status, Done: c.Applied, Total: c.Recipients}, nil
}

// StatusLabel is the Chinese label of a job status.
func StatusLabel(status string) string {
	switch status {
	case store.StandardPreview:
		return "待确认"
	case store.StandardApplying:
		return "执行中"
	case store.StandardApplied:
		return "已执行"
	case store.StandardCancelled:
		return "已取消"
	}
	return status
}

// ResumeStandardChangesEvery runs ResumeStandardChanges now and then every
// interval until ctx ends (serve starts it): a job whose runner failed
// part-way while the server stayed up — the database restarted under it,
// the disk filled — is not left applying until the next restart. A second
// runner beside a live one is safe (RunStandardChange claims its chunks).
func ResumeStandardChangesEvery(ctx context.Context, s *Service, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		ResumeStandardChanges(ctx, s, log)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ResumeStandardChanges runs every job left applying (a server stopped or
// crashed part-way) to its end, one after another, as the system
// principal.
func ResumeStandardChanges(ctx context.Context, s *Service, log *slog.Logger) {
	p := authz.System("standard")
	jobs, err := s.DB.StandardChanges(ctx, region.All(), store.StandardApplying)
	if err != nil {
		log.Error("standard change: list unfinished jobs", "err", err)
		return
	}
	for _, c := range jobs {
		log.Info("standard change: resuming", "id", c.ID, "county", c.County, "done", c.Applied, "total", c.Recipients)
		if _, err := s.RunStandardChange(ctx, p, c.ID, nil); err != nil {
			log.Error("standard change: resume failed", "id", c.ID, "err", err)
		}
	}
}
