// Package policy holds the policy parameters of SPEC §4: every [X] of the
// seed and every local rule, each with a definition (type, range, default,
// which region levels may override it), versioned by effective date per
// region. A Set is the resolved parameters for one region and date, each
// value carrying the version that supplied it, so a decision can record what
// it used and a later change never rewrites history.
//
// The definitions, parsing and resolution (this file, params.go, value.go,
// set.go) are pure; service.go reads and writes versions through the store.
package policy

import (
	"slices"
	"strings"

	"dibao/internal/region"
)

// Kind is the type of a parameter's value.
type Kind int

// The value kinds.
const (
	Int     Kind = iota + 1 // whole number within [Min, Max]
	Decimal                 // exact decimal with Scale places, Min/Max scaled (0.30 → 30)
	Money                   // amount in fen, Min/Max in fen
	Enum                    // one of Choices
	Bool                    // true/false
	List                    // ordered comma list of distinct Choices codes
)

// String names the kind for logs and tests.
func (k Kind) String() string {
	switch k {
	case Int:
		return "int"
	case Decimal:
		return "decimal"
	case Money:
		return "money"
	case Enum:
		return "enum"
	case Bool:
		return "bool"
	case List:
		return "list"
	}
	return "kind(invalid)"
}

// Group is the section a parameter is listed under; GroupSystem parameters
// are the system administrator's, the others the county administrator's.
type Group string

// The parameter groups in display order.
const (
	GroupWorkflow Group = "业务流程"
	GroupBenefit  Group = "待遇计算"
	GroupTraining Group = "培训考核"
	GroupDynamic  Group = "动态管理"
	GroupSystem   Group = "系统"
)

// Groups lists the groups in display order.
var Groups = []Group{GroupWorkflow, GroupBenefit, GroupTraining, GroupDynamic, GroupSystem}

// Source says where a parameter's default comes from.
type Source string

// The sources of defaults.
const (
	SourceSeed     Source = "seed"     // an [X] of the seed document
	SourceNational Source = "national" // a national rule
	SourceLocal    Source = "local"    // local (province/city/county) practice
	SourceProduct  Source = "product"  // a product setting
)

// Label is the Chinese name of the source.
func (s Source) Label() string {
	switch s {
	case SourceSeed:
		return "制度文件[X]"
	case SourceNational:
		return "国家规定"
	case SourceLocal:
		return "地方规定"
	case SourceProduct:
		return "系统设置"
	}
	return string(s)
}

// Choice is one allowed value of an Enum parameter.
type Choice struct {
	Code  string // stored value, e.g. "on_objection"
	Label string // Chinese, e.g. "有异议时评议"
}

// Def defines one parameter.
type Def struct {
	Name    string         // stable key, e.g. "publicity_wd"
	Label   string         // Chinese name shown in forms and messages
	Group   Group          // section in the policy screens
	Kind    Kind           // value type
	Min     int64          // Int: lowest; Decimal: lowest scaled; Money: lowest fen
	Max     int64          // Int: highest; Decimal: highest scaled; Money: highest fen
	Scale   int            // Decimal: places after the point
	Choices []Choice       // Enum, List: allowed values in display order
	Default string         // canonical built-in value
	Unit    string         // "工作日", "元/人·月", "小时", "分", "月" …
	Source  Source         // where the default comes from
	Basis   string         // short Chinese note on the source, e.g. "国家规定不少于2人"
	Levels  []region.Level // region levels that may set a value (County, Township)
}

// Overridable reports whether a value may be set at level l.
func (d Def) Overridable(l region.Level) bool { return slices.Contains(d.Levels, l) }

// ChoiceLabel is the Chinese label of an Enum code ("" if unknown).
func (d Def) ChoiceLabel(code string) string {
	for _, c := range d.Choices {
		if c.Code == code {
			return c.Label
		}
	}
	return ""
}

// Format renders a value for screens: "7 工作日", "四舍五入到元", "900.00 元/人·月".
func (d Def) Format(v Value) string {
	switch d.Kind {
	case Enum:
		if l := d.ChoiceLabel(v.String()); l != "" {
			return l
		}
	case Bool:
		if v.n == 1 {
			return "是"
		}
		return "否"
	case List:
		codes := v.List()
		ls := make([]string, len(codes))
		for i, c := range codes {
			ls[i] = d.ChoiceLabel(c)
		}
		return strings.Join(ls, "、")
	}
	if d.Unit == "" {
		return v.String()
	}
	return v.String() + " " + d.Unit
}

// registry maps names to definitions; built once from defs.
var registry = func() map[string]*Def {
	m := make(map[string]*Def, len(defs))
	for i := range defs {
		if _, dup := m[defs[i].Name]; dup {
			panic("policy: duplicate parameter " + defs[i].Name)
		}
		m[defs[i].Name] = &defs[i]
	}
	return m
}()

// Defs returns every definition in display order (a copy).
func Defs() []Def {
	out := make([]Def, len(defs))
	for i := range defs {
		out[i] = defs[i].clone()
	}
	return out
}

// Lookup returns the definition of name.
func Lookup(name string) (Def, bool) {
	d, ok := registry[name]
	if !ok {
		return Def{}, false
	}
	return d.clone(), true
}

// clone copies the slices too, so no caller can edit the registry.
func (d Def) clone() Def {
	d.Choices = slices.Clone(d.Choices)
	d.Levels = slices.Clone(d.Levels)
	return d
}
