// Package workflow holds the case workflow as data: each profile is a
// Definition (states, transitions, who may act at which region level, the
// guards that must hold, what a transition records, the documents it
// produces and the deadlines it starts) and a small engine that answers
// "what may this person do now, and if not, why" in Chinese.
//
// The package is pure: no database, no clock, no HTTP. The caller (the case
// service, or the training sandbox, which must behave identically per SPEC
// §3.6) loads a Facts snapshot from its store, asks Available or Check, and
// records the transition together with its audit entry. Deadlines are
// computed from the recorded history on the statutory working-day calendar.
//
// Activities — home visits, interviews, objections and the like — are
// transitions whose To is Stay: they are recorded in the case history like
// any transition but leave the state unchanged. Modelling them as
// transitions rather than a separate list gives them roles, levels, guards,
// records, documents and certification for free, and one code path for the
// audit trail and idempotency.
package workflow

import (
	"slices"
	"sync"

	"dibao/internal/authz"
	"dibao/internal/region"
)

// Names of the built-in profiles.
const (
	ProfileSeed         = "seed"
	ProfileNational2021 = "national-2021"
)

// Special values of Transition.From and Transition.To.
const (
	// AnyOpen in From makes a transition available in every state that is
	// neither terminal nor Settled (withdrawal, termination, extension).
	AnyOpen = "*"
	// Stay as To marks an activity: it is recorded but the state does not
	// change.
	Stay = "="
)

// Definition is one workflow profile.
type Definition struct {
	Name        string       `json:"name"`  // profile id, e.g. "seed"
	Title       string       `json:"title"` // Chinese title shown to users
	Initial     string       `json:"initial"`
	States      []State      `json:"states"`
	Transitions []Transition `json:"transitions"` // order = button order; the first state-changing one from a state is the main path
	Defaults    Params       `json:"defaults"`    // parameter defaults this profile is designed for (SPEC §4)
}

// State is one state of a case.
type State struct {
	ID       string `json:"id"`
	Label    string `json:"label"`              // Chinese
	Terminal bool   `json:"terminal,omitempty"` // the case is closed
	// Settled marks a non-terminal state after the decision (rejected,
	// waiting for the notice to be delivered): AnyOpen transitions such as
	// withdrawal no longer apply, because there is nothing left to withdraw.
	Settled  bool          `json:"settled,omitempty"`
	Editable bool          `json:"editable,omitempty"` // the application data (household, materials) may still be edited
	Actor    authz.Role    `json:"actor,omitempty"`    // whose work queue the case sits in
	Deadline *DeadlineRule `json:"deadline,omitempty"` // the due date shown while the case is here
}

// Transition is one step a person may take on a case.
type Transition struct {
	ID    string       `json:"id"`
	Label string       `json:"label"` // Chinese button text
	From  []string     `json:"from"`  // state IDs, or AnyOpen alone
	To    string       `json:"to"`    // a state ID, or Stay for an activity
	Roles []authz.Role `json:"roles"`
	// Level is the region level the acting user's account must be at: a
	// township officer acts from the township, never from a village account.
	Level          region.Level `json:"level"`
	Guards         []string     `json:"guards,omitempty"`    // names in Guards
	Records        []Field      `json:"records,omitempty"`   // what the actor fills in
	Documents      []string     `json:"documents,omitempty"` // names in Documents, issued by this step
	Starts         []string     `json:"starts,omitempty"`    // deadline names started (restarted) at this step
	Stops          []string     `json:"stops,omitempty"`     // deadline names stopped at this step
	Extends        []string     `json:"extends,omitempty"`   // deadline names switched to their extended limit
	RequiresReason bool         `json:"requires_reason,omitempty"`
	// Certification names the post certification (SPEC §3.5) the actor
	// needs; how strictly it is enforced is the certification_gate policy.
	Certification string `json:"certification,omitempty"`
}

// IsActivity reports whether the transition leaves the state unchanged.
func (t Transition) IsActivity() bool { return t.To == Stay }

// FieldKind is the kind of a recorded value, which decides how it is parsed.
type FieldKind string

