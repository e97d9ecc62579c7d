package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"dibao/internal/assess"
	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/region"
	"dibao/internal/sheet"
	"dibao/internal/store"
	"dibao/internal/training"
	"dibao/internal/workflow"
)

// Assessment results and certification pages (issue 6 items 5–7): a plan's
// results per person (/training/plans/{id}/results), the trainer's
// daily-performance scoring (/training/plans/{id}/daily) and the appraisal
// export of a period (/training/appraisal). The trainee's own results and
// certifications are on /training/my.

// certRoutes registers the assessment pages.
func (s *server) certRoutes(mux *http.ServeMux) {
	mux.Handle("GET /training/plans/{id}/results", s.auth(s.assessResults))
	mux.Handle("GET /training/plans/{id}/daily", s.auth(s.assessDaily))
	mux.Handle("POST /training/plans/{id}/daily", s.auth(s.assessDailyRecord))
	mux.Handle("GET /training/appraisal", s.auth(s.assessAppraisal))
	mux.Handle("GET /training/appraisal.xlsx", s.auth(s.assessAppraisalExport))
}

// resultCell is one kind of one person on the results page.
type resultCell struct {
	Kind, First, MakeUp, State, StateKey string
}

type resultRow struct {
	PersonID   int64
	Name       string
	Region     string
	Cycle      int
	Retraining bool
	Complete   bool
	Attendance string // 出勤 2/3
	Cells      []resultCell
	// The daily form of this row.
	DailyOpen  bool   // a daily score may be recorded now (first or the make-up)
	DailyLabel string // 首次评定 / 补考评定
	Key        string // idempotency key of the form (a double submit records once)
	Err        map[string]string
	Part, Hw   string
}

type assessPlanPage struct {
	PlanID      int64
	Title       string
	Kinds       []string
	Assessments string
	Certifies   string
	Validity    string
	Rows        []resultRow
	Weights     string
	Notice      string
	HasDaily    bool
}

func cellOf(c training.KindCell) resultCell {
	rc := resultCell{Kind: c.Kind.Label(), MakeUp: c.MakeUp, State: c.Label(), StateKey: string(c.State)}
	if c.First >= 0 {
		rc.First = strconv.Itoa(c.First)
	}
	return rc
}

func validityText(m int) string {
	if m == 0 {
		return "长期有效"
	}
	return strconv.Itoa(m) + "个月"
}

func kindLabels(ks []assess.Kind) string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.Label()
	}
	return strings.Join(out, "、")
}

// dailyFailure carries a refused daily score back into the page.
type dailyFailure struct {
	person   int64
	err      error
	part, hw string
}

func (s *server) assessPlanPage(r *http.Request, p authz.Principal, planID int64, fail *dailyFailure) (assessPlanPage, error) {
	rep, err := s.a.Training.PlanResults(r.Context(), p, planID)
	if err != nil {
		return assessPlanPage{}, err
	}
	names, err := s.a.DB.RegionNames(r.Context())
	if err != nil {
		return assessPlanPage{}, err
	}
	a := training.AssessmentOf(rep.Plan)
	pg := assessPlanPage{PlanID: rep.Plan.ID, Title: rep.Plan.Title, Assessments: kindLabels(a.Assessments),
		Certifies: training.CertLabels(a.Certifies), Validity: validityText(a.ValidityMonths),
		Weights: fmt.Sprintf("出勤%d分（按已举行场次的出勤比例）、课堂参与%d分、作业完成%d分，满分100分", assess.WeightAttendance,
			assess.WeightParticipation, assess.WeightHomework)}
	for _, k := range rep.Kinds {
		pg.Kinds = append(pg.Kinds, k.Label())
		if k == assess.Daily {
			pg.HasDaily = true
		}
	}
	for _, pr := range rep.People {
		row := resultRow{PersonID: pr.PersonID, Name: pr.Name, Region: villageName(names, pr.Region), Cycle: pr.Cycle,
			Retraining: pr.Retraining, Complete: pr.Complete, Attendance: fmt.Sprintf("%d/%d", pr.Attended, pr.Held),
			Err: map[string]string{}, Key: newKey()}
		for _, c := range pr.Cells {
			row.Cells = append(row.Cells, cellOf(c))
			if c.Kind == assess.Daily {
				switch c.State {
				case assess.Pending:
					row.DailyOpen, row.DailyLabel = true, "首次评定"
				case assess.MakeUpDue:
					row.DailyOpen, row.DailyLabel = true, "补考评定（只记合格与否）"
				}
			}
		}
		if fail != nil && fail.person == pr.PersonID {
			row.Err, _ = fieldErrors(fail.err)
			if len(row.Err) == 0 {
				row.Err["score"] = errs.As(fail.err).Message
			}
			row.Part, row.Hw = fail.part, fail.hw
		}
		pg.Rows = append(pg.Rows, row)
	}
	return pg, nil
}

