package web

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/people"
	"dibao/internal/region"
	"dibao/internal/store"
)

// Training administration pages (issue 5): the compliance dashboard, the
// enrollment run and the training plans. Only a training admin sees them;
// the service checks the role again on every call.

// sessionCrumbs are the breadcrumbs of the session pages: under 培训管理
// for a training admin, under 培训场次 (their menu item) for a trainer.
func sessionCrumbs(p authz.Principal, rest ...crumb) []crumb {
	var out []crumb
	if p.Has(authz.TrainingAdmin) {
		out = append(out, crumb{Label: "培训管理", Href: "/training"})
	}
	out = append(out, crumb{Label: "培训场次", Href: "/training/sessions"})
	return append(out, rest...)
}

func requireTrainingAdmin(p authz.Principal) error {
	if !p.Has(authz.TrainingAdmin) {
		return errs.New(errs.Forbidden, "", "只有培训管理员可以访问培训管理页面")
	}
	return nil
}

// complianceRow is one person's line of the dashboard.
type complianceRow struct {
	PersonID          int64
	Name              string
	Region            string
	OnboardingDue     string
	OnboardingOverdue bool
	OnboardingMinutes int
	OnboardingNeeded  int
	RegularEnrolled   bool
	RegularMinutes    int
	RegularRequired   int
	Overdue           int
	Compliant         bool
}

// regionRow is one region's counts on the dashboard.
type regionRow struct {
	Region            string
	Staff             int
	Compliant         int
	OnboardingOverdue int
}

type trainingDashboardPage struct {
	Quarter           string
	OnboardingOverdue int
	NonCompliant      int
	Compliant         int
	Rows              []complianceRow
	Regions           []regionRow
	EnrollResult      string // after an enrollment run: "新增 N 项，撤销 M 项"
	Categories        []categoryHours
}

// categoryHours is one content category's attended hours this quarter.
type categoryHours struct {
	Code, Label string
	Hours       string
}

func (s *server) trainingDashboard(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := requireTrainingAdmin(p); err != nil {
		return err
	}
	ctx := r.Context()
	rep, err := s.a.Training.Compliance(ctx, p, s.a.DB.Now())
	if err != nil {
		return err
	}
	names, err := s.a.DB.RegionNames(ctx)
	if err != nil {
		return err
	}
	pg := trainingDashboardPage{Quarter: rep.Quarter}
	for _, c := range enroll.Categories {
		m := rep.Minutes[c]
		pg.Categories = append(pg.Categories, categoryHours{Code: string(c), Label: c.Label(),
			Hours: strconv.FormatFloat(float64(m)/60, 'f', 1, 64)})
	}
	q := r.URL.Query()
	if a, err := strconv.Atoi(q.Get("added")); err == nil && a >= 0 {
		if d, err := strconv.Atoi(q.Get("dropped")); err == nil && d >= 0 {
			pg.EnrollResult = fmt.Sprintf("新增 %d 项，撤销 %d 项", a, d)
		}
	}
	for _, pc := range rep.People {
		pg.Rows = append(pg.Rows, complianceRow{PersonID: pc.PersonID, Name: pc.Name, Region: villageName(names, pc.Region),
			OnboardingDue: pc.OnboardingDue, OnboardingOverdue: pc.OnboardingOverdue, RegularEnrolled: pc.RegularEnrolled,
			OnboardingMinutes: pc.OnboardingMinutes, OnboardingNeeded: pc.OnboardingNeeded,
			RegularMinutes: pc.RegularMinutes, RegularRequired: pc.RegularRequired, Overdue: pc.Overdue, Compliant: pc.Compliant})
		if pc.OnboardingOverdue {
			pg.OnboardingOverdue++
		}
		if pc.Compliant {
			pg.Compliant++
		} else {
			pg.NonCompliant++
		}
	}
	for _, rc := range rep.Regions {
		pg.Regions = append(pg.Regions, regionRow{Region: villageName(names, rc.Region), Staff: rc.Staff,
			Compliant: rc.Compliant, OnboardingOverdue: rc.OnboardingOverdue})
	}
	s.render(w, r, p, http.StatusOK, "training_dashboard", "培训管理", []crumb{{Label: "培训管理", Href: "/training"}}, pg)
	return nil
}