// The field kinds.
const (
	KindText      FieldKind = "text"
	KindDate      FieldKind = "date"       // YYYY-MM-DD, not after today
	KindBool      FieldKind = "bool"       // true/false (also on, 1, 是, 否)
	KindSelect    FieldKind = "select"     // one of Options
	KindNumber    FieldKind = "number"     // non-negative integer
	KindMoney     FieldKind = "money"      // yuan as typed, stored as fen
	KindStaffList FieldKind = "staff-list" // one or more staff user IDs
)

var fieldKinds = []FieldKind{KindText, KindDate, KindBool, KindSelect, KindNumber, KindMoney, KindStaffList}

// Field is one value a transition records.
type Field struct {
	Name     string    `json:"name"`
	Label    string    `json:"label"` // Chinese
	Kind     FieldKind `json:"kind"`
	Required bool      `json:"required,omitempty"`
	Options  []Choice  `json:"options,omitempty"` // for KindSelect
	// MinParam names the parameter giving the least number of distinct
	// staff a staff-list must hold (min_investigators for home visits).
	MinParam string `json:"min_param,omitempty"`
}

// Choice is one option of a select field.
type Choice struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Documents are the document kinds a transition may produce, with their
// Chinese titles; the documents package prints them.
var Documents = map[string]string{
	"receipt":           "受理回执",
	"deficiency_notice": "一次性告知书",
	"refusal_notice":    "不予受理通知书",
	"home_visit_form":   "家庭经济状况调查表",
	"appraisal_record":  "民主评议记录",
	"publicity_list":    "公示名单",
	"approval_notice":   "最低生活保障批准通知书",
	"rejection_notice":  "不予批准通知书",
	"review_notice":     "低保待遇变更（停发）告知书",
}

// Certifications maps the certification names transitions use to the
// staff post (people.Posts) whose certification grants them.
var Certifications = map[string]string{
	"intake":        "受理",
	"investigation": "调查",
	"review":        "审核",
	"approval":      "审批",
}

// State returns the state with the given ID.
func (d Definition) State(id string) (State, bool) {
	i := slices.IndexFunc(d.States, func(s State) bool { return s.ID == id })
	if i < 0 {
		return State{}, false
	}
	return d.States[i], true
}

// Transition returns the transition with the given ID.
func (d Definition) Transition(id string) (Transition, bool) {
	i := slices.IndexFunc(d.Transitions, func(t Transition) bool { return t.ID == id })
	if i < 0 {
		return Transition{}, false
	}
	return d.Transitions[i], true
}

// Open reports whether AnyOpen transitions apply in the state.
func (s State) Open() bool { return !s.Terminal && !s.Settled }

// Applies reports whether transition t may start from state (ignoring who
// acts and the guards).
func (d Definition) Applies(t Transition, state string) bool {
	s, ok := d.State(state)
	if !ok || s.Terminal {
		return false
	}
	for _, f := range t.From {
		if f == state || (f == AnyOpen && s.Open()) {
			return true
		}
	}
	return false
}

// From returns the transitions that may start from state, in definition
// order.
func (d Definition) From(state string) []Transition {
	var out []Transition
	for _, t := range d.Transitions {
		if d.Applies(t, state) {
			out = append(out, t)
		}
	}
	return out
}

// Next returns the state a case is in after taking t from state.
func Next(t Transition, state string) string {
	if t.IsActivity() {
		return state
	}
	return t.To
}

// Profiles returns every built-in profile, freshly built so callers may
// not corrupt each other's copy.
func Profiles() []Definition { return []Definition{Seed(), National2021()} }

// builtIn is Profiles built once: a case loads its profile on every
// transition, and building both took a tenth of one. Callers treat a
// Definition as read-only.
var builtIn = sync.OnceValue(Profiles)

// BuiltIn is Profiles built once (read-only, like Profile's result).
func BuiltIn() []Definition { return builtIn() }

// Profile returns the built-in profile with the given name.
func Profile(name string) (Definition, bool) {
	for _, d := range builtIn() {
		if d.Name == name {
			return d, true
		}
	}
	return Definition{}, false
}
