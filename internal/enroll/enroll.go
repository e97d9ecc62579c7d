// Package enroll decides who must take which training plan and by when:
// the automatic enrollment rules of seed §4 and SPEC §3.2. It is pure. The
// caller loads people, plans and the enrollments that already exist, asks
// Want what should exist and Diff what to change, and applies the answer in
// one transaction. With unchanged inputs a second run changes nothing, so
// the rules can run after every change to a person or a plan, and daily.
//
// Every date here is a civil date in Asia/Shanghai (calendar.DayOf). A Due
// date is inclusive: the item is in time if it is completed on that day.
package enroll

import (
	"slices"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/region"
)

// OnboardingDays is how many calendar days after the hire date onboarding
// is due (seed §4(1): "within the first week after joining").
const OnboardingDays = 7

// MaxRequiredMinutes bounds a plan's required time. No real plan comes near
// it (special_hours is at most 80 h); it only catches a mistyped number.
const MaxRequiredMinutes = 200 * 60

// Person is a staff member as far as enrollment rules care.
type Person struct {
	ID       int64        // the user's id
	Region   region.Code  // where the person works
	Roles    []authz.Role // account roles
	Posts    []string     // 岗位 such as 受理, 调查 (people.Posts)
	HireDate time.Time    // zero if unknown: treated as hired long ago
	Active   bool         // deactivated staff get no new items
}

// Kind is the kind of a training plan, stored as its string.
type Kind string

// The plan kinds of seed §4, plus the short policy-update item of SPEC §3.2.
const (
	Onboarding   Kind = "onboarding"    // 岗前培训: each new hire, due 7 days after the hire date
	Regular      Kind = "regular"       // 季度常规培训: every active staff member, once per calendar quarter
	Special      Kind = "special"       // 专项培训: named posts, before the special work starts
	Annual       Kind = "annual"        // 年度培训: the audience, by the end of the period
	PolicyUpdate Kind = "policy_update" // 政策更新学习: read and acknowledge a changed rule (NewPolicyUpdate)
)

// Kinds lists every kind in display order.
var Kinds = []Kind{Onboarding, Regular, Special, Annual, PolicyUpdate}

var kindLabels = map[Kind]string{
	Onboarding:   "岗前培训",
	Regular:      "季度常规培训",
	Special:      "专项培训",
	Annual:       "年度培训",
	PolicyUpdate: "政策更新学习",
}