// trainingEnroll runs the automatic enrollment rules and reports what
// changed: the flash says it ran, the dashboard's notice (from the
// redirect's added and dropped numbers) how many items changed.
func (s *server) trainingEnroll(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := requireTrainingAdmin(p); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	added, dropped, err := s.a.Training.RunEnrollment(r.Context(), p, s.a.DB.Now())
	if err != nil {
		return err
	}
	s.redirect(w, r, fmt.Sprintf("/training?added=%d&dropped=%d", added, dropped), "enrolled")
	return nil
}

// ---- plans ----

// planRow is one plan in the list.
type planRow struct {
	ID         int64
	Kind       string
	Title      string
	Region     string
	Period     string
	Hours      string
	Categories string
	Assessment string // 考核：日常表现；认证：调查（12个月）
}

type trainingPlansPage struct {
	Rows []planRow
}

// minutesText shows minutes as hours where they divide evenly.
func minutesText(m int) string {
	if m%60 == 0 {
		return strconv.Itoa(m/60) + "学时"
	}
	return strconv.Itoa(m) + "分钟"
}

func categoryText(list string) string {
	var out []string
	for _, c := range strings.Split(list, ",") {
		if c != "" {
			out = append(out, enroll.Category(c).Label())
		}
	}
	return strings.Join(out, "、")
}

// trainingPlans loads every plan, newest first, for the list and the
// session form's plan select.
func (s *server) trainingPlans(r *http.Request, p authz.Principal) ([]store.TrainingPlan, error) {
	var plans []store.TrainingPlan
	err := s.a.DB.ReadTx(r.Context(), p, func(tx *store.Tx) error {
		var err error
		plans, err = tx.TrainingPlans(r.Context())
		return err
	})
	slices.SortFunc(plans, func(a, b store.TrainingPlan) int { return cmp.Compare(b.ID, a.ID) })
	return plans, err
}

func (s *server) trainingPlanList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := requireTrainingAdmin(p); err != nil {
		return err
	}
	plans, err := s.trainingPlans(r, p)
	if err != nil {
		return err
	}
	names, err := s.a.DB.RegionNames(r.Context())
	if err != nil {
		return err
	}
	var pg trainingPlansPage
	for _, pl := range plans {
		pg.Rows = append(pg.Rows, planRow{ID: pl.ID, Kind: enroll.Kind(pl.Kind).Label(), Title: pl.Title,
			Region: villageName(names, pl.Region), Period: pl.PeriodStart + " 至 " + pl.PeriodEnd,
			Hours: minutesText(pl.RequiredMinutes), Categories: categoryText(pl.Categories), Assessment: assessmentText(pl)})
	}
	s.render(w, r, p, http.StatusOK, "training_plans", "培训计划",
		[]crumb{{Label: "培训管理", Href: "/training"}, {Label: "培训计划"}}, pg)
	return nil
}

// planForm is the new-plan form as submitted.
type planForm struct {
	Kind         string
	Title        string
	Start, End   string
	Posts        []string
	Roles        []string
	HiredFrom    string
	HiredTo      string
	Hours        string
	Categories   []string
	SpecialStart string
	// What the plan assesses and certifies (issue 6).
	Assessments []string
	Certifies   []string
	Validity    string // months; "" or 0 = no expiry
}

// option is one choice of a select or a checkbox group.
type option struct {
	Value, Label string
	Checked      bool
}

type planFormPage struct {
	F          planForm
	Err        map[string]string
	Summary    []string
	Kinds      []option
	Posts      []option
	Roles      []option
	Categories []option
	// Assessment options (issue 6).
	AssessKinds []option
	Certs       []option
}

// planKinds are the kinds a training admin creates by hand; policy-update
// items come from policy changes.
var planKinds = []enroll.Kind{enroll.Onboarding, enroll.Regular, enroll.Special, enroll.Annual}

func readPlanForm(r *http.Request) planForm {
	v := r.PostForm
	return planForm{Kind: v.Get("kind"), Title: strings.TrimSpace(v.Get("title")), Start: v.Get("period_start"),
		End: v.Get("period_end"), Posts: v["posts"], Roles: v["roles"], HiredFrom: v.Get("hired_from"),
		HiredTo: v.Get("hired_to"), Hours: strings.TrimSpace(v.Get("required_hours")), Categories: v["categories"],
		SpecialStart: v.Get("special_start"), Assessments: v["assessments"], Certifies: v["certifies"],
		Validity: strings.TrimSpace(v.Get("validity_months"))}
}

