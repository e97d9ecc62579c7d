package training

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"dibao/internal/assess"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// Assessment of plans, daily performance, results, the appraisal export
// and certification expiry (issue 6 items 5–7, SPEC §3.4–§3.5).
//
// How "case work" is certified: the workflow's transitions declare one of
// the four post certifications (workflow.Certifications: intake 受理,
// investigation 调查, review 审核, approval 审批). The onboarding plan
// certifies intake — passing onboarding lets a new person take in and
// accept applications — and special plans certify the other posts (the
// demo's 入户调查专项培训 certifies investigation), each with its validity
// in months (0 = no expiry). A plan may certify several posts.

// PlanAssessment is what a plan assesses and what passing it certifies.
type PlanAssessment struct {
	Assessments    []assess.Kind // required kinds, each passed (first time or at the make-up)
	Certifies      []string      // workflow.Certifications keys granted when every required kind is passed
	ValidityMonths int           // how long the certifications last; 0 = no expiry
}

// MaxValidityMonths bounds a certification's validity (ten years).
const MaxValidityMonths = 120

// Validate checks the kinds and certification names; a plan that
// certifies must assess something, and validity needs a certification.
func (a PlanAssessment) Validate() error {
	var l errs.List
	for _, k := range a.Assessments {
		if !k.Valid() {
			l.Add("assessments", "考核类别不正确：%s", k)
		}
	}
	for _, c := range a.Certifies {
		if _, ok := workflow.Certifications[c]; !ok {
			l.Add("certifies", "岗位认证不正确：%s", c)
		}
	}
	if len(a.Certifies) > 0 && len(a.Assessments) == 0 {
		l.Add("assessments", "授予岗位认证的培训计划须至少要求一项考核")
	}
	switch {
	case a.ValidityMonths < 0 || a.ValidityMonths > MaxValidityMonths:
		l.Add("validity_months", "认证有效期应为0至%d个月（0为长期有效）", MaxValidityMonths)
	case a.ValidityMonths > 0 && len(a.Certifies) == 0:
		l.Add("validity_months", "未选择授予的岗位认证，不能设置有效期")
	}
	return l.Err()
}

// kindList stores the kinds in display order without duplicates.
func (a PlanAssessment) kindList() string {
	var out []string
	for _, k := range assess.Kinds() {
		if slices.Contains(a.Assessments, k) {
			out = append(out, string(k))
		}
	}
	return strings.Join(out, ",")
}

func (a PlanAssessment) auditText() string {
	if len(a.Assessments) == 0 && len(a.Certifies) == 0 {
		return ""
	}
	return fmt.Sprintf(" assessments=%s certifies=%s validity_months=%d", a.kindList(), strings.Join(a.Certifies, ","),
		a.ValidityMonths)
}

// AssessmentOf reads a stored plan's assessment fields.
func AssessmentOf(p store.TrainingPlan) PlanAssessment {
	return PlanAssessment{Assessments: planKinds(p), Certifies: planCerts(p), ValidityMonths: p.ValidityMonths}
}

// CertLabels shows certification names in Chinese (受理、调查).
func CertLabels(names []string) string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if l, ok := workflow.Certifications[n]; ok {
			out = append(out, l)
		} else {
			out = append(out, n)
		}
	}
	return strings.Join(out, "、")
}

// mayAssess: a trainer or a training admin scores and sees results.
func mayAssess(p authz.Principal) error {
	if !p.Has(authz.Trainer) && !p.Has(authz.TrainingAdmin) {
		return forbidden("只有培训讲师或培训管理员可以评定考核成绩")
	}
	return nil
}

// ---- daily performance ----

// DailyInput is the trainer's daily-performance marks for one person.
type DailyInput struct {
	PersonID      int64
	PlanID        int64
	Participation int // 0..100, weighed to assess.WeightParticipation
	Homework      int // 0..100, weighed to assess.WeightHomework
	// IdempotencyKey makes a retried or double-clicked scoring safe: the
	// same key answers with the first outcome instead of recording the
	// second as the make-up.
	IdempotencyKey string
}

// DailyScored is a recorded daily score with how it was made.
type DailyScored struct {
	Recorded
	Attended, Held int
	Score          int  // the 100-point score (a make-up keeps only pass/fail)
	Replayed       bool // the idempotency key had been used: nothing was done now
}

