package totp

import (
	"crypto/sha1"
	"crypto/sha256"
	"testing"
)

// The HOTP construction is checked against the published vectors of
// RFC 4226 (appendix D) and RFC 6238 (appendix B), which use SHA-1 and
// SHA-256; the check-in codes only swap in SM3.
func TestHOTPPublishedVectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for i, w := range want {
		if got := HOTP(sha1.New, secret, uint64(i), 6); got != w {
			t.Errorf("RFC 4226 counter %d: %s, want %s", i, got, w)
		}
	}
	// RFC 6238, T = 59 s with a 30 s step: counter 1, eight digits.
	if got := HOTP(sha1.New, secret, 1, 8); got != "94287082" {
		t.Errorf("RFC 6238 SHA-1: %s", got)
	}
	if got := HOTP(sha256.New, []byte("12345678901234567890123456789012"), 1, 8); got != "46119246" {
		t.Errorf("RFC 6238 SHA-256: %s", got)
	}
}
