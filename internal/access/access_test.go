package access_test

import (
	"context"
	"testing"
	"time"

	"dibao/internal/access"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

var ctx = context.Background()

func setup(t *testing.T, db *store.DB) (*access.Service, *time.Time) {
	t.Helper()
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	db.SetClock(func() time.Time { return now })
	testenv.SeedRegions(t, db)
	testenv.User(t, db, "clerk", testenv.VillageA, authz.VillageClerk)
	return &access.Service{DB: db, Policy: access.DefaultPolicy()}, &now
}

func auditCount(t *testing.T, db *store.DB, action, result string) int {
	t.Helper()
	recs, err := db.AuditRecords(ctx, store.AuditFilter{Action: action, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range recs {
		if r.Action == action && r.Result == result {
			n++
		}
	}
	return n
}

func TestLoginLockoutAndSessions(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		s, now := setup(t, db)

		token, u, err := s.Login(ctx, "clerk", testenv.Password, "web", "r1")
		if err != nil || token == "" || u.Username != "clerk" {
			t.Fatalf("login: %v", err)
		}
		p, err := s.Authenticate(ctx, token, "web")
		if err != nil || p.Username != "clerk" || !p.Has(authz.VillageClerk) {
			t.Fatalf("authenticate: %+v %v", p, err)
		}
		if _, err := s.Authenticate(ctx, token, "api"); err == nil {
			t.Fatal("a web session must not work as an API token")
		}
		if _, err := s.Authenticate(ctx, "forged", "web"); errs.CodeOf(err) != errs.Unauthorized {
			t.Fatalf("forged token: %v", err)
		}

		// Idle timeout: 16 minutes later the session is gone.
		*now = now.Add(16 * time.Minute)
		if _, err := s.Authenticate(ctx, token, "web"); errs.CodeOf(err) != errs.Unauthorized {
			t.Fatalf("idle session still valid: %v", err)
		}

		// Unknown user and wrong password give the same message.
		_, _, e1 := s.Login(ctx, "nobody", "x", "web", "")
		_, _, e2 := s.Login(ctx, "clerk", "wrong", "web", "")
		if errs.As(e1).Message != errs.As(e2).Message || errs.CodeOf(e2) != errs.Unauthorized {
			t.Fatalf("messages differ: %v / %v", e1, e2)
		}
		// Three more failures (five in all) lock the account.
		for i := 0; i < 4; i++ {
			*now = now.Add(time.Minute)
			_, _, err = s.Login(ctx, "clerk", "wrong", "web", "")
		}
		if e := errs.As(err); e.Code != errs.Forbidden {
			t.Fatalf("fifth failure: %v", err)
		}
		// Even the right password is refused while locked.
		*now = now.Add(29 * time.Minute)
		if _, _, err := s.Login(ctx, "clerk", testenv.Password, "web", ""); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("locked account logged in: %v", err)
		}
		*now = now.Add(2 * time.Minute)
		token, _, err = s.Login(ctx, "clerk", testenv.Password, "web", "")
		if err != nil {
			t.Fatalf("after lock expiry: %v", err)
		}
		if got := auditCount(t, db, "auth.lock", "ok"); got != 1 {
			t.Fatalf("auth.lock audited %d times", got)
		}
		if got := auditCount(t, db, "auth.login", "failed"); got != 6 {
			t.Fatalf("failed logins audited %d times, want 6", got)
		}
		if got := auditCount(t, db, "auth.login", "denied"); got != 1 {
			t.Fatalf("denied logins audited %d times, want 1", got)
		}

		// Logout kills the session server-side.
		p, _ = s.Authenticate(ctx, token, "web")
		if err := s.Logout(ctx, p, token); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, token, "web"); err == nil {
			t.Fatal("session alive after logout")
		}

		// Absolute timeout: active every 10 minutes, still ends at 8 hours.
		token, _, _ = s.Login(ctx, "clerk", testenv.Password, "api", "")
		for i := 0; i < 47; i++ {
			*now = now.Add(10 * time.Minute)
			if _, err := s.Authenticate(ctx, token, "api"); err != nil {
				t.Fatalf("active session ended early at step %d: %v", i, err)
			}
		}
		*now = now.Add(11 * time.Minute)
		if _, err := s.Authenticate(ctx, token, "api"); err == nil {
			t.Fatal("session outlived the 8-hour absolute limit")
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
