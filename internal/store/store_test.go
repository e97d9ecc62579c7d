package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"dibao/internal/audit"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

const (
	county   = testenv.County
	townA    = testenv.TownA
	villageA = testenv.VillageA
	villageB = testenv.VillageB
)

var ctx = context.Background()

func admin() authz.Principal { return testenv.Admin() }

func clerk(r region.Code) authz.Principal {
	return authz.Principal{UserID: 0, Username: "clerk-" + string(r), Roles: []authz.Role{authz.VillageClerk}, Region: r}
}

func seedRegions(t *testing.T, db *store.DB) { testenv.SeedRegions(t, db) }

var seq int

// newID returns a fresh valid ID number.
func newID(t *testing.T) idcard.ID {
	t.Helper()
	seq++
	return idcard.Make("130199", time.Date(1960+seq%40, time.Month(1+seq%12), 1+seq%28, 0, 0, 0, 0, time.UTC), seq%1000)
}

func sample(t *testing.T, village region.Code, n int) household.Household {
	h := household.Household{Region: village, Address: "幸福路1号", Phone: "13812345678", BankName: "农村信用社",
		BankAccount: "6228480012345678901"}
	for i := 0; i < n; i++ {
		rel := household.Relation("child")
		if i == 0 {
			rel = "head"
		}
		h.Members = append(h.Members, household.Member{Name: fmt.Sprintf("张%d", i), Relation: rel, IDNumber: newID(t),
			Labour: "full", Health: "healthy", CoResident: true, HealthDetail: "", DisabilityGrade: 0})
	}
	return h
}

func create(t *testing.T, db *store.DB, p authz.Principal, h *household.Household) error {
	t.Helper()
	return db.InTx(ctx, p, func(tx *store.Tx) error {
		if err := tx.CreateHousehold(ctx, h); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "household.create", Object: fmt.Sprint("household:", h.ID)})
	})
}

func TestStore(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		seedRegions(t, db)
		t.Run("migrate is idempotent", func(t *testing.T) {
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("unaudited write is refused and rolled back", func(t *testing.T) {
			err := db.InTx(ctx, admin(), func(tx *store.Tx) error {
				return tx.SetMeta(ctx, "unaudited", "x")
			})
			if !errors.Is(err, store.ErrUnaudited) {
				t.Fatalf("err = %v, want ErrUnaudited", err)
			}
			if v, _ := db.Meta(ctx, "unaudited"); v != "" {
				t.Fatalf("meta written without audit: %q", v)
			}
		})
		t.Run("household round trip encrypts sensitive fields", func(t *testing.T) { householdRoundTrip(t, db) })
		t.Run("region scope", func(t *testing.T) { regionScope(t, db) })
		t.Run("optimistic concurrency", func(t *testing.T) { optimistic(t, db) })
		t.Run("duplicate ID across households", func(t *testing.T) { duplicateID(t, db) })
		t.Run("income and property items", func(t *testing.T) { items(t, db) })
		t.Run("concurrent audit appends stay one chain", func(t *testing.T) { concurrentAudit(t, db) })
		t.Run("audit tamper is detected", func(t *testing.T) { auditTamper(t, db) })
	})
}

func TestAuditFailureFailsTheChange(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		seedRegions(t, db)
		if err := db.ExecRaw(ctx, "DROP TABLE audit_head"); err != nil {
			t.Fatal(err)
		}
		h := sample(t, villageA, 1)
		err := create(t, db, clerk(villageA), &h)
		if err == nil {
			t.Fatal("change committed although the audit record could not be written")
		}
		if n, _, _ := db.CountHouseholds(ctx, region.ScopeOf(county)); n != 0 {
			t.Fatalf("%d households saved despite audit failure", n)
		}
	})
}

