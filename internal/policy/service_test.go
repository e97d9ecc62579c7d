package policy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

var ctx = context.Background()

const (
	county   = testenv.County
	townA    = testenv.TownA
	townB    = testenv.TownB
	villageA = testenv.VillageA
	villageB = testenv.VillageB
)

// at is a civil date in Beijing at 10:00, the clock the tests run on.
func at(date string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, date, calendar.Location())
	if err != nil {
		panic(err)
	}
	return t.Add(10 * time.Hour)
}

type fixture struct {
	db                                 *store.DB
	admin, sysadmin, officer, townOnly authz.Principal
}

func setup(t *testing.T, db *store.DB) fixture {
	t.Helper()
	testenv.SeedRegions(t, db)
	db.SetClock(func() time.Time { return at("2026-03-10") })
	return fixture{
		db:       db,
		admin:    testenv.User(t, db, "county-admin", county, authz.CountyAdmin),
		sysadmin: testenv.User(t, db, "sys-admin", county, authz.SystemAdmin),
		officer:  testenv.User(t, db, "town-officer", townA, authz.TownshipOfficer),
		// A county administrator account registered at a township sees
		// only that township.
		townOnly: testenv.User(t, db, "town-admin", townA, authz.CountyAdmin),
	}
}

func resolve(t *testing.T, db *store.DB, r region.Code, date string) policy.Set {
	t.Helper()
	s, err := policy.Resolve(ctx, db, r, at(date))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func history(t *testing.T, db *store.DB, r region.Code, name string) []policy.HistoryEntry {
	t.Helper()
	h, err := policy.History(ctx, db, r, name)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func policyAudit(t *testing.T, db *store.DB) []string {
	t.Helper()
	recs, err := db.AuditRecords(ctx, store.AuditFilter{Action: "policy.", Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		out = append(out, fmt.Sprintf("%s %s %s %s", r.Actor, r.Action, r.Object, r.Detail))
	}
	return out
}

func TestService(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		t.Run("set and resolve", f.setAndResolve)
		t.Run("refusals change nothing", f.refusals)
		t.Run("township override", f.township)
		t.Run("scheduled and corrected before effect", f.scheduled)
		t.Run("explicit correction", f.correct)
		t.Run("system parameter", f.system)
		t.Run("table", f.table)
		if n, err := db.VerifyAudit(ctx); err != nil || n == 0 {
			t.Fatalf("audit chain: %d %v", n, err)
		}
	})
}

func (f fixture) setAndResolve(t *testing.T) {
	s := resolve(t, f.db, villageA, "2026-03-10")
	if s.Int(policy.PublicityWD) != 7 || s.Version(policy.PublicityWD) != policy.DefaultVersion {
		t.Fatalf("default publicity %d %s", s.Int(policy.PublicityWD), s.Version(policy.PublicityWD))
	}
	// Effective today is not back-dating.
	if err := policy.SetValue(ctx, f.db, f.admin, county, policy.PublicityWD, "１０", "2026-03-10", "县政府文件"); err != nil {
		t.Fatal(err)
	}
	h := history(t, f.db, villageA, policy.PublicityWD)
	if len(h) != 1 || h[0].Value != "10" || h[0].Note != "县政府文件" || h[0].CreatedByName != "county-admin" ||
		h[0].CreatedBy != f.admin.UserID || h[0].Display != "10 工作日" || h[0].Superseded {
		t.Fatalf("history %+v", h)
	}
	want := fmt.Sprintf("130199000000@2026-03-10#%d", h[0].ID)
	if h[0].Version != want {
		t.Fatalf("version %q, want %q", h[0].Version, want)
	}
	s = resolve(t, f.db, villageA, "2026-03-10")
	if s.Int(policy.PublicityWD) != 10 || s.Version(policy.PublicityWD) != want {
		t.Fatalf("resolved %d %s", s.Int(policy.PublicityWD), s.Version(policy.PublicityWD))
	}
	// Yesterday's decisions were made under the default and still resolve so.
	if s := resolve(t, f.db, villageA, "2026-03-09"); s.Int(policy.PublicityWD) != 7 {
		t.Fatal("a new version changed the past")
	}
	a := policyAudit(t, f.db)
	if len(a) != 1 || a[0] != "county-admin policy.set policy:130199000000/publicity_wd name=publicity_wd region=130199000000 "+
		"effective_from=2026-03-10 value=10 version="+want+" previous=7(default)" {
		t.Fatalf("audit %q", a)
	}
}

func (f fixture) refusals(t *testing.T) {
	before := policyAudit(t, f.db)
	hist, err := f.db.PolicyValuesWithin(ctx, region.ScopeOf(county))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name          string
		p             authz.Principal
		region        region.Code
		param, value  string
		from          string
		code          errs.Code
		field, msgPar string
	}{
		{"back-dated", f.admin, county, policy.PublicityWD, "8", "2026-03-09", errs.Invalid, "effective_from", policy.MsgBackdated},
		{"far future", f.admin, county, policy.PublicityWD, "8", "2031-03-11", errs.Invalid, "effective_from", "生效日期不能晚于 2031-03-10"},
		{"bad date", f.admin, county, policy.PublicityWD, "8", "2026-3-20", errs.Invalid, "effective_from", "YYYY-MM-DD"},
		{"bad value", f.admin, county, policy.PublicityWD, "5", "2026-04-01", errs.Invalid, "value", "「公示期」不能为 5，取值范围为 7 至 30 工作日"},
		{"unknown parameter", f.admin, county, "publicity_days", "8", "2026-04-01", errs.Invalid, "name", "未知的政策参数"},
		{"township officer", f.officer, townA, policy.MinInvestigators, "3", "2026-04-01", errs.Forbidden, "", policy.MsgNoPermission},
		{"system admin on a business parameter", f.sysadmin, county, policy.PublicityWD, "8", "2026-04-01", errs.Forbidden, "", policy.MsgNoPermission},
		{"county admin on a system parameter", f.admin, county, policy.CertificationGate, "enforce", "2026-04-01", errs.Forbidden, "", "「持证上岗校验」属于系统参数，只能由系统管理员修改"},
		{"county-only at a township", f.admin, townA, policy.StandardUrban, "1000", "2026-04-01", errs.Invalid, "region_code", "「城市低保标准」只能由县（区）统一设置"},
		{"village", f.admin, villageA, policy.MinInvestigators, "3", "2026-04-01", errs.Invalid, "region_code", policy.MsgRegionLevel},
		{"malformed region", f.admin, "1301991", policy.MinInvestigators, "3", "2026-04-01", errs.Invalid, "region_code", region.MsgFormat},
		{"unknown region", f.admin, "130199103000", policy.MinInvestigators, "3", "2026-04-01", errs.Invalid, "region_code", "行政区划不存在"},
		{"outside scope: county", f.townOnly, county, policy.MinInvestigators, "3", "2026-04-01", errs.Forbidden, "region_code", "不在您的管辖范围内"},
		{"outside scope: other township", f.townOnly, townB, policy.MinInvestigators, "3", "2026-04-01", errs.Forbidden, "region_code", "不在您的管辖范围内"},
		{"outside scope: other county", f.admin, "130188000000", policy.MinInvestigators, "3", "2026-04-01", errs.Forbidden, "region_code", "不在您的管辖范围内"},
		{"inconsistent with another parameter", f.admin, county, policy.TotalWD, "50", "2026-04-01", errs.Invalid, "value", "「办理总时限」（50 工作日）不能大于「延长后办理总时限」（45 工作日）"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := policy.SetValue(ctx, f.db, c.p, c.region, c.param, c.value, c.from, "")
			e := errs.As(err)
			if err == nil || e.Code != c.code || e.Field != c.field || !strings.Contains(e.Message, c.msgPar) {
				t.Fatalf("got %v (code %s, field %q), want %s %q %q", err, e.Code, e.Field, c.code, c.field, c.msgPar)
			}
		})
	}
	after, err := f.db.PolicyValuesWithin(ctx, region.ScopeOf(county))
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(hist) || len(policyAudit(t, f.db)) != len(before) {
		t.Fatalf("a refused change wrote something: %d→%d rows", len(hist), len(after))
	}
}

