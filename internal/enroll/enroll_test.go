package enroll_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/region"
)

func d(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, calendar.Location())
	if err != nil {
		panic(err)
	}
	return t
}

const (
	county    region.Code = "130199000000"
	donghu    region.Code = "130199101000" // 东湖镇
	lijia     region.Code = "130199101201" // 李家庄村, in 东湖镇
	xihe      region.Code = "130199102000" // 西河乡
	xiheVill  region.Code = "130199102203"
	otherCnty region.Code = "130200000000"
)

func TestQuarter(t *testing.T) {
	cases := []struct {
		name       string
		in         time.Time
		start, end string
		label      string
	}{
		{"first day of the year", d("2026-01-01"), "2026-01-01", "2026-03-31", "2026年第1季度"},
		{"last day of Q1", d("2026-03-31"), "2026-01-01", "2026-03-31", "2026年第1季度"},
		{"first day of Q2", d("2026-04-01"), "2026-04-01", "2026-06-30", "2026年第2季度"},
		{"last day of Q3", d("2026-09-30"), "2026-07-01", "2026-09-30", "2026年第3季度"},
		{"first day of Q4", d("2026-10-01"), "2026-10-01", "2026-12-31", "2026年第4季度"},
		{"last minute of the year", d("2026-12-31").Add(23*time.Hour + 59*time.Minute), "2026-10-01", "2026-12-31", "2026年第4季度"},
		// 16:30 UTC on 30 September is already 1 October in the county.
		{"UTC instant on the Shanghai boundary", time.Date(2026, 9, 30, 16, 30, 0, 0, time.UTC), "2026-10-01", "2026-12-31", "2026年第4季度"},
		{"leap day", d("2028-02-29"), "2028-01-01", "2028-03-31", "2028年第1季度"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, e := enroll.Quarter(c.in)
			if !s.Equal(d(c.start)) || !e.Equal(d(c.end)) {
				t.Errorf("Quarter = %s .. %s, want %s .. %s", s, e, c.start, c.end)
			}
			if got := enroll.QuarterLabel(c.in); got != c.label {
				t.Errorf("QuarterLabel = %q, want %q", got, c.label)
			}
		})
	}
}

func TestRuleMatches(t *testing.T) {
	investigator := enroll.Person{ID: 1, Region: donghu, Roles: []authz.Role{authz.TownshipOfficer},
		Posts: []string{"受理", "调查"}, HireDate: d("2026-03-15"), Active: true}
	clerk := enroll.Person{ID: 2, Region: lijia, Roles: []authz.Role{authz.VillageClerk},
		Posts: []string{"受理"}, HireDate: d("2020-01-01"), Active: true}
	veteran := enroll.Person{ID: 3, Region: xiheVill, Roles: []authz.Role{authz.VillageClerk}, Posts: []string{"受理"}, Active: true}
	noRegion := enroll.Person{ID: 4, Posts: []string{"调查"}, Active: true}

	cases := []struct {
		name string
		rule enroll.Rule
		p    enroll.Person
		want bool
	}{
		{"empty rule matches everyone", enroll.Rule{}, clerk, true},
		{"empty rule matches a person without region", enroll.Rule{}, noRegion, true},
		{"post held", enroll.Rule{Posts: []string{"调查"}}, investigator, true},
		{"one of several posts", enroll.Rule{Posts: []string{"审核", "受理"}}, investigator, true},
		{"post not held", enroll.Rule{Posts: []string{"调查"}}, clerk, false},
		{"village within township root", enroll.Rule{Regions: []region.Code{donghu}}, clerk, true},
		{"township is within itself", enroll.Rule{Regions: []region.Code{donghu}}, investigator, true},
		{"other township", enroll.Rule{Regions: []region.Code{xihe}}, clerk, false},
		{"any of several roots", enroll.Rule{Regions: []region.Code{xihe, donghu}}, clerk, true},
		{"county root holds its villages", enroll.Rule{Regions: []region.Code{county}}, veteran, true},
		{"other county", enroll.Rule{Regions: []region.Code{otherCnty}}, clerk, false},
		{"no region never matches a region rule", enroll.Rule{Regions: []region.Code{county}}, noRegion, false},
		{"role held", enroll.Rule{Roles: []authz.Role{authz.TownshipOfficer}}, investigator, true},
		{"role not held", enroll.Rule{Roles: []authz.Role{authz.TownshipOfficer}}, clerk, false},
		{"criteria combine with AND", enroll.Rule{Posts: []string{"受理"}, Regions: []region.Code{xihe}}, clerk, false},
		{"hired on the lower bound", enroll.Rule{HiredFrom: d("2026-03-15")}, investigator, true},
		{"hired before the lower bound", enroll.Rule{HiredFrom: d("2026-03-16")}, investigator, false},
		{"hired on the upper bound", enroll.Rule{HiredTo: d("2026-03-15")}, investigator, true},
		{"hired after the upper bound", enroll.Rule{HiredTo: d("2026-03-14")}, investigator, false},
		{"unknown hire date is not a new hire", enroll.Rule{HiredFrom: d("2000-01-01")}, veteran, false},
		{"unknown hire date counts as long ago", enroll.Rule{HiredTo: d("2000-01-01")}, veteran, true},
		// The bound is a date: late evening of the bound day still matches.
		{"time of day ignored", enroll.Rule{HiredTo: d("2026-03-15")},
			enroll.Person{HireDate: d("2026-03-15").Add(23 * time.Hour), Active: true}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.rule.Matches(c.p); got != c.want {
				t.Errorf("Matches = %v, want %v", got, c.want)
			}
		})
	}
}

