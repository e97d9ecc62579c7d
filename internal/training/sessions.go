package training

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/checkin"
	"dibao/internal/errs"
	"dibao/internal/store"
)

// Session kinds (SPEC §3.3).
const (
	Classroom = "classroom" // 课堂培训
	Practice  = "practice"  // 现场实操
	Seminar   = "seminar"   // 案例研讨
)

// EarlyCheckIn is how long before a session starts check-in opens: people
// arrive early and sign in at the door.
const EarlyCheckIn = 30 * time.Minute

// ManualGrace is how long after a session ends its trainer may still check
// someone in by hand (a phone that died in the room, noticed the next day).
const ManualGrace = 7 * 24 * time.Hour

// SessionDraft is a session as the trainer or training admin enters it.
type SessionDraft struct {
	Kind          string // Classroom, Practice or Seminar
	Title         string
	StartsAt      time.Time
	EndsAt        time.Time
	Place         string
	TrainerUserID int64  // the internal trainer; a trainer scheduling for themself may leave it 0
	ExpertName    string // an invited external expert, when no internal trainer runs it
	Minutes       int    // credited per attendee; 0 means the session's length
}

// ScheduleSession adds a session to a plan, with a fresh check-in secret.
// A training admin may schedule for any trainer; a trainer only sessions
// they run themself. Audited training.session.create.
func (s *Service) ScheduleSession(ctx context.Context, p authz.Principal, planID int64, d SessionDraft) (int64, error) {
	admin := p.Has(authz.TrainingAdmin)
	if !admin && !p.Has(authz.Trainer) {
		return 0, forbidden("只有讲师或培训管理员可以安排培训场次")
	}
	if !admin {
		if d.TrainerUserID == 0 {
			d.TrainerUserID = p.UserID
		}
		if d.TrainerUserID != p.UserID {
			return 0, forbidden("讲师只能安排由本人授课的培训场次")
		}
	}
	d.Title, d.Place, d.ExpertName = strings.TrimSpace(d.Title), strings.TrimSpace(d.Place), strings.TrimSpace(d.ExpertName)
	var l errs.List
	switch d.Kind {
	case Classroom, Practice, Seminar:
	default:
		l.Add("kind", "请选择培训形式（课堂培训、现场实操或案例研讨）")
	}
	if d.Title == "" {
		l.Add("title", "请填写培训场次名称")
	}
	length := int(d.EndsAt.Sub(d.StartsAt) / time.Minute)
	if d.StartsAt.IsZero() || d.EndsAt.IsZero() || length <= 0 {
		l.Add("time", "请填写培训的开始和结束时间，结束时间应晚于开始时间")
	}
	if d.Minutes == 0 {
		d.Minutes = length
	}
	if length > 0 && (d.Minutes <= 0 || d.Minutes > length) {
		l.Add("minutes", "计入学时应在1分钟至培训时长（%d分钟）之间", length)
	}
	if d.TrainerUserID == 0 && d.ExpertName == "" {
		l.Add("trainer", "请指定授课讲师或填写特邀专家姓名")
	}
	if err := l.Err(); err != nil {
		return 0, err
	}
	if d.TrainerUserID != 0 {
		u, err := s.DB.UserByID(ctx, d.TrainerUserID)
		if err != nil {
			return 0, err
		}
		if !u.Active || !(u.Principal().Has(authz.Trainer) || u.Principal().Has(authz.TrainingAdmin)) {
			return 0, errs.Invalidf("trainer", "%s不是在岗讲师", u.DisplayName)
		}
	}
	t := store.TrainingSession{PlanID: planID, Kind: d.Kind, Title: d.Title, StartsAt: d.StartsAt, EndsAt: d.EndsAt,
		Place: d.Place, TrainerUserID: d.TrainerUserID, ExpertName: d.ExpertName, Secret: checkin.Secret(), Minutes: d.Minutes}
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		pl, err := tx.TrainingPlan(ctx, planID)
		if err != nil {
			return err
		}
		// A county plan is run by county and township staff alike; a
		// township's plan only by staff above or within that township.
		if !p.Scope().Contains(pl.Region) && !p.Region.Within(pl.Region) {
			return forbidden("该培训计划不在您的管辖范围内")
		}
		if err := tx.CreateTrainingSession(ctx, &t); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "training.session.create", Object: sessionObj(t.ID),
			Detail: fmt.Sprintf("plan=%d kind=%s starts=%s minutes=%d trainer=%d expert=%s", planID, t.Kind,
				t.StartsAt.In(calendar.Location()).Format("2006-01-02 15:04"), t.Minutes, t.TrainerUserID, t.ExpertName)})
	})
	return t.ID, err
}

