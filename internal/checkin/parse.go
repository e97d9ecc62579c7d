package checkin

import (
	"strconv"
	"strings"

	"dibao/internal/errs"
)

// PayloadPrefix starts every check-in QR payload, so that a scanner page
// can tell a check-in code from any other QR code at a glance.
const PayloadPrefix = "dibao-checkin:"

// Messages shown to the trainee; exported so callers and tests can match
// them without copying the text.
const (
	MsgFormat  = "签到码应为6位数字"
	MsgPayload = "这不是本系统的培训签到二维码"
)

// maxInput bounds what ParseCode and ParsePayload look at, so a pasted
// essay costs nothing.
const maxInput = 64

// ParseCode normalises a code as typed: it drops spaces (ASCII, full-width
// U+3000) and hyphens, which people add when copying "123 456" from the
// screen, and turns full-width digits (０–９, what a Chinese IME in
// full-width mode types) into ASCII. The result must be exactly Digits
// digits.
func ParseCode(s string) (string, error) {
	if len(s) > maxInput {
		return "", errs.Invalidf("code", MsgFormat)
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r == ' ' || r == '\t' || r == '\u3000' || r == '-':
		default:
			return "", errs.Invalidf("code", MsgFormat)
		}
		if b.Len() > Digits {
			return "", errs.Invalidf("code", MsgFormat)
		}
	}
	if b.Len() != Digits {
		return "", errs.Invalidf("code", MsgFormat)
	}
	return b.String(), nil
}

// Payload is the text of the QR code shown in the room:
// "dibao-checkin:<sessionID>:<code>". Only the text is made here; the page
// renders it.
func Payload(sessionID int64, code string) string {
	return PayloadPrefix + strconv.FormatInt(sessionID, 10) + ":" + code
}

// ParsePayload reads a scanned QR payload. Unlike a typed code it is
// machine-made, so it is read strictly: the prefix, a positive session id
// in plain decimal, and exactly Digits ASCII digits.
func ParsePayload(s string) (sessionID int64, code string, err error) {
	bad := errs.Invalidf("code", MsgPayload)
	rest, ok := strings.CutPrefix(s, PayloadPrefix)
	if !ok || len(s) > maxInput {
		return 0, "", bad
	}
	id, code, ok := strings.Cut(rest, ":")
	if !ok || id == "" || id[0] == '0' || !digits(id) || len(code) != Digits || !digits(code) {
		return 0, "", bad
	}
	n, perr := strconv.ParseInt(id, 10, 64)
	if perr != nil {
		return 0, "", bad
	}
	return n, code, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
