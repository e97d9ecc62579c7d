package testenv

import (
	"context"
	"testing"

	"dibao/internal/store"
	"dibao/internal/totp"
)

// TOTPSecret is the second factor User gives the administrator accounts.
const TOTPSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// EnrolTOTP gives an existing account the second factor TOTPSecret.
func EnrolTOTP(t testing.TB, db *store.DB, username string) {
	t.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, Admin(), func(tx *store.Tx) error {
		u, err := tx.UserForLogin(ctx, username)
		if err != nil {
			return err
		}
		if err := tx.SetTOTPPending(ctx, u.ID, TOTPSecret); err != nil {
			return err
		}
		if err := tx.EnableTOTP(ctx, u.ID, 0); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "test.totp", Object: "user:" + username})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TOTPCode returns a code of the account's second factor that the server
// will accept now: the current step, or the next one if the current was
// used (codes cannot be replayed). Never the previous step: the server's
// clock may cross into the next step before it checks. It fails the test
// when both are used (a third login of one account within 30 seconds).
func TOTPCode(t testing.TB, db *store.DB, username string) string {
	t.Helper()
	ctx := context.Background()
	u, err := db.UserByName(ctx, username)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := db.OpenTOTP(u.TOTPSecret)
	if err != nil || secret == "" {
		t.Fatalf("account %s has no second factor (%v)", username, err)
	}
	cur := totp.Step(db.Now())
	step := max(cur, u.TOTPLastStep+1)
	if step > cur+totp.Skew {
		t.Fatalf("account %s: no unused TOTP step left in the window (last used %d, now %d)", username, u.TOTPLastStep, cur)
	}
	k, err := totp.DecodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	return totp.CodeAt(k, step)
}
