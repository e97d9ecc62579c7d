package policy

import (
	"slices"
	"strings"
	"testing"

	"dibao/internal/errs"
	"dibao/internal/money"
	"dibao/internal/region"
)

func TestRegistry(t *testing.T) {
	// Every name SPEC §4 and the brief list must be registered.
	want := []string{"regular_hours", "special_hours", "expert_invites_per_year", "theory_pass", "practical_pass",
		"daily_pass", "excellent_mark", "min_investigators", "publicity_wd", "appraisal", "forward_wd",
		"investigation_start_wd", "county_decision_wd", "rejection_notice_wd", "total_wd", "total_wd_extended",
		"review_months_stable", "review_months_variable", "spot_check_rate", "phaseout_months", "asset_months",
		"vehicle_exempt_value", "max_homes", "rounding", "min_payment", "standard.urban", "standard.rural",
		"certification_gate", "workflow_profile", "income_window_months", "near_threshold_factor"}
	for _, n := range want {
		if _, ok := Lookup(n); !ok {
			t.Errorf("%s is not registered", n)
		}
	}
	for _, d := range Defs() {
		t.Run(d.Name, func(t *testing.T) {
			if d.Label == "" || d.Basis == "" || d.Source.Label() == string(d.Source) {
				t.Errorf("label %q, basis %q, source %q", d.Label, d.Basis, d.Source)
			}
			if !slices.Contains(Groups, d.Group) {
				t.Errorf("group %q", d.Group)
			}
			if len(d.Levels) == 0 || !d.Overridable(region.County) || d.Overridable(region.Village) {
				t.Errorf("levels %v: every parameter is set by the county, never by a village", d.Levels)
			}
			switch d.Kind {
			case Int, Decimal, Money:
				if d.Min > d.Max {
					t.Errorf("range %d..%d", d.Min, d.Max)
				}
			case Enum:
				if d.ChoiceLabel(d.Default) == "" {
					t.Errorf("default %q is not a choice", d.Default)
				}
			case Bool:
			case List:
				for _, c := range strings.Split(d.Default, ",") {
					if d.ChoiceLabel(c) == "" {
						t.Errorf("default item %q is not a choice", c)
					}
				}
			default:
				t.Errorf("kind %v", d.Kind)
			}
			v, err := Parse(d.Name, d.Default)
			if err != nil {
				t.Fatalf("default %q: %v", d.Default, err)
			}
			if v.String() != d.Default || v.Kind() != d.Kind {
				t.Errorf("default %q is not canonical: %q (%v)", d.Default, v.String(), v.Kind())
			}
		})
	}
	// The registry cannot be edited through a returned copy.
	d, _ := Lookup(Appraisal)
	d.Choices[0].Code = "x"
	d.Levels[0] = region.Village
	if d2, _ := Lookup(Appraisal); d2.Choices[0].Code != AppraisalAlways || d2.Levels[0] != region.County {
		t.Error("Lookup leaked the registry's slices")
	}
	if Defaults().Rounding() != money.YuanHalfUp {
		t.Error("default rounding is not yuan half-up")
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		name, param, in string
		want            string // canonical; "" when an error is expected
		msg             string // substring of the Chinese message
	}{
		// Int
		{"int plain", PublicityWD, "10", "10", ""},
		{"int spaces", PublicityWD, " 10 ", "10", ""},
		{"int full-width", PublicityWD, "１５", "15", ""},
		{"int plus", PublicityWD, "+8", "8", ""},
		{"int min", MinInvestigators, "2", "2", ""},
		{"int leading zeros", TotalWD, "030", "30", ""},
		{"int below national floor", MinInvestigators, "1", "", "「入户调查最少人数」不能为 1，取值范围为 2 至 10 人"},
		{"int below publicity floor", PublicityWD, "5", "", "「公示期」不能为 5，取值范围为 7 至 30 工作日"},
		{"int above", PhaseoutMonths, "7", "", "「渐退期」不能为 7，取值范围为 0 至 6 月"},
		{"int negative", MaxHomes, "-1", "", "「家庭住房套数上限」不能为 -1"},
		{"int decimal", RegularHours, "4.5", "", "「常规培训时长（每季度）」应为整数，取值范围为 1 至 40 小时"},
		{"int letters", TheoryPass, "sixty", "", "「理论考核合格分」应为整数，取值范围为 1 至 100 分"},
		{"int huge", TheoryPass, "99999999999999999999", "", "应为整数"},
		{"int empty", TheoryPass, "  ", "", "请填写「理论考核合格分」"},
		// Decimal
		{"rate", SpotCheckRate, "0.30", "0.30", ""},
		{"rate short", SpotCheckRate, "0.3", "0.30", ""},
		{"rate no zero", SpotCheckRate, ".25", "0.25", ""},
		{"rate percent", SpotCheckRate, "30%", "0.30", ""},
		{"rate full-width percent", SpotCheckRate, "１００％", "1.00", ""},
		{"rate trailing zeros", SpotCheckRate, "0.5000", "0.50", ""},
		{"rate zero", SpotCheckRate, "0", "0.00", ""},
		{"rate one", SpotCheckRate, "1", "1.00", ""},
		{"factor", NearThresholdFactor, "1.5", "1.50", ""},
		{"rate above one", SpotCheckRate, "1.01", "", "「县级抽查比例」不能为 1.01，取值范围为 0.00 至 1.00，最多 2 位小数"},
		{"rate percent above", SpotCheckRate, "120%", "", "不能为 1.20"},
		{"rate too precise", SpotCheckRate, "0.305", "", "「县级抽查比例」小数位数过多"},
		{"rate percent too precise", SpotCheckRate, "30.5%", "", "小数位数过多"},
		{"rate negative", SpotCheckRate, "-0.1", "", "「县级抽查比例」不能为负数"},
		{"rate comma", SpotCheckRate, "0,3", "", "「县级抽查比例」应为数字"},
		{"rate dangling dot", SpotCheckRate, "1.", "", "应为数字"},
		{"rate float syntax", SpotCheckRate, "3e-1", "", "应为数字"},
		{"factor below", NearThresholdFactor, "0.9", "", "「低保边缘家庭收入倍数」不能为 0.90，取值范围为 1.00 至 3.00 倍"},
		// Money
		{"money", StandardUrban, "950", "950.00", ""},
		{"money yuan sign", StandardUrban, "￥1,020.5", "1020.50", ""},
		{"money suffix", StandardRural, "700元", "700.00", ""},
		{"money zero", MinPayment, "0", "0.00", ""},
		{"money below", StandardUrban, "0.50", "", "「城市低保标准」不能为 0.50 元，取值范围为 1.00 至 10000.00 元"},
		{"money above", MinPayment, "20000", "", "「最低发放金额」不能为 20000.00 元，取值范围为 0.00 至 10000.00 元"},
		{"money negative", VehicleExemptValue, "-1", "", "「可豁免车辆价值上限」金额不能为负数"},
		{"money three decimals", StandardUrban, "900.123", "", "「城市低保标准」金额最多保留两位小数"},
		{"money junk", StandardUrban, "九百", "", "「城市低保标准」金额格式不正确，取值范围为 1.00 至 10000.00 元"},
		// Enum
		{"enum code", Appraisal, "on_objection", "on_objection", ""},
		{"enum label", Appraisal, "有异议时评议", "on_objection", ""},
		{"enum rounding", RoundingMode, "jiao_up", "jiao_up", ""},
		{"enum rounding label", RoundingMode, "四舍五入到元", "yuan_half_up", ""},
		{"enum profile", WorkflowProfile, "national-2021", "national-2021", ""},
		{"enum gate", CertificationGate, "enforce", "enforce", ""},
		{"enum unknown", Appraisal, "sometimes", "", "「民主评议」只能选择：每户评议（always）、有异议时评议（on_objection）、不评议（never）"},
		{"enum case", CertificationGate, "ENFORCE", "", "「持证上岗校验」只能选择"},
		// Bool
		{"bool true", PhaseoutTaper, "true", "true", ""},
		{"bool yes", PhaseoutTaper, "是", "true", ""},
		{"bool 0", SinglePersonEnrollment, "0", "false", ""},
		{"bool No", SinglePersonEnrollment, "No", "false", ""},
		{"bool junk", PhaseoutTaper, "maybe", "", "「渐退期内逐月递减」只能为“是”或“否”"},
		// Name
		{"unknown name", "publicity_days", "7", "", "未知的政策参数：publicity_days"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := Parse(c.param, c.in)
			if c.want != "" {
				if err != nil {
					t.Fatalf("Parse(%q) = %v", c.in, err)
				}
				if v.String() != c.want {
					t.Fatalf("Parse(%q) = %q, want %q", c.in, v.String(), c.want)
				}
				// Canonical text reads back to itself.
				if v2, err := Parse(c.param, v.String()); err != nil || v2 != v {
					t.Fatalf("round trip %q: %v %v", v.String(), v2, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want an error", c.in, v.String())
			}
			e := errs.As(err)
			if e.Code != errs.Invalid || !strings.Contains(e.Message, c.msg) {
				t.Fatalf("Parse(%q) error = %v (%s), want message containing %q", c.in, e.Message, e.Code, c.msg)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	cases := []struct{ param, raw, want string }{
		{PublicityWD, "7", "7 工作日"},
		{StandardUrban, "900", "900.00 元/人·月"},
		{Appraisal, "never", "不评议"},
		{RoundingMode, "yuan_up", "见角进元"},
		{PhaseoutTaper, "true", "是"},
		{SpotCheckRate, "0.3", "0.30"},
	}
	for _, c := range cases {
		d, _ := Lookup(c.param)
		v, err := Parse(c.param, c.raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Format(v); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.param, c.raw, got, c.want)
		}
	}
}

func TestRate(t *testing.T) {
	s := Defaults()
	r := s.Rate(SpotCheckRate)
	if r != (Rate{30, 100}) || r.String() != "0.30" || r.BasisPoints() != 3000 {
		t.Fatalf("spot check rate %+v %s %d", r, r, r.BasisPoints())
	}
	for _, c := range []struct{ n, want int64 }{{0, 0}, {1, 1}, {7, 3}, {10, 3}, {11, 4}, {100, 30}} {
		if got := r.CeilOf(c.n); got != c.want {
			t.Errorf("CeilOf(%d) = %d, want %d", c.n, got, c.want)
		}
	}
	f := s.Rate(NearThresholdFactor)
	if got := f.OfFen(650_00, money.FenExact); got != 975_00 {
		t.Errorf("1.5 × 650 = %v", got)
	}
	if got := (Rate{1, 3}).OfFen(1_00, money.FenExact); got != 33 {
		t.Errorf("1/3 of a yuan = %v", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, d := range defs {
		f.Add(d.Name, d.Default)
	}
	f.Add(SpotCheckRate, "30%")
	f.Add(StandardUrban, "￥1,020.5")
	f.Add(PublicityWD, "１５")
	f.Fuzz(func(t *testing.T, name, raw string) {
		v, err := Parse(name, raw)
		if err != nil {
			if errs.As(err).Code != errs.Invalid || errs.As(err).Message == "" {
				t.Fatalf("error without a message: %v", err)
			}
			return
		}
		// Whatever is accepted is stored canonically and reads back the same.
		v2, err := Parse(name, v.String())
		if err != nil || v2 != v {
			t.Fatalf("%q → %q → %v, %v", raw, v.String(), v2, err)
		}
	})
}

// FuzzParseDate: an accepted effective date is a civil day of 2000–2099
// whose DateOf is the (trimmed) input; a refusal is an effective_from
// error with the zero time.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-01-01", " 2026-07-01\n", "1999-12-31", "2100-01-01", "2026-02-29", "2026-1-1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if e := errs.As(err); e.Code != errs.Invalid || e.Field != "effective_from" || !d.IsZero() {
				t.Fatalf("ParseDate(%q) = %v, %#v", s, d, err)
			}
			return
		}
		if DateOf(d) != strings.TrimSpace(s) || d.Year() < 2000 || d.Year() > 2099 {
			t.Fatalf("ParseDate(%q) = %v (%s)", s, d, DateOf(d))
		}
	})
}
