package access

import (
	"bufio"
	"bytes"
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"

	"dibao/internal/errs"
)

// MinPasswordLength is the shortest password accepted for a staff account.
const MinPasswordLength = 12

// MaxPasswordLength bounds what is hashed (argon2 takes all of it).
const MaxPasswordLength = 128

//go:embed common_passwords.txt
var commonFile []byte

// common is the set of refused passwords, lower-cased.
var common = func() map[string]struct{} {
	m := make(map[string]struct{}, 12000)
	sc := bufio.NewScanner(bytes.NewReader(commonFile))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l != "" && !strings.HasPrefix(l, "#") {
			m[strings.ToLower(l)] = struct{}{}
		}
	}
	return m
}()

// IsCommon reports whether pw is on the list of common passwords, ignoring
// case, also once a trailing run of symbols or of digits and symbols is
// taken off ("Woaini1314!!!", "Password2026!" are the listed word dressed
// up, and the first thing a guesser tries).
func IsCommon(pw string) bool {
	l := strings.ToLower(pw)
	if _, ok := common[l]; ok {
		return true
	}
	noSym := strings.TrimRightFunc(l, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if _, ok := common[noSym]; ok && noSym != "" {
		return true
	}
	base := strings.TrimRightFunc(l, func(r rune) bool { return !unicode.IsLetter(r) })
	if len(base) >= 4 {
		if _, ok := common[base]; ok {
			return true
		}
	}
	return false
}

// classes counts the character classes of pw: lower case, upper case,
// digits, and anything else (symbols, including Chinese characters).
func classes(pw string) int {
	var lower, upper, digit, other bool
	for _, r := range pw {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		default:
			other = true
		}
	}
	n := 0
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			n++
		}
	}
	return n
}

// CheckPolicy applies the password policy to a new password of the account
// username ("" when not yet known): at least 12 characters, three of the
// four character classes, not containing the username, not a common
// password. The error is errs.Invalid on field "password" with a Chinese
// message saying what to change.
func CheckPolicy(pw, username string) error {
	bad := func(msg string) error { return errs.New(errs.Invalid, "password", msg) }
	switch {
	case pw == "":
		return bad("请设置密码")
	case len(pw) > MaxPasswordLength:
		return bad("密码不能超过128个字符")
	case !utf8.ValidString(pw) || strings.IndexFunc(pw, unicode.IsControl) >= 0:
		return bad("密码含有不可见字符")
	case utf8.RuneCountInString(pw) < MinPasswordLength:
		return bad("密码至少12位")
	case classes(pw) < 3:
		return bad("密码须包含大写字母、小写字母、数字、符号中的至少三类")
	}
	if u := strings.ToLower(strings.TrimSpace(username)); u != "" && strings.Contains(strings.ToLower(pw), u) {
		return bad("密码不能包含用户名")
	}
	if IsCommon(pw) {
		return bad("该密码属于常见弱口令（如 woaini1314、Aa123456、1qaz2wsx 一类），容易被猜中，请另设一个")
	}
	return nil
}
