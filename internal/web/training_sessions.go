package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/store"
	"dibao/internal/training"
)

// Trainer pages (issue 5): the trainer's sessions, scheduling one, and the
// session page shown in the room with the live check-in code, the
// attendance list, the manual check-in fallback and the feedback summary.

func isTrainer(p authz.Principal) bool { return p.Has(authz.Trainer) || p.Has(authz.TrainingAdmin) }

func requireTrainer(p authz.Principal) error {
	if !isTrainer(p) {
		return errs.New(errs.Forbidden, "", "只有讲师或培训管理员可以访问培训场次页面")
	}
	return nil
}

// sessionKinds are the session forms with their labels.
var sessionKinds = []option{{Value: training.Classroom, Label: "课堂培训"}, {Value: training.Practice, Label: "现场实操"},
	{Value: training.Seminar, Label: "案例研讨"}}

func sessionKindLabel(k string) string {
	for _, o := range sessionKinds {
		if o.Value == k {
			return o.Label
		}
	}
	return k
}

// sessionRow is one session in a list.
type sessionRow struct {
	ID   int64
	Kind string
	// Practice marks on-site practice, where the trainer's manual record is
	// the mentoring record (what was practised with whom).
	Practice bool
	Title    string
	Time     string
	Place    string
	Trainer  string
	Minutes  int
	PlanID   int64 // the plan's results and daily scoring (issue 6)
}

func (s *server) sessionRow(r *http.Request, t store.TrainingSession) sessionRow {
	sr := sessionRow{ID: t.ID, PlanID: t.PlanID, Kind: sessionKindLabel(t.Kind), Practice: t.Kind == training.Practice, Title: t.Title, Place: t.Place, Minutes: t.Minutes,
		Time: localTime(t.StartsAt) + " – " + t.EndsAt.In(cst).Format("15:04"), Trainer: t.ExpertName}
	if t.TrainerUserID != 0 {
		sr.Trainer = s.userName(r.Context(), t.TrainerUserID)
		if t.ExpertName != "" {
			sr.Trainer += "、" + t.ExpertName
		}
	}
	return sr
}

type trainingSessionsPage struct {
	All  bool // a training admin sees every session
	Rows []sessionRow
}

func (s *server) trainingSessionList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := requireTrainer(p); err != nil {
		return err
	}
	all := p.Has(authz.TrainingAdmin)
	list, err := s.trainerSessions(r.Context(), p.UserID, all)
	if err != nil {
		return err
	}
	pg := trainingSessionsPage{All: all}
	for _, t := range list {
		pg.Rows = append(pg.Rows, s.sessionRow(r, t))
	}
	s.render(w, r, p, http.StatusOK, "training_sessions", "培训场次", sessionCrumbs(p), pg)
	return nil
}

// sessionForm is the schedule form as submitted.
type sessionForm struct {
	PlanID  string
	Kind    string
	Title   string
	Start   string // datetime-local, CST
	End     string
	Place   string
	Trainer string // user id; only a training admin picks
	Expert  string
	Minutes string
}

type sessionFormPage struct {
	F        sessionForm
	Err      map[string]string
	Summary  []string
	Plans    []option
	Kinds    []option
	Trainers []option // empty for a trainer, who schedules their own sessions
}

func readSessionForm(r *http.Request) sessionForm {
	v := r.PostForm
	return sessionForm{PlanID: v.Get("plan_id"), Kind: v.Get("kind"), Title: v.Get("title"), Start: v.Get("starts_at"),
		End: v.Get("ends_at"), Place: v.Get("place"), Trainer: v.Get("trainer_id"), Expert: v.Get("expert_name"),
		Minutes: strings.TrimSpace(v.Get("minutes"))}
}

const datetimeLocal = "2006-01-02T15:04"