func householdRoundTrip(t *testing.T, db *store.DB) {
	h := sample(t, villageA, 3)
	h.Members[1].DisabilityGrade, h.Members[1].DisabilityDetail = 2, "肢体残疾二级"
	h.Members[2].Health, h.Members[2].HealthDetail = "serious", "尿毒症透析"
	if err := create(t, db, clerk(villageA), &h); err != nil {
		t.Fatal(err)
	}
	got, err := db.Household(ctx, region.ScopeOf(villageA), h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Phone != h.Phone || got.BankAccount != h.BankAccount || len(got.Members) != 3 {
		t.Fatalf("round trip lost data: %+v", got)
	}
	for i, m := range got.Members {
		if m.IDNumber != h.Members[i].IDNumber || m.Name != h.Members[i].Name {
			t.Fatalf("member %d = %+v, want %+v", i, m, h.Members[i])
		}
	}
	if got.Members[2].HealthDetail != "尿毒症透析" || got.Members[1].DisabilityDetail != "肢体残疾二级" {
		t.Fatalf("health/disability details lost: %+v", got.Members)
	}
	// No clear value may be stored in any column.
	clear := []string{string(h.Members[0].IDNumber), h.Phone, h.BankAccount, "尿毒症透析", "肢体残疾二级"}
	dump := dumpTables(t, db)
	for _, v := range clear {
		if strings.Contains(dump, v) {
			t.Fatalf("clear value %q found in the database", v)
		}
	}
	// Blind-index lookup finds the household by ID number.
	rows, total, err := db.Households(ctx, region.ScopeOf(county), store.HouseholdFilter{IDNumber: h.Members[2].IDNumber})
	if err != nil || total != 1 || rows[0].ID != h.ID || rows[0].Size != 3 {
		t.Fatalf("lookup by ID: rows=%+v total=%d err=%v", rows, total, err)
	}
}

// dumpTables concatenates every text column of the tables that hold
// personal data.
func dumpTables(t *testing.T, db *store.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		"SELECT name || relation || id_enc || id_index || sex || birth_date || disability_enc || health_enc FROM members",
		"SELECT head_name || address || phone_enc || bank_enc || bank_name || notes FROM households",
		"SELECT actor || action || object || detail FROM audit_log",
	} {
		vals, err := db.QueryStrings(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(strings.Join(vals, "\n"))
	}
	return b.String()
}

func regionScope(t *testing.T, db *store.DB) {
	a := sample(t, villageA, 1)
	if err := create(t, db, clerk(villageA), &a); err != nil {
		t.Fatal(err)
	}
	b := sample(t, villageB, 1)
	err := create(t, db, clerk(villageA), &b)
	if errs.CodeOf(err) != errs.Forbidden {
		t.Fatalf("clerk of village A created a household in village B: err=%v", err)
	}
	if err := create(t, db, clerk(villageB), &b); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Household(ctx, region.ScopeOf(townA), b.ID); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("township A read a township B household: %v", err)
	}
	rows, _, err := db.Households(ctx, region.ScopeOf(townA), store.HouseholdFilter{PageSize: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if !region.ScopeOf(townA).Contains(r.Region) {
			t.Fatalf("list for township A returned %s", r.Region)
		}
	}
	// A filter outside the caller's scope returns nothing rather than widening it.
	rows, total, err := db.Households(ctx, region.ScopeOf(townA), store.HouseholdFilter{Region: villageB})
	if err != nil || total != 0 || len(rows) != 0 {
		t.Fatalf("filter outside scope leaked %d rows (err %v)", total, err)
	}
}

func optimistic(t *testing.T, db *store.DB) {
	h := sample(t, villageA, 2)
	p := clerk(villageA)
	if err := create(t, db, p, &h); err != nil {
		t.Fatal(err)
	}
	update := func(addr string) error {
		c := h // both editors read version 1
		c.Members = append([]household.Member(nil), h.Members...)
		c.Address = addr
		return db.InTx(ctx, p, func(tx *store.Tx) error {
			if err := tx.UpdateHousehold(ctx, &c); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "household.update", Object: "household"})
		})
	}
	if err := update("一号"); err != nil {
		t.Fatal(err)
	}
	if err := update("二号"); errs.CodeOf(err) != errs.Conflict {
		t.Fatalf("stale update: err = %v, want conflict", err)
	}
	got, _ := db.Household(ctx, region.ScopeOf(villageA), h.ID)
	if got.Address != "一号" || got.Version != 2 {
		t.Fatalf("after conflict: address %q version %d", got.Address, got.Version)
	}
	// Removing a member and adding another keeps the remaining member's id.
	got.Members = []household.Member{got.Members[0], {Name: "新成员", Relation: "spouse", IDNumber: newID(t), Labour: "none", Health: "chronic"}}
	err := db.InTx(ctx, p, func(tx *store.Tx) error {
		if err := tx.UpdateHousehold(ctx, &got); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "household.update", Object: "household"})
	})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := db.Household(ctx, region.ScopeOf(villageA), h.ID)
	if len(again.Members) != 2 || again.Members[0].ID != h.Members[0].ID || again.Members[1].Name != "新成员" {
		t.Fatalf("members after edit: %+v", again.Members)
	}
}

