package workflow

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"dibao/internal/authz"
	"dibao/internal/region"
)

func TestProfilesValid(t *testing.T) {
	for _, d := range Profiles() {
		t.Run(d.Name, func(t *testing.T) {
			if err := Validate(d); err != nil {
				t.Fatal(err)
			}
			if err := d.Defaults.Validate(); err != nil {
				t.Fatal(err)
			}
			if got, ok := Profile(d.Name); !ok || got.Title != d.Title {
				t.Fatalf("Profile(%q) = %v", d.Name, ok)
			}
		})
	}
	if _, ok := Profile("nope"); ok {
		t.Fatal("unknown profile found")
	}
}

// TestProfilesShareBlocks guards the reason the profiles are assembled from
// blocks: the common steps must be identical, not merely similar.
func TestProfilesShareBlocks(t *testing.T) {
	s, n := Seed(), National2021()
	for _, id := range []string{"intake", "accept", "return", "refuse", "record_home_visit", "start_publicity", "approve", "reject", "withdraw", "terminate"} {
		a, _ := s.Transition(id)
		b, _ := n.Transition(id)
		if a.ID == "" || a.Label != b.Label || !slices.Equal(a.Guards, b.Guards) || len(a.Records) != len(b.Records) {
			t.Errorf("%s differs between profiles", id)
		}
	}
	if _, ok := n.State("township_review"); ok {
		t.Error("national-2021 has no separate township review after publicity")
	}
	if _, ok := s.State("preliminary_review"); ok {
		t.Error("seed has no preliminary review before publicity")
	}
	if n.Defaults.Appraisal != AppraisalOnObjection || s.Defaults.Appraisal != AppraisalAlways {
		t.Error("appraisal defaults")
	}
}

// tiny is the smallest valid definition; each broken case mutates a copy.
func tiny() Definition {
	clerk := []authz.Role{authz.VillageClerk}
	return Definition{
		Name: "tiny", Title: "测试", Initial: "a",
		States: []State{
			{ID: "a", Label: "甲"},
			{ID: "b", Label: "乙"},
			{ID: "done", Label: "完", Terminal: true},
		},
		Transitions: []Transition{
			{ID: "go", Label: "走", From: []string{"a"}, To: "b", Roles: clerk, Level: region.Village},
			{ID: "note", Label: "记", From: []string{"b"}, To: Stay, Roles: clerk, Level: region.Village},
			{ID: "finish", Label: "完成", From: []string{"b"}, To: "done", Roles: clerk, Level: region.Village},
		},
	}
}