// RecordDaily computes a person's daily-performance score from their
// attendance at the plan's sessions held so far and the trainer's marks
// (assess.DailyScore) and records it through RecordResultTx — the first
// scoring, or after a failed first the one make-up, pass/fail only. Bad
// marks are refused in Chinese and nothing is written.
func (s *Service) RecordDaily(ctx context.Context, p authz.Principal, in DailyInput) (DailyScored, error) {
	out, err := s.recordDaily(ctx, p, in)
	if err != nil && in.IdempotencyKey != "" && errs.CodeOf(err) == errs.Conflict {
		// The same key submitted twice at once: the first won and the
		// second was rolled back; answer with the first outcome.
		if again, err2 := s.recordDaily(ctx, p, in); err2 == nil && again.Replayed {
			return again, nil
		}
	}
	return out, err
}

func (s *Service) recordDaily(ctx context.Context, p authz.Principal, in DailyInput) (DailyScored, error) {
	var out DailyScored
	if err := mayAssess(p); err != nil {
		return out, err
	}
	path := fmt.Sprintf("training_plan:%d:daily:%d", in.PlanID, in.PersonID)
	if in.IdempotencyKey != "" {
		ok, err := s.DB.Replay(ctx, p.UserID, in.IdempotencyKey, path, &out)
		if err != nil {
			return DailyScored{}, err
		}
		if ok {
			out.Replayed = true
			return out, nil
		}
	}
	plan, err := s.DB.TrainingPlanFor(ctx, p.Region, in.PlanID)
	if err != nil {
		return out, err
	}
	// The scored person must be one the trainer may see: no one scores a
	// sibling's or another county's staff.
	if _, err := s.DB.UserInScope(ctx, p.Scope(), in.PersonID); err != nil {
		return out, err
	}
	if !slices.Contains(planKinds(plan), assess.Daily) {
		return out, errs.Invalidf("kind", "培训计划「%s」不考核日常表现", plan.Title)
	}
	held, att, err := s.DB.PlanAttendance(ctx, in.PlanID, s.now())
	if err != nil {
		return out, err
	}
	out.Held, out.Attended = held, att[in.PersonID]
	if out.Score, err = assess.DailyScore(out.Attended, held, in.Participation, in.Homework); err != nil {
		return out, err
	}
	src := fmt.Sprintf("trainer:%s 出勤%d/%d 参与%d 作业%d", p.Username, out.Attended, held, in.Participation, in.Homework)
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		r, err := s.RecordResultTx(ctx, tx, ResultInput{PersonID: in.PersonID, PlanID: in.PlanID, Kind: assess.Daily,
			Score: out.Score, Source: src})
		out.Recorded = r
		if err != nil || in.IdempotencyKey == "" {
			return err
		}
		return tx.Remember(ctx, in.IdempotencyKey, path, out)
	})
	return out, err
}

// ---- results ----

// KindCell is one kind of assessment of one person in a plan.
type KindCell struct {
	Kind   assess.Kind
	First  int    // the current cycle's first score; -1 none yet
	MakeUp string // "", "合格", "不合格"
	State  assess.State
}

// Label is what the results table shows for the cell.
func (c KindCell) Label() string {
	switch {
	case c.State == assess.FailedAfterMake:
		return "重新培训"
	case c.State == assess.MakeUpDue:
		return "待补考"
	}
	return c.State.Label()
}

// PersonResult is a person's standing in a plan.
type PersonResult struct {
	PersonID   int64
	Name       string
	Region     region.Code
	Posts      string
	PlanID     int64
	PlanTitle  string
	Cycle      int
	Retraining bool // in a later cycle: back in training after a failed make-up or an expiry
	Cells      []KindCell
	Complete   bool
	Attended   int // sessions attended of Held (for the daily page)
	Held       int
	Results    []store.AssessmentResult
}

