package demo

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

var testDay = time.Date(2026, 3, 16, 9, 30, 0, 0, time.Local)

func TestGenerateIsDeterministic(t *testing.T) {
	a := Generate(DefaultSeed, testDay)
	b := Generate(DefaultSeed, testDay)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed and day gave different datasets")
	}
	c := Generate(DefaultSeed+1, testDay)
	if reflect.DeepEqual(a.Households, c.Households) {
		t.Fatal("a different seed gave the same households")
	}
}

func TestRegions(t *testing.T) {
	ds := Generate(DefaultSeed, testDay)
	levels := map[region.Level]int{}
	known := map[region.Code]store.Region{}
	for _, r := range ds.Regions {
		pc, err := region.Parse(string(r.Code))
		if err != nil {
			t.Fatalf("region %s %s: %v", r.Code, r.Name, err)
		}
		if pc.Level() != r.Level {
			t.Errorf("region %s %s: level %v, code says %v", r.Code, r.Name, r.Level, pc.Level())
		}
		if r.Parent != "" {
			if _, ok := known[r.Parent]; !ok {
				t.Errorf("region %s %s: parent %s not listed before it", r.Code, r.Name, r.Parent)
			}
		}
		// National rule: streets 001–099, towns 100–199, townships 200–399;
		// communities 001–199, villages 200–399. Urban = street / community.
		switch r.Level {
		case region.Township:
			n, _ := strconv.Atoi(string(r.Code[6:9]))
			if r.Urban != (n < 100) {
				t.Errorf("township %s %s: urban=%v does not match its code", r.Code, r.Name, r.Urban)
			}
			if !strings.HasSuffix(r.Name, map[bool]string{true: "街道", false: map[bool]string{true: "镇", false: "乡"}[n < 200]}[n < 100]) {
				t.Errorf("township %s %s: name does not match the code range", r.Code, r.Name)
			}
		case region.Village:
			n, _ := strconv.Atoi(string(r.Code[9:12]))
			if r.Urban != (n < 200) {
				t.Errorf("village %s %s: urban=%v does not match its code", r.Code, r.Name, r.Urban)
			}
		}
		known[r.Code] = r
		levels[r.Level]++
	}
	if levels[region.County] != 1 || levels[region.Township] < 3 || levels[region.Village] < 10 {
		t.Fatalf("regions per level = %v, want 1 county, ≥ 3 townships, ≥ 10 villages", levels)
	}
}

func TestUsers(t *testing.T) {
	ds := Generate(DefaultSeed, testDay)
	want := map[string]authz.Role{
		"village": authz.VillageClerk, "township": authz.TownshipOfficer, "township2": authz.TownshipOfficer,
		"reviewer": authz.TownshipReviewer, "county": authz.CountyApprover, "countyadmin": authz.CountyAdmin,
		"trainadmin": authz.TrainingAdmin, "trainer": authz.Trainer, "custodian": authz.ArchiveCustodian,
		"auditor": authz.Auditor, "secadmin": authz.SecurityAdmin, "sysadmin": authz.SystemAdmin,
	}
	if len(ds.Users) != len(want) {
		t.Fatalf("%d users, want %d", len(ds.Users), len(want))
	}
	regions := map[region.Code]store.Region{}
	for _, r := range ds.Regions {
		regions[r.Code] = r
	}
	recent := 0
	for _, u := range ds.Users {
		if want[u.Username] != u.Role {
			t.Errorf("user %s has role %s, want %s", u.Username, u.Role, want[u.Username])
		}
		if u.Password != "dibao-demo-2026" || u.DisplayName == "" || u.Posts == "" {
			t.Errorf("user %s: password, display name or posts missing", u.Username)
		}
		r, ok := regions[u.Region]
		if !ok {
			t.Errorf("user %s: region %s not generated", u.Username, u.Region)
		}
		wantLevel := region.County
		switch u.Role {
		case authz.VillageClerk:
			wantLevel = region.Village
		case authz.TownshipOfficer, authz.TownshipReviewer:
			wantLevel = region.Township
		}
		if r.Level != wantLevel {
			t.Errorf("user %s: region %s is level %v, want %v", u.Username, r.Name, r.Level, wantLevel)
		}
		if err := authz.CheckRoles([]authz.Role{u.Role}); err != nil {
			t.Errorf("user %s: %v", u.Username, err)
		}
		if u.HireDate.After(ds.Today) {
			t.Errorf("user %s hired in the future", u.Username)
		}
		if ds.Today.Sub(u.HireDate) <= 7*24*time.Hour {
			recent++
		}
	}
	if recent == 0 {
		t.Error("no account hired within the last week (needed for the onboarding demo)")
	}
	accs := Accounts()
	if len(accs) != len(ds.Users) {
		t.Fatalf("Accounts() lists %d, want %d", len(accs), len(ds.Users))
	}
	for i, a := range accs {
		u := ds.Users[i]
		if a.Username != u.Username || a.Role != u.Role || a.RoleLabel == "" || a.RegionName != regions[u.Region].Name {
			t.Errorf("account %d = %+v does not match user %+v", i, a, u)
		}
	}
	if accs[0].RegionName != "李家庄村" {
		t.Errorf("village clerk region = %s, want 李家庄村", accs[0].RegionName)
	}
}