func (f fixture) township(t *testing.T) {
	if err := policy.SetValue(ctx, f.db, f.admin, county, policy.MinInvestigators, "3", "2026-04-01", ""); err != nil {
		t.Fatal(err)
	}
	// The township-scoped administrator may set its own township.
	if err := policy.SetValue(ctx, f.db, f.townOnly, townA, policy.MinInvestigators, "4", "2026-04-01", "东湖镇"); err != nil {
		t.Fatal(err)
	}
	a := resolve(t, f.db, villageA, "2026-04-01")
	b := resolve(t, f.db, villageB, "2026-04-01")
	c := resolve(t, f.db, county, "2026-04-01")
	if a.Int(policy.MinInvestigators) != 4 || !strings.HasPrefix(a.Version(policy.MinInvestigators), "130199101000@2026-04-01#") {
		t.Errorf("township A: %d %s", a.Int(policy.MinInvestigators), a.Version(policy.MinInvestigators))
	}
	if b.Int(policy.MinInvestigators) != 3 || !strings.HasPrefix(b.Version(policy.MinInvestigators), "130199000000@2026-04-01#") {
		t.Errorf("township B: %d %s", b.Int(policy.MinInvestigators), b.Version(policy.MinInvestigators))
	}
	if c.Int(policy.MinInvestigators) != 3 {
		t.Errorf("county: %d", c.Int(policy.MinInvestigators))
	}
	if s := resolve(t, f.db, villageA, "2026-03-31"); s.Int(policy.MinInvestigators) != 2 {
		t.Errorf("before both: %d", s.Int(policy.MinInvestigators))
	}
	// History of a village shows both levels of its chain.
	if h := history(t, f.db, villageA, policy.MinInvestigators); len(h) != 2 || h[0].Region != county || h[1].Region != townA {
		t.Errorf("history %+v", h)
	}
	// A county change that would break a township's own values is refused,
	// naming where it would break.
	if err := policy.SetValue(ctx, f.db, f.admin, townA, policy.ReviewMonthsVariable, "9", "2026-05-01", ""); err != nil {
		t.Fatal(err)
	}
	err := policy.SetValue(ctx, f.db, f.admin, county, policy.ReviewMonthsStable, "8", "2026-04-01", "")
	if e := errs.As(err); e.Code != errs.Invalid || !strings.Contains(e.Message, "（2026-05-01 起适用于 130199101000）") {
		t.Errorf("cross-level check: %v", err)
	}
}

