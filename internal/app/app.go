// Package app wires the services together once, so that the web pages,
// the JSON API and the command line all use the same instances.
package app

import (
	"context"
	"log/slog"
	"time"

	"dibao/internal/access"
	"dibao/internal/authz"
	"dibao/internal/casework"
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
		Log:      log,
		Version:  "dev",
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
