package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"dibao/internal/errs"
	"dibao/internal/region"
)

// Trainer is a staff account flagged as an internal trainer, with its
// selection record (SPEC §3.1). Criteria stays a comma list of the codes
// package training defines.
type Trainer struct {
	UserID          int64
	ExperienceYears int
	Criteria        string // comma list of training.Criteria codes
	ApprovedBy      string // who approved the selection
	ApprovedOn      string // YYYY-MM-DD
	CreatedAt       time.Time
	UpdatedAt       time.Time
	// Joined from the account.
	Username    string
	DisplayName string
	Region      region.Code
	Active      bool
}

const trainerSelect = `SELECT t.user_id, t.experience_years, t.criteria, t.approved_by, t.approved_on, t.created_at,
	t.updated_at, u.username, u.display_name, u.region_code, u.active
	FROM trainers t JOIN users u ON u.id = t.user_id`

func scanTrainer(s scanner) (Trainer, error) {
	var t Trainer
	var created, updated, active int64
	var rc string
	err := s.Scan(&t.UserID, &t.ExperienceYears, &t.Criteria, &t.ApprovedBy, &t.ApprovedOn, &created, &updated,
		&t.Username, &t.DisplayName, &rc, &active)
	t.CreatedAt, t.UpdatedAt, t.Region, t.Active = fromMS(created), fromMS(updated), region.Code(rc), active == 1
	return t, err
}

// PutTrainer flags an account as a trainer with the given selection record,
// or replaces the record of one already flagged; the caller has validated it.
func (tx *Tx) PutTrainer(ctx context.Context, t *Trainer) error {
	now := tx.db.now()
	_, err := tx.exec(ctx, `INSERT INTO trainers (user_id, experience_years, criteria, approved_by, approved_on,
		created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET experience_years = excluded.experience_years, criteria = excluded.criteria,
		approved_by = excluded.approved_by, approved_on = excluded.approved_on, updated_at = excluded.updated_at`,
		t.UserID, t.ExperienceYears, t.Criteria, t.ApprovedBy, t.ApprovedOn, nullID(tx.p.UserID), ms(now), ms(now))
	if err != nil {
		return mapErr(err, "保存培训师遴选记录失败")
	}
	t.UpdatedAt = now
	return nil
}

// Trainer reads one trainer inside the transaction; NotFound if the account
// is not flagged as a trainer.
func (tx *Tx) Trainer(ctx context.Context, userID int64) (Trainer, error) {
	t, err := scanTrainer(tx.queryRow(ctx, trainerSelect+" WHERE t.user_id = ?", userID))
	if errors.Is(err, sql.ErrNoRows) {
		return t, errs.New(errs.NotFound, "", "该人员不是培训师")
	}
	return t, mapErr(err, "读取培训师失败")
}

// Trainers lists every internal trainer by name.
func (db *DB) Trainers(ctx context.Context) ([]Trainer, error) {
	return collect(ctx, db, db.r, "读取培训师失败", trainerSelect+" ORDER BY u.display_name, t.user_id", nil, scanTrainer)
}

// TrainerDevelopment is one training a trainer attended to develop as a
// trainer (SPEC §3.7).
type TrainerDevelopment struct {
	ID        int64
	UserID    int64
	On        string // YYYY-MM-DD
	Title     string
	Minutes   int
	CreatedBy int64
	CreatedAt time.Time
}

func scanDevelopment(s scanner) (TrainerDevelopment, error) {
	var d TrainerDevelopment
	var by sql.NullInt64
	var created int64
	err := s.Scan(&d.ID, &d.UserID, &d.On, &d.Title, &d.Minutes, &by, &created)
	d.CreatedBy, d.CreatedAt = by.Int64, fromMS(created)
	return d, err
}

