package registry_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/registry"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

var ctx = context.Background()

func draft() household.Draft {
	return household.Draft{Region: string(testenv.VillageA), Address: "一组1号", Urban: "rural", Phone: "13912345678",
		BankName: "农村信用社", BankAccount: "6228480012345678901",
		Members: []household.MemberDraft{
			{Name: "王大", IDNumber: "11010519491231002X", Labour: "none", Health: "serious", HealthDetail: "肝硬化", CoResident: "1"},
			{Name: "王小", Relation: "child", IDNumber: "11010520150101005X", Labour: "none", Health: "healthy",
				DisabilityGrade: "1", DisabilityDetail: "视力残疾一级", CoResident: "1"},
		}}
}

func TestRegistry(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		testenv.SeedRegions(t, db)
		clerk := testenv.User(t, db, "clerk", testenv.VillageA, authz.VillageClerk)
		auditor := testenv.User(t, db, "auditor", testenv.County, authz.Auditor)
		svc := &registry.Service{DB: db, Now: func() time.Time { return time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC) }}

		if _, err := svc.Create(ctx, auditor, draft()); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("auditor created a household: %v", err)
		}
		h, err := svc.Create(ctx, clerk, draft())
		if err != nil {
			t.Fatal(err)
		}

		// An edit with every sensitive field left blank keeps them all.
		d := draft()
		d.Address, d.Phone, d.BankAccount = "二组2号", "", ""
		for i := range d.Members {
			d.Members[i].ID = itoa(h.Members[i].ID)
			d.Members[i].IDNumber, d.Members[i].HealthDetail, d.Members[i].DisabilityDetail = "", "", ""
		}
		if _, err := svc.Update(ctx, clerk, h.ID, h.Version, d); err != nil {
			t.Fatal(err)
		}
		got, _ := svc.Get(ctx, clerk, h.ID)
		if got.Address != "二组2号" || got.Phone != "13912345678" || got.BankAccount != "6228480012345678901" ||
			got.Members[0].IDNumber != "11010519491231002X" || got.Members[0].HealthDetail != "肝硬化" ||
			got.Members[1].DisabilityDetail != "视力残疾一级" {
			t.Fatalf("blank fields did not keep stored values: %+v", got)
		}
		// The explicit clear flag removes the phone.
		d.PhoneClear = true
		if _, err := svc.Update(ctx, clerk, h.ID, got.Version, d); err != nil {
			t.Fatal(err)
		}
		got, _ = svc.Get(ctx, clerk, h.ID)
		if got.Phone != "" || got.BankAccount == "" {
			t.Fatalf("phone_clear: phone %q bank %q", got.Phone, got.BankAccount)
		}

		// Reveal: permission, value, audit.
		if _, err := svc.Reveal(ctx, auditor, h.ID, registry.FieldMemberID, got.Members[0].ID); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("auditor revealed an ID: %v", err)
		}
		v, err := svc.Reveal(ctx, clerk, h.ID, registry.FieldMemberHealth, got.Members[0].ID)
		if err != nil || v != "肝硬化" {
			t.Fatalf("reveal health = %q, %v", v, err)
		}
		if _, err := svc.Reveal(ctx, clerk, h.ID, registry.FieldMemberID, 999999); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("reveal of a member of no household: %v", err)
		}
		recs, _ := db.AuditRecords(ctx, store.AuditFilter{Action: "sensitive.reveal"})
		if len(recs) != 1 || recs[0].Actor != "clerk" || !strings.Contains(recs[0].Detail, registry.FieldMemberHealth) {
			t.Fatalf("reveal audit = %+v", recs)
		}
		if strings.Contains(recs[0].Detail, "肝硬化") {
			t.Fatal("audit detail contains the revealed value")
		}

		// Income with a bad amount changes nothing.
		before, _ := svc.Get(ctx, clerk, h.ID)
		err = svc.AddIncome(ctx, clerk, h.ID, before.Version, household.IncomeDraft{Kind: "wage", Amount: "-1"})
		if errs.Fields(err)["amount"] == "" {
			t.Fatalf("negative income: %v", err)
		}
		after, _ := svc.Get(ctx, clerk, h.ID)
		if after.Version != before.Version || len(after.Incomes) != 0 {
			t.Fatal("a rejected income changed the household")
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