// draft turns the form into the service's draft; unreadable input is
// returned as an errs.List.
func (f sessionForm) draft() (int64, training.SessionDraft, error) {
	var l errs.List
	planID, err := strconv.ParseInt(f.PlanID, 10, 64)
	if err != nil || planID <= 0 {
		l.Add("plan_id", "请选择培训计划")
	}
	d := training.SessionDraft{Kind: f.Kind, Title: f.Title, Place: f.Place, ExpertName: f.Expert}
	for _, x := range []struct {
		v  string
		to *time.Time
	}{{f.Start, &d.StartsAt}, {f.End, &d.EndsAt}} {
		if x.v == "" {
			continue
		}
		t, err := time.ParseInLocation(datetimeLocal, x.v, calendar.Location())
		if err != nil {
			l.Add("time", "培训时间格式不正确")
			continue
		}
		*x.to = t
	}
	if f.Trainer != "" {
		if d.TrainerUserID, err = strconv.ParseInt(f.Trainer, 10, 64); err != nil {
			l.Add("trainer", "请选择授课讲师")
		}
	}
	if f.Minutes != "" {
		if d.Minutes, err = strconv.Atoi(f.Minutes); err != nil || d.Minutes <= 0 {
			l.Add("minutes", "计入学时应为正整数（分钟）")
		}
	}
	return planID, d, l.Err()
}

func (s *server) renderSessionForm(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, f sessionForm,
	ferr error) error {
	pg := sessionFormPage{F: f, Err: map[string]string{}}
	plans, err := s.trainingPlans(r, p)
	if err != nil {
		return err
	}
	for _, pl := range plans {
		id := strconv.FormatInt(pl.ID, 10)
		pg.Plans = append(pg.Plans, option{Value: id, Label: pl.Title + "（" + pl.PeriodStart + " 至 " + pl.PeriodEnd + "）",
			Checked: f.PlanID == id})
	}
	for _, k := range sessionKinds {
		k.Checked = k.Value == f.Kind
		pg.Kinds = append(pg.Kinds, k)
	}
	if p.Has(authz.TrainingAdmin) {
		staff, err := s.a.DB.StaffIn(r.Context(), p.Scope())
		if err != nil {
			return err
		}
		for _, u := range staff {
			if up := u.Principal(); up.Has(authz.Trainer) || up.Has(authz.TrainingAdmin) {
				id := strconv.FormatInt(u.ID, 10)
				pg.Trainers = append(pg.Trainers, option{Value: id, Label: u.DisplayName, Checked: f.Trainer == id})
			}
		}
	}
	if ferr != nil {
		pg.Err, pg.Summary = fieldErrors(ferr)
	}
	s.render(w, r, p, status, "training_session_form", "安排培训场次", sessionCrumbs(p, crumb{Label: "安排培训场次"}), pg)
	return nil
}

func (s *server) trainingSessionNew(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := requireTrainer(p); err != nil {
		return err
	}
	start := s.a.DB.Now().In(cst).Truncate(time.Hour).Add(time.Hour)
	f := sessionForm{Kind: training.Classroom, Start: start.Format(datetimeLocal),
		End: start.Add(2 * time.Hour).Format(datetimeLocal), PlanID: r.URL.Query().Get("plan")}
	if p.Has(authz.TrainingAdmin) {
		f.Trainer = strconv.FormatInt(p.UserID, 10)
	}
	return s.renderSessionForm(w, r, p, http.StatusOK, f, nil)
}

func (s *server) trainingSessionCreate(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := requireTrainer(p); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := readSessionForm(r)
	planID, d, ferr := f.draft()
	if ferr != nil {
		return s.renderSessionForm(w, r, p, http.StatusUnprocessableEntity, f, ferr)
	}
	id, err := s.a.Training.ScheduleSession(r.Context(), p, planID, d)
	if err != nil {
		if formFailure(err) || errs.CodeOf(err) == errs.NotFound {
			if errs.CodeOf(err) == errs.NotFound {
				err = errs.Invalidf("plan_id", "%s", errs.As(err).Message)
			}
			return s.renderSessionForm(w, r, p, statusOf(err, true), f, err)
		}
		return err
	}
	s.redirect(w, r, "/training/sessions/"+strconv.FormatInt(id, 10), "session_created")
	return nil
}

// attendeeRow is one person present at a session.
type attendeeRow struct {
	ID     int64
	Name   string
	Manual bool   // recorded by the trainer, not by code
	Note   string // the reason, or for on-site practice what was practised
}

