package training

import (
	"context"
	"fmt"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/region"
	"dibao/internal/store"
)

// CreatePlan stores a training plan for the staff within root (the
// caller's own region when root is ""). Only a training admin may, and
// only within their scope; the plan must pass enroll's Validate and name no
// audience region outside root. The enrollment rules re-run at once, so the
// plan's audience finds it in their queue (SPEC §3.2); if that run fails the
// plan is kept and the error says to run the rules again.
func (s *Service) CreatePlan(ctx context.Context, p authz.Principal, pl enroll.Plan, root region.Code) (int64, error) {
	return s.CreatePlanAssessed(ctx, p, pl, root, PlanAssessment{})
}

// CreatePlanAssessed is CreatePlan for a plan that also names the
// assessments it requires and the certifications passing them grants
// (PlanAssessment.Validate).
func (s *Service) CreatePlanAssessed(ctx context.Context, p authz.Principal, pl enroll.Plan, root region.Code, as PlanAssessment) (int64, error) {
	if !p.Has(authz.TrainingAdmin) {
		return 0, forbidden("只有培训管理员可以制定培训计划")
	}
	if root == "" {
		root = p.Region
	}
	if root.Level() == 0 {
		return 0, errs.Invalidf("region", "行政区划代码无效：%s", root)
	}
	if !p.Scope().Contains(root) {
		return 0, forbidden("培训计划的范围超出您的管辖区域")
	}
	if err := pl.Validate(); err != nil {
		return 0, err
	}
	if err := as.Validate(); err != nil {
		return 0, err
	}
	for _, c := range pl.Audience.Regions {
		if !c.Within(root) {
			return 0, errs.Invalidf("audience.regions", "培训对象的区域%s不在培训计划的范围内", c)
		}
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
		SpecialStart:    dateString(pl.SpecialStart),
		Assessments:     as.kindList(),
		Certifies:       strings.Join(as.Certifies, ","),
		ValidityMonths:  as.ValidityMonths,
	}
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		if err := tx.CreateTrainingPlan(ctx, &sp); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "training.plan.create", Object: planObj(sp.ID),
			Detail: fmt.Sprintf("kind=%s region=%s period=%s~%s minutes=%d title=%s", sp.Kind, sp.Region,
				sp.PeriodStart, sp.PeriodEnd, sp.RequiredMinutes, sp.Title) + as.auditText()})
	})
	if err != nil {
		return 0, err
	}
	if _, _, err := s.RunEnrollment(ctx, authz.System("enrollment"), s.today()); err != nil {
		return sp.ID, errs.Wrap(err, "培训计划已保存，但自动报名未完成，请在培训管理页点击“运行自动报名”")
	}
	return sp.ID, nil
}

// RunResult is what one run of the enrollment rules changed.
type RunResult struct {
	Added   int // new enrollments, and dropped ones reopened because they are wanted again
	Dropped int // open enrollments marked dropped
	Updated int // open enrollments whose due date or reason moved (a corrected hire date, a changed plan)
}

// RunEnrollment applies the automatic enrollment rules (enroll.Want and
// enroll.Diff) to every staff member and plan on today, in one audited
// transaction (training.enroll.run). Enrollments are never deleted: one
// the rules no longer want is marked dropped, and reopened if wanted
// again. An enrollment counts as done for the rules once it is completed
// or has any attendance. With unchanged inputs a second run changes
// nothing. A training admin or a system principal (the nightly job) may
// run it; the rules are county-wide, so it always covers everyone.
func (s *Service) RunEnrollment(ctx context.Context, p authz.Principal, today time.Time) (added, dropped int, err error) {
	r, err := s.RunEnrollmentDetail(ctx, p, today)
	return r.Added, r.Dropped, err
}

// RunEnrollmentDetail is RunEnrollment reporting updated items as well.
func (s *Service) RunEnrollmentDetail(ctx context.Context, p authz.Principal, today time.Time) (RunResult, error) {
	if !p.Has(authz.TrainingAdmin) && !isSystem(p) {
		return RunResult{}, forbidden("只有培训管理员可以运行培训报名规则")
	}
	var res RunResult
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		res = RunResult{}
		users, err := tx.TrainingStaff(ctx)
		if err != nil {
			return err
		}
		stored, err := tx.TrainingPlans(ctx)
		if err != nil {
			return err
		}
		have, err := tx.AllEnrollments(ctx)
		if err != nil {
			return err
		}
		people := make([]enroll.Person, len(users))
		for i, u := range users {
			people[i] = personOf(u)
		}
		plans := make([]enroll.Plan, 0, len(stored))
		for _, sp := range stored {
			pl, err := planOf(sp)
			if err != nil {
				// A plan whose audience cannot be read enrolls nobody,
				// as enroll.Want does with an invalid plan.
				continue
			}
			plans = append(plans, pl)
		}
		done := map[enroll.Key]bool{}
		byKey := map[enroll.Key]store.Enrollment{}
		haveE := make([]enroll.Enrollment, len(have))
		for i, e := range have {
			k := enroll.Key{PersonID: e.PersonID, PlanID: e.PlanID}
			byKey[k] = e
			// A retraining item (a later cycle, after a failed make-up or an
			// expired certification) has results behind it: the rules keep it.
			if e.Status == store.EnrollDone || e.Attended || e.Cycle > 1 {
				done[k] = true
			}
			haveE[i] = enroll.Enrollment{PersonID: e.PersonID, PlanID: e.PlanID, Due: parseDate(e.Due), Reason: e.Reason}
		}
		want := enroll.Want(people, plans, done, today)
		wanted := make(map[enroll.Key]enroll.Enrollment, len(want))
		for _, w := range want {
			wanted[w.Key()] = w
		}
		add, keep, drop := enroll.Diff(want, haveE, done, today)
		for _, a := range add {
			e := store.Enrollment{PersonID: a.PersonID, PlanID: a.PlanID, Due: dateString(a.Due), Reason: a.Reason}
			if err := tx.InsertEnrollment(ctx, &e); err != nil {
				return err
			}
			res.Added++
		}
		for _, k := range keep {
			st := byKey[k.Key()]
			w, isWanted := wanted[k.Key()]
			switch {
			case !isWanted:
				// Kept because done or overdue: a fact, left as it is.
			case st.Status == store.EnrollDropped:
				if err := tx.UpdateEnrollment(ctx, st.ID, dateString(w.Due), w.Reason, store.EnrollOpen); err != nil {
					return err
				}
				res.Added++
			case st.Status == store.EnrollOpen && (st.Due != dateString(w.Due) || st.Reason != w.Reason):
				if err := tx.UpdateEnrollment(ctx, st.ID, dateString(w.Due), w.Reason, st.Status); err != nil {
					return err
				}
				res.Updated++
			}
		}
		for _, d := range drop {
			st := byKey[d.Key()]
			if st.Status != store.EnrollOpen {
				continue
			}
			if err := tx.UpdateEnrollment(ctx, st.ID, st.Due, st.Reason, store.EnrollDropped); err != nil {
				return err
			}
			res.Dropped++
		}
		return tx.Audit(ctx, store.Entry{Action: "training.enroll.run", Object: "enrollments",
			Detail: fmt.Sprintf("today=%s added=%d dropped=%d updated=%d", dateString(today), res.Added, res.Dropped, res.Updated)})
	})
	if err != nil {
		return RunResult{}, err
	}
	return res, nil
}