// plan fills the fields Validate requires so that cases state only what
// they are about.
func plan(id int64, k enroll.Kind, start, end string, aud enroll.Rule) enroll.Plan {
	return enroll.Plan{ID: id, Kind: k, Title: k.Label(), Period: enroll.Period{Start: d(start), End: d(end)},
		Audience: aud, RequiredMinutes: 240, Categories: []enroll.Category{enroll.PolicyLaw}}
}

func special(id int64, start, end, work string, posts ...string) enroll.Plan {
	p := plan(id, enroll.Special, start, end, enroll.Rule{Posts: posts})
	p.SpecialStart = d(work)
	return p
}

func staff(id int64, hired string, posts ...string) enroll.Person {
	p := enroll.Person{ID: id, Region: lijia, Roles: []authz.Role{authz.VillageClerk}, Posts: posts, Active: true}
	if hired != "" {
		p.HireDate = d(hired)
	}
	return p
}

// due is the compact form of an enrollment in the cases: person/plan/due.
type due struct {
	person, plan int64
	due          string
}

func brief(es []enroll.Enrollment) []due {
	var out []due
	for _, e := range es {
		out = append(out, due{e.PersonID, e.PlanID, e.Due.Format(time.DateOnly)})
	}
	return out
}

func TestWant(t *testing.T) {
	onboarding2026 := plan(10, enroll.Onboarding, "2026-01-01", "2026-12-31", enroll.Rule{})
	q3 := plan(20, enroll.Regular, "2026-07-01", "2026-09-30", enroll.Rule{})
	q4 := plan(21, enroll.Regular, "2026-10-01", "2026-12-31", enroll.Rule{})
	annual := plan(40, enroll.Annual, "2026-01-01", "2026-12-31", enroll.Rule{})
	inactive := staff(9, "2026-10-02", "受理")
	inactive.Active = false
	township := staff(5, "2020-01-01", "调查")
	township.Region = xihe

	cases := []struct {
		name   string
		people []enroll.Person
		plans  []enroll.Plan
		today  string
		want   []due
	}{
		{"new hire: onboarding due hire + 7 days",
			[]enroll.Person{staff(1, "2026-06-10", "受理")}, []enroll.Plan{onboarding2026}, "2026-06-10",
			[]due{{1, 10, "2026-06-17"}}},
		{"new hire: due date crosses a month end",
			[]enroll.Person{staff(1, "2026-01-28", "受理")}, []enroll.Plan{onboarding2026}, "2026-01-28",
			[]due{{1, 10, "2026-02-04"}}},
		{"new hire: due date crosses the year end",
			[]enroll.Person{staff(1, "2026-12-28", "受理")}, []enroll.Plan{onboarding2026}, "2026-12-28",
			[]due{{1, 10, "2027-01-04"}}},
		{"onboarding entered late is still owed, already overdue",
			[]enroll.Person{staff(1, "2026-03-01", "受理")}, []enroll.Plan{onboarding2026}, "2026-05-01",
			[]due{{1, 10, "2026-03-08"}}},
		{"hired before the onboarding plan's period: not a new hire of this plan",
			[]enroll.Person{staff(1, "2025-12-31", "受理")}, []enroll.Plan{onboarding2026}, "2026-01-02", nil},
		{"unknown hire date: no onboarding",
			[]enroll.Person{staff(1, "", "受理")}, []enroll.Plan{onboarding2026}, "2026-01-02", nil},
		{"hired on the last day of Q3: onboarding now, regular from Q4",
			[]enroll.Person{staff(1, "2026-09-30", "受理")}, []enroll.Plan{onboarding2026, q3, q4}, "2026-09-30",
			[]due{{1, 10, "2026-10-07"}, {1, 21, "2026-12-31"}}},
		{"hired on the first day of Q4: onboarding covers Q4",
			[]enroll.Person{staff(1, "2026-10-01", "受理")}, []enroll.Plan{onboarding2026, q3, q4}, "2026-10-01",
			[]due{{1, 10, "2026-10-08"}}},
		{"hired on the first day of Q3: regular from Q4",
			[]enroll.Person{staff(1, "2026-07-01", "受理")}, []enroll.Plan{q3, q4}, "2026-07-01",
			[]due{{1, 21, "2026-12-31"}}},
		{"long-serving staff: this quarter and the next",
			[]enroll.Person{staff(1, "2019-05-01", "受理")}, []enroll.Plan{q3, q4}, "2026-08-15",
			[]due{{1, 20, "2026-09-30"}, {1, 21, "2026-12-31"}}},
		{"due on today is still wanted",
			[]enroll.Person{staff(1, "2019-05-01", "受理")}, []enroll.Plan{q3}, "2026-09-30",
			[]due{{1, 20, "2026-09-30"}}},
		{"a closed quarter is not wanted any more",
			[]enroll.Person{staff(1, "2019-05-01", "受理")}, []enroll.Plan{q3, q4}, "2026-10-01",
			[]due{{1, 21, "2026-12-31"}}},
		{"unknown hire date counts as long-serving for regular training",
			[]enroll.Person{staff(1, "", "受理")}, []enroll.Plan{q4}, "2026-10-01",
			[]due{{1, 21, "2026-12-31"}}},
		{"deactivated staff get nothing",
			[]enroll.Person{inactive}, []enroll.Plan{onboarding2026, q4, annual}, "2026-10-02", nil},
		{"special: posts named, due the day before the work starts (across February's end)",
			[]enroll.Person{staff(1, "2020-01-01", "调查"), staff(2, "2020-01-01", "受理"), staff(3, "2020-01-01", "受理", "审核")},
			[]enroll.Plan{special(30, "2026-02-01", "2026-02-28", "2026-03-01", "调查", "审核")}, "2026-02-01",
			[]due{{1, 30, "2026-02-28"}, {3, 30, "2026-02-28"}}},
		{"special: hired shortly before the work starts",
			[]enroll.Person{staff(1, "2026-03-05", "调查")},
			[]enroll.Plan{special(30, "2026-02-01", "2026-02-28", "2026-03-10", "调查")}, "2026-02-01",
			[]due{{1, 30, "2026-03-09"}}},
		{"special: hired after the due date",
			[]enroll.Person{staff(1, "2026-03-10", "调查")},
			[]enroll.Plan{special(30, "2026-02-01", "2026-02-28", "2026-03-10", "调查")}, "2026-02-01", nil},
		{"special: work already started, newcomers not enrolled",
			[]enroll.Person{staff(1, "2020-01-01", "调查")},
			[]enroll.Plan{special(30, "2026-02-01", "2026-02-28", "2026-03-01", "调查")}, "2026-03-01", nil},
		{"annual: due the period end; the year's hires included",
			[]enroll.Person{staff(1, "2020-01-01", "受理"), staff(2, "2026-11-30", "受理")}, []enroll.Plan{annual}, "2026-11-30",
			[]due{{1, 40, "2026-12-31"}, {2, 40, "2026-12-31"}}},
		{"annual: hired after the period",
			[]enroll.Person{staff(2, "2027-01-02", "受理")}, []enroll.Plan{annual}, "2026-12-01", nil},
		{"region scope: only staff within the roots",
			[]enroll.Person{staff(1, "2020-01-01", "调查"), township},
			[]enroll.Plan{plan(41, enroll.Annual, "2026-01-01", "2026-12-31", enroll.Rule{Regions: []region.Code{donghu}})}, "2026-06-01",
			[]due{{1, 41, "2026-12-31"}}},
		{"empty audience is everyone active",
			[]enroll.Person{staff(2, "2020-01-01", "审计"), staff(1, "2020-01-01", "调查"), township, inactive},
			[]enroll.Plan{annual}, "2026-06-01",
			[]due{{1, 40, "2026-12-31"}, {2, 40, "2026-12-31"}, {5, 40, "2026-12-31"}}},
		{"overlapping regular plans: one per quarter, the targeted one",
			[]enroll.Person{staff(1, "2020-01-01", "受理"), township},
			[]enroll.Plan{q4, plan(23, enroll.Regular, "2026-10-01", "2026-12-31", enroll.Rule{Regions: []region.Code{donghu}}),
				plan(24, enroll.Regular, "2026-10-01", "2026-12-31", enroll.Rule{})}, "2026-10-01",
			[]due{{1, 23, "2026-12-31"}, {5, 21, "2026-12-31"}}},
		{"overlapping regular plans in other order",
			[]enroll.Person{staff(1, "2020-01-01", "受理")},
			[]enroll.Plan{plan(24, enroll.Regular, "2026-10-01", "2026-12-31", enroll.Rule{}),
				plan(23, enroll.Regular, "2026-10-01", "2026-12-31", enroll.Rule{Regions: []region.Code{donghu}}), q4}, "2026-10-01",
			[]due{{1, 23, "2026-12-31"}}},
		{"invalid plan skipped",
			[]enroll.Person{staff(1, "2020-01-01", "调查")},
			[]enroll.Plan{plan(22, enroll.Regular, "2026-10-01", "2026-11-30", enroll.Rule{})}, "2026-10-01", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := brief(enroll.Want(c.people, c.plans, nil, d(c.today)))
			if !slices.Equal(got, c.want) {
				t.Errorf("Want =\n  %v\nwant\n  %v", got, c.want)
			}
		})
	}
}

