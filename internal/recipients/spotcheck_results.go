package recipients

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/region"
	"dibao/internal/store"
)

// Spot-check results: the sample of each draw is kept with the reason each
// household was chosen, and the county records a finding per household.

// Spot-check findings (spot_check_results.finding).
var SpotCheckFindings = []household.Enum{
	{Code: "confirmed", Label: "属实"},
	{Code: "not_confirmed", Label: "不属实"},
	{Code: "unverifiable", Label: "无法核实"},
}

// SpotCheckFindingLabel returns the Chinese label of a finding, "未录入" for none.
func SpotCheckFindingLabel(code string) string {
	if code == "" {
		return "未录入"
	}
	return household.LabelOf(SpotCheckFindings, code)
}

// SpotCheckSummary is one past draw with its results progress.
type SpotCheckSummary struct {
	Check    store.SpotCheck
	Progress store.SpotCheckProgress
}

// spotCheckCounty returns the county a principal runs spot checks for: a
// county admin or approver, their own county.
func spotCheckCounty(p authz.Principal) (region.Code, error) {
	if !p.Has(authz.CountyAdmin) && !p.Has(authz.CountyApprover) {
		return "", forbidden("只有县级业务管理员或审批人可以查看和办理抽查")
	}
	c := p.Region.County()
	if c.Level() != region.County {
		return "", forbidden("只有县级业务管理员或审批人可以查看和办理抽查")
	}
	return c, nil
}

// DrawSpotCheck draws a county spot check (SpotCheck: tasks, seed and audit)
// and then records its sample with the reason each household was chosen,
// so the sample stays as drawn even when the register changes later. With
// the same seed and register a draw repeats the same sample.
func (s *Service) DrawSpotCheck(ctx context.Context, p authz.Principal, county region.Code, seed uint64) (SpotCheckResult, error) {
	res, err := s.SpotCheck(ctx, p, county, seed)
	if err != nil {
		return SpotCheckResult{}, err
	}
	scope := region.ScopeOf(county)
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		regs, err := tx.Register(ctx, scope, store.RegisterFilter{Status: "all"})
		if err != nil {
			return err
		}
		where := make(map[int64]region.Code, len(regs))
		for _, e := range regs {
			where[e.HouseholdID] = e.Region
		}
		for _, id := range res.Chosen {
			if err := tx.AddSpotCheckSample(ctx, store.SpotCheckSample{SpotCheckID: res.Check.ID, HouseholdID: id,
				Region: where[id], Reason: res.Reasons[id]}); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, store.Entry{Action: "spot_check.sample", Object: "spot_check:" + strconv.FormatInt(res.Check.ID, 10),
			Detail: fmt.Sprintf("记录抽查样本%d户（种子%d）", len(res.Chosen), res.Check.Seed)})
	})
	if err != nil {
		return SpotCheckResult{}, err
	}
	return res, nil
}

// SpotChecks lists the principal's county's draws, newest first, with how
// many results are recorded.
func (s *Service) SpotChecks(ctx context.Context, p authz.Principal) ([]SpotCheckSummary, error) {
	county, err := spotCheckCounty(p)
	if err != nil {
		return nil, err
	}
	checks, err := s.DB.SpotChecks(ctx, county)
	if err != nil {
		return nil, err
	}
	prog, err := s.DB.SpotCheckProgressOf(ctx, county)
	if err != nil {
		return nil, err
	}
	out := make([]SpotCheckSummary, len(checks))
	for i, c := range checks {
		out[i] = SpotCheckSummary{Check: c, Progress: prog[c.ID]}
	}
	return out, nil
}

// SpotCheckDetail returns one draw of the principal's county and its sample.
func (s *Service) SpotCheckDetail(ctx context.Context, p authz.Principal, id int64) (store.SpotCheck, []store.SpotCheckSample, error) {
	county, err := spotCheckCounty(p)
	if err != nil {
		return store.SpotCheck{}, nil, err
	}
	scope := region.ScopeOf(county)
	c, err := s.DB.SpotCheckByID(ctx, scope, id)
	if err != nil {
		return store.SpotCheck{}, nil, err
	}
	samples, err := s.DB.SpotCheckSamples(ctx, scope, id)
	return c, samples, err
}

// SpotCheckFinding is a result the county records for a sampled household.
type SpotCheckFinding struct {
	SpotCheckID int64
	HouseholdID int64
	Finding     string // confirmed, not_confirmed, unverifiable
	Note        string // required unless confirmed
}

// RecordSpotCheckResult records (or corrects) the county's finding for one
// sampled household; the audit record keeps the previous finding. The
// recorder must not be registered as a close relative of the household.
func (s *Service) RecordSpotCheckResult(ctx context.Context, p authz.Principal, in SpotCheckFinding) (store.SpotCheckSample, error) {
	county, err := spotCheckCounty(p)
	if err != nil {
		return store.SpotCheckSample{}, err
	}
	in.Finding, in.Note = strings.TrimSpace(in.Finding), strings.TrimSpace(in.Note)
	var list errs.List
	if !slices.ContainsFunc(SpotCheckFindings, func(e household.Enum) bool { return e.Code == in.Finding }) {
		list.Add("finding", "请选择抽查结论（属实、不属实或无法核实）")
	}
	switch {
	case in.Finding != "" && in.Finding != "confirmed" && in.Note == "":
		list.Add("note", "结论为不属实或无法核实的，请写明核查情况")
	case utf8.RuneCountInString(in.Note) > maxReportText:
		list.Add("note", "核查情况不能超过 %d 字", maxReportText)
	}
	if err := list.Err(); err != nil {
		return store.SpotCheckSample{}, err
	}
	scope := region.ScopeOf(county)
	// Read before the write transaction: a writer reading on the pool can
	// wait forever for a connection on PostgreSQL (store.Tx.UserByID).
	if _, err := s.DB.SpotCheckByID(ctx, scope, in.SpotCheckID); err != nil {
		return store.SpotCheckSample{}, err
	}
	var out store.SpotCheckSample
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		x, err := tx.SpotCheckSampleForUpdate(ctx, scope, in.SpotCheckID, in.HouseholdID)
		if err != nil {
			return err
		}
		rel, err := s.relativeStaff(ctx, tx, in.HouseholdID)
		if err != nil {
			return err
		}
		if slices.Contains(rel, p.UserID) {
			return errs.New(errs.Forbidden, "", "您与该户存在近亲属关系，须回避，不能录入抽查结果")
		}
		prev := x.Finding
		x.Finding, x.Note = in.Finding, in.Note
		if err := tx.SetSpotCheckResult(ctx, &x); err != nil {
			return err
		}
		detail := fmt.Sprintf("spot_check:%d household:%d 结论：%s", x.SpotCheckID, x.HouseholdID, SpotCheckFindingLabel(x.Finding))
		if prev != "" {
			detail += "（原结论：" + SpotCheckFindingLabel(prev) + "）"
		}
		out = x
		return tx.Audit(ctx, store.Entry{Action: "spot_check.result", Object: hhObj(x.HouseholdID), Detail: detail})
	})
	return out, err
}