type trainingSessionPage struct {
	S          sessionRow
	Code       string // "" outside the check-in window
	Expires    string // HH:MM:SS when the code is replaced
	Refresh    int    // seconds until the page reloads for the next code
	CodeNote   string // why no code is shown
	Attendees  []attendeeRow
	Candidates []attendeeRow // enrolled and not yet present: the manual check-in select
	ManualErr  map[string]string
	Manual     struct{ Person, Reason string }
	Feedback   training.Summary
}

func sessionID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.New(errs.NotFound, "", "培训场次不存在")
	}
	return id, nil
}

func (s *server) renderSession(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, id int64,
	manual struct{ Person, Reason string }, merr error) error {
	if err := requireTrainer(p); err != nil {
		return err
	}
	ctx := r.Context()
	t, err := s.a.DB.TrainingSessionFor(ctx, p.Region, id)
	if err != nil {
		return err
	}
	if !p.Has(authz.TrainingAdmin) && t.TrainerUserID != p.UserID {
		return errs.New(errs.Forbidden, "", "讲师只能查看本人授课的培训场次")
	}
	pg := trainingSessionPage{S: s.sessionRow(r, t), ManualErr: map[string]string{}, Manual: manual}
	code, exp, cerr := s.a.Training.CheckInCode(ctx, p, id)
	if cerr == nil {
		pg.Code, pg.Expires = code, exp.In(cst).Format("15:04:05")
		pg.Refresh = min(max(int(exp.Sub(s.a.DB.Now())/time.Second)+1, 1), 30)
	} else {
		pg.CodeNote = errs.As(cerr).Message
	}
	att, err := s.a.DB.SessionAttendance(ctx, id)
	if err != nil {
		return err
	}
	var present []int64
	for _, a := range att {
		present = append(present, a.PersonID)
		pg.Attendees = append(pg.Attendees, attendeeRow{ID: a.PersonID, Name: s.userName(ctx, a.PersonID),
			Manual: a.Method == "manual", Note: a.Reason})
	}
	enrolled, err := s.planEnrollees(ctx, t.PlanID)
	if err != nil {
		return err
	}
	for _, pid := range enrolled {
		if !containsID(present, pid) {
			pg.Candidates = append(pg.Candidates, attendeeRow{ID: pid, Name: s.userName(ctx, pid)})
		}
	}
	if pg.Feedback, err = s.a.Training.FeedbackSummary(ctx, p, training.FeedbackQuery{SessionID: id}); err != nil {
		return err
	}
	if merr != nil {
		pg.ManualErr, _ = fieldErrors(merr)
		if pg.ManualErr["reason"] == "" && pg.ManualErr["person"] == "" {
			pg.ManualErr["person"] = errs.As(merr).Message
		}
	}
	s.render(w, r, p, status, "training_session", t.Title, sessionCrumbs(p, crumb{Label: t.Title}), pg)
	return nil
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func (s *server) trainingSessionDetail(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	return s.renderSession(w, r, p, http.StatusOK, id, struct{ Person, Reason string }{}, nil)
}

// trainingSessionCode answers the current check-in code as JSON, for a
// page script or a test: {"code", "expires"} or {"error"}.
func (s *server) trainingSessionCode(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	code, exp, err := s.a.Training.CheckInCode(r.Context(), p, id)
	if err != nil {
		writeJSON(w, statusOf(err, false), map[string]string{"error": errs.As(err).Message})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"code": code, "expires": exp.In(cst).Format(time.RFC3339)})
	return nil
}

// trainingManualCheckIn records a trainee as present by hand.
func (s *server) trainingManualCheckIn(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	m := struct{ Person, Reason string }{r.PostFormValue("person_id"), r.PostFormValue("reason")}
	person, perr := strconv.ParseInt(m.Person, 10, 64)
	if perr != nil || person <= 0 {
		return s.renderSession(w, r, p, http.StatusUnprocessableEntity, id, m, errs.Invalidf("person", "请选择签到人员"))
	}
	if err := s.a.Training.ManualCheckIn(r.Context(), p, id, person, m.Reason); err != nil {
		if c := errs.CodeOf(err); c == errs.Invalid || c == errs.Conflict || (c == errs.Forbidden && isTrainer(p)) {
			return s.renderSession(w, r, p, statusOf(err, true), id, m, err)
		}
		return err
	}
	s.redirect(w, r, "/training/sessions/"+strconv.FormatInt(id, 10), "manual_checkin")
	return nil
}