// personResult evaluates one person's results in a plan.
func personResult(plan store.TrainingPlan, u store.User, rs []store.AssessmentResult, floor int) PersonResult {
	req := planKinds(plan)
	all := toAssess(rs)
	st := assess.PlanStandingFrom(req, all, floor)
	pr := PersonResult{PersonID: u.ID, Name: u.DisplayName, Region: u.Region, Posts: u.Posts, PlanID: plan.ID,
		PlanTitle: plan.Title, Cycle: st.Cycle, Retraining: st.Cycle > 1, Complete: st.Complete, Results: rs}
	for _, k := range req {
		c := KindCell{Kind: k, First: -1, State: st.States[k]}
		for _, r := range all {
			if r.Kind != k || r.Cycle != st.Cycle {
				continue
			}
			if r.Attempt == assess.First {
				c.First = r.Score
			} else if r.Passed {
				c.MakeUp = "合格"
			} else {
				c.MakeUp = "不合格"
			}
		}
		// A failed make-up moves the cycle on: show it as retraining.
		if c.State == assess.Pending && st.Cycle > 1 {
			for _, r := range all {
				if r.Kind == k && r.Cycle == st.Cycle-1 && r.Attempt == assess.MakeUp && !r.Passed {
					c.State, c.MakeUp = assess.FailedAfterMake, "不合格"
				}
			}
		}
		pr.Cells = append(pr.Cells, c)
	}
	return pr
}

// PlanReport is the results of every person enrolled in a plan.
type PlanReport struct {
	Plan   store.TrainingPlan
	Kinds  []assess.Kind
	People []PersonResult
}

// PlanResults lists each enrolled person's standing per required kind
// (first score, make-up 合格/不合格, 待补考, 重新培训), within the caller's
// scope, with their attendance at the plan's sessions held so far.
func (s *Service) PlanResults(ctx context.Context, p authz.Principal, planID int64) (PlanReport, error) {
	if err := mayAssess(p); err != nil {
		return PlanReport{}, err
	}
	plan, err := s.DB.TrainingPlanFor(ctx, p.Region, planID)
	if err != nil {
		return PlanReport{}, err
	}
	rep := PlanReport{Plan: plan, Kinds: planKinds(plan)}
	ids, err := s.DB.PlanEnrollees(ctx, planID)
	if err != nil {
		return rep, err
	}
	users, err := s.DB.Users(ctx, p.Scope())
	if err != nil {
		return rep, err
	}
	byID := map[int64]store.User{}
	for _, u := range users {
		byID[u.ID] = u
	}
	all, err := s.DB.PlanResults(ctx, planID)
	if err != nil {
		return rep, err
	}
	held, att, err := s.DB.PlanAttendance(ctx, planID, s.now())
	if err != nil {
		return rep, err
	}
	err = s.DB.ReadTx(ctx, p, func(tx *store.Tx) error {
		for _, id := range ids {
			u, ok := byID[id]
			if !ok {
				continue // outside the caller's scope
			}
			var rs []store.AssessmentResult
			for _, r := range all {
				if r.PersonID == id {
					rs = append(rs, r)
				}
			}
			floor, err := tx.EnrollmentCycle(ctx, id, planID)
			if err != nil {
				return err
			}
			pr := personResult(plan, u, rs, floor)
			pr.Held, pr.Attended = held, att[id]
			rep.People = append(rep.People, pr)
		}
		return nil
	})
	return rep, err
}

// CertView is a certification as shown to its holder.
type CertView struct {
	store.Certification
	Label  string // 调查
	Status string // 有效, 已过期, 已撤销
	Valid  bool
	Plan   string
}

// MyAssessments is a person's own results and certifications.
type MyAssessments struct {
	Results []PersonResult // plans they are enrolled in that require assessments
	Certs   []CertView
}

