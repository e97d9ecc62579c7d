package training

import (
	"context"
	"fmt"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/store"
)

// PolicyUpdateResult is what PolicyChanged did.
type PolicyUpdateResult struct {
	PlanID  int64
	Created bool      // false: the plan of this change already existed
	Run     RunResult // the enrollment run that followed
}

// PolicyChanged turns a policy change into a short required policy-update
// item for the affected staff (SPEC §3.2, continuity principle): it builds
// enroll.NewPolicyUpdate(change, label, scope, today), stores it as a plan
// the way CreatePlan does (training.plan.create, plus
// training.policy_update naming the change), and runs the enrollment rules
// so the affected staff have the item at once, due in
// enroll.PolicyUpdateDays.
//
// It is idempotent per (change, label, day, scope): a repeated call finds
// the plan already created and only re-runs the rules. scope is the region
// of a township override, "" for the whole county of p.
//
// The change itself has been authorised by its own use case
// (policy.SetValue); PolicyChanged accepts the principal who made it — a
// county or system admin, a training admin — or a system principal, and
// the scope must lie within the principal's region. The enrollment run is
// audited as the system principal "system:policy-update" (RunEnrollment
// accepts only a training admin or the system), on the same day.
func (s *Service) PolicyChanged(ctx context.Context, p authz.Principal, change string, label string, scope region.Code, today time.Time) (PolicyUpdateResult, error) {
	change, label = strings.TrimSpace(change), strings.TrimSpace(label)
	sys := isSystem(p)
	if !sys && !p.Has(authz.CountyAdmin) && !p.Has(authz.SystemAdmin) && !p.Has(authz.TrainingAdmin) {
		return PolicyUpdateResult{}, forbidden("只有修改政策参数的管理员可以发布政策更新学习")
	}
	if change == "" {
		return PolicyUpdateResult{}, errs.Invalidf("change", "请指明调整的政策参数")
	}
	if label == "" {
		label = change
	}
	root := scope
	if root == "" {
		root = p.Region.County()
	}
	if root.Level() == 0 {
		return PolicyUpdateResult{}, errs.Invalidf("region", "行政区划代码无效：%q", root)
	}
	if !sys && !p.Scope().Contains(root) {
		return PolicyUpdateResult{}, forbidden("政策更新学习的范围超出您的管辖区域")
	}
	day := calendar.DayOf(today)
	pl := enroll.NewPolicyUpdate(change, label, scope, day)
	if err := pl.Validate(); err != nil {
		return PolicyUpdateResult{}, err
	}
	res := PolicyUpdateResult{}
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		id, found, err := tx.PolicyUpdatePlan(ctx, change, label, dateString(day), scope)
		if err != nil {
			return err
		}
		if found {
			res = PolicyUpdateResult{PlanID: id}
			return tx.Audit(ctx, store.Entry{Action: "training.policy_update", Object: planObj(id),
				Detail: fmt.Sprintf("change=%s scope=%s day=%s existing", change, scope, dateString(day))})
		}
		sp := store.TrainingPlan{
			Kind:            string(pl.Kind),
			Title:           pl.Title,
			Region:          root,
			PeriodStart:     dateString(pl.Period.Start),
			PeriodEnd:       dateString(pl.Period.End),
			Audience:        encodeAudience(pl.Audience),
			RequiredMinutes: pl.RequiredMinutes,
			Categories:      joinCategories(pl.Categories),
		}
		if err := tx.CreateTrainingPlan(ctx, &sp); err != nil {
			return err
		}
		if err := tx.RecordPolicyUpdatePlan(ctx, change, label, dateString(day), scope, sp.ID); err != nil {
			return err
		}
		res = PolicyUpdateResult{PlanID: sp.ID, Created: true}
		if err := tx.Audit(ctx, store.Entry{Action: "training.plan.create", Object: planObj(sp.ID),
			Detail: fmt.Sprintf("kind=%s region=%s period=%s~%s minutes=%d title=%s", sp.Kind, sp.Region,
				sp.PeriodStart, sp.PeriodEnd, sp.RequiredMinutes, sp.Title)}); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "training.policy_update", Object: planObj(sp.ID),
			Detail: fmt.Sprintf("change=%s scope=%s day=%s label=%s", change, scope, dateString(day), label)})
	})
	if err != nil {
		return PolicyUpdateResult{}, err
	}
	run, err := s.RunEnrollmentDetail(ctx, authz.System("policy-update"), day)
	if err != nil {
		// The plan stands; the nightly run enrolls the staff.
		return res, err
	}
	res.Run = run
	return res, nil
}

// SetPolicyValue records a new version of a policy parameter (policy.SetValue)
// and then gives the staff it affects their short policy-update item
// (SPEC §3.2, continuity). The parameter change stands on its own: when the
// follow-up fails, the change is kept and the failure is returned as a
// warning for the caller to log; the next enrollment run catches up.
func (s *Service) SetPolicyValue(ctx context.Context, p authz.Principal, r region.Code, name, value, effectiveFrom,
	note string) (warning error, err error) {
	if err := policy.SetValue(ctx, s.DB, p, r, name, value, effectiveFrom, note); err != nil {
		return nil, err
	}
	label := name
	if d, ok := policy.Lookup(name); ok {
		label = d.Label
	}
	scope := region.Code("")
	if r.Level() == region.Township {
		scope = r
	}
	if _, err := s.PolicyChanged(ctx, p, name, label, scope, s.Now()); err != nil {
		return err, nil
	}
	return nil, nil
}