func TestValidateBroken(t *testing.T) {
	clerk := []authz.Role{authz.VillageClerk}
	tr := func(id string, from []string, to string) Transition {
		return Transition{ID: id, Label: id, From: from, To: to, Roles: clerk, Level: region.Village}
	}
	cases := []struct {
		name   string
		mutate func(d *Definition)
		want   []string
	}{
		{"unknown guard", func(d *Definition) { d.Transitions[0].Guards = []string{"nope"} }, []string{`transition "go": unknown guard "nope"`}},
		{"unreachable state", func(d *Definition) {
			d.States = append(d.States, State{ID: "island", Label: "岛"})
			d.Transitions = append(d.Transitions, tr("leave", []string{"island"}, "done"))
		}, []string{`state "island": not reachable from "a"`}},
		{"dead end", func(d *Definition) {
			d.States = append(d.States, State{ID: "stuck", Label: "卡"})
			d.Transitions = append(d.Transitions, tr("trap", []string{"a"}, "stuck"))
		}, []string{`state "stuck": non-terminal state has no exit`}},
		{"an activity is not an exit", func(d *Definition) { d.Transitions = d.Transitions[:2] }, []string{`state "b": non-terminal state has no exit`, `state "done": not reachable`}},
		{"withdrawal is not an exit", func(d *Definition) {
			d.States = append(d.States, State{ID: "stuck", Label: "卡"}, State{ID: "gone", Label: "撤", Terminal: true})
			d.Transitions = append(d.Transitions, tr("trap", []string{"a"}, "stuck"), tr("withdraw", []string{AnyOpen}, "gone"))
		}, []string{`state "stuck": non-terminal state has no exit`}},
		{"loop with no way out", func(d *Definition) {
			d.States = append(d.States, State{ID: "x", Label: "x"}, State{ID: "y", Label: "y"})
			d.Transitions = append(d.Transitions, tr("to_x", []string{"a"}, "x"), tr("x_y", []string{"x"}, "y"), tr("y_x", []string{"y"}, "x"))
		}, []string{`state "x": no terminal state is reachable`, `state "y": no terminal state is reachable`}},
		{"no role", func(d *Definition) { d.Transitions[0].Roles = nil }, []string{`transition "go": no role may take it`}},
		{"unknown role", func(d *Definition) { d.Transitions[0].Roles = []authz.Role{"mayor"} }, []string{`unknown role "mayor"`}},
		{"no level", func(d *Definition) { d.Transitions[0].Level = 0 }, []string{`transition "go": invalid region level 0`}},
		{"from unknown state", func(d *Definition) { d.Transitions[2].From = []string{"b", "zz"} }, []string{`from state "zz" does not exist`}},
		{"to unknown state", func(d *Definition) { d.Transitions[2].To = "zz" }, []string{`to state "zz" does not exist`}},
		{"to equals from", func(d *Definition) { d.Transitions[1].To = "b" }, []string{`to equals from "b"; use Stay`}},
		{"leaves a terminal state", func(d *Definition) {
			d.Transitions = append(d.Transitions, tr("undo", []string{"done"}, "b"))
		}, []string{`transition "undo": leaves terminal state "done"`}},
		{"activity on a terminal state", func(d *Definition) {
			d.Transitions = append(d.Transitions, tr("annotate", []string{"done"}, Stay))
		}, []string{`leaves terminal state "done"`}},
		{"duplicate ids", func(d *Definition) {
			d.States = append(d.States, State{ID: "b", Label: "乙2"})
			d.Transitions = append(d.Transitions, tr("go", []string{"a"}, "b"))
		}, []string{`state "b": duplicate id`, `transition "go": duplicate id`}},
		{"bad ids", func(d *Definition) { d.Transitions[0].ID = "Go Now" }, []string{`transition "Go Now": id must match`}},
		{"missing labels", func(d *Definition) { d.States[0].Label = ""; d.Transitions[0].Label = "" }, []string{`state "a": no label`, `transition "go": no label`}},
		{"unknown document", func(d *Definition) { d.Transitions[0].Documents = []string{"memo"} }, []string{`unknown document "memo"`}},
		{"unknown deadline", func(d *Definition) { d.Transitions[0].Starts = []string{"lunch"} }, []string{`unknown deadline "lunch"`}},
		{"extension of a deadline without one", func(d *Definition) { d.Transitions[0].Extends = []string{"forward"} }, []string{`deadline "forward" has no extended limit`}},
		{"state deadline unknown", func(d *Definition) { d.States[1].Deadline = &DeadlineRule{Name: "lunch"} }, []string{`state "b": unknown deadline "lunch"`}},
		{"terminal with a deadline", func(d *Definition) { d.States[2].Deadline = rule("total") }, []string{`terminal state has a deadline`}},
		{"any-open mixed", func(d *Definition) { d.Transitions[2].From = []string{"b", AnyOpen} }, []string{`"*" must be the only from entry`}},
		{"no from", func(d *Definition) { d.Transitions[2].From = nil }, []string{`transition "finish": no from state`}},
		{"initial missing", func(d *Definition) { d.Initial = "zz" }, []string{`initial state "zz" does not exist`}},
		{"unknown certification", func(d *Definition) { d.Transitions[0].Certification = "karate" }, []string{`unknown certification "karate"`}},
		{"bad fields", func(d *Definition) {
			d.Transitions[0].Records = []Field{
				{Name: "pick", Label: "选", Kind: KindSelect},
				{Name: "pick", Label: "选", Kind: KindText, MinParam: "min_investigators"},
				{Name: "who", Label: "人", Kind: KindStaffList, MinParam: "min_cats"},
				{Name: "x", Kind: "colour"},
			}
		}, []string{`field "pick": select without options`, `field "pick": duplicate field`, `field "pick": min_param on a text field`,
			`field "who": unknown parameter "min_cats"`, `field "x": no label`, `field "x": unknown kind "colour"`}},
		{"no name", func(d *Definition) { d.Name, d.Title = "", "" }, []string{"definition has no name", "definition has no title"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := tiny()
			c.mutate(&d)
			err := Validate(d)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a ValidationError", err)
			}
			for _, w := range c.want {
				if !slices.ContainsFunc(ve.Problems, func(p string) bool { return strings.Contains(p, w) }) {
					t.Errorf("missing problem %q in:\n%v", w, err)
				}
			}
		})
	}
	if err := Validate(tiny()); err != nil {
		t.Fatalf("tiny is valid: %v", err)
	}
}

// TestValidateReportsAll checks that every problem comes back in one go.
func TestValidateReportsAll(t *testing.T) {
	d := tiny()
	d.Transitions[0].Guards = []string{"nope"}
	d.Transitions[1].Roles = nil
	d.Transitions[2].Documents = []string{"memo"}
	var ve *ValidationError
	if err := Validate(d); !errors.As(err, &ve) || len(ve.Problems) != 3 {
		t.Fatalf("Validate = %v, want 3 problems", err)
	}
	if !strings.Contains(ve.Error(), "3 problem(s)") {
		t.Fatalf("Error() = %q", ve.Error())
	}
}

func TestParamsValidate(t *testing.T) {
	if err := DefaultParams().Validate(); err != nil {
		t.Fatal(err)
	}
	p := DefaultParams()
	p.PublicityWD = 0
	p.TotalWDExtended = 20
	p.Appraisal = "sometimes"
	p.CertificationGate = ""
	var ve *ValidationError
	if err := p.Validate(); !errors.As(err, &ve) || len(ve.Problems) != 4 {
		t.Fatalf("Validate = %v, want 4 problems", err)
	}
}
