package ledgerimport_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/ledger"
	"dibao/internal/ledger/ledgertest"
	"dibao/internal/ledgerimport"
	"dibao/internal/region"
	"dibao/internal/sheet"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

var ctx = context.Background()

func count(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	v, err := db.QueryStrings(ctx, "SELECT COUNT(*) FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range v[0] {
		n = n*10 + int(c-'0')
	}
	return n
}

type fixture struct {
	db    *store.DB
	svc   *ledgerimport.Service
	admin authz.Principal
}

// setup seeds the test county, a county administrator and one household
// whose head is ledgertest.Existing.
func setup(t *testing.T, db *store.DB) fixture {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, calendar.Location())
	db.SetClock(func() time.Time { return now })
	testenv.SeedRegions(t, db)
	f := fixture{db: db, svc: &ledgerimport.Service{DB: db, Now: func() time.Time { return now }},
		admin: testenv.User(t, db, "cadmin", testenv.County, authz.CountyAdmin)}
	h := household.Household{Region: testenv.VillageA, Address: "老地址", Members: []household.Member{{Name: "已登记",
		Relation: "head", IDNumber: ledgertest.Existing, Labour: "none", Health: "healthy", CoResident: true}}}
	err := db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
		if err := tx.CreateHousehold(ctx, &h); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "test.household", Object: "household"})
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCheckConfirm(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		data := ledgertest.Workbook(t, ledgertest.Rows(20, testenv.VillageA, testenv.VillageB))
		hh, rec, hist := count(t, db, "households"), count(t, db, "recipients"), count(t, db, "recipient_history")
		if hh != 1 || rec != 0 {
			t.Fatalf("fixture: %d households, %d recipients", hh, rec)
		}

		b, err := f.svc.Check(ctx, f.admin, "平安县台账.xlsx", data)
		if err != nil {
			t.Fatal(err)
		}
		if b.Rows != 20 || b.Valid != 14 || b.Status != "checked" || b.Filename != "平安县台账.xlsx" {
			t.Fatalf("batch %+v", b.LedgerImport)
		}
		bad := map[int]string{}
		for _, p := range b.Report.Errors {
			if _, dup := bad[p.Row]; dup {
				t.Errorf("row %d reported twice: %+v", p.Row, b.Report.Errors)
			}
			bad[p.Row] = p.Column
			if p.Message == "" {
				t.Errorf("row %d: empty message", p.Row)
			}
		}
		if len(bad) != len(ledgertest.Bad) {
			t.Fatalf("errors %+v", b.Report.Errors)
		}
		for row, col := range ledgertest.Bad {
			if bad[row] != col {
				t.Errorf("row %d: reported column %q, want %q (%+v)", row, bad[row], col, b.Report.Errors)
			}
		}
		// Nothing but the batch was written.
		if count(t, db, "households") != hh || count(t, db, "members") != 1 || count(t, db, "recipients") != rec ||
			count(t, db, "recipient_history") != hist || count(t, db, "cases") != 0 {
			t.Fatal("check wrote to the register")
		}
		// The stored workbook is sealed: no ID number in clear in the table.
		raw, err := db.QueryStrings(ctx, "SELECT content FROM ledger_imports")
		if err != nil || len(raw) != 1 || strings.Contains(raw[0], string(ledgertest.HeadID(1))) || len(raw[0]) < 100 {
			t.Fatalf("content not sealed: %v %d", err, len(raw))
		}
		got, err := f.svc.Get(ctx, f.admin, b.ID)
		if err != nil || len(got.Report.Errors) != len(b.Report.Errors) || got.Report.Errors[0] != b.Report.Errors[0] {
			t.Fatalf("get: %v %+v", err, got.Report)
		}
		prev, err := f.svc.Preview(ctx, f.admin, b.ID, 5)
		if err != nil || len(prev) != 5 || prev[0].Row != 2 || strings.Contains(prev[0].HeadID, string(ledgertest.HeadID(1))[6:14]) {
			t.Fatalf("preview %v %+v", err, prev)
		}

		// A stranger cannot confirm; a township officer neither.
		other := testenv.User(t, db, "town", testenv.TownA, authz.TownshipOfficer)
		if _, err := f.svc.Confirm(ctx, other, b.ID); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("township confirm: %v", err)
		}

		done, err := f.svc.Confirm(ctx, f.admin, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if done.Status != "imported" || done.Imported != 14 || len(done.Households) != 14 {
			t.Fatalf("confirm %+v", done.LedgerImport)
		}
		check := func() {
			t.Helper()
			if n := count(t, db, "households"); n != hh+14 {
				t.Fatalf("households %d", n)
			}
			if n := count(t, db, "recipients"); n != 14 {
				t.Fatalf("recipients %d", n)
			}
			if n := count(t, db, "recipient_history"); n != hist+14 {
				t.Fatalf("history %d", n)
			}
			if n := count(t, db, "members"); n != 1+28 {
				t.Fatalf("members %d", n)
			}
		}
		check()
		// Confirming again imports nothing more.
		again, err := f.svc.Confirm(ctx, f.admin, b.ID)
		if err != nil || again.Imported != 14 || again.Status != "imported" {
			t.Fatalf("second confirm: %v %+v", err, again.LedgerImport)
		}
		check()
		if _, err := f.svc.Cancel(ctx, f.admin, b.ID); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("cancel after import: %v", err)
		}

		// Imported households: found by ID look-up, in the register with
		// amount, category and history, and audited.
		hs, total, err := db.Households(ctx, region.ScopeOf(testenv.County), store.HouseholdFilter{IDNumber: ledgertest.HeadID(1)})
		if err != nil || total != 1 || len(hs) != 1 {
			t.Fatalf("ID look-up: %v %d", err, total)
		}
		reg, err := db.Register(ctx, region.ScopeOf(testenv.County), store.RegisterFilter{})
		if err != nil || len(reg) != 14 {
			t.Fatalf("register %v %d", err, len(reg))
		}
		var first store.RegisterEntry
		for _, e := range reg {
			if e.HouseholdID == hs[0].ID {
				first = e
			}
		}
		if first.Amount != 30150 || first.Category != "B" || first.StartMonth != "2025-01" || first.Members != 2 ||
			first.Status != "active" || first.HeadName != "户主1" || first.Region != testenv.VillageB {
			t.Fatalf("register entry %+v", first)
		}
		h, err := db.Household(ctx, region.ScopeOf(testenv.County), first.HouseholdID)
		if err != nil || len(h.Members) != 2 || h.Members[1].IDNumber != ledgertest.MemberID(1) ||
			h.BankAccount != "6228480000000000001" || h.Phone != "13800000000" || h.Urban {
			t.Fatalf("household %v %+v", err, h)
		}
		his, err := db.History(ctx, region.ScopeOf(testenv.County), first.HouseholdID)
		if err != nil || len(his) != 1 || his[0].Kind != "enrolled" || his[0].Reason != "台账导入（批次1）" ||
			his[0].NewAmount != 30150 || his[0].Actor != "cadmin" {
			t.Fatalf("history %v %+v", err, his)
		}
		acts, err := db.QueryStrings(ctx, "SELECT action FROM audit_log WHERE action LIKE 'ledger.%' ORDER BY seq")
		if err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, a := range acts {
			n[a]++
		}
		if n["ledger.check"] != 1 || n["ledger.import"] != 1 || n["ledger.import_household"] != 14 || n["ledger.confirm"] != 1 {
			t.Fatalf("audit %v", n)
		}
		details, _ := db.QueryStrings(ctx, "SELECT detail FROM audit_log")
		for _, d := range details {
			if strings.Contains(d, string(ledgertest.HeadID(1))) {
				t.Fatalf("ID number in the audit log: %s", d)
			}
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}

		// The same file again: every row is now a duplicate of the database.
		b2, err := f.svc.Check(ctx, f.admin, "again.xlsx", data)
		if err != nil || b2.Valid != 0 || b2.ID == b.ID {
			t.Fatalf("re-check %v %+v", err, b2.LedgerImport)
		}
	})
}