// Label is the Chinese name of the kind.
func (k Kind) Label() string {
	if l, ok := kindLabels[k]; ok {
		return l
	}
	return string(k)
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { _, ok := kindLabels[k]; return ok }

// Category is a content category of seed §2, stored as its string.
type Category string

// The four content categories of seed §2.
const (
	PolicyLaw      Category = "policy_law"      // 政策法规
	BusinessSkills Category = "business_skills" // 业务技能
	Communication  Category = "communication"   // 沟通服务
	Ethics         Category = "ethics"          // 职业道德与廉政
)

// Categories lists every category in display order.
var Categories = []Category{PolicyLaw, BusinessSkills, Communication, Ethics}

var categoryLabels = map[Category]string{
	PolicyLaw:      "政策法规",
	BusinessSkills: "业务技能",
	Communication:  "沟通服务",
	Ethics:         "职业道德与廉政",
}

// Label is the Chinese name of the category.
func (c Category) Label() string {
	if l, ok := categoryLabels[c]; ok {
		return l
	}
	return string(c)
}

// Valid reports whether c is a known category.
func (c Category) Valid() bool { _, ok := categoryLabels[c]; return ok }

// Period is an inclusive range of civil dates.
type Period struct {
	Start, End time.Time // both inclusive; only the Asia/Shanghai date counts
}

// Contains reports whether t's civil date lies in the period.
func (p Period) Contains(t time.Time) bool {
	d := calendar.DayOf(t)
	return !d.Before(calendar.DayOf(p.Start)) && !d.After(calendar.DayOf(p.End))
}

// Plan is a training plan as far as enrollment rules care.
type Plan struct {
	ID       int64  // 0 until stored
	Kind     Kind   // decides the due date (see Want)
	Title    string // shown to trainees, e.g. "2026年第4季度常规培训"
	Period   Period // the plan's dates; a Regular plan's is one calendar quarter
	Audience Rule   // who is enrolled; the zero Rule is everyone
	// RequiredMinutes is the time a trainee must attend or study, in
	// minutes rather than hours, because policy-update items and online
	// lessons are shorter than an hour; policy hours × 60 for the rest.
	RequiredMinutes int
	Categories      []Category // at least one, no repeats
	// SpecialStart is the date the special work starts (Special plans
	// only); the training is due the day before.
	SpecialStart time.Time
}

// Validate checks a plan as entered by a training admin, returning every
// problem at once (errs.List) with Chinese messages.
func (p Plan) Validate() error {
	var l errs.List
	if p.Title == "" {
		l.Add("title", "请填写培训计划名称")
	}
	if !p.Kind.Valid() {
		l.Add("kind", "请选择培训类型")
	}
	switch {
	case p.Period.Start.IsZero() || p.Period.End.IsZero():
		l.Add("period", "请填写培训计划的起止日期")
	case calendar.DayOf(p.Period.End).Before(calendar.DayOf(p.Period.Start)):
		l.Add("period", "培训计划的结束日期不能早于开始日期")
	case p.Kind == Regular:
		// A quarterly plan is what "at least once a quarter" is checked
		// against, so it must be exactly one calendar quarter.
		qs, qe := Quarter(p.Period.Start)
		if !calendar.DayOf(p.Period.Start).Equal(qs) || !calendar.DayOf(p.Period.End).Equal(qe) {
			l.Add("period", "季度常规培训的起止日期应为一个完整的自然季度（如%s至%s）",
				qs.Format(time.DateOnly), qe.Format(time.DateOnly))
		}
	}
	if p.Kind == Special {
		switch {
		case p.SpecialStart.IsZero():
			l.Add("special_start", "请填写专项工作开始日期")
		case !p.Period.Start.IsZero() && !calendar.DayOf(p.SpecialStart).After(calendar.DayOf(p.Period.Start)):
			l.Add("special_start", "专项工作开始日期应晚于培训开始日期，以便在专项工作开始前完成培训")
		}
	}
	if p.RequiredMinutes <= 0 || p.RequiredMinutes > MaxRequiredMinutes {
		l.Add("required_minutes", "培训时长应在1分钟至%d小时之间", MaxRequiredMinutes/60)
	}
	if len(p.Categories) == 0 {
		l.Add("categories", "请至少选择一个培训内容类别")
	}
	for i, c := range p.Categories {
		if !c.Valid() {
			l.Add("categories", "未知培训内容类别：%s", c)
		} else if slices.Contains(p.Categories[:i], c) {
			l.Add("categories", "培训内容类别重复：%s", c.Label())
		}
	}
	p.Audience.check(&l)
	return l.Err()
}

// Rule selects the audience of a plan. Each non-empty criterion must hold
// (posts AND regions AND roles AND hire dates); within a list any one entry
// is enough. The zero Rule matches everyone.
type Rule struct {
	Posts     []string      // the person holds at least one of these posts
	Regions   []region.Code // the person's region is within one of these roots
	Roles     []authz.Role  // the person holds at least one of these roles
	HiredFrom time.Time     // inclusive; zero for no lower bound
	HiredTo   time.Time     // inclusive; zero for no upper bound
}

// Matches reports whether p is in the audience. A person whose hire date
// is unknown counts as hired long ago: existing staff imported without a
// hire date are not new hires, so they pass HiredTo and fail HiredFrom.
func (r Rule) Matches(p Person) bool {
	if len(r.Posts) > 0 && !slices.ContainsFunc(p.Posts, func(s string) bool { return slices.Contains(r.Posts, s) }) {
		return false
	}
	if len(r.Regions) > 0 && !slices.ContainsFunc(r.Regions, p.Region.Within) {
		return false
	}
	if len(r.Roles) > 0 && !slices.ContainsFunc(p.Roles, func(x authz.Role) bool { return slices.Contains(r.Roles, x) }) {
		return false
	}
	if !r.HiredFrom.IsZero() && (p.HireDate.IsZero() || calendar.DayOf(p.HireDate).Before(calendar.DayOf(r.HiredFrom))) {
		return false
	}
	if !r.HiredTo.IsZero() && !p.HireDate.IsZero() && calendar.DayOf(p.HireDate).After(calendar.DayOf(r.HiredTo)) {
		return false
	}
	return true
}

// Validate checks the rule's regions, roles and hire-date bounds; it
// returns an errs.List or nil.
func (r Rule) Validate() error {
	var l errs.List
	r.check(&l)
	return l.Err()
}

func (r Rule) check(l *errs.List) {
	for _, c := range r.Regions {
		if c.Level() == 0 {
			l.Add("audience.regions", "行政区划代码无效：%s", c)
		}
	}
	for _, x := range r.Roles {
		if !x.Valid() {
			l.Add("audience.roles", "未知角色：%s", x)
		}
	}
	for _, p := range r.Posts {
		if p == "" {
			l.Add("audience.posts", "岗位不能为空")
		}
	}
	if !r.HiredFrom.IsZero() && !r.HiredTo.IsZero() && calendar.DayOf(r.HiredTo).Before(calendar.DayOf(r.HiredFrom)) {
		l.Add("audience.hired", "入职日期范围的结束日期不能早于开始日期")
	}
}

// Key identifies an enrollment: one per person and plan.
type Key struct {
	PersonID, PlanID int64 // the person's user id and the plan's id
}

// Enrollment is one person's obligation to complete one plan.
type Enrollment struct {
	PersonID, PlanID int64     // who, and which plan
	Due              time.Time // inclusive civil date
	Reason           string    // Chinese, shown to the trainee: why they are enrolled
}

// Key returns the enrollment's identity.
func (e Enrollment) Key() Key { return Key{e.PersonID, e.PlanID} }

// Overdue reports whether an uncompleted enrollment is late on today: the
// due date has passed (the due day itself is still in time).
func (e Enrollment) Overdue(today time.Time) bool {
	return calendar.DayOf(today).After(calendar.DayOf(e.Due))
}
