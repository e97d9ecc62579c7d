// Package idcard validates and reads 18-digit resident identity numbers
// (GB 11643-1999). It is pure: the caller passes "today" so that tests and
// batch jobs are reproducible.
package idcard

import (
	"strings"
	"time"
	"unicode/utf8"

	"dibao/internal/errs"
)

// Length is the length of a resident identity number; 15-digit numbers of
// the first generation are no longer valid documents and are not accepted.
const Length = 18

// Messages shown to the user; exported so that callers and tests can match
// them without copying the text.
const (
	MsgEmpty  = "请填写身份证号"
	MsgLength = "身份证号应为18位"
	MsgChars  = "身份证号只能由数字组成，最后一位可以是X"
	MsgBirth  = "身份证号中的出生日期无效"
	MsgFuture = "身份证号中的出生日期晚于今天"
	MsgCheck  = "身份证号校验位错误，请核对最后一位"
)

const (
	msgFirst17    = "身份证号前17位应为数字"
	birthLayout   = "20060102"
	earliestBirth = 19000101 // as YYYYMMDD
)

// weights are 2^(17-i) mod 11 for positions 1..17 (ISO 7064 MOD 11-2).
var weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// checkChars maps the weighted sum mod 11 to the check character.
const checkChars = "10X98765432"

// ID is a validated, normalised identity number (upper-case X). Only Parse
// and Make produce one; methods on a converted string never panic but read
// only the part they need, so they are not a substitute for Parse.
type ID string

// Sex is the sex encoded in the 17th digit; the zero value means unknown.
type Sex int

// Sexes as encoded by GB 11643 (odd sequence digit male, even female); the
// values are the GB/T 2261.1 sex codes.
const (
	Male Sex = iota + 1
	Female
)

// Label is the Chinese word shown on forms and certificates.
func (s Sex) Label() string {
	switch s {
	case Male:
		return "男"
	case Female:
		return "女"
	}
	return ""
}

// Code is the GB/T 2261.1 code ("1" male, "2" female, "0" unknown), the
// form stored in the database and exchanged with other systems.
func (s Sex) Code() string {
	switch s {
	case Male:
		return "1"
	case Female:
		return "2"
	}
	return "0"
}

// Parse validates s as a resident identity number. Users paste numbers with
// stray spaces, full-width digits from Chinese input methods, or a lower-case
// x, so those are normalised; the birth date must be a real date between
// 1900-01-01 and today's date (in today's location).
func Parse(s string, today time.Time) (ID, error) {
	s = normalise(s)
	if s == "" {
		return "", errs.Invalidf("", MsgEmpty)
	}
	if utf8.RuneCountInString(s) != Length {
		return "", errs.Invalidf("", MsgLength)
	}
	// After the rune count, a non-ASCII rune would make the byte length
	// differ; the character check below catches it either way.
	if len(s) != Length || !allDigits(s[:17]) || !(isDigit(s[17]) || s[17] == 'X') {
		return "", errs.Invalidf("", MsgChars)
	}
	birth, ok := birthDate(s)
	if !ok {
		return "", errs.Invalidf("", MsgBirth)
	}
	y, m, d := today.Date()
	if birth.After(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) {
		return "", errs.Invalidf("", MsgFuture)
	}
	c, _ := CheckChar(s[:17])
	if s[17] != c {
		return "", errs.Invalidf("", MsgCheck)
	}
	return ID(s), nil
}

// CheckChar computes the 18th character for the first 17 digits, so that
// demo generators and tests can build valid numbers.
func CheckChar(first17 string) (byte, error) {
	if len(first17) != 17 || !allDigits(first17) {
		return 0, errs.Invalidf("", msgFirst17)
	}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * weights[i]
	}
	return checkChars[sum%11], nil
}

// Make builds a valid ID from its parts for demo data and tests. It panics
// on an address that is not 6 digits, a birth year outside 1000–9999 or a
// sequence outside 0–999, because those are programming errors. An odd seq3
// makes a male number.
func Make(addr6 string, birth time.Time, seq3 int) ID {
	if len(addr6) != 6 || !allDigits(addr6) {
		panic("idcard.Make: address code must be 6 digits: " + addr6)
	}
	if seq3 < 0 || seq3 > 999 {
		panic("idcard.Make: sequence out of range 0-999")
	}
	y, m, d := birth.Date()
	if y < 1000 || y > 9999 {
		panic("idcard.Make: birth year out of range")
	}
	b := make([]byte, 0, Length)
	b = append(b, addr6...)
	b = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AppendFormat(b, birthLayout)
	b = append(b, byte('0'+seq3/100), byte('0'+seq3/10%10), byte('0'+seq3%10))
	c, _ := CheckChar(string(b))
	return ID(append(b, c))
}

// String returns the full number; use Mask for anything a person may see.
func (id ID) String() string { return string(id) }

// BirthDate is the encoded birth date at midnight UTC, a pure calendar date;
// the zero time if the date part is not a date Parse would accept (ignoring
// today).
func (id ID) BirthDate() time.Time {
	if len(id) != Length {
		return time.Time{}
	}
	t, ok := birthDate(string(id))
	if !ok {
		return time.Time{}
	}
	return t
}

// Sex reads the 17th digit; Sex(0) if that is not a digit.
func (id ID) Sex() Sex {
	if len(id) != Length || !isDigit(id[16]) {
		return 0
	}
	if (id[16]-'0')%2 == 1 {
		return Male
	}
	return Female
}

// Age is the age in full years on the given date (in on's location). A
// person born on 29 February becomes a year older on 1 March in common
// years. Dates before the birth give 0, as does an unreadable birth date.
func (id ID) Age(on time.Time) int {
	b := id.BirthDate()
	if b.IsZero() {
		return 0
	}
	y, m, d := on.Date()
	age := y - b.Year()
	if m < b.Month() || (m == b.Month() && d < b.Day()) {
		age--
	}
	return max(age, 0)
}

// Mask keeps the region and the last four characters, enough for a person
// to recognise their own number on a list but not to reuse it.
func (id ID) Mask() string { return Mask(string(id)) }

// Mask hides an arbitrary string that is supposed to be an ID number, since
// stored or imported values may be malformed and must still not leak: 18
// characters show the first 6 and last 4, 8 to 17 or more than 18 show only
// the last 4, and anything shorter is starred out entirely.
func Mask(s string) string {
	r := []rune(strings.TrimSpace(s))
	n := len(r)
	switch {
	case n == 0:
		return ""
	case n == Length:
		return string(r[:6]) + "********" + string(r[14:])
	case n >= 8:
		return strings.Repeat("*", n-4) + string(r[n-4:])
	}
	return strings.Repeat("*", n)
}

// birthDate reads positions 7–14. time.Date silently normalises 19990230
// to 2 March, so a changed day means the date does not exist.
func birthDate(s string) (time.Time, bool) {
	ds := s[6:14]
	if !allDigits(ds) {
		return time.Time{}, false
	}
	n := 0
	for i := 0; i < len(ds); i++ {
		n = n*10 + int(ds[i]-'0')
	}
	if n < earliestBirth {
		return time.Time{}, false
	}
	y, m, d := n/10000, n/100%100, n%100
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

// normalise trims spaces (including the ideographic space) and maps
// full-width digits and x/X to ASCII, since Chinese input methods produce
// them.
func normalise(s string) string {
	s = strings.TrimSpace(s)
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case r == 'x', r == 'ｘ', r == 'Ｘ':
			return 'X'
		}
		return r
	}, s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
