package training

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/policy"
	"dibao/internal/store"
)

// The trainer registry (issue 5 items 1 and 7, SPEC §3.1, §3.7): internal
// trainers with their selection record and development training, external
// experts with every invitation, and this year's invitations against
// policy.ExpertInvitesPerYear. Only a training admin writes it; every
// write is audited.

// Criterion is one selection criterion an internal trainer must meet.
type Criterion struct {
	Code  string
	Label string
}

// Criteria are the selection criteria of an internal trainer (seed §4).
var Criteria = []Criterion{
	{"experience", "业务经验丰富"},
	{"policy", "熟悉政策法规和业务流程"},
	{"expression", "具备良好表达能力"},
	{"responsibility", "责任心强"},
}

// CriterionLabel is the Chinese name of a criterion code (the code itself
// if unknown).
func CriterionLabel(code string) string {
	for _, c := range Criteria {
		if c.Code == code {
			return c.Label
		}
	}
	return code
}

func trainerObj(userID int64) string { return "trainer:" + strconv.FormatInt(userID, 10) }
func expertObj(id int64) string      { return "expert:" + strconv.FormatInt(id, 10) }

func requireAdmin(p authz.Principal) error {
	if !p.Has(authz.TrainingAdmin) {
		return forbidden("只有培训管理员可以管理培训师和外聘专家")
	}
	return nil
}

// notAfterToday checks a required date that records a fact: it cannot be
// in the future.
func notAfterToday(field, label string, d, today time.Time, l *errs.List) {
	switch {
	case d.IsZero():
		l.Add(field, "请填写%s", label)
	case d.After(today):
		l.Add(field, "%s不能晚于今天", label)
	}
}

// Selection is the selection record of an internal trainer.
type Selection struct {
	UserID          int64
	ExperienceYears int
	Criteria        []string // Criteria codes met
	ApprovedBy      string
	ApprovedOn      time.Time
}

// SelectTrainer flags an active staff account within the admin's scope as
// an internal trainer with its selection record, or replaces the record of
// one already flagged (training.trainer.select).
func (s *Service) SelectTrainer(ctx context.Context, p authz.Principal, sel Selection) error {
	if err := requireAdmin(p); err != nil {
		return err
	}
	var l errs.List
	if sel.UserID <= 0 {
		l.Add("user_id", "请选择人员")
	}
	if sel.ExperienceYears < 0 || sel.ExperienceYears > 60 {
		l.Add("experience_years", "从业年限应在0到60年之间")
	}
	var codes []string
	for _, c := range Criteria {
		if slices.Contains(sel.Criteria, c.Code) {
			codes = append(codes, c.Code)
		}
	}
	if len(codes) == 0 {
		l.Add("criteria", "请勾选该人员符合的遴选条件")
	}
	for _, c := range sel.Criteria {
		if CriterionLabel(c) == c {
			l.Add("criteria", "未知的遴选条件：%s", c)
		}
	}
	approvedBy := strings.TrimSpace(sel.ApprovedBy)
	if approvedBy == "" {
		l.Add("approved_by", "请填写审批人")
	}
	notAfterToday("approved_on", "审批日期", sel.ApprovedOn, s.today(), &l)
	if err := l.Err(); err != nil {
		return err
	}
	t := store.Trainer{UserID: sel.UserID, ExperienceYears: sel.ExperienceYears, Criteria: strings.Join(codes, ","),
		ApprovedBy: approvedBy, ApprovedOn: dateString(sel.ApprovedOn)}
	return s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		u, err := tx.UserForUpdate(ctx, p.Scope(), sel.UserID)
		if err != nil {
			return err
		}
		if !u.Active {
			return errs.Invalidf("user_id", "账号%s已停用，不能选为培训师", u.Username)
		}
		if err := tx.PutTrainer(ctx, &t); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "training.trainer.select", Object: trainerObj(t.UserID),
			Detail: fmt.Sprintf("user=%s years=%d criteria=%s approved_by=%s approved_on=%s", u.Username,
				t.ExperienceYears, t.Criteria, t.ApprovedBy, t.ApprovedOn)})
	})
}

