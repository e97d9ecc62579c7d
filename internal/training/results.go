package training

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"dibao/internal/assess"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/policy"
	"dibao/internal/store"
)

// ResultInput is one assessment result to record: a graded exam attempt, a
// scored practical run, or the trainer's daily-performance score.
type ResultInput struct {
	PersonID int64
	PlanID   int64
	Kind     assess.Kind
	Score    int    // 0..100 as graded; a make-up keeps only pass/fail
	Source   string // exam_attempt:12, practical_run:3, trainer …
	// PassMark, if > 0, is the pass mark the assessment was set with (an
	// exam freezes the county's theory_pass when it opens); 0 takes the
	// county's mark in force today.
	PassMark int
}

// Recorded is what recording a result did.
type Recorded struct {
	Result     store.AssessmentResult
	Standing   assess.Standing
	Granted    []string // certifications granted because the plan is now passed
	Retraining bool     // a failed make-up: the person is back in training for a new cycle
	Revoked    []string // certifications of the plan withdrawn by the failed make-up
}

// RetrainingDays is how long a person has for retraining and reassessment
// after a failed make-up.
const RetrainingDays = 30

// passMark is the county's pass mark for kind on the person's region.
func passMark(set policy.Set, k assess.Kind) int {
	switch k {
	case assess.Practical:
		return set.Int(policy.PracticalPass)
	case assess.Daily:
		return set.Int(policy.DailyPass)
	}
	return set.Int(policy.TheoryPass)
}

// planKinds parses a plan's comma list of required assessments.
func planKinds(p store.TrainingPlan) []assess.Kind {
	var out []assess.Kind
	for _, k := range strings.Split(p.Assessments, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, assess.Kind(k))
		}
	}
	return out
}