func TestReasons(t *testing.T) {
	people := []enroll.Person{staff(1, "2026-10-01", "受理", "调查")}
	got := enroll.Want(people, []enroll.Plan{
		plan(10, enroll.Onboarding, "2026-01-01", "2026-12-31", enroll.Rule{}),
		plan(21, enroll.Regular, "2027-01-01", "2027-03-31", enroll.Rule{}),
		special(30, "2026-10-01", "2026-10-31", "2026-11-01", "调查", "审核"),
		plan(40, enroll.Annual, "2026-01-01", "2026-12-31", enroll.Rule{}),
	}, nil, d("2026-10-01"))
	want := []string{
		"新入职（2026-10-01入职）：入职后7日内完成岗前培训",
		"在岗人员每季度至少参加一次常规培训：2027年第1季度内完成",
		"专项培训（调查岗位）：专项工作开始前完成，截止2026-10-31",
		"年度培训：2026-12-31前完成",
	}
	if len(got) != len(want) {
		t.Fatalf("Want = %v", got)
	}
	for i := range got {
		if got[i].Reason != want[i] {
			t.Errorf("reason %d = %q, want %q", i, got[i].Reason, want[i])
		}
	}
}

func TestWantIsIdempotent(t *testing.T) {
	people := []enroll.Person{staff(1, "2026-09-30", "调查"), staff(2, "2019-01-01", "受理")}
	plans := []enroll.Plan{
		plan(10, enroll.Onboarding, "2026-01-01", "2026-12-31", enroll.Rule{}),
		plan(21, enroll.Regular, "2026-10-01", "2026-12-31", enroll.Rule{}),
		special(30, "2026-10-01", "2026-10-31", "2026-11-01", "调查"),
	}
	today := d("2026-10-01")
	have := enroll.Want(people, plans, nil, today)
	add, keep, drop := enroll.Diff(enroll.Want(people, plans, nil, today), have, nil, today)
	if len(add) != 0 || len(drop) != 0 || !slices.Equal(brief(keep), brief(have)) {
		t.Errorf("second run: add %v keep %v drop %v", add, keep, drop)
	}
}