// AddTrainerDevelopment records a training an internal trainer attended to
// develop as a trainer (training.trainer.development).
func (s *Service) AddTrainerDevelopment(ctx context.Context, p authz.Principal, userID int64, on time.Time, title string, minutes int) (int64, error) {
	if err := requireAdmin(p); err != nil {
		return 0, err
	}
	var l errs.List
	title = strings.TrimSpace(title)
	if title == "" {
		l.Add("title", "请填写培训名称")
	}
	notAfterToday("on", "培训日期", on, s.today(), &l)
	if minutes <= 0 || minutes > 60*24*30 {
		l.Add("minutes", "培训学时应为正数")
	}
	if err := l.Err(); err != nil {
		return 0, err
	}
	d := store.TrainerDevelopment{UserID: userID, On: dateString(on), Title: title, Minutes: minutes}
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		t, err := tx.Trainer(ctx, userID)
		if err != nil {
			return err
		}
		if !p.Scope().Contains(t.Region) {
			return forbidden("该培训师不在您的管辖区域")
		}
		if err := tx.AddTrainerDevelopment(ctx, &d); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "training.trainer.development", Object: trainerObj(userID),
			Detail: fmt.Sprintf("on=%s minutes=%d title=%s", d.On, d.Minutes, d.Title)})
	})
	return d.ID, err
}

// AddExpert registers an external expert (training.expert.create): name
// and organisation are required, title and field recommended.
func (s *Service) AddExpert(ctx context.Context, p authz.Principal, e store.Expert) (int64, error) {
	if err := requireAdmin(p); err != nil {
		return 0, err
	}
	e.Name, e.Organisation = strings.TrimSpace(e.Name), strings.TrimSpace(e.Organisation)
	e.Title, e.Field = strings.TrimSpace(e.Title), strings.TrimSpace(e.Field)
	var l errs.List
	if e.Name == "" {
		l.Add("name", "请填写专家姓名")
	}
	if e.Organisation == "" {
		l.Add("organisation", "请填写专家所在单位")
	}
	if err := l.Err(); err != nil {
		return 0, err
	}
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		if err := tx.CreateExpert(ctx, &e); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "training.expert.create", Object: expertObj(e.ID),
			Detail: fmt.Sprintf("name=%s organisation=%s title=%s field=%s", e.Name, e.Organisation, e.Title, e.Field)})
	})
	return e.ID, err
}

// InviteExpert records one invitation of an expert on a day, on a topic,
// optionally for a scheduled session (sessionID 0 for none)
// (training.expert.invite).
func (s *Service) InviteExpert(ctx context.Context, p authz.Principal, expertID int64, on time.Time, topic string, sessionID int64) (int64, error) {
	if err := requireAdmin(p); err != nil {
		return 0, err
	}
	var l errs.List
	topic = strings.TrimSpace(topic)
	if topic == "" {
		l.Add("topic", "请填写授课主题")
	}
	if on.IsZero() {
		l.Add("on", "请填写邀请日期")
	}
	if sessionID < 0 {
		l.Add("session_id", "培训场次编号无效")
	}
	if err := l.Err(); err != nil {
		return 0, err
	}
	iv := store.ExpertInvitation{ExpertID: expertID, On: dateString(on), Topic: topic, SessionID: sessionID}
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		e, err := tx.Expert(ctx, expertID)
		if err != nil {
			return err
		}
		if sessionID != 0 {
			if _, err := tx.TrainingSession(ctx, sessionID); errs.CodeOf(err) == errs.NotFound {
				return errs.Invalidf("session_id", "培训场次%d不存在", sessionID)
			} else if err != nil {
				return err
			}
		}
		if err := tx.AddExpertInvitation(ctx, &iv); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "training.expert.invite", Object: expertObj(expertID),
			Detail: fmt.Sprintf("expert=%s on=%s session=%d topic=%s", e.Name, iv.On, iv.SessionID, iv.Topic)})
	})
	return iv.ID, err
}