func TestConfirmRechecksAndCancel(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		data := ledgertest.Workbook(t, ledgertest.Rows(14, testenv.VillageA, testenv.VillageB))
		b, err := f.svc.Check(ctx, f.admin, "a.xlsx", data)
		if err != nil || b.Valid != 8 {
			t.Fatalf("%v %+v", err, b.LedgerImport)
		}
		// Between check and confirm, row 2's head is registered elsewhere.
		h := household.Household{Region: testenv.VillageB, Address: "别处", Members: []household.Member{{Name: "别人",
			Relation: "head", IDNumber: ledgertest.HeadID(1), Labour: "none", Health: "healthy", CoResident: true}}}
		if err := db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
			if err := tx.CreateHousehold(ctx, &h); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test.household", Object: "household"})
		}); err != nil {
			t.Fatal(err)
		}
		done, err := f.svc.Confirm(ctx, f.admin, b.ID)
		if err != nil || done.Imported != 7 || done.Skipped != 1 {
			t.Fatalf("%v %+v", err, done.LedgerImport)
		}
		if n := count(t, db, "recipients"); n != 7 {
			t.Fatalf("recipients %d", n)
		}

		// A cancelled batch cannot be confirmed and writes nothing.
		c, err := f.svc.Check(ctx, f.admin, "b.xlsx", ledgertest.Workbook(t, [][]string{ledgertest.Header,
			ledgertest.Rows(15, testenv.VillageA)[15]}))
		if err != nil || c.Valid != 1 {
			t.Fatalf("%v %+v", err, c.LedgerImport)
		}
		if got, err := f.svc.Cancel(ctx, f.admin, c.ID); err != nil || got.Status != "cancelled" {
			t.Fatalf("cancel %v %+v", err, got.LedgerImport)
		}
		if _, err := f.svc.Confirm(ctx, f.admin, c.ID); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("confirm cancelled: %v", err)
		}
		if n := count(t, db, "recipients"); n != 7 {
			t.Fatalf("recipients %d", n)
		}
		list, err := f.svc.List(ctx, f.admin)
		if err != nil || len(list) != 2 || list[0].ID != c.ID {
			t.Fatalf("list %v %+v", err, list)
		}
		// Another county's administrator sees nothing of it.
		if err := db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
			if err := tx.PutRegion(ctx, store.Region{Code: "130198000000", Name: "邻县", Level: region.County}); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test.seed", Object: "regions"})
		}); err != nil {
			t.Fatal(err)
		}
		stranger := testenv.User(t, db, "other", "130198000000", authz.CountyAdmin)
		if _, err := f.svc.Get(ctx, stranger, b.ID); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("other county: %v", err)
		}
	})
}

