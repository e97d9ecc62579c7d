// Package mask hides the middle of sensitive values for screens, exports
// and public lists. ID numbers are masked by idcard.Mask.
package mask

import (
	"strings"
	"unicode/utf8"
)

// Phone keeps the first 3 and last 4 digits of a mobile number
// (138****5678) and only the last 4 of anything else.
func Phone(s string) string {
	n := len(s)
	switch {
	case s == "":
		return ""
	case n == 11 && s[0] == '1':
		return s[:3] + "****" + s[7:]
	case n > 4:
		return strings.Repeat("*", n-4) + s[n-4:]
	}
	return strings.Repeat("*", n)
}

// Bank shows only the last 4 digits of an account (**** **** **** 1234).
func Bank(s string) string {
	if s == "" {
		return ""
	}
	if len(s) <= 4 {
		return strings.Repeat("*", len(s))
	}
	return "**** **** **** " + s[len(s)-4:]
}

// Name masks a personal name for public lists: 张*明, 李*, 欧阳**.
func Name(s string) string {
	n := utf8.RuneCountInString(s)
	r := []rune(s)
	switch {
	case n == 0:
		return ""
	case n == 1:
		return s
	case n == 2:
		return string(r[0]) + "*"
	case n == 3:
		return string(r[0]) + "*" + string(r[2])
	}
	// Four or more characters: likely a compound surname; keep the first
	// and the last.
	return string(r[0]) + strings.Repeat("*", n-2) + string(r[n-1])
}