// mayRun reports whether p runs the session: its trainer, or a training
// admin.
func mayRun(p authz.Principal, t store.TrainingSession) bool {
	return p.Has(authz.TrainingAdmin) || (t.TrainerUserID != 0 && t.TrainerUserID == p.UserID)
}

func clock(t time.Time) string { return t.In(calendar.Location()).Format("15:04") }

// window checks that now lies within the session's check-in window.
func window(t store.TrainingSession, now time.Time) error {
	if now.Before(t.StartsAt.Add(-EarlyCheckIn)) || now.After(t.EndsAt) {
		return errs.New(errs.Invalid, "code", fmt.Sprintf("不在签到时间内（本场培训可于%s %s至%s签到）",
			t.StartsAt.In(calendar.Location()).Format("2006-01-02"), clock(t.StartsAt.Add(-EarlyCheckIn)), clock(t.EndsAt)))
	}
	return nil
}

// CheckInCode returns the code to show in the room now and when it is
// replaced. Only the session's trainer or a training admin sees it, and
// only within the check-in window.
func (s *Service) CheckInCode(ctx context.Context, p authz.Principal, sessionID int64) (code string, expires time.Time, err error) {
	t, err := s.DB.TrainingSessionFor(ctx, p.Region, sessionID)
	if err != nil {
		return "", time.Time{}, err
	}
	if !mayRun(p, t) {
		return "", time.Time{}, forbidden("只有本场培训的讲师或培训管理员可以查看签到码")
	}
	now := s.now()
	if err := window(t, now); err != nil {
		return "", time.Time{}, err
	}
	return checkin.Code(t.Secret, now), checkin.Expires(now), nil
}

// CheckIn checks the trainee p in to a session with the code shown in the
// room. The trainee must be enrolled in the session's plan and within the
// window (EarlyCheckIn before the start to the end). Wrong codes are
// limited by checkin.Check per person and session; the failures are kept
// in the checkin_attempts table (not in memory) so that a restart or a
// second server does not hand out fresh tries. A refused code is itself
// committed with a "denied" audit record. On success the session's
// minutes are credited to the attendance and the enrollment, which is
// done once its minutes reach the plan's requirement. Audited
// training.checkin.
func (s *Service) CheckIn(ctx context.Context, p authz.Principal, sessionID int64, code string) error {
	if p.UserID == 0 {
		return forbidden("请先登录再签到")
	}
	now := s.now()
	var refused error
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		t, e, err := s.attendable(ctx, tx, sessionID, p.UserID)
		if err != nil {
			return err
		}
		if err := window(t, now); err != nil {
			return err
		}
		failures, err := tx.CheckinFailures(ctx, sessionID, p.UserID)
		if err != nil {
			return err
		}
		a := checkin.Attempts{Failures: failures}
		if cerr := checkin.Check(t.Secret, code, now, &a); cerr != nil {
			refused = cerr
			if err := tx.SetCheckinFailures(ctx, sessionID, p.UserID, a.Failures); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "training.checkin", Object: sessionObj(sessionID), Result: "denied",
				Detail: fmt.Sprintf("person=%d %s", p.UserID, errs.As(cerr).Message)})
		}
		if len(failures) > 0 {
			if err := tx.SetCheckinFailures(ctx, sessionID, p.UserID, nil); err != nil {
				return err
			}
		}
		return s.credit(ctx, tx, t, e, store.Attendance{SessionID: sessionID, PersonID: p.UserID, CheckedInAt: now,
			Method: "code", Minutes: t.Minutes}, "training.checkin")
	})
	if err != nil {
		return err
	}
	return refused
}