func TestHouseholds(t *testing.T) {
	ds := Generate(DefaultSeed, testDay)
	if n := len(ds.Households); n < 200 {
		t.Fatalf("%d households, want ≥ 200", n)
	}
	if len(ds.Earners) != len(ds.Households) {
		t.Fatalf("Earners has %d rows for %d households", len(ds.Earners), len(ds.Households))
	}
	villageOf := map[region.Code]store.Region{}
	for _, r := range ds.Regions {
		if r.Level == region.Village {
			villageOf[r.Code] = r
		}
	}
	perVillage := map[region.Code]int{}
	seen := map[idcard.ID]bool{}
	otherPrefix, phones, banks := 0, 0, 0
	sizes := map[int]int{}
	for i, h := range ds.Households {
		v, ok := villageOf[h.Region]
		if !ok {
			t.Fatalf("household %d: region %s is not a generated village", i, h.Region)
		}
		if h.Urban != v.Urban {
			t.Errorf("household %d: urban=%v in %s", i, h.Urban, v.Name)
		}
		perVillage[h.Region]++
		sizes[len(h.Members)]++
		if len(h.Members) < 1 || len(h.Members) > 6 {
			t.Errorf("household %d has %d members", i, len(h.Members))
		}
		if h.Phone != "" {
			phones++
		}
		if h.BankAccount != "" {
			banks++
			if n := len(h.BankAccount); n < 16 || n > 19 || h.BankName == "" {
				t.Errorf("household %d: bank account %d digits at %q", i, n, h.BankName)
			}
		}
		// The household must be what the intake form accepts.
		if _, err := household.Parse(draftOf(h), ds.Today); err != nil {
			t.Errorf("household %d does not pass the intake form: %v", i, err)
		}
		head := h.Members[0]
		headAge := age(head.IDNumber.BirthDate(), ds.Today)
		for j, m := range h.Members {
			id, err := idcard.Parse(string(m.IDNumber), ds.Today)
			if err != nil || id != m.IDNumber {
				t.Fatalf("household %d member %d: ID %s does not parse: %v", i, j, m.IDNumber, err)
			}
			if seen[id] {
				t.Fatalf("ID %s generated twice", id)
			}
			seen[id] = true
			if !strings.HasPrefix(string(id), "130199") {
				otherPrefix++
			}
			a := age(id.BirthDate(), ds.Today)
			if (j == 0) != (m.Relation == "head") {
				t.Errorf("household %d member %d: relation %s", i, j, m.Relation)
			}
			switch m.Relation {
			case "spouse":
				if d := a - headAge; d < -10 || d > 10 {
					t.Errorf("household %d: spouse aged %d, head %d", i, a, headAge)
				}
				if id.Sex() == head.IDNumber.Sex() {
					t.Errorf("household %d: spouse of the same sex", i)
				}
			case "child":
				if headAge-a < 16 {
					t.Errorf("household %d: child aged %d, head %d", i, a, headAge)
				}
			case "grandchild":
				if headAge-a < 36 {
					t.Errorf("household %d: grandchild aged %d, head %d", i, a, headAge)
				}
			case "parent":
				if a-headAge < 16 {
					t.Errorf("household %d: parent aged %d, head %d", i, a, headAge)
				}
			}
			if m.Health == "serious" && m.HealthDetail == "" || m.DisabilityGrade > 0 && m.DisabilityDetail == "" {
				t.Errorf("household %d member %d: detail missing", i, j)
			}
		}
		for j, in := range h.Incomes {
			got, err := household.ParseIncome(household.IncomeDraft{Kind: string(in.Kind), Description: in.Description,
				Amount: in.Amount.String(), Cost: in.Cost.String(), Months: strconv.Itoa(in.Months)}, nil)
			if err != nil || got != in {
				t.Errorf("household %d income %d %+v does not pass the form: %+v, %v", i, j, in, got, err)
			}
		}
		for j, p := range h.Properties {
			ex := ""
			if p.Exempt {
				ex = "1"
			}
			got, err := household.ParseProperty(household.PropertyDraft{Kind: string(p.Kind), Description: p.Description,
				Value: p.Value.String(), Quantity: strconv.Itoa(p.Quantity), Exempt: ex})
			if err != nil || got != p {
				t.Errorf("household %d property %d %+v does not pass the form: %+v, %v", i, j, p, got, err)
			}
		}
		if len(ds.Earners[i]) != len(h.Incomes) {
			t.Errorf("household %d: %d earners for %d incomes", i, len(ds.Earners[i]), len(h.Incomes))
		}
		for j, k := range ds.Earners[i] {
			if k >= len(h.Members) || k >= 0 && !h.Members[k].CoResident {
				t.Errorf("household %d income %d: earner %d is not a co-resident member", i, j, k)
			}
		}
	}
	if n := perVillage[clerkVillage]; n < 15 {
		t.Errorf("%d households in the clerk's village, want ≥ 15", n)
	}
	if len(perVillage) < 10 {
		t.Errorf("households in %d villages, want ≥ 10", len(perVillage))
	}
	n := len(ds.Households)
	if phones*10 < n*7 || banks*10 < n*7 {
		t.Errorf("phones %d, bank accounts %d of %d households: want most", phones, banks, n)
	}
	if otherPrefix == 0 {
		t.Error("no member born outside the county (address prefix ≠ 130199)")
	}
	t.Logf("%d households, %d people, %d born elsewhere, sizes %v", n, len(seen), otherPrefix, sizes)
}

