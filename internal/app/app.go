// Package app wires the services together once, so that the web pages,
// the JSON API and the command line all use the same instances.
package app

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"dibao/internal/access"
	"dibao/internal/assess"
	"dibao/internal/authz"
	"dibao/internal/casework"
	"dibao/internal/errs"
	"dibao/internal/exams"
	"dibao/internal/learning"
	"dibao/internal/ledgerimport"
	"dibao/internal/people"
	"dibao/internal/practical"
	"dibao/internal/recipients"
	"dibao/internal/registry"
	"dibao/internal/stats"
	"dibao/internal/store"
	"dibao/internal/training"
)

// App is the set of services behind every interface.
type App struct {
	DB       *store.DB
	Access   *access.Service
	Registry *registry.Service
	People   *people.Service
	Cases    *casework.Service
	Payments *recipients.Service
	Stats    *stats.Service
	Learning *learning.Service
	Training *training.Service
	Ledger   *ledgerimport.Service
	Exams    *exams.Service
	Sandbox  *practical.Service // practical assessments over the sandbox store (nil until serve opens it)
	Log      *slog.Logger
	Demo     bool   // demo mode: the login page lists the demo accounts
	Version  string // build version shown in the footer
	TLS      bool   // cookies get the Secure flag
}

// New builds the services over an open, migrated store with its sealer set.
func New(db *store.DB, log *slog.Logger) *App {
	now := func() time.Time { return db.Now() }
	a := &App{
		DB:       db,
		Access:   &access.Service{DB: db, Policy: access.DefaultPolicy()},
		Registry: &registry.Service{DB: db, Now: now},
		People:   &people.Service{DB: db, Now: now},
		Cases:    &casework.Service{DB: db, Now: now},
		Payments: &recipients.Service{DB: db, Now: now},
		Stats:    &stats.Service{DB: db, Now: now},
		Learning: &learning.Service{DB: db, Now: now},
		Training: &training.Service{DB: db, Now: now},
		Ledger:   &ledgerimport.Service{DB: db, Now: now},
		Exams:    &exams.Service{DB: db, Now: now},
		Log:      log,
		Version:  "dev",
	}
	// An exam of a plan assessed by theory is that assessment: its start
	// asks the make-up rule (first attempt, then exactly one make-up, then
	// retraining) and its submit records the result, in the same
	// transactions. An exam of any other plan is practice.
	a.Exams.BeforeStart = func(ctx context.Context, tx *store.Tx, e store.Exam, personID int64, kind string) error {
		if ok, err := a.Training.Assesses(ctx, tx, e.PlanID, assess.Theory); err != nil || !ok {
			if err != nil {
				return err
			}
			return exams.CheckMakeup(ctx, tx, e.ID, personID, kind)
		}
		_, want, err := a.Training.NextAttemptTx(ctx, tx, personID, e.PlanID, assess.Theory)
		if err != nil {
			return err
		}
		if string(want) != kind {
			return errs.New(errs.Conflict, "kind", "本次应参加"+want.Label())
		}
		return nil
	}
	a.Exams.OnSubmit = func(ctx context.Context, tx *store.Tx, at store.Attempt) error {
		planID, err := tx.ExamPlan(ctx, at.ExamID)
		if err != nil {
			return err
		}
		if ok, err := a.Training.Assesses(ctx, tx, planID, assess.Theory); err != nil || !ok {
			return err
		}
		_, err = a.Training.RecordResultTx(ctx, tx, training.ResultInput{PersonID: at.PersonID, PlanID: planID,
			Kind: assess.Theory, Score: at.Score, PassMark: at.PassMark,
			Source: "exam_attempt:" + strconv.FormatInt(at.ID, 10)})
		return err
	}
	// People changes re-run the training enrollment rules (SPEC §3.2: a new
	// hire is enrolled in onboarding at once, a post change moves items).
	a.People.Changed = func(ctx context.Context) {
		if _, _, err := a.Training.RunEnrollment(ctx, authz.System("enrollment"), now()); err != nil {
			log.Error("training enrollment after a staff change", "err", err)
		}
	}
	return a
}

// PracticalScored records a scored sandbox run as the practical assessment
// of the trainee's plan: among the plans they are enrolled in that require a
// practical assessment, the one due first whose next attempt (first or the
// one make-up) is the run's attempt. A run that fits no such plan is
// practice and records nothing. serve sets it as the practical service's
// OnScored hook, so the result commits with the score.
func (a *App) PracticalScored(ctx context.Context, tx *store.Tx, run store.PracticalRun) error {
	ens, err := a.DB.PersonEnrollments(ctx, run.UserID)
	if err != nil {
		return err
	}
	for _, e := range ens {
		ok, err := a.Training.Assesses(ctx, tx, e.PlanID, assess.Practical)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		_, next, err := a.Training.NextAttemptTx(ctx, tx, run.UserID, e.PlanID, assess.Practical)
		if err != nil || string(next) != run.Attempt {
			continue // passed, retraining, or another attempt: not this plan
		}
		_, err = a.Training.RecordResultTx(ctx, tx, training.ResultInput{PersonID: run.UserID, PlanID: e.PlanID,
			Kind: assess.Practical, Score: run.Score, Source: "practical_run:" + strconv.FormatInt(run.ID, 10)})
		return err
	}
	return nil
}