func assessCrumbs(p authz.Principal, title string) []crumb {
	if p.Has(authz.TrainingAdmin) {
		return []crumb{{Label: "培训管理", Href: "/training"}, {Label: "培训计划", Href: "/training/plans"}, {Label: title}}
	}
	return []crumb{{Label: "培训场次", Href: "/training/sessions"}, {Label: title}}
}

func (s *server) assessResults(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pg, err := s.assessPlanPage(r, p, id, nil)
	if err != nil {
		return err
	}
	s.render(w, r, p, http.StatusOK, "assessment_results", "考核成绩", assessCrumbs(p, pg.Title+" · 考核成绩"), pg)
	return nil
}

func (s *server) renderDaily(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, id int64, fail *dailyFailure) error {
	pg, err := s.assessPlanPage(r, p, id, fail)
	if err != nil {
		return err
	}
	if !pg.HasDaily {
		return errs.Invalidf("kind", "培训计划「%s」不考核日常表现", pg.Title)
	}
	if n := r.URL.Query().Get("scored"); n != "" && fail == nil {
		pg.Notice = n
	}
	s.render(w, r, p, status, "assessment_daily", "日常表现评分", assessCrumbs(p, pg.Title+" · 日常表现评分"), pg)
	return nil
}

func (s *server) assessDaily(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.renderDaily(w, r, p, http.StatusOK, id, nil)
}

// markField reads a 0..100 mark of the daily form.
func markField(v, field, msg string, l *errs.List) int {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 || n > 100 {
		l.Add(field, "%s", msg)
		return -1
	}
	return n
}

func (s *server) assessDailyRecord(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	person, err := strconv.ParseInt(r.PostForm.Get("person_id"), 10, 64)
	if err != nil || person <= 0 {
		return errs.Invalidf("person_id", "请选择评分人员")
	}
	f := &dailyFailure{person: person, part: r.PostForm.Get("participation"), hw: r.PostForm.Get("homework")}
	var l errs.List
	part := markField(f.part, "participation", assess.MsgParticipation, &l)
	hw := markField(f.hw, "homework", assess.MsgHomework, &l)
	if f.err = l.Err(); f.err != nil {
		return s.renderDaily(w, r, p, http.StatusUnprocessableEntity, id, f)
	}
	in := training.DailyInput{PersonID: person, PlanID: id, Participation: part, Homework: hw,
		IdempotencyKey: r.PostForm.Get("key")}
	out, err := s.a.Training.RecordDaily(r.Context(), p, in)
	if err != nil {
		if formFailure(err) || errs.CodeOf(err) == errs.Conflict || errs.CodeOf(err) == errs.NotFound {
			f.err = err
			return s.renderDaily(w, r, p, statusOf(err, true), id, f)
		}
		return err
	}
	verdict := "不合格"
	if out.Result.Passed {
		verdict = "合格"
	}
	msg := fmt.Sprintf("已记录日常表现%s：%d分，%s", assess.Attempt(out.Result.Attempt).Label(), out.Score, verdict)
	if out.Result.Attempt == string(assess.MakeUp) {
		msg = "已记录日常表现补考：" + verdict + "（补考只记合格与否）"
	}
	if len(out.Granted) > 0 {
		msg += "；已授予岗位认证：" + training.CertLabels(out.Granted)
	}
	if out.Retraining {
		msg += "；补考未通过，已安排重新培训"
	}
	s.redirect(w, r, fmt.Sprintf("/training/plans/%d/daily?scored=%s", id, url.QueryEscape(msg)), "")
	return nil
}

// ---- appraisal ----

type appraisalPage struct {
	From, To string
	Err      string
}

