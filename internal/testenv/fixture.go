package testenv

import (
	"context"
	"testing"

	"dibao/internal/access"
	"dibao/internal/authz"
	"dibao/internal/region"
	"dibao/internal/store"
)

// A small county used by tests: two townships with one village each.
const (
	County   = region.Code("130199000000")
	TownA    = region.Code("130199101000")
	TownB    = region.Code("130199102000")
	VillageA = region.Code("130199101201")
	VillageB = region.Code("130199102201")
	// Password is every test account's password.
	Password = "Test-password-2026"
)

// Admin is a county-wide principal for fixture writes.
func Admin() authz.Principal {
	return authz.Principal{Username: "test-admin", Roles: []authz.Role{authz.CountyAdmin}, Region: County}
}

// SeedRegions writes the test county.
func SeedRegions(t testing.TB, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, Admin(), func(tx *store.Tx) error {
		for _, r := range []store.Region{
			{Code: County, Name: "平安县", Level: region.County},
			{Code: TownA, Name: "东湖镇", Level: region.Township, Parent: County},
			{Code: TownB, Name: "南河镇", Level: region.Township, Parent: County},
			{Code: VillageA, Name: "李家庄村", Level: region.Village, Parent: TownA},
			{Code: VillageB, Name: "王家村", Level: region.Village, Parent: TownB},
		} {
			if err := tx.PutRegion(ctx, r); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, store.Entry{Action: "test.seed", Object: "regions"})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// User creates an active account with Password and returns its principal.
func User(t testing.TB, db *store.DB, username string, r region.Code, roles ...authz.Role) authz.Principal {
	t.Helper()
	ctx := context.Background()
	hash, err := access.HashPassword(Password)
	if err != nil {
		t.Fatal(err)
	}
	u := store.User{Username: username, DisplayName: "测试" + username, PasswordHash: hash, Region: r, Roles: roles, Active: true}
	err = db.InTx(ctx, Admin(), func(tx *store.Tx) error {
		if u.ID, err = tx.CreateUser(ctx, u); err != nil {
			return err
		}
		// The administrators must have a second factor (access.RequiresTOTP);
		// tests log them in with TOTPCode.
		if access.RequiresTOTP(roles) {
			if err := tx.SetTOTPPending(ctx, u.ID, TOTPSecret); err != nil {
				return err
			}
			if err := tx.EnableTOTP(ctx, u.ID, 0); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, store.Entry{Action: "test.user", Object: "user:" + username})
	})
	if err != nil {
		t.Fatal(err)
	}
	return u.Principal()
}
