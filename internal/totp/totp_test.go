package totp

import (
	"encoding/base32"
	"strings"
	"testing"
	"time"
)

// rfcKey is the SHA-1 seed of RFC 6238 Appendix B.
var rfcKey = []byte("12345678901234567890")

// The RFC 6238 Appendix B vectors for HMAC-SHA1 (8 digits), and their
// 6-digit truncation, which is what the apps show.
var vectors = []struct {
	unix  int64
	eight string
}{
	{59, "94287082"},
	{1111111109, "07081804"},
	{1111111111, "14050471"},
	{1234567890, "89005924"},
	{2000000000, "69279037"},
	{20000000000, "65353130"},
}

func TestRFC6238Vectors(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(rfcKey)
	for _, v := range vectors {
		at := time.Unix(v.unix, 0)
		if got := hotp(rfcKey, Step(at), 8); got != v.eight {
			t.Errorf("T=%d: 8-digit code %s, RFC says %s", v.unix, got, v.eight)
		}
		got, err := Code(secret, at)
		if err != nil || got != v.eight[2:] {
			t.Errorf("T=%d: 6-digit code %s (%v), want %s", v.unix, got, err, v.eight[2:])
		}
	}
	// RFC 4226 Appendix D: HOTP of the same key at counters 0..2.
	for i, want := range []string{"755224", "287082", "359152"} {
		if got := CodeAt(rfcKey, int64(i)); got != want {
			t.Errorf("HOTP(%d) = %s, want %s", i, got, want)
		}
	}
}

func TestVerifyWindowAndReuse(t *testing.T) {
	secret, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_015, 0)
	cur := Step(now)
	k, _ := DecodeSecret(secret)
	for _, c := range []struct {
		name     string
		step     int64
		lastStep int64
		ok       bool
	}{
		{"current step", cur, 0, true},
		{"one step behind", cur - 1, 0, true},
		{"one step ahead", cur + 1, 0, true},
		{"two steps behind", cur - 2, 0, false},
		{"two steps ahead", cur + 2, 0, false},
		{"already used step", cur, cur, false},
		{"older than the last used step", cur - 1, cur, false},
		{"next step after the last used", cur + 1, cur, true},
	} {
		got, ok := Verify(secret, CodeAt(k, c.step), now, c.lastStep)
		if ok != c.ok || (ok && got != c.step) {
			t.Errorf("%s: Verify = (%d, %v), want (%d, %v)", c.name, got, ok, c.step, c.ok)
		}
	}
	if _, ok := Verify(secret, "abcdef", now, 0); ok {
		t.Error("letters accepted")
	}
	if _, ok := Verify("not base32!", CodeAt(k, cur), now, 0); ok {
		t.Error("a bad secret verified a code")
	}
	// Typed with a space in the middle is fine.
	c := CodeAt(k, cur)
	if _, ok := Verify(secret, " "+c[:3]+" "+c[3:]+" ", now, 0); !ok {
		t.Error("a code typed as '123 456' was refused")
	}
}

func TestSecretAndURI(t *testing.T) {
	s, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 32 || strings.ContainsAny(s, "=") {
		t.Fatalf("secret %q: want 32 base32 characters without padding", s)
	}
	if _, err := DecodeSecret(strings.ToLower(Group(s))); err != nil {
		t.Fatalf("grouped lower-case secret does not decode: %v", err)
	}
	u := URI("低保系统", "secadmin", s)
	for _, want := range []string{"otpauth://totp/", ":secadmin?", "secret=" + s, "digits=6", "period=30", "algorithm=SHA1", "issuer=%E4%BD%8E"} {
		if !strings.Contains(u, want) {
			t.Errorf("URI %s lacks %s", u, want)
		}
	}
}

func TestParseCode(t *testing.T) {
	for in, want := range map[string]string{"123456": "123456", " 012345 ": "012345", "123 456": "123456", "123-456": "123456"} {
		if got, err := ParseCode(in); err != nil || got != want {
			t.Errorf("ParseCode(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "12345", "1234567", "12a456", "１２３４５６", "12 3456", "123  456", "+12345"} {
		if _, err := ParseCode(in); err == nil {
			t.Errorf("ParseCode(%q) accepted", in)
		}
	}
}

func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"123456", "123 456", "12345", "abcdef", "１２３４５６", " 000000 ", "123-456", "\x00\x00\x00\x00\x00\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCode(s)
		if err != nil {
			return
		}
		if len(c) != Digits {
			t.Fatalf("ParseCode(%q) = %q: not %d characters", s, c, Digits)
		}
		for i := 0; i < len(c); i++ {
			if c[i] < '0' || c[i] > '9' {
				t.Fatalf("ParseCode(%q) = %q: not all digits", s, c)
			}
		}
		// Normalising is idempotent, and Verify never panics on it.
		if again, err := ParseCode(c); err != nil || again != c {
			t.Fatalf("ParseCode(%q) not idempotent: %q, %v", c, again, err)
		}
		Verify("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", s, time.Unix(59, 0), 0)
	})
}
