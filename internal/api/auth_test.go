package api_test

import (
	"context"
	"net/http"
	"testing"

	"dibao/internal/authz"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// The API login takes the second factor in "totp"; a missing or wrong code,
// or an administrator who has not enrolled, is a structured error on that
// field.
func TestLoginWithSecondFactor(t *testing.T) {
	srv, a := newServer(t)
	ctx := context.Background()
	sys := testenv.User(t, a.DB, "sysadm", testenv.County, authz.SystemAdmin)
	if err := a.DB.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
		if err := tx.ClearTOTP(ctx, sys.UserID); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "test.totp"})
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, user, code string
		status           int
		errCode          string
	}{
		{"no code", "auditor", "", http.StatusUnauthorized, "unauthorized"},
		{"wrong code", "auditor", "000000", http.StatusUnauthorized, "unauthorized"},
		{"malformed code", "auditor", "12ab56", http.StatusUnauthorized, "unauthorized"},
		{"admin not enrolled", "sysadm", "123456", http.StatusForbidden, "forbidden"},
	} {
		body := map[string]string{"username": c.user, "password": testenv.Password}
		if c.code != "" {
			body["totp"] = c.code
		}
		code, out := call(t, srv, "POST", "/login", "", body)
		e := decodeErr(t, out)
		if code != c.status || e.Error.Field != "totp" || e.Error.Code != c.errCode || e.Error.Message == "" {
			t.Errorf("%s: %d %s", c.name, code, out)
		}
	}
	good := testenv.TOTPCode(t, a.DB, "auditor")
	code, out := call(t, srv, "POST", "/login", "", map[string]string{"username": "auditor", "password": testenv.Password, "totp": good})
	if code != http.StatusOK {
		t.Fatalf("right code: %d %s", code, out)
	}
	code, out = call(t, srv, "POST", "/login", "", map[string]string{"username": "auditor", "password": testenv.Password, "totp": good})
	if e := decodeErr(t, out); code != http.StatusUnauthorized || e.Error.Field != "totp" {
		t.Fatalf("replayed code: %d %s", code, out)
	}
	// A clerk without a second factor is unaffected; a stray totp is ignored.
	if code, out := call(t, srv, "POST", "/login", "", map[string]string{"username": "clerk", "password": testenv.Password, "totp": "123456"}); code != http.StatusOK {
		t.Fatalf("clerk: %d %s", code, out)
	}
}