func keys(es []enroll.Enrollment) []enroll.Key {
	var out []enroll.Key
	for _, e := range es {
		out = append(out, e.Key())
	}
	return out
}

func TestDiff(t *testing.T) {
	onboarding := plan(10, enroll.Onboarding, "2026-01-01", "2026-12-31", enroll.Rule{})
	q3 := plan(20, enroll.Regular, "2026-07-01", "2026-09-30", enroll.Rule{})
	q4 := plan(21, enroll.Regular, "2026-10-01", "2026-12-31", enroll.Rule{})
	intake := special(30, "2026-10-01", "2026-11-30", "2026-12-01", "受理")
	investigate := special(31, "2026-10-01", "2026-11-30", "2026-12-01", "调查")
	plans := []enroll.Plan{onboarding, q3, q4, intake, investigate}
	scopedQ4 := q4
	scopedQ4.Audience = enroll.Rule{Regions: []region.Code{county}}
	k := func(person, plan int64) enroll.Key { return enroll.Key{PersonID: person, PlanID: plan} }

	type step struct {
		people []enroll.Person
		today  string
	}
	cases := []struct {
		name             string
		plans            []enroll.Plan // nil for all of the plans above
		before, after    step
		done             []enroll.Key
		add, keep, drop  []enroll.Key
		changedDueOfKeep map[enroll.Key]string
	}{
		{"changing posts moves the special enrollment", nil,
			step{[]enroll.Person{staff(1, "2020-01-01", "受理")}, "2026-10-01"},
			step{[]enroll.Person{staff(1, "2020-01-01", "调查")}, "2026-10-10"},
			nil,
			[]enroll.Key{k(1, 31)}, []enroll.Key{k(1, 21)}, []enroll.Key{k(1, 30)}, nil},
		{"a started special enrollment is kept after the post change", nil,
			step{[]enroll.Person{staff(1, "2020-01-01", "受理")}, "2026-10-01"},
			step{[]enroll.Person{staff(1, "2020-01-01", "调查")}, "2026-10-10"},
			[]enroll.Key{k(1, 30)},
			[]enroll.Key{k(1, 31)}, []enroll.Key{k(1, 21), k(1, 30)}, nil, nil},
		{"adding a post adds its special without losing the other", nil,
			step{[]enroll.Person{staff(1, "2020-01-01", "受理")}, "2026-10-01"},
			step{[]enroll.Person{staff(1, "2020-01-01", "受理", "调查")}, "2026-10-01"},
			nil,
			[]enroll.Key{k(1, 31)}, []enroll.Key{k(1, 21), k(1, 30)}, nil, nil},
		{"deactivated: future items dropped, completed and overdue kept", nil,
			step{[]enroll.Person{staff(1, "2026-09-28", "受理"), staff(2, "2020-01-01", "受理")}, "2026-09-28"},
			step{[]enroll.Person{func() enroll.Person { p := staff(1, "2026-09-28", "受理"); p.Active = false; return p }(),
				func() enroll.Person { p := staff(2, "2020-01-01", "受理"); p.Active = false; return p }()}, "2026-10-10"},
			// Person 1 completed the intake special; person 2 missed Q3.
			[]enroll.Key{k(1, 30)},
			nil,
			[]enroll.Key{k(1, 10), k(1, 30), k(2, 20)},
			[]enroll.Key{k(1, 21), k(2, 21), k(2, 30)}, nil},
		{"a missed closed quarter stays as an overdue record", nil,
			step{[]enroll.Person{staff(2, "2020-01-01", "审计")}, "2026-09-01"},
			step{[]enroll.Person{staff(2, "2020-01-01", "审计")}, "2026-10-01"},
			nil,
			nil, []enroll.Key{k(2, 20), k(2, 21)}, nil, nil},
		{"a corrected hire date moves the onboarding due date", nil,
			step{[]enroll.Person{staff(1, "2026-10-01", "审计")}, "2026-10-01"},
			step{[]enroll.Person{staff(1, "2026-10-05", "审计")}, "2026-10-05"},
			nil,
			nil, []enroll.Key{k(1, 10)}, nil, map[enroll.Key]string{k(1, 10): "2026-10-12"}},
		{"moving region out of a scoped plan drops it",
			[]enroll.Plan{scopedQ4},
			step{[]enroll.Person{staff(1, "2020-01-01", "审计")}, "2026-10-01"},
			step{[]enroll.Person{func() enroll.Person { p := staff(1, "2020-01-01", "审计"); p.Region = otherCnty; return p }()}, "2026-10-01"},
			nil,
			nil, nil, []enroll.Key{k(1, 21)}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := c.plans
			if ps == nil {
				ps = plans
			}
			have := enroll.Want(c.before.people, ps, nil, d(c.before.today))
			done := map[enroll.Key]bool{}
			for _, k := range c.done {
				done[k] = true
			}
			today := d(c.after.today)
			add, keep, drop := enroll.Diff(enroll.Want(c.after.people, ps, done, today), have, done, today)
			sortKeys := func(ks []enroll.Key) []enroll.Key {
				slices.SortFunc(ks, func(a, b enroll.Key) int {
					if a.PersonID != b.PersonID {
						return int(a.PersonID - b.PersonID)
					}
					return int(a.PlanID - b.PlanID)
				})
				return ks
			}
			if got := sortKeys(keys(add)); !slices.Equal(got, c.add) {
				t.Errorf("add = %v, want %v", got, c.add)
			}
			if got := sortKeys(keys(keep)); !slices.Equal(got, c.keep) {
				t.Errorf("keep = %v, want %v", got, c.keep)
			}
			if got := sortKeys(keys(drop)); !slices.Equal(got, c.drop) {
				t.Errorf("drop = %v, want %v", got, c.drop)
			}
			for _, e := range keep {
				if want, ok := c.changedDueOfKeep[e.Key()]; ok && e.Due.Format(time.DateOnly) != want {
					t.Errorf("kept %v due %s, want %s", e.Key(), e.Due.Format(time.DateOnly), want)
				}
			}
		})
	}
}

