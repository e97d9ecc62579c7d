package region

import (
	"math/rand/v2"
	"testing"

	"dibao/internal/errs"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want Code
		msg  string
	}{
		{"county", "130123000000", "130123000000", ""},
		{"township", "130123101000", "130123101000", ""},
		{"village", "130123101201", "130123101201", ""},
		{"spaces trimmed", " 130123101201\n", "130123101201", ""},
		{"province 8", "820000000000", "820000000000", ""},
		{"leading zero county", "000001000000", "000001000000", ""},
		{"edge 899999", "899999999999", "899999999999", ""},
		{"empty", "", "", MsgEmpty},
		{"blank", "  ", "", MsgEmpty},
		{"short", "130123", "", MsgFormat},
		{"13 digits", "1301231012010", "", MsgFormat},
		{"letter", "13012310120A", "", MsgFormat},
		{"inner space", "130123 01201", "", MsgFormat},
		{"full-width digits", "１３０１２３１０１２０１", "", MsgFormat},
		{"minus", "-13012310120", "", MsgFormat},
		{"county zero", "000000000000", "", MsgCounty},
		{"county zero with township", "000000101000", "", MsgCounty},
		{"province 9x", "910000000000", "", MsgCounty},
		{"all nines", "999999999999", "", MsgCounty},
		{"village without township", "130123000201", "", MsgTownship},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(c.in)
			if c.msg == "" {
				if err != nil || got != c.want {
					t.Fatalf("Parse(%q) = %q, %v; want %q", c.in, got, err, c.want)
				}
				return
			}
			e := errs.As(err)
			if err == nil || e.Code != errs.Invalid || e.Message != c.msg {
				t.Fatalf("Parse(%q) = %q, %v; want %q", c.in, got, err, c.msg)
			}
		})
	}
}

func TestLevels(t *testing.T) {
	cases := []struct {
		name                     string
		c                        Code
		level                    Level
		label                    string
		parent, county, township Code
	}{
		{"county", "130123000000", County, "县/区", "", "130123000000", ""},
		{"township", "130123101000", Township, "乡镇/街道", "130123000000", "130123000000", "130123101000"},
		{"village", "130123101201", Village, "村/社区", "130123101000", "130123000000", "130123101000"},
		{"village 999", "130123999999", Village, "村/社区", "130123999000", "130123000000", "130123999000"},
		{"invalid short", "130123", 0, "", "", "", ""},
		{"invalid letters", "13012310120x", 0, "", "", "", ""},
		{"empty", "", 0, "", "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.c.Level(); got != c.level {
				t.Errorf("Level = %v want %v", got, c.level)
			}
			if got := c.c.Level().Label(); got != c.label {
				t.Errorf("Label = %q want %q", got, c.label)
			}
			if got := c.c.Parent(); got != c.parent {
				t.Errorf("Parent = %q want %q", got, c.parent)
			}
			if got := c.c.County(); got != c.county {
				t.Errorf("County = %q want %q", got, c.county)
			}
			if got := c.c.Township(); got != c.township {
				t.Errorf("Township = %q want %q", got, c.township)
			}
		})
	}
}

func TestScopeOf(t *testing.T) {
	cases := []struct {
		name string
		c    Code
		want Scope
	}{
		{"county", "130123000000", Scope{"130123000000", "130124000000"}},
		{"township", "130123101000", Scope{"130123101000", "130123102000"}},
		{"village", "130123101201", Scope{"130123101201", "130123101202"}},
		{"county ending 9", "130129000000", Scope{"130129000000", "130130000000"}},
		{"county ending 99", "130199000000", Scope{"130199000000", "130200000000"}},
		{"county 899999", "899999000000", Scope{"899999000000", "900000000000"}},
		{"township 999 rolls into next county", "130123999000", Scope{"130123999000", "130124000000"}},
		{"township 999 of county ending 9", "139999999000", Scope{"139999999000", "140000000000"}},
		{"village 999 rolls into next township", "130123101999", Scope{"130123101999", "130123102000"}},
		{"village 999 of township 999", "130123999999", Scope{"130123999999", "130124000000"}},
		{"village at very top", "899999999999", Scope{"899999999999", "900000000000"}},
		{"invalid", "13012310120", Scope{}},
		{"empty", "", Scope{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ScopeOf(c.c)
			if got != c.want {
				t.Fatalf("ScopeOf(%q) = %+v want %+v", c.c, got, c.want)
			}
			if got.Hi != "" && (len(got.Hi) != Length || !allDigits(string(got.Hi))) {
				t.Fatalf("Hi %q is not 12 digits", got.Hi)
			}
		})
	}
}