func duplicateID(t *testing.T, db *store.DB) {
	a := sample(t, villageA, 1)
	if err := create(t, db, clerk(villageA), &a); err != nil {
		t.Fatal(err)
	}
	b := sample(t, villageA, 2)
	b.Members[1].IDNumber = a.Members[0].IDNumber
	err := create(t, db, clerk(villageA), &b)
	if e := errs.As(err); e.Code != errs.Invalid || e.Field != "members[1].id_number" {
		t.Fatalf("duplicate ID: err = %+v", e)
	}
}

func items(t *testing.T, db *store.DB) {
	h := sample(t, villageA, 1)
	p := clerk(villageA)
	if err := create(t, db, p, &h); err != nil {
		t.Fatal(err)
	}
	err := db.InTx(ctx, p, func(tx *store.Tx) error {
		if _, err := tx.AddIncome(ctx, h.ID, 1, household.Income{MemberID: h.Members[0].ID, Kind: "wage", Amount: 1200000, Months: 12}); err != nil {
			return err
		}
		if _, err := tx.AddProperty(ctx, h.ID, 2, household.Property{Kind: "deposit", Value: 500000, Quantity: 1}); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "items", Object: "household"})
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := db.Household(ctx, region.ScopeOf(villageA), h.ID)
	if len(got.Incomes) != 1 || got.Incomes[0].Amount != 1200000 || len(got.Properties) != 1 || got.Version != 3 {
		t.Fatalf("items: %+v %+v v%d", got.Incomes, got.Properties, got.Version)
	}
	// Stale version is refused.
	err = db.InTx(ctx, p, func(tx *store.Tx) error {
		if err := tx.DeleteIncome(ctx, h.ID, 1, got.Incomes[0].ID); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "items", Object: "household"})
	})
	if errs.CodeOf(err) != errs.Conflict {
		t.Fatalf("stale delete: %v", err)
	}
}

func concurrentAudit(t *testing.T, db *store.DB) {
	var wg sync.WaitGroup
	errc := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errc <- db.InTx(ctx, admin(), func(tx *store.Tx) error {
				return tx.Audit(ctx, store.Entry{Action: "test.concurrent", Object: fmt.Sprint("n:", i)})
			})
		}(i)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.VerifyAudit(ctx); err != nil {
		t.Fatalf("chain broken after concurrent appends: %v", err)
	}
}

func auditTamper(t *testing.T, db *store.DB) {
	n, err := db.VerifyAudit(ctx)
	if err != nil || n < 5 {
		t.Fatalf("verify before tamper: n=%d err=%v", n, err)
	}
	// The table refuses updates outright…
	if err := db.ExecRaw(ctx, "UPDATE audit_log SET detail = 'x' WHERE seq = 3"); err == nil {
		t.Fatal("audit_log accepted an UPDATE")
	}
	// …and when someone with database access removes that guard, the chain
	// still names the edited record.
	drop := "DROP TRIGGER audit_log_no_update"
	if db.Dialect() == store.Postgres {
		drop += " ON audit_log"
	}
	if err := db.ExecRaw(ctx, drop); err != nil {
		t.Fatal(err)
	}
	if err := db.ExecRaw(ctx, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"); err != nil {
		t.Fatal(err)
	}
	_, err = db.VerifyAudit(ctx)
	var be *audit.BreakError
	if !errors.As(err, &be) || be.Seq != 3 {
		t.Fatalf("tampered record 3: err = %v", err)
	}
}