func (s *server) assessAppraisal(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := requireTrainingAdmin(p); err != nil {
		return err
	}
	today := calendar.DayOf(s.a.DB.Now())
	pg := appraisalPage{From: time.Date(today.Year(), 1, 1, 0, 0, 0, 0, cst).Format(time.DateOnly),
		To: today.Format(time.DateOnly)}
	s.render(w, r, p, http.StatusOK, "assessment_appraisal", "考核评定导出",
		[]crumb{{Label: "培训管理", Href: "/training"}, {Label: "考核评定导出"}}, pg)
	return nil
}

// parsePeriod reads from and to (YYYY-MM-DD) of an appraisal request.
func parsePeriod(from, to string) (time.Time, time.Time, error) {
	f, err1 := time.ParseInLocation(time.DateOnly, from, calendar.Location())
	t, err2 := time.ParseInLocation(time.DateOnly, to, calendar.Location())
	if err1 != nil || err2 != nil || t.Before(f) {
		return time.Time{}, time.Time{}, errs.Invalidf("period", "请填写正确的起止日期（开始不晚于结束）")
	}
	return f, t, nil
}

func (s *server) assessAppraisalExport(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := requireTrainingAdmin(p); err != nil {
		return err
	}
	q := r.URL.Query()
	from, to, err := parsePeriod(q.Get("from"), q.Get("to"))
	if err != nil {
		pg := appraisalPage{From: q.Get("from"), To: q.Get("to"), Err: errs.As(err).Message}
		s.render(w, r, p, http.StatusUnprocessableEntity, "assessment_appraisal", "考核评定导出",
			[]crumb{{Label: "培训管理", Href: "/training"}, {Label: "考核评定导出"}}, pg)
		return nil
	}
	rows, err := s.a.Training.Appraisal(r.Context(), p, from, to)
	if err != nil {
		return err
	}
	names, err := s.a.DB.RegionNames(r.Context())
	if err != nil {
		return err
	}
	name := func(c region.Code) string { return villageName(names, c) }
	i := 0
	return s.sendXLSX(w, r, p, s.exportFile("考核评定"), "training.appraisal.export",
		"from="+q.Get("from")+" to="+q.Get("to"), sheet.Cols(training.AppraisalColumns...), func() ([]any, bool) {
			if i >= len(rows) {
				return nil, false
			}
			i++
			return rows[i-1].Cells(name), true
		})
}

// certLabel is the Chinese post name of a certification key.
func certLabel(name string) string {
	if l, ok := workflow.Certifications[name]; ok {
		return l
	}
	return name
}

// ---- plan form: assessments and certifications ----

// assessOptions are the plan form's checkboxes of required assessments
// and granted certifications.
func assessOptions(f planForm) (kinds, certs []option) {
	for _, k := range assess.Kinds() {
		kinds = append(kinds, option{Value: string(k), Label: k.Label(), Checked: slices.Contains(f.Assessments, string(k))})
	}
	for _, c := range []string{"intake", "investigation", "review", "approval"} {
		certs = append(certs, option{Value: c, Label: certLabel(c), Checked: slices.Contains(f.Certifies, c)})
	}
	return kinds, certs
}

// assessment reads the form's assessment fields; the service validates
// the rest (training.PlanAssessment.Validate).
func (f planForm) assessment() (training.PlanAssessment, error) {
	a := training.PlanAssessment{Certifies: f.Certifies}
	for _, k := range f.Assessments {
		a.Assessments = append(a.Assessments, assess.Kind(k))
	}
	if f.Validity != "" {
		n, err := strconv.Atoi(f.Validity)
		if err != nil {
			return a, errs.Invalidf("validity_months", "认证有效期应为整数月数，如 12（0为长期有效）")
		}
		a.ValidityMonths = n
	}
	return a, a.Validate()
}

// joinErrs merges form errors (lists or single errors) into one list.
func joinErrs(es ...error) error {
	var out errs.List
	for _, e := range es {
		if e == nil {
			continue
		}
		var l errs.List
		if errors.As(e, &l) {
			out = append(out, l...)
		} else {
			out = append(out, errs.As(e))
		}
	}
	return out.Err()
}

// assessmentText summarises a plan's assessments and certifications for
// the plan list.
func assessmentText(pl store.TrainingPlan) string {
	a := training.AssessmentOf(pl)
	if len(a.Assessments) == 0 {
		return ""
	}
	out := "考核：" + kindLabels(a.Assessments)
	if len(a.Certifies) > 0 {
		out += "；认证：" + training.CertLabels(a.Certifies) + "（" + validityText(a.ValidityMonths) + "）"
	}
	return out
}