// A township adds its own quarterly plan after the county's: staff who have
// not begun the county's move to the township's, staff who attended it are
// not enrolled a second time, and staff elsewhere stay with the county's.
func TestRegularPlanAddedMidQuarter(t *testing.T) {
	county := plan(21, enroll.Regular, "2026-10-01", "2026-12-31", enroll.Rule{})
	local := plan(23, enroll.Regular, "2026-10-01", "2026-12-31", enroll.Rule{Regions: []region.Code{donghu}})
	attended, waiting := staff(1, "2020-01-01", "受理"), staff(2, "2020-01-01", "受理")
	elsewhere := staff(3, "2020-01-01", "受理")
	elsewhere.Region = xiheVill
	people := []enroll.Person{attended, waiting, elsewhere}

	have := enroll.Want(people, []enroll.Plan{county}, nil, d("2026-10-01"))
	done := map[enroll.Key]bool{{PersonID: 1, PlanID: 21}: true}
	today := d("2026-11-01")
	want := enroll.Want(people, []enroll.Plan{county, local}, done, today)
	if got := brief(want); !slices.Equal(got, []due{{1, 21, "2026-12-31"}, {2, 23, "2026-12-31"}, {3, 21, "2026-12-31"}}) {
		t.Errorf("Want = %v", got)
	}
	add, keep, drop := enroll.Diff(want, have, done, today)
	if !slices.Equal(keys(add), []enroll.Key{{PersonID: 2, PlanID: 23}}) ||
		!slices.Equal(keys(keep), []enroll.Key{{PersonID: 1, PlanID: 21}, {PersonID: 3, PlanID: 21}}) ||
		!slices.Equal(keys(drop), []enroll.Key{{PersonID: 2, PlanID: 21}}) {
		t.Errorf("add %v keep %v drop %v", keys(add), keys(keep), keys(drop))
	}

	// The county then narrows its plan to the other townships: the one who
	// attended keeps the record and still gets no second plan.
	county.Audience = enroll.Rule{Regions: []region.Code{xihe}}
	want = enroll.Want(people, []enroll.Plan{county, local}, done, today)
	if got := brief(want); !slices.Equal(got, []due{{2, 23, "2026-12-31"}, {3, 21, "2026-12-31"}}) {
		t.Errorf("after narrowing: Want = %v", got)
	}
	// A begun plan that is not a regular one does not block regular plans.
	other := map[enroll.Key]bool{{PersonID: 1, PlanID: 99}: true}
	if got := brief(enroll.Want(people[:1], []enroll.Plan{local}, other, today)); len(got) != 1 {
		t.Errorf("unrelated done item blocked regular training: %v", got)
	}
}

