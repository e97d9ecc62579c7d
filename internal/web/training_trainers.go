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

// The trainer registry page (issue 5 items 1 and 7): internal trainers
// with their selection record and development training, external experts
// with their invitations, and this year's invitations against
// expert_invites_per_year. Only a training admin sees it; each form posts
// to its own route and comes back here.

// trainerRow is one internal trainer on the page.
type trainerRow struct {
	UserID      int64
	Name        string
	Region      string
	Years       int
	Criteria    string
	ApprovedBy  string
	ApprovedOn  string
	DevMinutes  string // this year's development training
	Development []devRow
}

type devRow struct {
	On, Title, Hours string
}

// expertRow is one external expert on the page.
type expertRow struct {
	ID              int64
	Name            string
	Organisation    string
	Title           string
	Field           string
	InvitesThisYear int
	Invitations     []inviteRow
}

type inviteRow struct {
	On, Topic string
	SessionID int64
}

type trainersPage struct {
	Year          int
	Invites       int
	Target        int
	TargetVersion string
	Below         bool
	Trainers      []trainerRow
	Experts       []expertRow
	Candidates    []option
	Criteria      []option
	Today         string
	Notice        string
	Err           map[string]string
	Summary       []string
}

// trainerNotices are the notices after a successful write (?saved=…).
var trainerNotices = map[string]string{
	"trainer":     "培训师遴选记录已保存",
	"development": "培训师培训记录已保存",
	"expert":      "外聘专家已登记",
	"invitation":  "专家邀请已记录",
}

func (s *server) trainersView(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, ferr error) error {
	if err := requireTrainingAdmin(p); err != nil {
		return err
	}
	ctx := r.Context()
	now := s.a.DB.Now()
	reg, err := s.a.Training.TrainerRegistry(ctx, p, now)
	if err != nil {
		return err
	}
	names, err := s.a.DB.RegionNames(ctx)
	if err != nil {
		return err
	}
	pg := trainersPage{Year: reg.Year, Invites: reg.Invites, Target: reg.Target, TargetVersion: reg.TargetVersion,
		Below: reg.Below, Today: calendar.DayOf(now).Format(time.DateOnly), Notice: trainerNotices[r.URL.Query().Get("saved")],
		Err: map[string]string{}}
	for _, t := range reg.Trainers {
		row := trainerRow{UserID: t.UserID, Name: t.DisplayName, Region: villageName(names, t.Region), Years: t.ExperienceYears,
			Criteria: strings.Join(t.CriteriaLabels, "、"), ApprovedBy: t.ApprovedBy, ApprovedOn: t.ApprovedOn,
			DevMinutes: minutesText(t.DevelopmentMinutes)}
		for _, d := range t.Development {
			row.Development = append(row.Development, devRow{On: d.On, Title: d.Title, Hours: minutesText(d.Minutes)})
		}
		pg.Trainers = append(pg.Trainers, row)
	}
	for _, e := range reg.Experts {
		row := expertRow{ID: e.ID, Name: e.Name, Organisation: e.Organisation, Title: e.Title, Field: e.Field,
			InvitesThisYear: e.InvitesThisYear}
		for _, iv := range e.Invitations {
			row.Invitations = append(row.Invitations, inviteRow{On: iv.On, Topic: iv.Topic, SessionID: iv.SessionID})
		}
		pg.Experts = append(pg.Experts, row)
	}
	for _, u := range reg.Candidates {
		pg.Candidates = append(pg.Candidates, option{Value: strconv.FormatInt(u.ID, 10), Label: u.DisplayName + "（" + u.Username + "）"})
	}
	for _, c := range training.Criteria {
		pg.Criteria = append(pg.Criteria, option{Value: c.Code, Label: c.Label})
	}
	if ferr != nil {
		pg.Err, pg.Summary = fieldErrors(ferr)
	}
	s.render(w, r, p, status, "training_trainers", "培训师与专家",
		[]crumb{{Label: "培训管理", Href: "/training"}, {Label: "培训师与专家"}}, pg)
	return nil
}

func (s *server) trainingTrainers(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.trainersView(w, r, p, http.StatusOK, nil)
}

// trainersDone finishes a write: back to the page with a notice, or the
// page again with the form's errors.
func (s *server) trainersDone(w http.ResponseWriter, r *http.Request, p authz.Principal, saved string, err error) error {
	if err != nil {
		if formFailure(err) {
			return s.trainersView(w, r, p, statusOf(err, true), err)
		}
		return err
	}
	s.redirect(w, r, "/training/trainers?saved="+saved, "")
	return nil
}

// formDay reads a required date field.
func formDay(r *http.Request, field, label string, l *errs.List) time.Time {
	return formDate(field, label, r.PostForm.Get(field), l)
}

func (s *server) trainingTrainerSelect(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := requireTrainingAdmin(p); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	var l errs.List
	v := r.PostForm
	uid, _ := strconv.ParseInt(v.Get("user_id"), 10, 64)
	years, err := strconv.Atoi(strings.TrimSpace(v.Get("experience_years")))
	if err != nil {
		l.Add("experience_years", "请填写从业年限（整数）")
	}
	on := formDay(r, "approved_on", "审批日期", &l)
	if err := l.Err(); err != nil {
		return s.trainersDone(w, r, p, "", err)
	}
	err = s.a.Training.SelectTrainer(r.Context(), p, training.Selection{UserID: uid, ExperienceYears: years,
		Criteria: v["criteria"], ApprovedBy: v.Get("approved_by"), ApprovedOn: on})
	return s.trainersDone(w, r, p, "trainer", err)
}

func (s *server) trainingTrainerDevelopment(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := requireTrainingAdmin(p); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	var l errs.List
	on := formDay(r, "on", "培训日期", &l)
	minutes := 0
	if h, err := strconv.ParseFloat(strings.TrimSpace(r.PostForm.Get("hours")), 64); err != nil || h <= 0 {
		l.Add("minutes", "培训学时应为正数，如 2 或 1.5")
	} else {
		minutes = int(h*60 + 0.5)
	}
	if err := l.Err(); err != nil {
		return s.trainersDone(w, r, p, "", err)
	}
	_, err = s.a.Training.AddTrainerDevelopment(r.Context(), p, id, on, r.PostForm.Get("title"), minutes)
	return s.trainersDone(w, r, p, "development", err)
}

func (s *server) trainingExpertCreate(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := requireTrainingAdmin(p); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := r.PostForm
	_, err := s.a.Training.AddExpert(r.Context(), p, store.Expert{Name: v.Get("name"), Organisation: v.Get("organisation"),
		Title: v.Get("title"), Field: v.Get("field")})
	return s.trainersDone(w, r, p, "expert", err)
}

func (s *server) trainingExpertInvite(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := requireTrainingAdmin(p); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	var l errs.List
	on := formDay(r, "on", "邀请日期", &l)
	var session int64
	if sv := strings.TrimSpace(r.PostForm.Get("session_id")); sv != "" {
		if session, err = strconv.ParseInt(sv, 10, 64); err != nil || session <= 0 {
			l.Add("session_id", "培训场次编号应为正整数")
		}
	}
	if err := l.Err(); err != nil {
		return s.trainersDone(w, r, p, "", err)
	}
	_, err = s.a.Training.InviteExpert(r.Context(), p, id, on, r.PostForm.Get("topic"), session)
	return s.trainersDone(w, r, p, "invitation", err)
}