func age(birth, today time.Time) int {
	a := today.Year() - birth.Year()
	if today.YearDay() < birth.YearDay() {
		a--
	}
	return a
}

func draftOf(h household.Household) household.Draft {
	d := household.Draft{Region: string(h.Region), Address: h.Address, Urban: "rural", Phone: h.Phone,
		BankName: h.BankName, BankAccount: h.BankAccount, Notes: h.Notes}
	if h.Urban {
		d.Urban = "urban"
	}
	for _, m := range h.Members {
		co := "0"
		if m.CoResident {
			co = "1"
		}
		d.Members = append(d.Members, household.MemberDraft{Name: m.Name, Relation: string(m.Relation),
			IDNumber: string(m.IDNumber), DisabilityGrade: strconv.Itoa(m.DisabilityGrade),
			DisabilityDetail: m.DisabilityDetail, Labour: string(m.Labour), Health: string(m.Health),
			HealthDetail: m.HealthDetail, CoResident: co})
	}
	return d
}

func TestEligibilityMix(t *testing.T) {
	for _, seed := range []int64{DefaultSeed, 1, 2, 3} {
		ds := Generate(seed, testDay)
		eligible := 0
		reasons := map[string]int{}
		kinds := map[household.IncomeKind]int{}
		for _, h := range ds.Households {
			for _, in := range h.Incomes {
				kinds[in.Kind]++
			}
			if ExpectedEligible(h) {
				eligible++
				for _, p := range h.Properties {
					if p.Kind == "vehicle" && p.Exempt {
						reasons["exempt vehicle"]++
					}
				}
				continue
			}
			reasons[disqualifier(h)]++
		}
		share := float64(eligible) / float64(len(ds.Households))
		t.Logf("seed %d: %d of %d eligible (%.0f%%); not eligible by %v", seed, eligible, len(ds.Households), share*100, reasons)
		if share < 0.30 || share > 0.70 {
			t.Errorf("seed %d: eligible share %.2f, want 0.30–0.70", seed, share)
		}
		if seed != DefaultSeed {
			continue
		}
		for _, r := range []string{"income", "vehicle", "deposits", "homes"} {
			if reasons[r] == 0 {
				t.Errorf("no household disqualified by %s", r)
			}
		}
		for _, k := range []household.IncomeKind{"wage", "business", "transfer", "pension", "property",
			"veteran", "assistance", "pension_central", "scholarship"} {
			if kinds[k] == 0 {
				t.Errorf("no income of kind %s", k)
			}
		}
	}
}