// ManualCheckIn is the trainer's fallback when a trainee cannot check in
// with the code: the session's trainer or a training admin records the
// person as present, with a reason, from the window's opening until
// ManualGrace after the end. Audited training.checkin.manual.
func (s *Service) ManualCheckIn(ctx context.Context, trainer authz.Principal, sessionID, personID int64, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return errs.Invalidf("reason", "请填写手工签到的原因")
	}
	if utf8.RuneCountInString(reason) > 200 {
		return errs.Invalidf("reason", "手工签到原因不能超过200字")
	}
	now := s.now()
	return s.DB.InTx(ctx, trainer, func(tx *store.Tx) error {
		t, err := tx.TrainingSession(ctx, sessionID)
		if err != nil {
			return err
		}
		if !mayRun(trainer, t) {
			return forbidden("只有本场培训的讲师或培训管理员可以手工签到")
		}
		if now.Before(t.StartsAt.Add(-EarlyCheckIn)) || now.After(t.EndsAt.Add(ManualGrace)) {
			return errs.New(errs.Invalid, "", fmt.Sprintf("手工签到只能在培训开始前%d分钟至结束后%d天内进行",
				int(EarlyCheckIn/time.Minute), int(ManualGrace/(24*time.Hour))))
		}
		t, e, err := s.attendable(ctx, tx, sessionID, personID)
		if err != nil {
			return err
		}
		return s.credit(ctx, tx, t, e, store.Attendance{SessionID: sessionID, PersonID: personID, CheckedInAt: now,
			Method: "manual", Minutes: t.Minutes, RecordedBy: trainer.UserID, Reason: reason}, "training.checkin.manual")
	})
}

// attendable loads the session and the person's enrollment in its plan,
// refusing people who are not enrolled or have already checked in.
func (s *Service) attendable(ctx context.Context, tx *store.Tx, sessionID, personID int64) (store.TrainingSession, store.Enrollment, error) {
	t, err := tx.TrainingSession(ctx, sessionID)
	if err != nil {
		return t, store.Enrollment{}, err
	}
	e, err := tx.EnrollmentFor(ctx, personID, t.PlanID)
	if errs.CodeOf(err) == errs.NotFound || (err == nil && e.Status == store.EnrollDropped) {
		return t, e, forbidden("未报名本场培训所属的培训计划，不能签到")
	}
	if err != nil {
		return t, e, err
	}
	if ok, err := tx.Attended(ctx, sessionID, personID); err != nil {
		return t, e, err
	} else if ok {
		return t, e, errs.New(errs.Conflict, "", "已签到，无需重复签到")
	}
	return t, e, nil
}

// credit writes the attendance, credits its minutes to the enrollment and
// appends the audit record.
func (s *Service) credit(ctx context.Context, tx *store.Tx, t store.TrainingSession, e store.Enrollment, a store.Attendance, action string) error {
	if err := tx.InsertAttendance(ctx, a); err != nil {
		return err
	}
	completed, err := tx.CreditEnrollment(ctx, e.ID, a.Minutes, e.PlanRequired)
	if err != nil {
		return err
	}
	detail := fmt.Sprintf("person=%d plan=%d minutes=%d total=%d/%d", a.PersonID, t.PlanID, a.Minutes,
		e.MinutesCredited+a.Minutes, e.PlanRequired)
	if completed && e.Status == store.EnrollOpen {
		detail += " completed"
	}
	if a.Reason != "" {
		detail += " reason=" + a.Reason
	}
	return tx.Audit(ctx, store.Entry{Action: action, Object: sessionObj(t.ID), Detail: detail})
}
