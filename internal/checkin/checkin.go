// Package checkin makes and checks the short-lived codes a trainer shows
// in the classroom so that trainees can check in to a session (issue 5
// item 4). A code is a TOTP-style 6-digit number: HMAC-SM3 of the current
// 60-second step under a per-session secret, cut to six digits as in
// RFC 4226. Knowing a code therefore says nothing about the next one, and
// a code sent out of the room stops working within two minutes. The
// package is pure apart from Secret's randomness: the caller keeps the
// secret with the session and the failure record per person and session.
package checkin

import (
	"crypto/rand"
	"crypto/subtle"
	"time"

	"dibao/internal/totp"

	"github.com/emmansun/gmsm/sm3"
)

// Step is how long one code is shown before the next replaces it.
const Step = 60 * time.Second

// Digits is the length of a code: short enough to read off a projector
// and type on a phone, and with at most MaxFailures guesses per ten
// minutes a 1-in-200,000 chance for a guesser.
const Digits = 6

// Skew is how many steps before or after the current one are accepted: a
// trainee reading the code just before it changes still has a minute to
// type it, and servers whose clocks differ by a little still agree.
const Skew = 1

// SecretSize is the length of a secret made by Secret: 256 bits, the size
// of an SM3 block's output, so the key is never the weak link.
const SecretSize = 32

// MinSecretSize is the shortest secret Code and Verify accept; shorter
// ones (an empty or truncated value from storage) would make codes
// guessable, so they make no code at all.
const MinSecretSize = 16

// Secret returns a fresh random secret for a session.
func Secret() []byte {
	b := make([]byte, SecretSize)
	rand.Read(b) // never fails since Go 1.24; it crashes the program instead
	return b
}

// Code returns the code valid at the step holding at, or "" if the secret
// is shorter than MinSecretSize.
func Code(secret []byte, at time.Time) string {
	if len(secret) < MinSecretSize {
		return ""
	}
	return totp.HOTP(sm3.New, secret, uint64(step(at)), Digits)
}

// Expires returns when the code shown at at is replaced by the next one,
// for the trainer's page to count down and refresh.
func Expires(at time.Time) time.Time {
	return time.Unix((step(at)+1)*int64(Step/time.Second), 0).In(at.Location())
}

// Verify reports whether code (as typed; see ParseCode) is the code of the
// step holding at or of a step within Skew of it. Every candidate is
// compared in constant time and all of them are always compared, so the
// response time tells nothing about how close a guess was.
func Verify(secret []byte, code string, at time.Time) bool {
	c, err := ParseCode(code)
	if err != nil || len(secret) < MinSecretSize {
		return false
	}
	ok := 0
	s := step(at)
	for d := int64(-Skew); d <= Skew; d++ {
		ok |= subtle.ConstantTimeCompare([]byte(c), []byte(totp.HOTP(sm3.New, secret, uint64(s+d), Digits)))
	}
	return ok == 1
}

// step numbers the 60-second steps since the Unix epoch (floor division,
// so the numbering is regular on both sides of 1970).
func step(at time.Time) int64 {
	sec, n := at.Unix(), int64(Step/time.Second)
	s := sec / n
	if sec%n < 0 {
		s--
	}
	return s
}