// AddTrainerDevelopment records one development training of a trainer.
func (tx *Tx) AddTrainerDevelopment(ctx context.Context, d *TrainerDevelopment) error {
	now := tx.db.now()
	var err error
	d.ID, err = tx.insertID(ctx, `INSERT INTO trainer_development (user_id, on_date, title, minutes, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, d.UserID, d.On, d.Title, d.Minutes, nullID(tx.p.UserID), ms(now))
	if err != nil {
		return mapErr(err, "保存培训师培训记录失败")
	}
	d.CreatedBy, d.CreatedAt = tx.p.UserID, now
	return nil
}

// TrainerDevelopments lists every trainer's development training, by
// trainer and then newest first.
func (db *DB) TrainerDevelopments(ctx context.Context) ([]TrainerDevelopment, error) {
	return collect(ctx, db, db.r, "读取培训师培训记录失败", `SELECT id, user_id, on_date, title, minutes, created_by, created_at
		FROM trainer_development ORDER BY user_id, on_date DESC, id DESC`, nil, scanDevelopment)
}

// Expert is an external expert the county invites to teach.
type Expert struct {
	ID           int64
	Name         string
	Organisation string
	Title        string
	Field        string
	CreatedBy    int64
	CreatedAt    time.Time
}

func scanExpert(s scanner) (Expert, error) {
	var e Expert
	var by sql.NullInt64
	var created int64
	err := s.Scan(&e.ID, &e.Name, &e.Organisation, &e.Title, &e.Field, &by, &created)
	e.CreatedBy, e.CreatedAt = by.Int64, fromMS(created)
	return e, err
}

const expertCols = "id, name, organisation, title, field, created_by, created_at"

// CreateExpert inserts an external expert; the caller has validated it.
func (tx *Tx) CreateExpert(ctx context.Context, e *Expert) error {
	now := tx.db.now()
	var err error
	e.ID, err = tx.insertID(ctx, `INSERT INTO experts (name, organisation, title, field, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, e.Name, e.Organisation, e.Title, e.Field, nullID(tx.p.UserID), ms(now))
	if err != nil {
		return mapErr(err, "保存外聘专家失败")
	}
	e.CreatedBy, e.CreatedAt = tx.p.UserID, now
	return nil
}

// Expert reads one expert inside the transaction.
func (tx *Tx) Expert(ctx context.Context, id int64) (Expert, error) {
	e, err := scanExpert(tx.queryRow(ctx, "SELECT "+expertCols+" FROM experts WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, errs.New(errs.NotFound, "", "外聘专家不存在")
	}
	return e, mapErr(err, "读取外聘专家失败")
}

// Experts lists every external expert, oldest first.
func (db *DB) Experts(ctx context.Context) ([]Expert, error) {
	return collect(ctx, db, db.r, "读取外聘专家失败", "SELECT "+expertCols+" FROM experts ORDER BY id", nil, scanExpert)
}

// ExpertInvitation is one invitation of an expert: the day, the topic and,
// when it was a scheduled session, the session.
type ExpertInvitation struct {
	ID        int64
	ExpertID  int64
	On        string // YYYY-MM-DD
	Topic     string
	SessionID int64 // 0: not tied to a session
	CreatedBy int64
	CreatedAt time.Time
}

func scanInvitation(s scanner) (ExpertInvitation, error) {
	var iv ExpertInvitation
	var session, by sql.NullInt64
	var created int64
	err := s.Scan(&iv.ID, &iv.ExpertID, &iv.On, &iv.Topic, &session, &by, &created)
	iv.SessionID, iv.CreatedBy, iv.CreatedAt = session.Int64, by.Int64, fromMS(created)
	return iv, err
}

// AddExpertInvitation records an invitation; a SessionID that names no
// session is Invalid.
func (tx *Tx) AddExpertInvitation(ctx context.Context, iv *ExpertInvitation) error {
	now := tx.db.now()
	var err error
	iv.ID, err = tx.insertID(ctx, `INSERT INTO expert_invitations (expert_id, on_date, topic, session_id, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, iv.ExpertID, iv.On, iv.Topic, nullID(iv.SessionID), nullID(tx.p.UserID), ms(now))
	if err != nil {
		return mapErr(err, "保存专家邀请记录失败")
	}
	iv.CreatedBy, iv.CreatedAt = tx.p.UserID, now
	return nil
}

// ExpertInvitations lists the invitations dated from..to (YYYY-MM-DD,
// inclusive; "" leaves that end open), newest first.
func (db *DB) ExpertInvitations(ctx context.Context, from, to string) ([]ExpertInvitation, error) {
	if to == "" {
		to = "9999-12-31"
	}
	return collect(ctx, db, db.r, "读取专家邀请记录失败", `SELECT id, expert_id, on_date, topic, session_id, created_by, created_at
		FROM expert_invitations WHERE on_date >= ? AND on_date <= ? ORDER BY on_date DESC, id DESC`,
		[]any{from, to}, scanInvitation)
}

// PolicyUpdatePlan returns the policy-update plan already created for a
// change (name, label, day YYYY-MM-DD, scope region or ""); found is false
// if there is none.
func (tx *Tx) PolicyUpdatePlan(ctx context.Context, change, label, day string, scope region.Code) (planID int64, found bool, err error) {
	err = tx.queryRow(ctx, `SELECT plan_id FROM policy_update_plans
		WHERE change_name = ? AND label = ? AND on_date = ? AND scope = ?`, change, label, day, string(scope)).Scan(&planID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, mapErr(err, "读取政策更新学习失败")
	}
	return planID, true, nil
}

// RecordPolicyUpdatePlan remembers the plan created for a change, so that
// a repeated notification finds it; a second record for the same change is
// a Conflict.
func (tx *Tx) RecordPolicyUpdatePlan(ctx context.Context, change, label, day string, scope region.Code, planID int64) error {
	_, err := tx.exec(ctx, `INSERT INTO policy_update_plans (change_name, label, on_date, scope, plan_id) VALUES (?, ?, ?, ?, ?)`,
		change, label, day, string(scope), planID)
	return mapErr(err, "保存政策更新学习失败")
}
