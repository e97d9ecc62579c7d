package workflow

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"dibao/internal/authz"
	"dibao/internal/region"
)

// svgText parses the diagram strictly and returns all its character data,
// and the data-state of every state group with whether it is highlighted.
func svgText(t *testing.T, b []byte) (string, map[string]bool) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var text strings.Builder
	states := map[string]bool{}
	var curState string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("invalid XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			for _, a := range tok.Attr {
				if a.Name.Local == "data-state" {
					curState = a.Value
					states[curState] = false
				}
				if a.Name.Local == "stroke" && a.Value == colCur && tok.Name.Local == "rect" && curState != "" {
					states[curState] = true
				}
			}
		case xml.EndElement:
			if tok.Name.Local == "g" {
				curState = ""
			}
		case xml.CharData:
			text.Write(tok)
			text.WriteString("\n")
		}
	}
	return text.String(), states
}

func TestSVG(t *testing.T) {
	for _, d := range Profiles() {
		for _, current := range []string{"", "investigating", "publicity", "withdrawn"} {
			t.Run(d.Name+"/"+current, func(t *testing.T) {
				out := SVG(d, current)
				if !bytes.Equal(out, SVG(d, current)) {
					t.Fatal("output is not deterministic")
				}
				if bytes.Contains(out, []byte("NaN")) || bytes.Contains(out, []byte("Inf")) {
					t.Fatal("NaN or Inf in coordinates")
				}
				text, states := svgText(t, out)
				for _, s := range d.States {
					hl, ok := states[s.ID]
					if !ok {
						t.Errorf("state %s has no box", s.ID)
					}
					if !strings.Contains(text, s.Label) {
						t.Errorf("state label %q missing", s.Label)
					}
					if hl != (s.ID == current) {
						t.Errorf("state %s highlighted = %v", s.ID, hl)
					}
				}
				for _, tr := range d.Transitions {
					if !strings.Contains(text, tr.Label) {
						t.Errorf("transition label %q missing", tr.Label)
					}
				}
				if bytes.Contains(out, []byte(">当前</text>")) != (current != "") {
					t.Error("current marker wrong")
				}
			})
		}
	}
}

// TestSVGLayout checks that no two boxes overlap, whatever the profile.
func TestSVGLayout(t *testing.T) {
	for _, d := range Profiles() {
		l := layout(d, "")
		boxes := append(append([]*svgNode{}, l.nodes...), l.panel.targets...)
		for i, a := range boxes {
			for _, b := range boxes[i+1:] {
				if a.x-a.w/2 < b.x+b.w/2 && b.x-b.w/2 < a.x+a.w/2 && a.y < b.y+b.h && b.y < a.y+a.h {
					t.Errorf("%s: boxes %s and %s overlap", d.Name, a.id, b.id)
				}
			}
			if a.x-a.w/2 < 0 || a.x+a.w/2 > l.width || a.y+a.h > l.height {
				t.Errorf("%s: box %s outside the canvas", d.Name, a.id)
			}
		}
		// The main path is one straight column.
		for _, n := range l.nodes {
			if n.spine && n.x != l.spineX {
				t.Errorf("%s: main-path state %s is off the column", d.Name, n.id)
			}
		}
	}
}

func TestSVGEscapes(t *testing.T) {
	roles := []authz.Role{authz.VillageClerk}
	d := Definition{
		Name: "esc", Title: `<script>alert("x")</script> & 'co'`, Initial: "a",
		States: []State{{ID: "a", Label: "A <b>&amp;"}, {ID: "z", Label: `"Z" & 'z'`, Terminal: true}},
		Transitions: []Transition{
			{ID: "go", Label: "go -> <now> & then", From: []string{"a"}, To: "z", Roles: roles, Level: region.Village},
			{ID: "jot", Label: "a]]>b", From: []string{"a"}, To: Stay, Roles: roles, Level: region.Village},
		},
	}
	out := SVG(d, "a")
	if bytes.Contains(out, []byte("<script")) || bytes.Contains(out, []byte("<b>")) {
		t.Fatal("unescaped markup in output")
	}
	text, _ := svgText(t, out)
	for _, want := range []string{d.Title, "A <b>&amp;", `"Z" & 'z'`, "go -> <now> & then", "a]]>b"} {
		if !strings.Contains(text, want) {
			t.Errorf("%q did not round-trip", want)
		}
	}
}

// TestWriteSVG writes the diagrams for a human to look at:
//
//	DIBAO_WORKFLOW_SVG=/tmp go test ./internal/workflow -run TestWriteSVG
func TestWriteSVG(t *testing.T) {
	dir := os.Getenv("DIBAO_WORKFLOW_SVG")
	if dir == "" {
		t.Skip("set DIBAO_WORKFLOW_SVG to a directory to write the diagrams")
	}
	for _, d := range Profiles() {
		current := "investigating"
		if slices.ContainsFunc(d.States, func(s State) bool { return s.ID == "preliminary_review" }) {
			current = "publicity"
		}
		if err := os.WriteFile(filepath.Join(dir, "wf-"+d.Name+".svg"), SVG(d, current), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSVGEmpty(t *testing.T) {
	out := SVG(Definition{Title: "空"}, "")
	if bytes.Contains(out, []byte("NaN")) || bytes.Contains(out, []byte("Inf")) {
		t.Fatal("NaN or Inf in an empty diagram")
	}
	svgText(t, out)
}
