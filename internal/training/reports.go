package training

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"dibao/internal/authz"
	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/region"
	"dibao/internal/store"
)

// Ratings are a trainee's marks for one session, each 1 (poor) to 5 (very
// good).
type Ratings struct {
	Content int // 内容
	Method  int // 方式
	Trainer int // 讲师
}

// MaxComment bounds a feedback comment, in characters.
const MaxComment = 500

// Feedback stores the trainee p's rating of a session. Only people who
// attended may rate it, and only once. Audited training.feedback; the
// comment stays out of the audit detail, which is not the place for free
// text.
func (s *Service) Feedback(ctx context.Context, p authz.Principal, sessionID int64, r Ratings, comment string) error {
	comment = strings.TrimSpace(comment)
	var l errs.List
	for _, x := range []struct {
		field, label string
		v            int
	}{{"content", "培训内容", r.Content}, {"method", "培训方式", r.Method}, {"trainer", "讲师", r.Trainer}} {
		if x.v < 1 || x.v > 5 {
			l.Add(x.field, "请为%s评分（1至5分）", x.label)
		}
	}
	if utf8.RuneCountInString(comment) > MaxComment {
		l.Add("comment", "意见建议不能超过%d字", MaxComment)
	}
	if err := l.Err(); err != nil {
		return err
	}
	return s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		if _, err := tx.TrainingSession(ctx, sessionID); err != nil {
			return err
		}
		ok, err := tx.Attended(ctx, sessionID, p.UserID)
		if err != nil {
			return err
		}
		if !ok || p.UserID == 0 {
			return forbidden("只有签到参加本场培训的学员可以评价")
		}
		if err := tx.InsertFeedback(ctx, store.Feedback{SessionID: sessionID, PersonID: p.UserID, Content: r.Content,
			Method: r.Method, Trainer: r.Trainer, Comment: comment}); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "training.feedback", Object: sessionObj(sessionID),
			Detail: fmt.Sprintf("person=%d content=%d method=%d trainer=%d", p.UserID, r.Content, r.Method, r.Trainer)})
	})
}

// FeedbackQuery selects the feedback to summarise: one session, or every
// session of one trainer. Exactly one is set.
type FeedbackQuery struct {
	SessionID     int64
	TrainerUserID int64
}

// Summary is the aggregate of the feedback of a session or a trainer.
// Averages are 0 when Count is 0. Comments are shown without names, so
// trainees can be frank.
type Summary struct {
	Count    int
	Content  float64
	Method   float64
	Trainer  float64
	Comments []string // non-empty comments, oldest first
}

// FeedbackSummary averages the feedback selected by q. A training admin
// sees every session; a trainer only the sessions they ran.
func (s *Service) FeedbackSummary(ctx context.Context, p authz.Principal, q FeedbackQuery) (Summary, error) {
	if (q.SessionID == 0) == (q.TrainerUserID == 0) {
		return Summary{}, errs.Invalidf("", "请选择一场培训或一位讲师")
	}
	admin := p.Has(authz.TrainingAdmin)
	if !admin && !p.Has(authz.Trainer) {
		return Summary{}, forbidden("只有讲师和培训管理员可以查看培训评价")
	}
	if q.SessionID != 0 {
		t, err := s.DB.TrainingSession(ctx, q.SessionID)
		if err != nil {
			return Summary{}, err
		}
		if !mayRun(p, t) {
			return Summary{}, forbidden("讲师只能查看本人授课场次的评价")
		}
	} else if !admin && q.TrainerUserID != p.UserID {
		return Summary{}, forbidden("讲师只能查看本人授课场次的评价")
	}
	list, err := s.DB.FeedbackList(ctx, store.FeedbackFilter{SessionID: q.SessionID, TrainerUserID: q.TrainerUserID})
	if err != nil {
		return Summary{}, err
	}
	var sum Summary
	var c, m, t int
	for _, f := range list {
		sum.Count++
		c, m, t = c+f.Content, m+f.Method, t+f.Trainer
		if f.Comment != "" {
			sum.Comments = append(sum.Comments, f.Comment)
		}
	}
	if sum.Count > 0 {
		n := float64(sum.Count)
		sum.Content, sum.Method, sum.Trainer = float64(c)/n, float64(m)/n, float64(t)/n
	}
	return sum, nil
}

// Item is one of a trainee's enrollments as their own page shows it.
type Item struct {
	EnrollmentID    int64
	PlanID          int64
	Kind            enroll.Kind
	Title           string
	Reason          string
	Due             string // YYYY-MM-DD, inclusive
	Status          string // store.EnrollOpen or store.EnrollDone
	RequiredMinutes int
	MinutesCredited int
	Overdue         bool // open and past its due date
}

// Mine is the trainee's own view: their items and this quarter's minutes.
type Mine struct {
	Items   []Item // earliest due first
	Quarter string // e.g. "2026年第4季度"
	// Minutes is this quarter's attended time per category. A session of a
	// plan with several categories is split evenly between them (the
	// remainder to the first), so the categories add up to Total.
	Minutes map[enroll.Category]int
	Total   int
}

