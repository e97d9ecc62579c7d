package policy

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/money"
	"dibao/internal/region"
	"dibao/internal/roster"
)

// DefaultVersion is the version of a value that no region has set.
const DefaultVersion = "default"

// Row is one stored version of a parameter for a region: versions are
// append-only, and for the same region, name and effective date the row
// with the highest ID wins (a correction).
type Row struct {
	ID            int64
	Region        region.Code
	Name          string
	Value         string // canonical text
	EffectiveFrom string // YYYY-MM-DD
}

// Version is the row's version id, "<region code>@<effective date>#<id>",
// e.g. "130199000000@2026-01-01#17".
func (r Row) Version() string {
	return string(r.Region) + "@" + r.EffectiveFrom + "#" + strconv.FormatInt(r.ID, 10)
}

// VersionRef is a parsed version id.
type VersionRef struct {
	Region        region.Code
	EffectiveFrom string
	ID            int64
}

// ParseVersion reads a version id written by Row.Version; "default" is not
// a stored version and is refused.
func ParseVersion(s string) (VersionRef, error) {
	bad := errs.Invalidf("version", "参数版本号格式不正确：%s", s)
	rc, rest, ok := strings.Cut(s, "@")
	if !ok {
		return VersionRef{}, bad
	}
	date, id, ok := strings.Cut(rest, "#")
	if !ok {
		return VersionRef{}, bad
	}
	c, err := region.Parse(rc)
	if err != nil {
		return VersionRef{}, bad
	}
	if _, err := ParseDate(date); err != nil {
		return VersionRef{}, bad
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != id {
		return VersionRef{}, bad
	}
	return VersionRef{Region: c, EffectiveFrom: date, ID: n}, nil
}

// ParseDate reads a 'YYYY-MM-DD' date as the civil day in Asia/Shanghai.
func ParseDate(s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), calendar.Location())
	if err != nil || t.Year() < 2000 || t.Year() > 2099 {
		return time.Time{}, errs.Invalidf("effective_from", "生效日期格式应为 YYYY-MM-DD（2000 至 2099 年）")
	}
	return t, nil
}

// DateOf is the 'YYYY-MM-DD' civil date of t in Asia/Shanghai, the form
// effective dates are stored and compared in.
func DateOf(t time.Time) string { return t.In(calendar.Location()).Format(time.DateOnly) }

// Resolved is one parameter of a Set.
type Resolved struct {
	Def     Def
	Value   Value
	Version string // "<region>@<date>#<id>" or DefaultVersion
}

type entry struct {
	v       Value
	version string
}

// Set is the parameters in force for one region on one date. Accessors
// panic on a name that is not registered with that kind: that is a
// programming error, and every name is resolved, so it cannot depend on data.
type Set struct {
	region region.Code
	date   string
	vals   map[string]entry
}

// Region is the region the set was resolved for ("" for Defaults).
func (s Set) Region() region.Code { return s.region }

// Date is the 'YYYY-MM-DD' date the set was resolved for.
func (s Set) Date() string { return s.date }

// Defaults is the set of built-in defaults, for code that runs without a
// region (tests, the sandbox before a county is chosen).
func Defaults() Set {
	s := Set{vals: make(map[string]entry, len(defs))}
	for i := range defs {
		v, err := defs[i].parse(defs[i].Default, true)
		if err != nil {
			panic("policy: bad default for " + defs[i].Name + ": " + err.Error())
		}
		s.vals[defs[i].Name] = entry{v: v, version: DefaultVersion}
	}
	return s
}

// ResolveRows resolves the parameters for r on date from rows (any rows:
// those of other regions are ignored). For each name the most specific
// level of r's chain (township, then county) that has a version in force on
// the date wins, and within a region the latest effective date, then the
// highest id; a name nobody set keeps its default. A village resolves
// through its township. A stored value that no longer parses is an error:
// guessing another value would pay the wrong amount.
func ResolveRows(r region.Code, on time.Time, rows []Row) (Set, error) {
	if r.Level() == 0 {
		return Set{}, errs.New(errs.Invalid, "region_code", region.MsgFormat)
	}
	date := DateOf(on)
	s := Defaults()
	s.region, s.date = r, date
	// Most specific first; a level that may not override the parameter is
	// skipped even if an old row exists.
	chain := []struct {
		code  region.Code
		level region.Level
	}{{r.Township(), region.Township}, {r.County(), region.County}}
	best := map[string]Row{}
	bestRank := map[string]int{}
	for _, row := range rows {
		d, ok := registry[row.Name]
		if !ok || row.EffectiveFrom > date {
			continue
		}
		rank := -1
		for i, c := range chain {
			if c.code != "" && row.Region == c.code && d.Overridable(c.level) {
				rank = i
			}
		}
		if rank < 0 {
			continue
		}
		cur, seen := best[row.Name]
		switch {
		case !seen, rank < bestRank[row.Name]:
		case rank > bestRank[row.Name]:
			continue
		case row.EffectiveFrom < cur.EffectiveFrom:
			continue
		case row.EffectiveFrom == cur.EffectiveFrom && row.ID < cur.ID:
			continue
		}
		best[row.Name], bestRank[row.Name] = row, rank
	}
	for name, row := range best {
		v, err := registry[name].parseStored(row.Value)
		if err != nil {
			return Set{}, &errs.Error{Code: errs.Internal, Field: name,
				Message: fmt.Sprintf("政策参数「%s」的已存值无效（版本 %s），请联系系统管理员", registry[name].Label, row.Version()),
				Err:     err}
		}
		s.vals[name] = entry{v: v, version: row.Version()}
	}
	return s, nil
}