// formDate parses an <input type="date"> value; "" is the zero time.
func formDate(field, label, v string, l *errs.List) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := time.ParseInLocation(time.DateOnly, v, calendar.Location())
	if err != nil {
		l.Add(field, "%s格式不正确", label)
	}
	return t
}

// plan turns the form into the service's plan; problems the service cannot
// see (unreadable dates and hours) are returned as an errs.List.
func (f planForm) plan() (enroll.Plan, error) {
	var l errs.List
	pl := enroll.Plan{Kind: enroll.Kind(f.Kind), Title: f.Title}
	pl.Period.Start = formDate("period", "开始日期", f.Start, &l)
	pl.Period.End = formDate("period", "结束日期", f.End, &l)
	pl.Audience.HiredFrom = formDate("audience.hired_from", "入职日期起", f.HiredFrom, &l)
	pl.Audience.HiredTo = formDate("audience.hired_to", "入职日期止", f.HiredTo, &l)
	if pl.Kind == enroll.Special {
		pl.SpecialStart = formDate("special_start", "专项工作开始日期", f.SpecialStart, &l)
	}
	pl.Audience.Posts = f.Posts
	for _, x := range f.Roles {
		pl.Audience.Roles = append(pl.Audience.Roles, authz.Role(x))
	}
	for _, c := range f.Categories {
		pl.Categories = append(pl.Categories, enroll.Category(c))
	}
	if f.Hours != "" {
		h, err := strconv.ParseFloat(f.Hours, 64)
		if err != nil || !(h > 0) { // !(h > 0) also refuses NaN
			l.Add("required_minutes", "培训学时应为正数，如 2 或 1.5")
		} else {
			// Bounded before the conversion (1e300 hours made a negative
			// int); the plan's own check reports hours out of range.
			pl.RequiredMinutes = int(min(h, 1e6)*60 + 0.5)
		}
	}
	return pl, l.Err()
}

func (s *server) renderPlanForm(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, f planForm, ferr error) {
	pg := planFormPage{F: f, Err: map[string]string{}}
	for _, k := range planKinds {
		pg.Kinds = append(pg.Kinds, option{Value: string(k), Label: k.Label(), Checked: f.Kind == string(k)})
	}
	for _, name := range people.Posts {
		pg.Posts = append(pg.Posts, option{Value: name, Label: name, Checked: slices.Contains(f.Posts, name)})
	}
	for _, g := range people.RoleGroups {
		for _, ro := range g.Roles {
			pg.Roles = append(pg.Roles, option{Value: string(ro), Label: ro.Label(), Checked: slices.Contains(f.Roles, string(ro))})
		}
	}
	for _, c := range enroll.Categories {
		pg.Categories = append(pg.Categories, option{Value: string(c), Label: c.Label(),
			Checked: slices.Contains(f.Categories, string(c))})
	}
	pg.AssessKinds, pg.Certs = assessOptions(f)
	if ferr != nil {
		pg.Err, pg.Summary = fieldErrors(ferr)
	}
	s.render(w, r, p, status, "training_plan_form", "新建培训计划", []crumb{{Label: "培训管理", Href: "/training"},
		{Label: "培训计划", Href: "/training/plans"}, {Label: "新建培训计划"}}, pg)
}

func (s *server) trainingPlanNew(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := requireTrainingAdmin(p); err != nil {
		return err
	}
	today := s.a.DB.Now().In(cst)
	qs, qe := enroll.Quarter(today)
	f := planForm{Kind: string(enroll.Regular), Start: qs.Format(time.DateOnly), End: qe.Format(time.DateOnly), Hours: "2",
		Categories: []string{string(enroll.PolicyLaw)}}
	s.renderPlanForm(w, r, p, http.StatusOK, f, nil)
	return nil
}

func (s *server) trainingPlanCreate(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := requireTrainingAdmin(p); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := readPlanForm(r)
	pl, ferr := f.plan()
	as, aerr := f.assessment()
	if ferr != nil || aerr != nil {
		s.renderPlanForm(w, r, p, http.StatusUnprocessableEntity, f, joinErrs(ferr, aerr))
		return nil
	}
	if _, err := s.a.Training.CreatePlanAssessed(r.Context(), p, pl, region.Code(""), as); err != nil {
		if formFailure(err) {
			s.renderPlanForm(w, r, p, statusOf(err, true), f, err)
			return nil
		}
		return err
	}
	s.redirect(w, r, "/training/plans", "plan_created")
	return nil
}
