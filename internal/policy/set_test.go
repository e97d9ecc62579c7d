package policy

import (
	"strings"
	"testing"
	"time"

	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/money"
	"dibao/internal/region"
)

const (
	county   = region.Code("130199000000")
	townA    = region.Code("130199101000")
	townB    = region.Code("130199102000")
	villageA = region.Code("130199101201")
	other    = region.Code("130188000000")
)

func day(s string) time.Time {
	t, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestResolvePrecedence(t *testing.T) {
	rows := []Row{
		{ID: 1, Region: county, Name: MinInvestigators, Value: "3", EffectiveFrom: "2026-01-01"},
		{ID: 2, Region: townA, Name: MinInvestigators, Value: "4", EffectiveFrom: "2026-03-01"},
		{ID: 3, Region: county, Name: MinInvestigators, Value: "5", EffectiveFrom: "2026-06-01"},
		// A same-date correction recorded before the date: the higher id wins
		// whatever order the rows come in.
		{ID: 9, Region: county, Name: PublicityWD, Value: "12", EffectiveFrom: "2026-02-01"},
		{ID: 4, Region: county, Name: PublicityWD, Value: "10", EffectiveFrom: "2026-02-01"},
		// Scheduled for later: not yet in force.
		{ID: 5, Region: county, Name: StandardUrban, Value: "950.00", EffectiveFrom: "2027-01-01"},
		// Another county's values never leak in.
		{ID: 6, Region: other, Name: StandardRural, Value: "700.00", EffectiveFrom: "2020-01-01"},
		// A township row for a county-only parameter is ignored.
		{ID: 7, Region: townA, Name: StandardRural, Value: "1.00", EffectiveFrom: "2020-01-01"},
		// A name no longer registered is ignored.
		{ID: 8, Region: county, Name: "retired_param", Value: "x", EffectiveFrom: "2020-01-01"},
	}
	cases := []struct {
		name    string
		region  region.Code
		on      string
		param   string
		want    int
		version string
	}{
		{"default before any version", county, "2025-12-31", MinInvestigators, 2, DefaultVersion},
		{"county on its effective date", county, "2026-01-01", MinInvestigators, 3, "130199000000@2026-01-01#1"},
		{"township before its own version", townA, "2026-02-28", MinInvestigators, 3, "130199000000@2026-01-01#1"},
		{"township version wins", townA, "2026-03-01", MinInvestigators, 4, "130199101000@2026-03-01#2"},
		{"village resolves through township", villageA, "2026-04-01", MinInvestigators, 4, "130199101000@2026-03-01#2"},
		{"township beats a newer county version", townA, "2026-07-01", MinInvestigators, 4, "130199101000@2026-03-01#2"},
		{"other township follows the county", townB, "2026-07-01", MinInvestigators, 5, "130199000000@2026-06-01#3"},
		{"county later version", county, "2026-06-01", MinInvestigators, 5, "130199000000@2026-06-01#3"},
		{"correction with higher id wins", county, "2026-02-01", PublicityWD, 12, "130199000000@2026-02-01#9"},
		{"correction reaches villages", villageA, "2026-05-01", PublicityWD, 12, "130199000000@2026-02-01#9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := ResolveRows(c.region, day(c.on), rows)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Int(c.param); got != c.want {
				t.Errorf("%s = %d, want %d", c.param, got, c.want)
			}
			if got := s.Version(c.param); got != c.version {
				t.Errorf("version %q, want %q", got, c.version)
			}
			if s.Region() != c.region || s.Date() != c.on {
				t.Errorf("set is for %s %s", s.Region(), s.Date())
			}
		})
	}

	s, err := ResolveRows(villageA, day("2026-12-31"), rows)
	if err != nil {
		t.Fatal(err)
	}
	if s.Money(StandardUrban) != 900_00 || s.Version(StandardUrban) != DefaultVersion {
		t.Errorf("future standard applied early: %v %s", s.Money(StandardUrban), s.Version(StandardUrban))
	}
	if s.Standard(false) != 650_00 || s.Version(StandardRural) != DefaultVersion {
		t.Errorf("rural standard %v from %s: a township or another county leaked in", s.Standard(false), s.Version(StandardRural))
	}
	s, _ = ResolveRows(county, day("2027-01-01"), rows)
	if s.Standard(true) != 950_00 {
		t.Errorf("scheduled standard not in force on its date: %v", s.Standard(true))
	}

	// A decision records every version it used; the map is a copy.
	vs := s.Versions()
	if len(vs) != len(Defs()) || vs[StandardUrban] != "130199000000@2027-01-01#5" || vs[Appraisal] != DefaultVersion {
		t.Errorf("versions %v", vs)
	}
	vs[StandardUrban] = "tampered"
	if s.Version(StandardUrban) == "tampered" {
		t.Error("Versions exposed the set's map")
	}
}

func TestResolveDateIsChinaCivilDate(t *testing.T) {
	rows := []Row{{ID: 1, Region: county, Name: PublicityWD, Value: "9", EffectiveFrom: "2026-01-01"}}
	// 2025-12-31 16:30 UTC is already 2026-01-01 00:30 in Beijing.
	s, err := ResolveRows(county, time.Date(2025, 12, 31, 16, 30, 0, 0, time.UTC), rows)
	if err != nil {
		t.Fatal(err)
	}
	if s.Int(PublicityWD) != 9 || s.Date() != "2026-01-01" {
		t.Errorf("got %d on %s", s.Int(PublicityWD), s.Date())
	}
	if calendar.Location() == nil {
		t.Fatal("no location")
	}
}

