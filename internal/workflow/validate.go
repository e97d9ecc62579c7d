package workflow

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"dibao/internal/region"
)

// ValidationError lists every problem found in a definition (or a
// parameter set) at once, so an operator fixes them in one round. The
// messages are English: they are for developers and operators.
type ValidationError struct {
	Subject  string
	Problems []string
}

// Error lists every problem, one per line.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("%s: %d problem(s):\n  %s", e.Subject, len(e.Problems), strings.Join(e.Problems, "\n  "))
}

var idPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Validate checks a definition at start-up: identifiers unique and
// well-formed, every reference known, every transition actable by someone,
// every state reachable from Initial, every non-terminal state with an
// exit of its own and a way to some terminal state, and terminal states
// without exits.
func Validate(d Definition) error {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }

	if d.Name == "" {
		add("definition has no name")
	}
	if d.Title == "" {
		add("definition has no title")
	}
	states := map[string]State{}
	for _, s := range d.States {
		switch {
		case !idPattern.MatchString(s.ID):
			add("state %q: id must match %s", s.ID, idPattern)
		case states[s.ID].ID != "":
			add("state %q: duplicate id", s.ID)
		}
		states[s.ID] = s
		if s.Label == "" {
			add("state %q: no label", s.ID)
		}
		if s.Actor != "" && !s.Actor.Valid() {
			add("state %q: unknown actor role %q", s.ID, s.Actor)
		}
		if s.Deadline != nil {
			if _, ok := Rule(s.Deadline.Name); !ok {
				add("state %q: unknown deadline %q", s.ID, s.Deadline.Name)
			}
			if s.Terminal {
				add("state %q: terminal state has a deadline", s.ID)
			}
		}
		if s.Terminal && s.Settled {
			add("state %q: terminal and settled", s.ID)
		}
	}
	if _, ok := states[d.Initial]; !ok {
		add("initial state %q does not exist", d.Initial)
	} else if states[d.Initial].Terminal {
		add("initial state %q is terminal", d.Initial)
	}

	seen := map[string]bool{}
	for _, t := range d.Transitions {
		where := fmt.Sprintf("transition %q", t.ID)
		switch {
		case !idPattern.MatchString(t.ID):
			add("%s: id must match %s", where, idPattern)
		case seen[t.ID]:
			add("%s: duplicate id", where)
		}
		seen[t.ID] = true
		if t.Label == "" {
			add("%s: no label", where)
		}
		if len(t.From) == 0 {
			add("%s: no from state", where)
		}
		for _, f := range t.From {
			if f == AnyOpen {
				if len(t.From) > 1 {
					add("%s: %q must be the only from entry", where, AnyOpen)
				}
				continue
			}
			s, ok := states[f]
			switch {
			case !ok:
				add("%s: from state %q does not exist", where, f)
			case s.Terminal:
				add("%s: leaves terminal state %q", where, f)
			}
		}
		if t.To != Stay {
			if _, ok := states[t.To]; !ok {
				add("%s: to state %q does not exist", where, t.To)
			}
			if slices.Contains(t.From, t.To) {
				add("%s: to equals from %q; use Stay for an activity", where, t.To)
			}
		}
		if len(t.Roles) == 0 {
			add("%s: no role may take it", where)
		}
		for _, r := range t.Roles {
			if !r.Valid() {
				add("%s: unknown role %q", where, r)
			}
		}
		if t.Level != region.County && t.Level != region.Township && t.Level != region.Village {
			add("%s: invalid region level %d", where, t.Level)
		}
		for _, g := range t.Guards {
			if Guards[g] == nil {
				add("%s: unknown guard %q", where, g)
			}
		}
		for _, doc := range t.Documents {
			if _, ok := Documents[doc]; !ok {
				add("%s: unknown document %q", where, doc)
			}
		}
		for _, list := range [][]string{t.Starts, t.Stops, t.Extends} {
			for _, n := range list {
				if _, ok := Rule(n); !ok {
					add("%s: unknown deadline %q", where, n)
				}
			}
		}
		for _, n := range t.Extends {
			if r, ok := Rule(n); ok && r.ExtendedParam == "" {
				add("%s: deadline %q has no extended limit", where, n)
			}
		}
		if t.Certification != "" {
			if _, ok := Certifications[t.Certification]; !ok {
				add("%s: unknown certification %q", where, t.Certification)
			}
		}
		validateFields(where, t.Records, add)
	}

	// Reachability over state-changing transitions; AnyOpen ones start from
	// every open state reached.
	reached := map[string]bool{}
	if _, ok := states[d.Initial]; ok {
		queue := []string{d.Initial}
		reached[d.Initial] = true
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for _, t := range d.From(cur) {
				if t.IsActivity() || reached[t.To] {
					continue
				}
				if _, ok := states[t.To]; ok {
					reached[t.To] = true
					queue = append(queue, t.To)
				}
			}
		}
	}
	for _, s := range d.States {
		if !reached[s.ID] {
			add("state %q: not reachable from %q", s.ID, d.Initial)
		}
	}

	// Exits: an explicit one (AnyOpen withdrawal does not count, or every
	// dead end would pass), and some terminal state reachable, so no case
	// can be trapped in a loop.
	for _, s := range d.States {
		if s.Terminal {
			continue
		}
		explicit := slices.ContainsFunc(d.Transitions, func(t Transition) bool {
			return !t.IsActivity() && slices.Contains(t.From, s.ID)
		})
		if !explicit {
			add("state %q: non-terminal state has no exit", s.ID)
		} else if !reachesTerminal(d, s.ID) {
			add("state %q: no terminal state is reachable from it", s.ID)
		}
	}
	if len(probs) == 0 {
		return nil
	}
	return &ValidationError{Subject: "workflow " + d.Name, Problems: probs}
}

func validateFields(where string, fields []Field, add func(string, ...any)) {
	names := map[string]bool{}
	for _, f := range fields {
		w := fmt.Sprintf("%s: field %q", where, f.Name)
		switch {
		case !idPattern.MatchString(f.Name):
			add("%s: name must match %s", w, idPattern)
		case names[f.Name]:
			add("%s: duplicate field", w)
		}
		names[f.Name] = true
		if f.Label == "" {
			add("%s: no label", w)
		}
		if !slices.Contains(fieldKinds, f.Kind) {
			add("%s: unknown kind %q", w, f.Kind)
		}
		if f.Kind == KindSelect && len(f.Options) == 0 {
			add("%s: select without options", w)
		}
		if f.Kind != KindSelect && len(f.Options) > 0 {
			add("%s: options on a %s field", w, f.Kind)
		}
		if f.MinParam != "" {
			if f.Kind != KindStaffList {
				add("%s: min_param on a %s field", w, f.Kind)
			}
			if _, ok := DefaultParams().Int(f.MinParam); !ok {
				add("%s: unknown parameter %q", w, f.MinParam)
			}
		}
	}
}

func reachesTerminal(d Definition, from string) bool {
	seen := map[string]bool{from: true}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if s, ok := d.State(cur); ok && s.Terminal {
			return true
		}
		for _, t := range d.Transitions {
			if t.IsActivity() || !slices.Contains(t.From, cur) || seen[t.To] {
				continue
			}
			seen[t.To] = true
			queue = append(queue, t.To)
		}
	}
	return false
}