// TrainerEntry is one internal trainer in the registry.
type TrainerEntry struct {
	store.Trainer
	CriteriaLabels     []string
	Development        []store.TrainerDevelopment // newest first
	DevelopmentMinutes int                        // this year's
}

// ExpertEntry is one external expert in the registry.
type ExpertEntry struct {
	store.Expert
	Invitations     []store.ExpertInvitation // newest first
	InvitesThisYear int
}

// Registry is the trainer registry as the training admin sees it.
type Registry struct {
	Year     int
	Trainers []TrainerEntry
	Experts  []ExpertEntry
	// Candidates are the active staff within the admin's scope who may be
	// selected as trainers (those already flagged included, to update).
	Candidates []store.User
	// This year's expert invitations against expert_invites_per_year for
	// the admin's county, with the parameter version used.
	Invites       int
	Target        int
	TargetVersion string
	Below         bool
}

// TrainerRegistry reads the registry for a training admin on today.
func (s *Service) TrainerRegistry(ctx context.Context, p authz.Principal, today time.Time) (Registry, error) {
	if err := requireAdmin(p); err != nil {
		return Registry{}, err
	}
	county := p.Region.County()
	if county == "" {
		return Registry{}, errs.Invalidf("region", "行政区划代码无效：%s", p.Region)
	}
	set, err := policy.Resolve(ctx, s.DB, county, today)
	if err != nil {
		return Registry{}, err
	}
	year := today.Year()
	from, to := fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-12-31", year)
	reg := Registry{Year: year, Target: set.Int(policy.ExpertInvitesPerYear),
		TargetVersion: set.Version(policy.ExpertInvitesPerYear)}

	trainers, err := s.DB.Trainers(ctx)
	if err != nil {
		return Registry{}, err
	}
	devs, err := s.DB.TrainerDevelopments(ctx)
	if err != nil {
		return Registry{}, err
	}
	byTrainer := map[int64][]store.TrainerDevelopment{}
	for _, d := range devs {
		byTrainer[d.UserID] = append(byTrainer[d.UserID], d)
	}
	scope := p.Scope()
	for _, t := range trainers {
		if !scope.Contains(t.Region) {
			continue
		}
		e := TrainerEntry{Trainer: t, Development: byTrainer[t.UserID]}
		for _, c := range splitList(t.Criteria) {
			e.CriteriaLabels = append(e.CriteriaLabels, CriterionLabel(c))
		}
		for _, d := range e.Development {
			if d.On >= from && d.On <= to {
				e.DevelopmentMinutes += d.Minutes
			}
		}
		reg.Trainers = append(reg.Trainers, e)
	}

	experts, err := s.DB.Experts(ctx)
	if err != nil {
		return Registry{}, err
	}
	invs, err := s.DB.ExpertInvitations(ctx, "", "")
	if err != nil {
		return Registry{}, err
	}
	byExpert := map[int64][]store.ExpertInvitation{}
	for _, iv := range invs {
		byExpert[iv.ExpertID] = append(byExpert[iv.ExpertID], iv)
	}
	for _, e := range experts {
		x := ExpertEntry{Expert: e, Invitations: byExpert[e.ID]}
		for _, iv := range x.Invitations {
			if iv.On >= from && iv.On <= to {
				x.InvitesThisYear++
			}
		}
		reg.Invites += x.InvitesThisYear
		reg.Experts = append(reg.Experts, x)
	}
	reg.Below = reg.Invites < reg.Target

	err = s.DB.ReadTx(ctx, p, func(tx *store.Tx) error {
		users, err := tx.TrainingStaff(ctx)
		for _, u := range users {
			if u.Active && scope.Contains(u.Region) {
				reg.Candidates = append(reg.Candidates, u)
			}
		}
		return err
	})
	return reg, err
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}