func TestResolveErrors(t *testing.T) {
	if _, err := ResolveRows("12345", day("2026-01-01"), nil); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("bad region: %v", err)
	}
	rows := []Row{{ID: 3, Region: county, Name: PublicityWD, Value: "seven", EffectiveFrom: "2026-01-01"}}
	_, err := ResolveRows(county, day("2026-02-01"), rows)
	if e := errs.As(err); e.Code != errs.Internal || !strings.Contains(e.Message, "「公示期」的已存值无效（版本 130199000000@2026-01-01#3）") {
		t.Errorf("corrupt stored value: %v", err)
	}
	// A stored value outside today's range still resolves: history written
	// under an older range must keep meaning what it meant.
	rows = []Row{{ID: 3, Region: county, Name: PublicityWD, Value: "5", EffectiveFrom: "2026-01-01"}}
	if s, err := ResolveRows(county, day("2026-02-01"), rows); err != nil || s.Int(PublicityWD) != 5 {
		t.Errorf("old out-of-range value: %v", err)
	}
}

func TestAccessors(t *testing.T) {
	s := Defaults()
	if s.Enum(Appraisal) != AppraisalAlways || s.Enum(CertificationGate) != GateWarn || s.Enum(WorkflowProfile) != ProfileSeed {
		t.Error("enum defaults")
	}
	if !s.Bool(SinglePersonEnrollment) || s.Bool(PhaseoutTaper) {
		t.Error("bool defaults")
	}
	if s.Money(MinPayment) != 0 || s.Money(VehicleExemptValue) != 0 || s.Int(AssetMonths) != 24 || s.Int(MaxHomes) != 1 {
		t.Error("benefit defaults")
	}
	if s.Rounding() != money.YuanHalfUp {
		t.Error("rounding")
	}
	all := s.All()
	if len(all) != len(Defs()) || all[0].Version != DefaultVersion || all[0].Value.String() != all[0].Def.Default {
		t.Errorf("All: %+v", all[0])
	}
	v, _ := Parse(PublicityWD, "15")
	w := s.With(PublicityWD, v, "proposed")
	if w.Int(PublicityWD) != 15 || s.Int(PublicityWD) != 7 || w.Version(PublicityWD) != "proposed" {
		t.Error("With must copy")
	}

	panics := map[string]func(){
		"unknown name":   func() { s.Int("nope") },
		"wrong kind":     func() { s.Money(PublicityWD) },
		"rate of an int": func() { s.Rate(MaxHomes) },
		"unresolved set": func() { Set{}.Int(PublicityWD) },
		"with wrong kind": func() {
			m, _ := Parse(StandardUrban, "1")
			s.With(PublicityWD, m, "x")
		},
	}
	for name, fn := range panics {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			fn()
		})
	}
}

func TestCheck(t *testing.T) {
	set := func(pairs ...string) Set {
		s := Defaults()
		for i := 0; i < len(pairs); i += 2 {
			d := registry[pairs[i]]
			v, err := d.parseStored(pairs[i+1])
			if err != nil {
				t.Fatal(err)
			}
			s = s.With(pairs[i], v, "x")
		}
		return s
	}
	if err := Defaults().Check(); err != nil {
		t.Fatalf("defaults inconsistent: %v", err)
	}
	cases := []struct {
		name  string
		pairs []string
		msg   string
	}{
		{"total above extended", []string{TotalWD, "50"}, "「办理总时限」（50 工作日）不能大于「延长后办理总时限」（45 工作日）"},
		{"variable above stable", []string{ReviewMonthsStable, "3"}, "「收入不稳定家庭核查周期」（6 月）不能大于「收入稳定家庭核查周期」（3 月）"},
		{"pass above excellent", []string{ExcellentMark, "50"}, "「理论考核合格分」（60 分）不能大于「优秀分数线」（50 分）"},
		{"min payment above a standard", []string{MinPayment, "700"}, "「最低发放金额」（700.00 元）不能高于低保标准（650.00 元）"},
	}
	for _, c := range cases {
		err := set(c.pairs...).Check()
		if e := errs.As(err); err == nil || e.Code != errs.Invalid || e.Message != c.msg {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if err := set(TotalWD, "45").Check(); err != nil {
		t.Errorf("equal limits refused: %v", err)
	}
}

func TestParseVersion(t *testing.T) {
	ok := Row{ID: 17, Region: county, EffectiveFrom: "2026-01-01"}.Version()
	if ok != "130199000000@2026-01-01#17" {
		t.Fatalf("format %q", ok)
	}
	ref, err := ParseVersion(ok)
	if err != nil || ref != (VersionRef{Region: county, EffectiveFrom: "2026-01-01", ID: 17}) {
		t.Fatalf("%+v %v", ref, err)
	}
	for _, bad := range []string{"", DefaultVersion, "130199000000@2026-01-01", "130199000000#17",
		"1301990@2026-01-01#17", "130199000000@2026-13-01#17", "130199000000@2026-01-01#0",
		"130199000000@2026-01-01#017", "130199000000@2026-01-01#x", "130199000000@2026-1-1#17"} {
		if _, err := ParseVersion(bad); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("ParseVersion(%q) accepted", bad)
		}
	}
}

func TestParseDate(t *testing.T) {
	for _, bad := range []string{"", "2026/01/01", "2026-02-30", "1999-12-31", "2100-01-01", "26-01-01"} {
		if _, err := ParseDate(bad); err == nil || !strings.Contains(errs.As(err).Message, "YYYY-MM-DD") {
			t.Errorf("ParseDate(%q) = %v", bad, err)
		}
	}
	if d, err := ParseDate("2026-02-28"); err != nil || DateOf(d) != "2026-02-28" {
		t.Errorf("%v %v", d, err)
	}
}