// disqualifier names the first reason ExpectedEligible says no.
func disqualifier(h household.Household) string {
	n := coResident(h)
	if MonthlyIncome(h) >= Standard(h.Urban)*money.Fen(n) {
		return "income"
	}
	homes := 0
	for _, p := range h.Properties {
		switch {
		case p.Kind == "vehicle" && !p.Exempt:
			return "vehicle"
		case p.Kind == "business" && !p.Exempt:
			return "business"
		case p.Kind == "house":
			homes += p.Quantity
		}
	}
	if homes > MaxHomes {
		return "homes"
	}
	return "deposits"
}

func TestLoad(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ds := Generate(DefaultSeed, testDay)
		res, err := Load(ctx, db, ds)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: loaded %+v", db.Dialect(), res)
		if res.AlreadyLoaded || res.Households != len(ds.Households) || res.Users != 12 || res.Regions != len(ds.Regions) {
			t.Fatalf("first load: %+v", res)
		}
		if !reflect.DeepEqual(ds, Generate(DefaultSeed, testDay)) {
			t.Fatal("Load changed the caller's dataset")
		}
		scope := region.ScopeOf(CountyCode)
		hh, mm, err := db.CountHouseholds(ctx, scope)
		if err != nil {
			t.Fatal(err)
		}
		if hh != res.Households || mm != res.Members {
			t.Fatalf("store counts %d households / %d members, load said %d / %d", hh, mm, res.Households, res.Members)
		}
		users, err := db.Users(ctx, scope)
		if err != nil || len(users) != 12 {
			t.Fatalf("users: %d, %v", len(users), err)
		}

		again, err := Load(ctx, db, ds)
		if err != nil {
			t.Fatal(err)
		}
		if !again.AlreadyLoaded || again.Households != 0 {
			t.Fatalf("second load: %+v, want a no-op", again)
		}
		if again.LoadedAt.IsZero() {
			t.Error("second load does not say when the first happened")
		}
		if h2, m2, _ := db.CountHouseholds(ctx, scope); h2 != hh || m2 != mm {
			t.Fatalf("second load changed counts: %d/%d → %d/%d", hh, mm, h2, m2)
		}
		if n, err := db.VerifyAudit(ctx); err != nil || n < int64(res.Households) {
			t.Fatalf("audit chain: %d records, %v", n, err)
		}

		// Read every household back: members, items and earners survive.
		rows, total, err := db.Households(ctx, scope, store.HouseholdFilter{PageSize: 200})
		if err != nil || total != len(ds.Households) || len(rows) == 0 {
			t.Fatalf("list: %d rows of %d, %v", len(rows), total, err)
		}
		byHead := map[string]int64{}
		for _, r := range rows {
			byHead[string(r.HeadID)] = r.ID
		}
		checked := 0
		for i, want := range ds.Households {
			id, ok := byHead[string(want.Members[0].IDNumber)]
			if !ok {
				continue // beyond the first page
			}
			got, err := db.Household(ctx, scope, id)
			if err != nil {
				t.Fatal(err)
			}
			if got.Phone != want.Phone || got.BankAccount != want.BankAccount || len(got.Members) != len(want.Members) ||
				len(got.Incomes) != len(want.Incomes) || len(got.Properties) != len(want.Properties) {
				t.Fatalf("household %d read back differs", i)
			}
			for j, m := range got.Members {
				if m.IDNumber != want.Members[j].IDNumber || m.HealthDetail != want.Members[j].HealthDetail {
					t.Fatalf("household %d member %d read back differs", i, j)
				}
			}
			for j, in := range got.Incomes {
				wantMember := int64(0)
				if k := ds.Earners[i][j]; k >= 0 {
					wantMember = got.Members[k].ID
				}
				if in.MemberID != wantMember || in.Amount != want.Incomes[j].Amount {
					t.Fatalf("household %d income %d: member %d amount %d, want %d %d", i, j, in.MemberID,
						in.Amount, wantMember, want.Incomes[j].Amount)
				}
			}
			if got.Version != int64(1+len(want.Incomes)+len(want.Properties)) {
				t.Errorf("household %d version %d", i, got.Version)
			}
			if ExpectedEligible(got) != ExpectedEligible(want) {
				t.Errorf("household %d: eligibility changed on load", i)
			}
			checked++
		}
		if checked < 100 {
			t.Fatalf("only %d households read back", checked)
		}

		// No sensitive value in clear in any text column the store writes.
		var hay strings.Builder
		for _, q := range textColumns {
			vals, err := db.QueryStrings(ctx, q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			for _, v := range vals {
				hay.WriteString(v)
				hay.WriteByte('\n')
			}
		}
		all := hay.String()
		if !strings.Contains(all, ds.Households[0].Address) {
			t.Fatal("column scan does not see the data (address missing)")
		}
		for _, s := range secrets(ds) {
			if strings.Contains(all, s) {
				t.Fatalf("%s: sensitive value %s found in clear", db.Dialect(), s)
			}
		}
	})
}