func planCerts(p store.TrainingPlan) []string {
	var out []string
	for _, c := range strings.Split(p.Certifies, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

func toAssess(rs []store.AssessmentResult) []assess.Result {
	out := make([]assess.Result, len(rs))
	for i, r := range rs {
		out[i] = assess.Result{Kind: assess.Kind(r.Kind), Cycle: r.Cycle, Attempt: assess.Attempt(r.Attempt),
			Score: r.Score, Passed: r.Passed}
	}
	return out
}

// NextAttempt says which attempt the person may take next for kind in the
// plan — the first assessment or the one make-up — or refuses in Chinese
// (already passed; not enrolled; retraining not yet done). Exams and
// practical runs ask before they start, so a second make-up is refused at
// the door.
func (s *Service) NextAttempt(ctx context.Context, personID, planID int64, kind assess.Kind) (cycle int, a assess.Attempt, err error) {
	err = s.DB.ReadTx(ctx, authz.System("assessment"), func(tx *store.Tx) error {
		cycle, a, err = s.NextAttemptTx(ctx, tx, personID, planID, kind)
		return err
	})
	return cycle, a, err
}

// NextAttemptTx is NextAttempt inside the caller's transaction (the exam's
// start, which must agree with what it records).
func (s *Service) NextAttemptTx(ctx context.Context, tx *store.Tx, personID, planID int64, kind assess.Kind) (cycle int, a assess.Attempt, err error) {
	if e, err := tx.EnrollmentFor(ctx, personID, planID); err != nil {
		return 0, "", err
	} else if e.Status == store.EnrollDropped {
		return 0, "", errs.New(errs.Forbidden, "", "您已不在该培训计划的参训名单中")
	}
	rs, err := tx.AssessmentResults(ctx, personID, planID)
	if err != nil {
		return 0, "", err
	}
	// The enrollment's cycle is a floor: an expired certification sends
	// the person back to training without a failed make-up.
	floor, err := tx.EnrollmentCycle(ctx, personID, planID)
	if err != nil {
		return 0, "", err
	}
	if cycle, a, err = assess.NextFrom(kind, toAssess(rs), floor); err != nil {
		return 0, "", err
	}
	return cycle, a, retrained(tx, ctx, personID, planID, cycle)
}

// Assesses reports whether the plan requires assessment kind (an exam of a
// plan that does not is practice: its result is not recorded).
func (s *Service) Assesses(ctx context.Context, tx *store.Tx, planID int64, kind assess.Kind) (bool, error) {
	plan, err := tx.TrainingPlan(ctx, planID)
	if err != nil {
		return false, err
	}
	return slices.Contains(planKinds(plan), kind), nil
}

// MsgRetrainFirst refuses a reassessment before the retraining is done.
const MsgRetrainFirst = "补考未通过后须先完成重新培训（培训计划规定的学时），方可再次参加考核"

// retrained refuses an assessment of a later cycle until the retraining
// that a failed make-up started is complete (the enrollment done again).
func retrained(tx *store.Tx, ctx context.Context, personID, planID int64, cycle int) error {
	if cycle <= 1 {
		return nil
	}
	e, err := tx.EnrollmentFor(ctx, personID, planID)
	if err != nil {
		return err
	}
	if e.Status != store.EnrollDone {
		return errs.New(errs.Conflict, "", MsgRetrainFirst)
	}
	return nil
}

// RecordResultTx records one graded assessment inside the caller's
// transaction (the exam submit, the practical scoring, the daily score), so
// the result and what caused it commit together. It applies the make-up
// rule (assess.Next: first attempt, then exactly one make-up recorded as
// pass/fail only; the unique key refuses a second), with the pass mark of
// the person's county; a failed make-up sends the person back to training
// (a new cycle, due in RetrainingDays, the plan's certifications revoked);
// passing every assessment the plan requires grants its certifications
// with the plan's validity. Everything is audited.
func (s *Service) RecordResultTx(ctx context.Context, tx *store.Tx, in ResultInput) (Recorded, error) {
	var out Recorded
	plan, err := tx.TrainingPlan(ctx, in.PlanID)
	if err != nil {
		return out, err
	}
	if !slices.Contains(planKinds(plan), in.Kind) {
		return out, errs.Invalidf("kind", "培训计划「%s」不包含%s", plan.Title, in.Kind.Label())
	}
	e, err := tx.EnrollmentFor(ctx, in.PersonID, in.PlanID)
	if err != nil {
		return out, err
	}
	if e.Status == store.EnrollDropped {
		return out, errs.New(errs.Forbidden, "", "该人员已不在此培训计划的参训名单中")
	}
	// Lock the enrollment (PostgreSQL) before reading the prior results.
	floor, err := tx.LockEnrollmentCycle(ctx, in.PersonID, in.PlanID)
	if err != nil {
		return out, err
	}
	prior, err := tx.AssessmentResults(ctx, in.PersonID, in.PlanID)
	if err != nil {
		return out, err
	}
	cycle, attempt, err := assess.NextFrom(in.Kind, toAssess(prior), floor)
	if err != nil {
		return out, err
	}
	if err := retrained(tx, ctx, in.PersonID, in.PlanID, cycle); err != nil {
		return out, err
	}
	county := e.PersonRegion.County()
	if county == "" {
		county = plan.Region.County()
	}
	mark := in.PassMark
	if mark <= 0 {
		set, err := policy.Resolve(ctx, s.DB, county, s.today())
		if err != nil {
			return out, err
		}
		mark = passMark(set, in.Kind)
	}
	g, err := assess.Grade(in.Kind, cycle, attempt, in.Score, mark)
	if err != nil {
		return out, err
	}
	out.Result = store.AssessmentResult{PersonID: in.PersonID, PlanID: in.PlanID, Kind: string(g.Kind), Cycle: g.Cycle,
		Attempt: string(g.Attempt), Score: g.Score, Passed: g.Passed, Source: in.Source}
	if err := tx.InsertAssessmentResult(ctx, &out.Result); err != nil {
		return out, err
	}
	shown := strconv.Itoa(in.Score) + "分"
	if g.Attempt == assess.MakeUp {
		shown = "（补考只记合格与否）"
	}
	verdict := "不合格"
	if g.Passed {
		verdict = "合格"
	}
	person := "user:" + strconv.FormatInt(in.PersonID, 10)
	if err := tx.Audit(ctx, store.Entry{Action: "assessment.record", Object: person,
		Detail: fmt.Sprintf("计划%d「%s」%s%s（第%d轮）：%s%s；来源 %s", plan.ID, plan.Title, in.Kind.Label(),
			g.Attempt.Label(), g.Cycle, verdict, shown, in.Source)}); err != nil {
		return out, err
	}
	all := append(toAssess(prior), g)
	out.Standing = assess.PlanStandingFrom(planKinds(plan), all, floor)
	certs, err := tx.PersonCertifications(ctx, in.PersonID)
	if err != nil {
		return out, err
	}
	today := s.today()
	day := today.Format("2006-01-02")
	switch {
	case g.Attempt == assess.MakeUp && !g.Passed:
		out.Retraining = true
		due := today.AddDate(0, 0, RetrainingDays).Format("2006-01-02")
		if err := tx.SetEnrollmentCycle(ctx, in.PersonID, in.PlanID, cycle+1, due,
			"补考未通过：重新培训并重新参加考核"); err != nil {
			return out, err
		}
		for _, c := range certs {
			if c.PlanID == plan.ID && c.RevokedAt.IsZero() {
				ok, err := tx.RevokeCertification(ctx, c.ID, "补考未通过，重新培训")
				if err != nil {
					return out, err
				}
				if ok {
					out.Revoked = append(out.Revoked, c.Name)
				}
			}
		}
		if err := tx.Audit(ctx, store.Entry{Action: "assessment.retrain", Object: person,
			Detail: fmt.Sprintf("计划%d「%s」%s补考未通过：进入第%d轮培训，%s前完成；撤销认证 %s", plan.ID, plan.Title,
				in.Kind.Label(), cycle+1, due, strings.Join(out.Revoked, "、"))}); err != nil {
			return out, err
		}
	case out.Standing.Complete:
		until := ""
		if plan.ValidityMonths > 0 {
			until = today.AddDate(0, plan.ValidityMonths, -1).Format("2006-01-02")
		}
		for _, name := range planCerts(plan) {
			held := slices.ContainsFunc(certs, func(c store.Certification) bool {
				return c.Name == name && c.PlanID == plan.ID && c.ValidOn(day)
			})
			if held {
				continue
			}
			c := store.Certification{PersonID: in.PersonID, Name: name, PlanID: plan.ID, ValidUntil: until}
			if err := tx.GrantCertification(ctx, &c); err != nil {
				return out, err
			}
			out.Granted = append(out.Granted, name)
		}
		if len(out.Granted) > 0 {
			validity := "长期有效"
			if until != "" {
				validity = "有效期至" + until
			}
			if err := tx.Audit(ctx, store.Entry{Action: "certification.grant", Object: person,
				Detail: fmt.Sprintf("通过计划%d「%s」全部考核，授予岗位认证 %s，%s", plan.ID, plan.Title,
					strings.Join(out.Granted, "、"), validity)}); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}
