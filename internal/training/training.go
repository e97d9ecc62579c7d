// Package training runs the training use cases of issue 5: training plans,
// the automatic enrollment rules, sessions with code check-in, feedback,
// the trainee's own view and the compliance report. Each write opens one
// transaction, applies the pure rules of packages enroll and checkin, and
// appends its audit record before it commits.
//
// Permissions are checked here by role (authz.TrainingAdmin,
// authz.Trainer) rather than through authz permissions: training is its
// own bounded context and its few rules read clearer next to the use case.
package training

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/region"
	"dibao/internal/store"
)

// Service is the training use case.
type Service struct {
	DB  *store.DB
	Now func() time.Time // nil means the store's clock
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return s.DB.Now()
	}
	return s.Now()
}

func (s *Service) today() time.Time { return calendar.DayOf(s.now()) }

func planObj(id int64) string    { return "training_plan:" + strconv.FormatInt(id, 10) }
func sessionObj(id int64) string { return "training_session:" + strconv.FormatInt(id, 10) }

func forbidden(msg string) error { return errs.New(errs.Forbidden, "", msg) }

// isSystem reports whether p is a batch principal (authz.System): the
// nightly job that re-runs the enrollment rules.
func isSystem(p authz.Principal) bool {
	return p.UserID == 0 && len(p.Roles) == 0 && strings.HasPrefix(p.Username, "system:")
}

// audienceJSON is the stored form of an enroll.Rule: dates as YYYY-MM-DD
// so that the JSON reads the same in both dialects and in a dump.
type audienceJSON struct {
	Posts     []string `json:"posts,omitempty"`
	Regions   []string `json:"regions,omitempty"`
	Roles     []string `json:"roles,omitempty"`
	HiredFrom string   `json:"hired_from,omitempty"`
	HiredTo   string   `json:"hired_to,omitempty"`
}

func dateString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return calendar.DayOf(t).Format(time.DateOnly)
}

// parseDate reads a stored YYYY-MM-DD; "" and malformed text are the zero
// time, which the enroll rules treat as "unknown".
func parseDate(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.ParseInLocation(time.DateOnly, s, calendar.Location())
	if err != nil {
		return time.Time{}
	}
	return t
}

func encodeAudience(r enroll.Rule) string {
	a := audienceJSON{Posts: r.Posts, HiredFrom: dateString(r.HiredFrom), HiredTo: dateString(r.HiredTo)}
	for _, c := range r.Regions {
		a.Regions = append(a.Regions, string(c))
	}
	for _, x := range r.Roles {
		a.Roles = append(a.Roles, string(x))
	}
	b, _ := json.Marshal(a) // strings only: cannot fail
	return string(b)
}

func decodeAudience(s string) (enroll.Rule, error) {
	var a audienceJSON
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		return enroll.Rule{}, err
	}
	r := enroll.Rule{Posts: a.Posts, HiredFrom: parseDate(a.HiredFrom), HiredTo: parseDate(a.HiredTo)}
	for _, c := range a.Regions {
		r.Regions = append(r.Regions, region.Code(c))
	}
	for _, x := range a.Roles {
		r.Roles = append(r.Roles, authz.Role(x))
	}
	return r, nil
}

func joinCategories(cs []enroll.Category) string {
	ss := make([]string, len(cs))
	for i, c := range cs {
		ss[i] = string(c)
	}
	return strings.Join(ss, ",")
}

func splitCategories(s string) []enroll.Category {
	var out []enroll.Category
	for _, c := range strings.Split(s, ",") {
		if c != "" {
			out = append(out, enroll.Category(c))
		}
	}
	return out
}

// planOf turns a stored plan into the rules' form. The plan's region is
// the outer bound of its audience: a rule naming no regions means
// everyone within the plan's region, not everyone in the database.
func planOf(sp store.TrainingPlan) (enroll.Plan, error) {
	aud, err := decodeAudience(sp.Audience)
	if err != nil {
		return enroll.Plan{}, err
	}
	if len(aud.Regions) == 0 {
		aud.Regions = []region.Code{sp.Region}
	}
	return enroll.Plan{
		ID:              sp.ID,
		Kind:            enroll.Kind(sp.Kind),
		Title:           sp.Title,
		Period:          enroll.Period{Start: parseDate(sp.PeriodStart), End: parseDate(sp.PeriodEnd)},
		Audience:        aud,
		RequiredMinutes: sp.RequiredMinutes,
		Categories:      splitCategories(sp.Categories),
		SpecialStart:    parseDate(sp.SpecialStart),
	}, nil
}

// personOf turns an account into the rules' view of a staff member.
func personOf(u store.User) enroll.Person {
	var posts []string
	for _, p := range strings.Split(u.Posts, ",") {
		if p = strings.TrimSpace(p); p != "" {
			posts = append(posts, p)
		}
	}
	return enroll.Person{ID: u.ID, Region: u.Region, Roles: u.Roles, Posts: posts,
		HireDate: parseDate(u.HireDate), Active: u.Active}
}