// textColumns selects every text column of the tables Load writes.
var textColumns = []string{
	"SELECT key || ' ' || value FROM meta",
	"SELECT code || ' ' || name FROM regions",
	`SELECT username || ' ' || display_name || ' ' || password_hash || ' ' || region_code || ' ' || roles || ' ' ||
		posts || ' ' || hire_date || ' ' || id_enc || ' ' || COALESCE(id_index, '') || ' ' || phone_enc FROM users`,
	`SELECT region_code || ' ' || head_name || ' ' || address || ' ' || phone_enc || ' ' || bank_name || ' ' ||
		bank_enc || ' ' || notes FROM households`,
	`SELECT name || ' ' || relation || ' ' || id_enc || ' ' || id_index || ' ' || sex || ' ' || birth_date || ' ' ||
		disability_enc || ' ' || labour || ' ' || health || ' ' || health_enc FROM members`,
	"SELECT kind || ' ' || description FROM income_items",
	"SELECT kind || ' ' || description FROM property_items",
	`SELECT actor || ' ' || role || ' ' || region || ' ' || action || ' ' || object || ' ' || result || ' ' ||
		request_id || ' ' || detail || ' ' || prev_hash || ' ' || hash FROM audit_log`,
}

// secrets lists the values that must never be stored in clear: ID numbers,
// phones, bank accounts, and health and disability details.
func secrets(ds Dataset) []string {
	var out []string
	details := map[string]bool{}
	for _, h := range ds.Households {
		for _, s := range []string{h.Phone, h.BankAccount} {
			if s != "" {
				out = append(out, s)
			}
		}
		for _, m := range h.Members {
			out = append(out, string(m.IDNumber))
			for _, d := range []string{m.HealthDetail, m.DisabilityDetail} {
				if d != "" && !details[d] {
					details[d] = true
					out = append(out, d)
				}
			}
		}
	}
	return out
}

// TestSQLiteFileHasNoClearSensitiveData is the acceptance check "a search of
// the SQLite file for any demo ID number in clear finds nothing".
func TestSQLiteFileHasNoClearSensitiveData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dibao.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		t.Fatal(err)
	}
	db.SetSealer(testenv.Keyring(t))
	ds := Generate(DefaultSeed, testDay)
	res, err := Load(ctx, db, ds)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Logf("loaded %d households, %d members, %d incomes, %d properties in %v",
		res.Households, res.Members, res.Incomes, res.Properties, res.Duration)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	for _, p := range []string{path, path + "-wal", path + "-journal"} {
		b, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	// Positive control: clear fields (addresses) are found, so the scan
	// really reads the rows.
	for _, h := range ds.Households[:20] {
		if !bytes.Contains(raw, []byte(h.Address)) {
			t.Fatalf("address %q not found in the raw file: the scan does not see the data", h.Address)
		}
	}
	sec := secrets(ds)
	for _, s := range sec {
		if bytes.Contains(raw, []byte(s)) {
			t.Fatalf("sensitive value %s found in clear in the SQLite file", s)
		}
	}
	t.Logf("%d bytes scanned, none of %d sensitive values found", len(raw), len(sec))
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		Generate(DefaultSeed, testDay)
	}
}

// BenchmarkLoad loads the demo county into a fresh SQLite store per
// iteration (store set-up excluded).
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	ds := Generate(DefaultSeed, testDay)
	for b.Loop() {
		b.StopTimer()
		db := testenv.SQLite(b)
		b.StartTimer()
		if _, err := Load(ctx, db, ds); err != nil {
			b.Fatal(err)
		}
	}
}
