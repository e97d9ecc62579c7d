// Package totp is the time-based one-time password of RFC 6238 as the
// authenticator apps on staff phones implement it: HMAC-SHA1, 6 digits, a
// 30-second step. It is pure (no clock, no store): the caller passes the
// time and remembers the last step used, so that a code cannot be replayed.
package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"net/url"
	"strings"
	"time"
)

const (
	// Digits is the length of a code.
	Digits = 6
	// Period is the time step in seconds.
	Period = 30
	// Skew is how many steps either side of now a code is accepted for
	// (phone clocks drift; typing takes time).
	Skew = 1
	// SecretBytes is the length of a generated secret (160 bits, as RFC
	// 4226 recommends for HMAC-SHA1).
	SecretBytes = 20
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// ErrFormat is returned by ParseCode for anything but six ASCII digits.
var ErrFormat = errors.New("totp: code must be 6 digits")

// NewSecret returns a random secret, base32 without padding (what the
// apps accept when typed by hand).
func NewSecret() (string, error) {
	b := make([]byte, SecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return b32.EncodeToString(b), nil
}

// DecodeSecret decodes a base32 secret, ignoring case, spaces and padding.
func DecodeSecret(s string) ([]byte, error) {
	s = strings.ToUpper(strings.TrimRight(strings.ReplaceAll(s, " ", ""), "="))
	k, err := b32.DecodeString(s)
	if err != nil || len(k) < 10 {
		return nil, errors.New("totp: bad secret")
	}
	return k, nil
}

// Step is the time step containing t.
func Step(t time.Time) int64 { return t.Unix() / Period }

// HOTP is RFC 4226's HOTP with the hash as a parameter: HMAC of the
// big-endian counter, dynamic truncation to 31 bits, then the last digits
// in decimal with leading zeros. TOTP uses SHA-1 (what authenticator apps
// implement); the training check-in codes use SM3.
func HOTP(h func() hash.Hash, key []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(h, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, v%mod)
}

func hotp(key []byte, counter int64, digits int) string {
	return HOTP(sha1.New, key, uint64(counter), digits)
}

// CodeAt returns the 6-digit code of key for step.
func CodeAt(key []byte, step int64) string { return hotp(key, step, Digits) }

// Code returns the code of a base32 secret at t.
func Code(secret string, t time.Time) (string, error) {
	k, err := DecodeSecret(secret)
	if err != nil {
		return "", err
	}
	return CodeAt(k, Step(t)), nil
}

// ParseCode normalises what a person typed: surrounding spaces and one
// space or hyphen in the middle ("123 456") are allowed; anything else
// but exactly six ASCII digits is refused.
func ParseCode(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) == Digits+1 && (s[3] == ' ' || s[3] == '-') {
		s = s[:3] + s[4:]
	}
	if len(s) != Digits {
		return "", ErrFormat
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", ErrFormat
		}
	}
	return s, nil
}

// Verify checks code against the secret at now, accepting Skew steps
// either side, and refuses any step at or before lastStep (a code already
// used, or an older one). It returns the matched step, which the caller
// must store as the new lastStep in the same transaction as the login.
func Verify(secret, code string, now time.Time, lastStep int64) (int64, bool) {
	c, err := ParseCode(code)
	if err != nil {
		return 0, false
	}
	k, err := DecodeSecret(secret)
	if err != nil {
		return 0, false
	}
	cur := Step(now)
	matched, found := int64(0), 0
	for s := cur - Skew; s <= cur+Skew; s++ {
		// Compare every candidate in constant time and do not stop early.
		if subtle.ConstantTimeCompare([]byte(CodeAt(k, s)), []byte(c)) == 1 && s > lastStep && found == 0 {
			matched, found = s, 1
		}
	}
	return matched, found == 1
}

// URI is the otpauth:// key URI that authenticator apps import (as a QR
// code or pasted), labelled issuer:account.
func URI(issuer, account, secret string) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	q := url.Values{}
	q.Set("secret", secret)
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", "6")
	q.Set("period", "30")
	return "otpauth://totp/" + label + "?" + q.Encode()
}

// Group splits a secret into groups of four for reading aloud or typing.
func Group(secret string) string {
	var b strings.Builder
	for i := 0; i < len(secret); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(secret[i:min(i+4, len(secret))])
	}
	return b.String()
}