func (f fixture) scheduled(t *testing.T) {
	if err := policy.SetValue(ctx, f.db, f.admin, county, policy.StandardUrban, "950", "2026-07-01", "2026年标准"); err != nil {
		t.Fatal(err)
	}
	st, err := policy.Standards(ctx, f.db, villageA, at("2026-06-30"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Urban != 900_00 || st.Rural != 650_00 || st.UrbanVersion != policy.DefaultVersion {
		t.Fatalf("not yet in force: %+v", st)
	}
	// Typed wrongly; corrected before the date by setting the same date again.
	if err := policy.SetValue(ctx, f.db, f.admin, county, policy.StandardUrban, "960", "2026-07-01", "更正"); err != nil {
		t.Fatal(err)
	}
	h := history(t, f.db, county, policy.StandardUrban)
	if len(h) != 2 || !h[0].Superseded || h[1].Superseded || h[1].Corrects != h[0].ID || h[1].ID <= h[0].ID {
		t.Fatalf("history %+v", h)
	}
	st, err = policy.Standards(ctx, f.db, villageA, at("2026-07-01"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Urban != 960_00 || st.UrbanVersion != h[1].Version || st.RuralVersion != policy.DefaultVersion {
		t.Fatalf("in force: %+v", st)
	}
	a := policyAudit(t, f.db)
	if last := a[len(a)-1]; !strings.Contains(last, "value=960.00") || !strings.Contains(last, fmt.Sprintf("corrects=%d", h[0].ID)) ||
		!strings.Contains(last, "previous=950.00("+h[0].Version+")") {
		t.Errorf("audit %q", last)
	}
}

func (f fixture) correct(t *testing.T) {
	f.db.SetClock(func() time.Time { return at("2026-08-01") })
	defer f.db.SetClock(func() time.Time { return at("2026-03-10") })
	h := history(t, f.db, county, policy.StandardUrban)
	cur := h[len(h)-1]
	// Setting the past date again is back-dating, even for a correction.
	err := policy.SetValue(ctx, f.db, f.admin, county, policy.StandardUrban, "955", "2026-07-01", "")
	if e := errs.As(err); e.Message != policy.MsgBackdated {
		t.Fatalf("SetValue on a past date: %v", err)
	}
	refusals := []struct {
		name, version, value, note string
		p                          authz.Principal
		code                       errs.Code
		msg                        string
	}{
		{"no reason", cur.Version, "955", " ", f.admin, errs.Invalid, policy.MsgNoteRequired},
		{"same value", cur.Version, "960", "录入错误", f.admin, errs.Invalid, "与原值相同"},
		{"superseded version", h[0].Version, "955", "录入错误", f.admin, errs.Conflict, "已被更正"},
		{"not a version", "default", "955", "录入错误", f.admin, errs.Invalid, "参数版本号格式不正确"},
		{"wrong key", strings.Replace(cur.Version, "2026-07-01", "2026-07-02", 1), "955", "录入错误", f.admin, errs.NotFound, "参数版本不存在"},
		{"missing", "130199000000@2026-07-01#999999", "955", "录入错误", f.admin, errs.NotFound, "参数版本不存在"},
		{"no permission", cur.Version, "955", "录入错误", f.officer, errs.Forbidden, policy.MsgNoPermission},
		{"out of scope", cur.Version, "955", "录入错误", f.townOnly, errs.Forbidden, "不在您的管辖范围内"},
		{"bad value", cur.Version, "0", "录入错误", f.admin, errs.Invalid, "「城市低保标准」不能为 0.00 元"},
	}
	for _, c := range refusals {
		err := policy.Correct(ctx, f.db, c.p, c.version, c.value, c.note)
		if e := errs.As(err); err == nil || e.Code != c.code || !strings.Contains(e.Message, c.msg) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if err := policy.Correct(ctx, f.db, f.admin, cur.Version, "955", "文件为955元，录入错误"); err != nil {
		t.Fatal(err)
	}
	s := resolve(t, f.db, villageB, "2026-07-15")
	h = history(t, f.db, county, policy.StandardUrban)
	fixed := h[len(h)-1]
	if s.Money(policy.StandardUrban) != 955_00 || s.Version(policy.StandardUrban) != fixed.Version ||
		fixed.Corrects != cur.ID || fixed.EffectiveFrom != "2026-07-01" {
		t.Fatalf("corrected: %v %s %+v", s.Money(policy.StandardUrban), s.Version(policy.StandardUrban), fixed)
	}
	// The version an earlier decision recorded still names the old value.
	for _, e := range h {
		if e.Version == cur.Version && (e.Value != "960.00" || !e.Superseded) {
			t.Errorf("old version changed: %+v", e)
		}
	}
	a := policyAudit(t, f.db)
	want := fmt.Sprintf("county-admin policy.correct policy:130199000000/standard.urban name=standard.urban region=130199000000 "+
		"effective_from=2026-07-01 value=955.00 version=%s corrects=%s old_value=960.00 in_force=true", fixed.Version, cur.Version)
	if a[len(a)-1] != want {
		t.Errorf("audit\n got %q\nwant %q", a[len(a)-1], want)
	}
}

func (f fixture) system(t *testing.T) {
	if err := policy.SetValue(ctx, f.db, f.sysadmin, county, policy.CertificationGate, "强制", "2026-03-11", ""); err != nil {
		t.Fatal(err)
	}
	if s := resolve(t, f.db, villageA, "2026-03-11"); s.Enum(policy.CertificationGate) != policy.GateEnforce {
		t.Errorf("gate %s", s.Enum(policy.CertificationGate))
	}
	a := policyAudit(t, f.db)
	if !strings.HasPrefix(a[len(a)-1], "sys-admin policy.set policy:130199000000/certification_gate name=certification_gate") {
		t.Errorf("audit %q", a[len(a)-1])
	}
}

func (f fixture) table(t *testing.T) {
	tab, err := policy.Load(ctx, f.db, villageA)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []region.Code{county, townA, townB, villageA, villageB} {
		for _, d := range []string{"2026-01-01", "2026-04-01", "2026-07-01", "2026-12-31"} {
			want := resolve(t, f.db, r, d)
			got, err := tab.Resolve(r, at(d))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got.Versions()) != fmt.Sprint(want.Versions()) {
				t.Errorf("%s %s: table and Resolve disagree", r, d)
			}
		}
	}
	if _, err := tab.Resolve("130188101000", at("2026-04-01")); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("foreign county: %v", err)
	}
	if _, err := (policy.Table{}).Resolve(county, at("2026-04-01")); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("unloaded table: %v", err)
	}
}
