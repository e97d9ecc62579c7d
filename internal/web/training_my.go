package web

import (
	"net/http"
	"strconv"

	"dibao/internal/authz"
	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/store"
	"dibao/internal/training"
)

// Trainee pages (issue 5): my items and this quarter's minutes, check-in
// with the code shown in the room, and feedback on attended sessions.

// myItemRow is one of my training items.
type myItemRow struct {
	Title    string
	Kind     string
	Reason   string
	Due      string
	Overdue  bool
	Done     bool
	Credited int
	Required int
}

// categoryMinutes is one line of "minutes this quarter by category".
type categoryMinutes struct {
	Label   string
	Minutes int
}

// feedbackRow is an attended session with its feedback form (or the note
// that feedback was given).
type feedbackRow struct {
	Session sessionRow
	Rated   bool
	Err     map[string]string
	Values  feedbackForm
}

// feedbackForm is the submitted feedback, kept for a re-rendered form.
type feedbackForm struct {
	Content, Method, Trainer, Comment string
}

type trainingMyPage struct {
	Items       []myItemRow
	Quarter     string
	Categories  []categoryMinutes
	Total       int
	Open        []sessionRow // sessions of my plans whose check-in is open now
	CheckinErr  string
	CheckinForm struct{ Session, Code string }
	Feedback    []feedbackRow
	IsAdmin     bool
	IsTrainer   bool
	Ratings     []option // the 1–5 choices of every rating select

	// My assessment results and certifications (issue 6).
	Assess training.MyAssessments
}

// myState is what a failed form carries into the re-rendered page.
type myState struct {
	checkinErr     error
	checkinSession string
	feedbackID     int64
	feedbackErr    error
	feedback       feedbackForm
}

func (s *server) renderMy(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, st myState) error {
	ctx := r.Context()
	mine, err := s.a.Training.MyTraining(ctx, p)
	if err != nil {
		return err
	}
	pg := trainingMyPage{Quarter: mine.Quarter, Total: mine.Total, IsAdmin: p.Has(authz.TrainingAdmin), IsTrainer: isTrainer(p),
		Ratings: ratingChoices}
	for _, it := range mine.Items {
		pg.Items = append(pg.Items, myItemRow{Title: it.Title, Kind: it.Kind.Label(), Reason: it.Reason, Due: it.Due,
			Overdue: it.Overdue, Done: it.Status == store.EnrollDone, Credited: it.MinutesCredited, Required: it.RequiredMinutes})
	}
	for _, c := range enroll.Categories {
		pg.Categories = append(pg.Categories, categoryMinutes{Label: c.Label(), Minutes: mine.Minutes[c]})
	}
	sessions, err := s.enrolledSessions(ctx, p.UserID)
	if err != nil {
		return err
	}
	attended, err := s.attendedSessions(ctx, p.UserID)
	if err != nil {
		return err
	}
	rated, err := s.ratedSessions(ctx, p.UserID)
	if err != nil {
		return err
	}
	now := s.a.DB.Now()
	for _, t := range sessions {
		if !containsID(attended, t.ID) && !now.Before(t.StartsAt.Add(-training.EarlyCheckIn)) && !now.After(t.EndsAt) {
			pg.Open = append(pg.Open, s.sessionRow(r, t))
		}
	}
	for _, id := range attended {
		t, err := s.a.DB.TrainingSession(ctx, id)
		if err != nil {
			continue
		}
		fr := feedbackRow{Session: s.sessionRow(r, t), Rated: containsID(rated, id), Err: map[string]string{}}
		if id == st.feedbackID && st.feedbackErr != nil {
			fr.Err, _ = fieldErrors(st.feedbackErr)
			if len(fr.Err) == 0 {
				fr.Err["comment"] = errs.As(st.feedbackErr).Message
			}
			fr.Values = st.feedback
		}
		pg.Feedback = append(pg.Feedback, fr)
	}
	if pg.Assess, err = s.a.Training.Mine(ctx, p); err != nil {
		return err
	}
	pg.CheckinForm.Session = st.checkinSession
	if st.checkinErr != nil {
		pg.CheckinErr = errs.As(st.checkinErr).Message
	}
	s.render(w, r, p, status, "training_my", "我的培训", []crumb{{Label: "我的培训", Href: "/training/my"}}, pg)
	return nil
}

func (s *server) trainingMy(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.renderMy(w, r, p, http.StatusOK, myState{})
}

// userError reports whether err is the trainee's to fix (a wrong code, a
// closed window, not enrolled, already present), shown on the page rather
// than as an error page.
func userError(err error) bool {
	switch errs.CodeOf(err) {
	case errs.Invalid, errs.Forbidden, errs.Conflict, errs.NotFound:
		return true
	}
	return false
}

// trainingCheckIn checks the caller in with the code shown in the room.
func (s *server) trainingCheckIn(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	sid := r.PostFormValue("session_id")
	id, err := strconv.ParseInt(sid, 10, 64)
	if err != nil || id <= 0 {
		return s.renderMy(w, r, p, http.StatusUnprocessableEntity, myState{checkinSession: sid,
			checkinErr: errs.Invalidf("session_id", "请选择要签到的培训场次")})
	}
	if err := s.a.Training.CheckIn(r.Context(), p, id, r.PostFormValue("code")); err != nil {
		if userError(err) {
			return s.renderMy(w, r, p, statusOf(err, true), myState{checkinSession: sid, checkinErr: err})
		}
		return err
	}
	s.redirect(w, r, "/training/my", "checked_in")
	return nil
}

// trainingFeedback stores the caller's ratings of an attended session.
func (s *server) trainingFeedback(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	v := r.PostForm
	f := feedbackForm{Content: v.Get("content"), Method: v.Get("method"), Trainer: v.Get("trainer"), Comment: v.Get("comment")}
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	err = s.a.Training.Feedback(r.Context(), p, id, training.Ratings{Content: num(f.Content), Method: num(f.Method),
		Trainer: num(f.Trainer)}, f.Comment)
	if err != nil {
		if c := errs.CodeOf(err); c == errs.Invalid || c == errs.Conflict {
			return s.renderMy(w, r, p, statusOf(err, true), myState{feedbackID: id, feedbackErr: err, feedback: f})
		}
		return err
	}
	s.redirect(w, r, "/training/my", "feedback_saved")
	return nil
}

// ratingChoices are the options of a 1–5 rating select.
var ratingChoices = []option{{Value: "5", Label: "5 非常满意"}, {Value: "4", Label: "4 满意"}, {Value: "3", Label: "3 一般"},
	{Value: "2", Label: "2 不满意"}, {Value: "1", Label: "1 非常不满意"}}