func (s Set) get(name string, k Kind) Value {
	e, ok := s.vals[name]
	if !ok {
		if s.vals == nil {
			panic("policy: use of an unresolved Set")
		}
		panic("policy: unknown parameter " + name)
	}
	if e.v.kind != k {
		panic(fmt.Sprintf("policy: %s is %s, not %s", name, e.v.kind, k))
	}
	return e.v
}

// Int is an Int parameter.
func (s Set) Int(name string) int { return int(s.get(name, Int).n) }

// Money is a Money parameter in fen.
func (s Set) Money(name string) money.Fen { return money.Fen(s.get(name, Money).n) }

// Rate is a Decimal parameter as an exact fraction.
func (s Set) Rate(name string) Rate {
	v := s.get(name, Decimal)
	den := int64(1)
	for i := 0; i < v.scale; i++ {
		den *= 10
	}
	return Rate{Num: v.n, Den: den}
}

// Enum is an Enum parameter's code.
func (s Set) Enum(name string) string { return s.get(name, Enum).code }

// List is a List parameter's codes in order.
func (s Set) List(name string) []string { return s.get(name, List).List() }

// BankFormat is the layout of the county's bank payment file.
func (s Set) BankFormat() roster.BankFormat {
	return roster.BankFormat{Columns: s.List(BankCSVColumns), Encoding: s.Enum(BankCSVEncoding)}
}

// Bool is a Bool parameter.
func (s Set) Bool(name string) bool { return s.get(name, Bool).n == 1 }

// Rounding is the benefit rounding mode.
func (s Set) Rounding() money.Rounding {
	r, err := money.ParseRounding(s.Enum(RoundingMode))
	if err != nil {
		panic("policy: rounding choices out of step with money: " + err.Error())
	}
	return r
}

// Standard is the allowance standard per person per month for urban or
// rural households.
func (s Set) Standard(urban bool) money.Fen {
	if urban {
		return s.Money(StandardUrban)
	}
	return s.Money(StandardRural)
}

// Version is the version that supplied name (DefaultVersion if none).
func (s Set) Version(name string) string {
	e, ok := s.vals[name]
	if !ok {
		panic("policy: unknown parameter " + name)
	}
	return e.version
}

// Versions maps every parameter to the version that supplied it (a copy),
// for a decision to record.
func (s Set) Versions() map[string]string {
	m := make(map[string]string, len(s.vals))
	for n, e := range s.vals {
		m[n] = e.version
	}
	return m
}

// All lists every parameter of the set in registry order, for screens.
func (s Set) All() []Resolved {
	out := make([]Resolved, 0, len(defs))
	for i := range defs {
		e := s.vals[defs[i].Name]
		out = append(out, Resolved{Def: defs[i].clone(), Value: e.v, Version: e.version})
	}
	return out
}

// With returns a copy of s with name set to v from version, e.g. to
// preview a proposed change before it is saved.
func (s Set) With(name string, v Value, version string) Set {
	s.get(name, v.kind)
	c := Set{region: s.region, date: s.date, vals: maps.Clone(s.vals)}
	c.vals[name] = entry{v: v, version: version}
	return c
}

// Check applies the rules that tie parameters together; a set that breaks
// one is refused when a value is saved, naming both parameters.
func (s Set) Check() error {
	type pair struct{ lo, hi string }
	for _, p := range []pair{
		{TotalWD, TotalWDExtended},
		{ReviewMonthsVariable, ReviewMonthsStable},
		{TheoryPass, ExcellentMark},
		{PracticalPass, ExcellentMark},
		{DailyPass, ExcellentMark},
	} {
		if s.Int(p.lo) > s.Int(p.hi) {
			lo, hi := registry[p.lo], registry[p.hi]
			return errs.Invalidf("value", "「%s」（%d%s）不能大于「%s」（%d%s）", lo.Label, s.Int(p.lo), lo.unit(),
				hi.Label, s.Int(p.hi), hi.unit())
		}
	}
	if cols := s.List(BankCSVColumns); !slices.Contains(cols, roster.ColSeq) || !slices.Contains(cols, roster.ColAccount) ||
		!slices.Contains(cols, roster.ColAmount) {
		return errs.Invalidf("value", "「%s」须包含序号、银行账号和金额（银行回盘文件按这三项核对）", registry[BankCSVColumns].Label)
	}
	if mp, lo := s.Money(MinPayment), min(s.Money(StandardUrban), s.Money(StandardRural)); mp > lo {
		return errs.Invalidf("value", "「%s」（%s 元）不能高于低保标准（%s 元）", registry[MinPayment].Label, mp, lo)
	}
	return nil
}