// MyTraining returns the trainee p's enrollments (dropped ones left out)
// with due dates and overdue flags, and the minutes attended this quarter
// by category.
func (s *Service) MyTraining(ctx context.Context, p authz.Principal) (Mine, error) {
	if p.UserID == 0 {
		return Mine{}, forbidden("请先登录")
	}
	today := s.today()
	ens, err := s.DB.PersonEnrollments(ctx, p.UserID)
	if err != nil {
		return Mine{}, err
	}
	out := Mine{Quarter: enroll.QuarterLabel(today), Minutes: map[enroll.Category]int{}}
	for _, e := range ens {
		it := Item{EnrollmentID: e.ID, PlanID: e.PlanID, Kind: enroll.Kind(e.PlanKind), Title: e.PlanTitle,
			Reason: e.Reason, Due: e.Due, Status: e.Status, RequiredMinutes: e.PlanRequired, MinutesCredited: e.MinutesCredited}
		it.Overdue = e.Status == store.EnrollOpen && today.After(parseDate(e.Due))
		out.Items = append(out.Items, it)
	}
	qs, qe := enroll.Quarter(today)
	att, err := s.DB.PersonAttendance(ctx, p.UserID, qs, qe.AddDate(0, 0, 1))
	if err != nil {
		return Mine{}, err
	}
	for _, a := range att {
		out.Total += a.Minutes
		addByCategory(out.Minutes, a)
	}
	return out, nil
}

// addByCategory splits an attendance's minutes evenly between its plan's
// categories (the remainder to the first), so categories add up to the total.
func addByCategory(m map[enroll.Category]int, a store.AttendedMinutes) {
	cats := splitCategories(a.Categories)
	if len(cats) == 0 {
		return
	}
	share := a.Minutes / len(cats)
	for i, c := range cats {
		m[c] += share
		if i == 0 {
			m[c] += a.Minutes - share*len(cats)
		}
	}
}

// PersonCompliance is one staff member's line of the compliance report.
type PersonCompliance struct {
	PersonID          int64
	Name              string
	Region            region.Code
	OnboardingDue     string // "" when the person has no onboarding item
	OnboardingOverdue bool   // onboarding open and past due
	OnboardingMinutes int    // minutes credited to onboarding
	OnboardingNeeded  int    // minutes onboarding requires
	RegularEnrolled   bool   // has a regular item for the quarter
	RegularRequired   int    // minutes the quarter's regular plan requires
	RegularMinutes    int    // minutes credited to it
	Overdue           int    // open items of any kind past due
	Compliant         bool   // onboarding not overdue and the quarter's regular training done
}

// RegionCompliance counts one region's staff.
type RegionCompliance struct {
	Region            region.Code
	Staff             int
	Compliant         int
	OnboardingOverdue int
}

// Report is the compliance report for one quarter.
type Report struct {
	Quarter string // e.g. "2026年第4季度"
	// Minutes is the quarter's attended training of all staff in scope by
	// content category (SPEC §3.2 categories).
	Minutes map[enroll.Category]int
	People  []PersonCompliance
	Regions []RegionCompliance // by region code, each person counted in their own region
}

// Compliance reports, for the active staff within the training admin's
// scope, who is overdue on onboarding and who has done the quarter's
// regular training (the quarter holding the date quarter). Overdue is
// judged on today. A person with no regular item that quarter (hired in
// it, so covered by onboarding) is compliant on that count.
func (s *Service) Compliance(ctx context.Context, p authz.Principal, quarter time.Time) (Report, error) {
	if !p.Has(authz.TrainingAdmin) {
		return Report{}, forbidden("只有培训管理员可以查看培训合规情况")
	}
	scope := p.Scope()
	today := s.today()
	qs, _ := enroll.Quarter(quarter)
	staff, err := s.DB.StaffIn(ctx, scope)
	if err != nil {
		return Report{}, err
	}
	ens, err := s.DB.EnrollmentsIn(ctx, scope)
	if err != nil {
		return Report{}, err
	}
	byPerson := map[int64][]store.Enrollment{}
	for _, e := range ens {
		byPerson[e.PersonID] = append(byPerson[e.PersonID], e)
	}
	rep := Report{Quarter: enroll.QuarterLabel(qs), Minutes: map[enroll.Category]int{}}
	_, qe := enroll.Quarter(quarter)
	regions := map[region.Code]*RegionCompliance{}
	for _, u := range staff {
		pc := PersonCompliance{PersonID: u.ID, Name: u.DisplayName, Region: u.Region}
		regularDone := true
		for _, e := range byPerson[u.ID] {
			overdue := e.Status == store.EnrollOpen && today.After(parseDate(e.Due))
			if overdue {
				pc.Overdue++
			}
			switch enroll.Kind(e.PlanKind) {
			case enroll.Onboarding:
				pc.OnboardingDue = e.Due
				pc.OnboardingOverdue = pc.OnboardingOverdue || overdue
				pc.OnboardingMinutes += e.MinutesCredited
				pc.OnboardingNeeded += e.PlanRequired
			case enroll.Regular:
				if e.PlanPeriodStart == dateString(qs) {
					pc.RegularEnrolled = true
					pc.RegularRequired += e.PlanRequired
					pc.RegularMinutes += e.MinutesCredited
					regularDone = regularDone && e.Status == store.EnrollDone
				}
			}
		}
		pc.Compliant = !pc.OnboardingOverdue && regularDone
		att, err := s.DB.PersonAttendance(ctx, u.ID, qs, qe.AddDate(0, 0, 1))
		if err != nil {
			return Report{}, err
		}
		for _, a := range att {
			addByCategory(rep.Minutes, a)
		}
		rep.People = append(rep.People, pc)
		rc := regions[u.Region]
		if rc == nil {
			rc = &RegionCompliance{Region: u.Region}
			regions[u.Region] = rc
		}
		rc.Staff++
		if pc.Compliant {
			rc.Compliant++
		}
		if pc.OnboardingOverdue {
			rc.OnboardingOverdue++
		}
	}
	for _, rc := range regions {
		rep.Regions = append(rep.Regions, *rc)
	}
	slices.SortFunc(rep.Regions, func(a, b RegionCompliance) int { return strings.Compare(string(a.Region), string(b.Region)) })
	return rep, nil
}
