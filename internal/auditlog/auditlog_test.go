package auditlog_test

import (
	"context"
	"testing"

	"dibao/internal/auditlog"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

func TestListNeedsAuditView(t *testing.T) {
	ctx := context.Background()
	db := testenv.SQLite(t)
	err := db.InTx(ctx, authz.System("test"), func(tx *store.Tx) error {
		return tx.Audit(ctx, store.Entry{Action: "test.one", Object: "x:1"})
	})
	if err != nil {
		t.Fatal(err)
	}
	clerk := authz.Principal{Username: "clerk", Roles: []authz.Role{authz.VillageClerk}}
	if _, err := auditlog.List(ctx, db, clerk, store.AuditFilter{}); errs.CodeOf(err) != errs.Forbidden {
		t.Errorf("clerk: err %v, want forbidden", err)
	}
	auditor := authz.Principal{Username: "auditor", Roles: []authz.Role{authz.Auditor}}
	recs, err := auditlog.List(ctx, db, auditor, store.AuditFilter{Action: "test."})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Object != "x:1" {
		t.Errorf("records %+v", recs)
	}
}
