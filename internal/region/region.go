// Package region reads 12-digit statistical division codes (6-digit county,
// 3-digit township, 3-digit village) and turns a code into the range of
// codes beneath it, so that access scope is one indexable SQL range:
// region_code >= lo AND region_code < hi.
package region

import (
	"strings"

	"dibao/internal/errs"
)

// Length is the number of digits in a code.
const Length = 12

// Messages shown to the user; exported so that callers and tests can match
// them without copying the text.
const (
	MsgEmpty    = "请填写行政区划代码"
	MsgFormat   = "行政区划代码应为12位数字"
	MsgCounty   = "行政区划代码的前6位（县级代码）无效"
	MsgTownship = "村级行政区划代码的第7至9位（乡镇代码）不能为000"
)

// Code is a validated 12-digit division code such as 130123101201.
type Code string

// Level is the depth of a code; the zero value means not a valid code.
type Level int

// The levels from the top; the order is the depth.
const (
	County Level = iota + 1
	Township
	Village
)

// Label is the Chinese name of the level shown in forms and lists.
func (l Level) Label() string {
	switch l {
	case County:
		return "县/区"
	case Township:
		return "乡镇/街道"
	case Village:
		return "村/社区"
	}
	return ""
}

// Parse validates a code. The county part may not be 000000, nor start with
// 9: no province code does, and excluding it lets every scope, including
// All, have a 12-digit upper bound. A village must belong to a township.
func Parse(s string) (Code, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errs.Invalidf("", MsgEmpty)
	}
	if len(s) != Length || !allDigits(s) {
		return "", errs.Invalidf("", MsgFormat)
	}
	if s[:6] == "000000" || s[0] == '9' {
		return "", errs.Invalidf("", MsgCounty)
	}
	if s[6:9] == "000" && s[9:] != "000" {
		return "", errs.Invalidf("", MsgTownship)
	}
	return Code(s), nil
}

// String returns the 12 digits.
func (c Code) String() string { return string(c) }

// Level tells how deep c is from its trailing zero groups; 0 if c is not
// 12 digits.
func (c Code) Level() Level {
	if len(c) != Length || !allDigits(string(c)) {
		return 0
	}
	switch {
	case c[9:] != "000":
		return Village
	case c[6:9] != "000":
		return Township
	}
	return County
}

// Parent is the code one level up; "" for a county, which has no parent
// within this scheme, and for an invalid code.
func (c Code) Parent() Code {
	switch c.Level() {
	case Village:
		return c[:9] + "000"
	case Township:
		return c[:6] + "000000"
	}
	return ""
}

// County is the county a code belongs to (itself for a county); "" if c is
// invalid.
func (c Code) County() Code {
	if c.Level() == 0 {
		return ""
	}
	return c[:6] + "000000"
}

// Township is the township a code belongs to (itself for a township); ""
// for a county or an invalid code.
func (c Code) Township() Code {
	if l := c.Level(); l != Township && l != Village {
		return ""
	}
	return c[:9] + "000"
}

// Within reports whether c is ancestor itself or lies beneath it.
func (c Code) Within(ancestor Code) bool { return ScopeOf(ancestor).Contains(c) }

// Scope is the half-open range [Lo, Hi) of codes a user may see. Plain
// string comparison orders codes correctly because they are all 12 ASCII
// digits, which also holds for every database collation.
type Scope struct{ Lo, Hi Code }

// ScopeOf is the range holding c and all its descendants: the code's
// significant prefix, then that prefix plus one padded with zeros. An
// invalid code gives the empty Scope, which contains nothing, so a bad
// code can never widen access.
func ScopeOf(c Code) Scope {
	var n int
	switch c.Level() {
	case County:
		n = 6
	case Township:
		n = 9
	case Village:
		n = 12
	default:
		return Scope{}
	}
	hi := []byte(c)
	// Add one to the prefix, carrying through 9s; Parse rejects a leading
	// 9, so the carry always stops inside the code.
	i := n - 1
	for ; i >= 0 && hi[i] == '9'; i-- {
		hi[i] = '0'
	}
	if i < 0 {
		return Scope{}
	}
	hi[i]++
	for j := n; j < Length; j++ {
		hi[j] = '0'
	}
	return Scope{Lo: c, Hi: Code(hi)}
}

// All is the scope of county-wide roles with no region limit; it holds
// every code Parse accepts.
func All() Scope { return Scope{Lo: "000000000000", Hi: "900000000000"} }

// Contains reports whether c is in the range, comparing exactly as the SQL
// filter does; c must be 12 digits, so a malformed value never matches.
func (s Scope) Contains(c Code) bool {
	return len(c) == Length && allDigits(string(c)) && s.Lo <= c && c < s.Hi
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