func TestContains(t *testing.T) {
	county := ScopeOf("130123000000")
	town999 := ScopeOf("130123999000")
	village := ScopeOf("130123101201")
	cases := []struct {
		name string
		s    Scope
		c    Code
		want bool
	}{
		{"county has itself", county, "130123000000", true},
		{"county has township", county, "130123101000", true},
		{"county has village", county, "130123101201", true},
		{"county has last possible code", county, "130123999999", true},
		{"county excludes next county", county, "130124000000", false},
		{"county excludes previous county's last", county, "130122999999", false},
		{"county excludes parent city", county, "130100000000", false},
		{"township 999 has its villages", town999, "130123999001", true},
		{"township 999 has village 999", town999, "130123999999", true},
		{"township 999 excludes sibling", town999, "130123998999", false},
		{"township 999 excludes next county", town999, "130124000000", false},
		{"village has itself", village, "130123101201", true},
		{"village excludes sibling", village, "130123101202", false},
		{"village excludes its township", village, "130123101000", false},
		{"all has lowest", All(), "000001000000", true},
		{"all has highest", All(), "899999999999", true},
		{"malformed short prefix", county, "1301231", false},
		{"malformed longer", county, "1301230000001", false},
		{"malformed non-digit", county, "13012300000a", false},
		{"empty scope contains nothing", Scope{}, "130123000000", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.s.Contains(c.c); got != c.want {
				t.Fatalf("%+v.Contains(%q) = %v want %v", c.s, c.c, got, c.want)
			}
		})
	}
}

func TestWithin(t *testing.T) {
	cases := []struct {
		name        string
		c, ancestor Code
		want        bool
	}{
		{"self", "130123101201", "130123101201", true},
		{"village in township", "130123101201", "130123101000", true},
		{"village in county", "130123101201", "130123000000", true},
		{"township in county", "130123101000", "130123000000", true},
		{"county not in township", "130123000000", "130123101000", false},
		{"other county", "130124101201", "130123000000", false},
		{"invalid ancestor", "130123101201", "", false},
		{"invalid code", "", "130123000000", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.c.Within(c.ancestor); got != c.want {
				t.Fatalf("%q.Within(%q) = %v want %v", c.c, c.ancestor, got, c.want)
			}
		})
	}
}

// randomCode draws from few values per part so that pairs are often
// related and the carry edges (9, 99, 999) come up.
func randomCode(r *rand.Rand) Code {
	counties := []string{"130123", "130124", "130129", "130130", "139999", "140000", "899999", "000001", "130122"}
	townships := []string{"000", "001", "101", "102", "998", "999"}
	villages := []string{"000", "001", "201", "998", "999"}
	return Code(counties[r.IntN(len(counties))] + townships[r.IntN(len(townships))] + villages[r.IntN(len(villages))])
}

// isAncestor walks Parent links, independent of how scopes are computed.
func isAncestor(a, c Code) bool {
	for x := c; x != ""; x = x.Parent() {
		if x == a {
			return true
		}
	}
	return false
}

func TestScopeProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var codes []Code
	for len(codes) < 300 {
		c := randomCode(r)
		if _, err := Parse(string(c)); err == nil {
			codes = append(codes, c)
		}
	}
	related := 0
	for _, a := range codes {
		s := ScopeOf(a)
		if !s.Contains(a) || !All().Contains(a) {
			t.Fatalf("%q not in its own scope %+v or All", a, s)
		}
		for _, c := range codes {
			contains := s.Contains(c)
			lexical := string(s.Lo) <= string(c) && string(c) < string(s.Hi)
			ancestry := isAncestor(a, c)
			if contains != lexical || contains != ancestry || contains != c.Within(a) {
				t.Fatalf("a=%q c=%q scope=%+v: Contains %v, lexical %v, ancestry %v", a, c, s, contains, lexical, ancestry)
			}
			if contains {
				related++
			}
		}
	}
	if related < 1000 {
		t.Fatalf("only %d related pairs; generator too sparse", related)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"130123000000", "130123101000", "130123101201", "130123000201", "000000000000", "999999999999", "899999999999", "", "13012310120x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("Parse(%q): %v", s, err)
			}
			return
		}
		if c.Level() == 0 {
			t.Fatalf("Parse(%q) = %q with no level", s, c)
		}
		sc := ScopeOf(c)
		if !sc.Contains(c) || !All().Contains(c) || len(sc.Hi) != Length || !allDigits(string(sc.Hi)) || sc.Hi <= sc.Lo {
			t.Fatalf("ScopeOf(%q) = %+v", c, sc)
		}
		if p := c.Parent(); p != "" {
			if _, err := Parse(string(p)); err != nil || p.Level() != c.Level()-1 || !c.Within(p) || p.Within(c) {
				t.Fatalf("Parent(%q) = %q", c, p)
			}
			ps := ScopeOf(p)
			if sc.Lo < ps.Lo || sc.Hi > ps.Hi {
				t.Fatalf("scope %+v not nested in parent's %+v", sc, ps)
			}
		} else if c.Level() != County {
			t.Fatalf("%q has no parent", c)
		}
		if !c.Within(c.County()) {
			t.Fatalf("%q not within its county", c)
		}
	})
}