// Mine returns the caller's own results in every plan they are enrolled in
// that requires assessments, and their certifications with validity.
func (s *Service) Mine(ctx context.Context, p authz.Principal) (MyAssessments, error) {
	var out MyAssessments
	u, err := s.DB.UserByID(ctx, p.UserID)
	if err != nil {
		return out, err
	}
	es, err := s.DB.PersonEnrollments(ctx, p.UserID)
	if err != nil {
		return out, err
	}
	rs, err := s.DB.PersonResults(ctx, p.UserID)
	if err != nil {
		return out, err
	}
	slices.SortFunc(rs, func(a, b store.AssessmentResult) int { return int(a.ID - b.ID) })
	titles := map[int64]string{}
	err = s.DB.ReadTx(ctx, p, func(tx *store.Tx) error {
		for _, e := range es {
			plan, err := tx.TrainingPlan(ctx, e.PlanID)
			if err != nil {
				return err
			}
			titles[plan.ID] = plan.Title
			if len(planKinds(plan)) == 0 {
				continue
			}
			var mine []store.AssessmentResult
			for _, r := range rs {
				if r.PlanID == plan.ID {
					mine = append(mine, r)
				}
			}
			floor, err := tx.EnrollmentCycle(ctx, p.UserID, plan.ID)
			if err != nil {
				return err
			}
			out.Results = append(out.Results, personResult(plan, u, mine, floor))
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	certs, err := s.DB.Certifications(ctx, p.UserID)
	if err != nil {
		return out, err
	}
	out.Certs = certViews(certs, titles, s.today().Format(time.DateOnly))
	return out, nil
}

func certViews(certs []store.Certification, titles map[int64]string, day string) []CertView {
	out := make([]CertView, 0, len(certs))
	for _, c := range certs {
		v := CertView{Certification: c, Label: CertLabels([]string{c.Name}), Plan: titles[c.PlanID], Valid: c.ValidOn(day)}
		switch {
		case v.Valid:
			v.Status = "有效"
		case c.ValidUntil != "" && c.ValidUntil < day:
			v.Status = "已过期"
		default:
			v.Status = "已撤销"
		}
		out = append(out, v)
	}
	return out
}

// ---- appraisal ----

// AppraisalRow is one person's line in one plan of the appraisal export.
type AppraisalRow struct {
	Name, Posts       string
	Region            region.Code
	Plan              string
	First             map[assess.Kind]int    // first score of the latest cycle with one; absent = none
	MakeUp            map[assess.Kind]string // 合格 / 不合格
	Excellent         bool
	FailedAfterMakeUp bool
}

// AppraisalColumns are the export's column titles.
var AppraisalColumns = []string{"姓名", "岗位", "所属区域", "培训计划", "理论考核首次成绩", "理论考核补考",
	"实操考核首次成绩", "实操考核补考", "日常表现首次成绩", "日常表现补考", "优秀", "补考未通过"}

// Cells is the row as the export writes it.
func (r AppraisalRow) Cells(regionName func(region.Code) string) []any {
	out := []any{r.Name, r.Posts, regionName(r.Region), r.Plan}
	for _, k := range assess.Kinds() {
		if v, ok := r.First[k]; ok {
			out = append(out, v)
		} else {
			out = append(out, "")
		}
		out = append(out, r.MakeUp[k])
	}
	return append(out, r.Excellent, r.FailedAfterMakeUp)
}

// Appraisal lists, for the results recorded in [from, to] (dates,
// inclusive) of the people within the caller's scope, one row per person
// and plan: each kind's first score and make-up result, the excellent flag
// (assess.Excellent against the county's excellent_mark) and the
// failed-after-make-up flag. Only a training admin may.
func (s *Service) Appraisal(ctx context.Context, p authz.Principal, from, to time.Time) ([]AppraisalRow, error) {
	if !p.Has(authz.TrainingAdmin) {
		return nil, forbidden("只有培训管理员可以导出考核评定表")
	}
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return nil, errs.Invalidf("period", "请填写正确的起止日期")
	}
	rs, err := s.DB.ResultsIn(ctx, p.Scope(), from, to.AddDate(0, 0, 1))
	if err != nil {
		return nil, err
	}
	users, err := s.DB.Users(ctx, p.Scope())
	if err != nil {
		return nil, err
	}
	byID := map[int64]store.User{}
	for _, u := range users {
		byID[u.ID] = u
	}
	plans := map[int64]store.TrainingPlan{}
	marks := map[string]int{}
	var out []AppraisalRow
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && rs[j].PersonID == rs[i].PersonID && rs[j].PlanID == rs[i].PlanID {
			j++
		}
		group := rs[i:j]
		i = j
		plan, ok := plans[group[0].PlanID]
		if !ok {
			if plan, err = s.DB.TrainingPlan(ctx, group[0].PlanID); err != nil {
				return nil, err
			}
			plans[plan.ID] = plan
		}
		u := byID[group[0].PersonID]
		county := u.Region.County()
		mark, ok := marks[string(county)]
		if !ok {
			set, err := policy.Resolve(ctx, s.DB, county, s.today())
			if err != nil {
				return nil, err
			}
			mark = set.Int(policy.ExcellentMark)
			marks[string(county)] = mark
		}
		all := toAssess(group)
		row := AppraisalRow{Name: u.DisplayName, Posts: u.Posts, Region: u.Region, Plan: plan.Title,
			First: map[assess.Kind]int{}, MakeUp: map[assess.Kind]string{},
			Excellent: assess.Excellent(planKinds(plan), all, mark)}
		row.FailedAfterMakeUp = assess.PlanStanding(planKinds(plan), all).FailedAfterMakeUp
		for _, r := range all {
			if r.Attempt == assess.First {
				row.First[r.Kind] = r.Score
			} else if r.Passed {
				row.MakeUp[r.Kind] = "合格"
			} else {
				row.MakeUp[r.Kind] = "不合格"
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// ---- expiry ----

// ExpireCertifications finds the certifications that expired before today
// and, for each, marks it expired (revoked with the reason, so a second
// run finds nothing: idempotent) and sends the person back to retraining
// in the plan that granted it — a new cycle with the plan's hours owed
// again, due in RetrainingDays, and a fresh assessment after it. One
// audited transaction per certification. It returns how many it handled.
func (s *Service) ExpireCertifications(ctx context.Context) (int, error) {
	today := s.today()
	day := today.Format(time.DateOnly)
	list, err := s.DB.ExpiredCertifications(ctx, day)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range list {
		done := false
		err := s.DB.InTx(ctx, authz.System("certification"), func(tx *store.Tx) error {
			done = false
			cur, err := tx.CertificationByID(ctx, c.ID)
			if err != nil {
				return err
			}
			if !cur.RevokedAt.IsZero() || cur.ValidUntil == "" || cur.ValidUntil >= day {
				return tx.Audit(ctx, store.Entry{Action: "certification.expire.skip", Object: "certification:" +
					strconv.FormatInt(c.ID, 10), Detail: "已由他人处理"})
			}
			if _, err := tx.RevokeCertification(ctx, c.ID, "有效期届满（"+c.ValidUntil+"），须重新培训"); err != nil {
				return err
			}
			plan, err := tx.TrainingPlan(ctx, c.PlanID)
			if err != nil {
				return err
			}
			due := today.AddDate(0, 0, RetrainingDays).Format(time.DateOnly)
			cycle, err := tx.EnrollmentCycle(ctx, c.PersonID, c.PlanID)
			if err != nil {
				return err
			}
			if cycle == 0 {
				if err := tx.InsertEnrollment(ctx, &store.Enrollment{PersonID: c.PersonID, PlanID: c.PlanID, Due: due}); err != nil {
					return err
				}
				cycle = 1
			}
			// The cycle moves past every cycle with results, so the
			// reassessment is a first attempt again.
			rs, err := tx.AssessmentResults(ctx, c.PersonID, c.PlanID)
			if err != nil {
				return err
			}
			next := max(cycle, assess.Cycle(toAssess(rs))) + 1
			if err := tx.SetEnrollmentCycle(ctx, c.PersonID, c.PlanID, next, due,
				"岗位认证到期：重新培训并重新参加考核"); err != nil {
				return err
			}
			done = true
			return tx.Audit(ctx, store.Entry{Action: "certification.expire", Object: "user:" + strconv.FormatInt(c.PersonID, 10),
				Detail: fmt.Sprintf("岗位认证“%s”（计划%d「%s」）有效期至%s已届满：进入第%d轮培训，%s前完成", CertLabels([]string{c.Name}),
					plan.ID, plan.Title, c.ValidUntil, next, due)})
		})
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

// ExpireCertificationsEvery runs ExpireCertifications now and then every
// interval until ctx ends (the serve command starts it daily).
func ExpireCertificationsEvery(ctx context.Context, s *Service, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := s.ExpireCertifications(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Error("certifications: expiry sweep", "err", err)
		case n > 0:
			log.Info("certifications: expired, retraining enrolled", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