func TestDiffDuplicatesAndEmpty(t *testing.T) {
	today := d("2026-10-01")
	e := enroll.Enrollment{PersonID: 1, PlanID: 2, Due: d("2026-12-31")}
	add, keep, drop := enroll.Diff([]enroll.Enrollment{e, e}, []enroll.Enrollment{e, e}, nil, today)
	if len(add) != 0 || len(keep) != 1 || len(drop) != 1 {
		t.Errorf("duplicates: add %v keep %v drop %v", add, keep, drop)
	}
	add, keep, drop = enroll.Diff([]enroll.Enrollment{e, e}, nil, nil, today)
	if len(add) != 1 || keep != nil || drop != nil {
		t.Errorf("duplicate want: add %v keep %v drop %v", add, keep, drop)
	}
	add, keep, drop = enroll.Diff(nil, nil, nil, today)
	if add != nil || keep != nil || drop != nil {
		t.Errorf("empty: %v %v %v", add, keep, drop)
	}
}

func TestOverdue(t *testing.T) {
	e := enroll.Enrollment{Due: d("2026-10-07")}
	for _, c := range []struct {
		today time.Time
		want  bool
	}{
		{d("2026-10-06"), false},
		{d("2026-10-07").Add(23 * time.Hour), false},
		{d("2026-10-08"), true},
	} {
		if got := e.Overdue(c.today); got != c.want {
			t.Errorf("Overdue(%s) = %v", c.today, got)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := plan(1, enroll.Annual, "2026-01-01", "2026-12-31", enroll.Rule{})
	cases := []struct {
		name   string
		edit   func(p *enroll.Plan)
		fields []string // every field with an error; nil for a valid plan
	}{
		{"valid", func(p *enroll.Plan) {}, nil},
		{"valid quarter", func(p *enroll.Plan) {
			p.Kind, p.Period = enroll.Regular, enroll.Period{Start: d("2026-10-01"), End: d("2026-12-31")}
		}, nil},
		{"valid special", func(p *enroll.Plan) { p.Kind, p.SpecialStart = enroll.Special, d("2026-03-01") }, nil},
		{"missing title", func(p *enroll.Plan) { p.Title = "" }, []string{"title"}},
		{"unknown kind", func(p *enroll.Plan) { p.Kind = "weekly" }, []string{"kind"}},
		{"no dates", func(p *enroll.Plan) { p.Period = enroll.Period{} }, []string{"period"}},
		{"end before start", func(p *enroll.Plan) { p.Period.End = d("2025-12-31") }, []string{"period"}},
		{"quarter not a quarter", func(p *enroll.Plan) {
			p.Kind, p.Period = enroll.Regular, enroll.Period{Start: d("2026-10-01"), End: d("2026-12-30")}
		}, []string{"period"}},
		{"quarter spanning two", func(p *enroll.Plan) {
			p.Kind, p.Period = enroll.Regular, enroll.Period{Start: d("2026-09-01"), End: d("2026-11-30")}
		}, []string{"period"}},
		{"special without start", func(p *enroll.Plan) { p.Kind = enroll.Special }, []string{"special_start"}},
		{"special work starts with the training", func(p *enroll.Plan) {
			p.Kind, p.SpecialStart = enroll.Special, d("2026-01-01")
		}, []string{"special_start"}},
		{"zero minutes", func(p *enroll.Plan) { p.RequiredMinutes = 0 }, []string{"required_minutes"}},
		{"absurd minutes", func(p *enroll.Plan) { p.RequiredMinutes = enroll.MaxRequiredMinutes + 1 }, []string{"required_minutes"}},
		{"no category", func(p *enroll.Plan) { p.Categories = nil }, []string{"categories"}},
		{"unknown category", func(p *enroll.Plan) { p.Categories = []enroll.Category{"sports"} }, []string{"categories"}},
		{"repeated category", func(p *enroll.Plan) { p.Categories = []enroll.Category{enroll.Ethics, enroll.Ethics} }, []string{"categories"}},
		{"bad region", func(p *enroll.Plan) { p.Audience.Regions = []region.Code{"12345"} }, []string{"audience.regions"}},
		{"bad role", func(p *enroll.Plan) { p.Audience.Roles = []authz.Role{"janitor"} }, []string{"audience.roles"}},
		{"empty post", func(p *enroll.Plan) { p.Audience.Posts = []string{""} }, []string{"audience.posts"}},
		{"hire range reversed", func(p *enroll.Plan) {
			p.Audience.HiredFrom, p.Audience.HiredTo = d("2026-02-01"), d("2026-01-01")
		}, []string{"audience.hired"}},
		{"every problem at once", func(p *enroll.Plan) { p.Title, p.RequiredMinutes, p.Categories = "", -1, nil },
			[]string{"categories", "required_minutes", "title"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := ok
			p.Audience = enroll.Rule{}
			c.edit(&p)
			err := p.Validate()
			var l errs.List
			if err != nil && !errors.As(err, &l) {
				t.Fatalf("Validate = %T %v, want errs.List", err, err)
			}
			var got []string
			for f, msg := range errs.Fields(err) {
				got = append(got, f)
				if msg == "" || msg == f {
					t.Errorf("field %s: message %q", f, msg)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, c.fields) {
				t.Errorf("fields with errors = %v, want %v (%v)", got, c.fields, err)
			}
		})
	}
}

func TestLabels(t *testing.T) {
	for _, k := range enroll.Kinds {
		if !k.Valid() || k.Label() == string(k) {
			t.Errorf("kind %q has no label", k)
		}
	}
	for _, c := range enroll.Categories {
		if !c.Valid() || c.Label() == string(c) {
			t.Errorf("category %q has no label", c)
		}
	}
	if enroll.Kind("x").Valid() || enroll.Category("x").Valid() || enroll.Kind("x").Label() != "x" {
		t.Error("unknown kind or category accepted")
	}
}