func TestBadFiles(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		for name, c := range map[string]struct {
			data []byte
			want string
		}{
			"empty":       {nil, "请选择"},
			"not xlsx":    {[]byte("序号,户主姓名\n1,张三\n"), "无法读取该文件"},
			"header":      {ledgertest.Workbook(t, [][]string{{"姓名", "身份证"}, {"张三", "x"}}), "不是台账模板的表头"},
			"no data":     {ledgertest.Workbook(t, [][]string{ledgertest.Header}), "没有数据行"},
			"missing col": {ledgertest.Workbook(t, [][]string{ledgertest.Header[:5], {"1"}}), "缺少必填列"},
		} {
			_, err := f.svc.Check(ctx, f.admin, name, c.data)
			if e := errs.As(err); err == nil || e.Code != errs.Invalid || !strings.Contains(e.Message, c.want) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if n := count(t, db, "ledger_imports"); n != 0 {
			t.Fatalf("bad files stored: %d", n)
		}
		clerk := testenv.User(t, db, "clerk", testenv.VillageA, authz.VillageClerk)
		if _, err := f.svc.Check(ctx, clerk, "x.xlsx", ledgertest.Workbook(t, ledgertest.Rows(12, testenv.VillageA))); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("clerk: %v", err)
		}
	})
}

func TestTemplate(t *testing.T) {
	var buf bytes.Buffer
	if err := ledgerimport.Template(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := sheet.Read(bytes.NewReader(buf.Bytes()))
	if err != nil || len(rows) != 2 {
		t.Fatalf("%v %v", err, rows)
	}
	if _, err := ledger.Header(rows[0]); err != nil {
		t.Fatal(err)
	}
	// The example row itself passes the check in the demo county.
	rep, _, err := ledger.Check(rows, ledger.Options{County: testenv.County,
		Villages: map[region.Code]bool{testenv.VillageA: true}, Today: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil || rep.Valid != 1 {
		t.Fatalf("example row: %v %+v", err, rep)
	}
	notes, err := sheet.ReadSheet(bytes.NewReader(buf.Bytes()), "填写说明")
	if err != nil || len(notes) < len(ledger.Columns())+len(ledger.Rules) || !strings.Contains(notes[len(notes)-1][0], "与户主关系") {
		t.Fatalf("notes %v %v", err, notes)
	}
	_ = idcard.Length
}

// Two confirmations at once (a double click on two servers) import once.
func TestConcurrentConfirm(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		b, err := f.svc.Check(ctx, f.admin, "a.xlsx", ledgertest.Workbook(t, ledgertest.Rows(14, testenv.VillageA, testenv.VillageB)))
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 2)
		for range 2 {
			go func() {
				_, err := f.svc.Confirm(ctx, f.admin, b.ID)
				errc <- err
			}()
		}
		for range 2 {
			if err := <-errc; err != nil {
				t.Error(err)
			}
		}
		if n := count(t, db, "recipients"); n != b.Valid {
			t.Fatalf("recipients %d, want %d", n, b.Valid)
		}
		if n := count(t, db, "recipient_history"); n != b.Valid {
			t.Fatalf("history %d, want %d", n, b.Valid)
		}
	})
}
