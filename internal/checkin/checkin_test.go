package checkin_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"dibao/internal/calendar"
	"dibao/internal/checkin"
	"dibao/internal/errs"
)

var (
	secret, _ = hex.DecodeString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	// 09:00:30 on 1 October 2026 in the county: step 29846940.
	nine = time.Date(2026, 10, 1, 9, 0, 30, 0, calendar.Location())
)

// The expected codes were computed independently with Python's hashlib
// ("sm3") and hmac:
//
//	hmac.new(secret, struct.pack('>Q', 29846940 + d), lambda: hashlib.new('sm3'))
//
// followed by RFC 4226 dynamic truncation. The current step's code begins
// with a zero, which also checks the padding.
func TestKnownAnswer(t *testing.T) {
	cases := []struct {
		name string
		at   time.Time
		want string
	}{
		{"previous step", nine.Add(-time.Minute), "589476"},
		{"current step", nine, "023222"},
		{"next step", nine.Add(time.Minute), "395400"},
		{"two steps on", nine.Add(2 * time.Minute), "736816"},
		{"same instant in UTC", nine.UTC(), "023222"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := checkin.Code(secret, c.at); got != c.want {
				t.Errorf("Code = %s, want %s", got, c.want)
			}
		})
	}
}

func TestCodeChangesEachMinute(t *testing.T) {
	start := time.Date(2026, 10, 1, 9, 0, 0, 0, calendar.Location())
	if a, b := checkin.Code(secret, start), checkin.Code(secret, start.Add(59*time.Second+999*time.Millisecond)); a != b {
		t.Errorf("code changed within a minute: %s, %s", a, b)
	}
	prev := ""
	for i := range 120 {
		c := checkin.Code(secret, start.Add(time.Duration(i)*time.Minute))
		if len(c) != checkin.Digits || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("code %q", c)
		}
		if c == prev {
			t.Errorf("minute %d repeats the previous code %s", i, c)
		}
		prev = c
	}
	if got, want := checkin.Expires(start.Add(10*time.Second)), start.Add(time.Minute); !got.Equal(want) {
		t.Errorf("Expires = %s, want %s", got, want)
	}
}

func TestVerifyWindow(t *testing.T) {
	step := time.Date(2026, 10, 1, 9, 0, 0, 0, calendar.Location()) // a step boundary
	code := checkin.Code(secret, step)
	cases := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"same step", step.Add(30 * time.Second), true},
		{"last instant of the next step", step.Add(2*time.Minute - time.Nanosecond), true},
		{"next step boundary", step.Add(time.Minute), true},
		{"two steps later", step.Add(2 * time.Minute), false},
		{"ten minutes later", step.Add(10 * time.Minute), false},
		{"one step early", step.Add(-time.Minute), true},
		{"just before the previous step", step.Add(-time.Minute - time.Nanosecond), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := checkin.Verify(secret, code, c.at); got != c.want {
				t.Errorf("Verify = %v, want %v", got, c.want)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	code := checkin.Code(secret, nine)
	other := checkin.Secret()
	if checkin.Verify(other, code, nine) {
		t.Error("another session's secret accepts the code")
	}
	if checkin.Code(other, nine) == code {
		t.Error("two sessions show the same code") // 1 in a million; the secret is random
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef", code + "0", code[:5]} {
		if checkin.Verify(secret, bad, nine) {
			t.Errorf("Verify(%q) accepted", bad)
		}
	}
	if checkin.Verify(nil, code, nine) || checkin.Verify(secret[:15], checkin.Code(secret[:15], nine), nine) {
		t.Error("a short secret verifies")
	}
	if checkin.Code(secret[:15], nine) != "" {
		t.Error("a short secret makes a code")
	}
}

func TestVerifyTyped(t *testing.T) {
	code := checkin.Code(secret, nine) // 023222
	for _, typed := range []string{" 023222 ", "023 222", "023-222", "０２３２２２", "０２３　２２２", "\t023222"} {
		if !checkin.Verify(secret, typed, nine) {
			t.Errorf("Verify(%q) refused %s", typed, code)
		}
	}
}

func TestSecret(t *testing.T) {
	a, b := checkin.Secret(), checkin.Secret()
	if len(a) != checkin.SecretSize || bytes.Equal(a, b) {
		t.Errorf("Secret: %x, %x", a, b)
	}
}

func TestParseCode(t *testing.T) {
	cases := []struct{ in, want string }{
		{"123456", "123456"},
		{" 123 456 ", "123456"},
		{"１２３４５６", "123456"},
		{"123-456", "123456"},
		{"000000", "000000"},
	}
	for _, c := range cases {
		if got, err := checkin.ParseCode(c.in); err != nil || got != c.want {
			t.Errorf("ParseCode(%q) = %q, %v", c.in, got, err)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "12345a", "12345６7", "+12345", "１２３４５", "٣٤٥٦٧٨", strings.Repeat(" ", 70) + "123456"} {
		_, err := checkin.ParseCode(bad)
		var e *errs.Error
		if !errors.As(err, &e) || e.Code != errs.Invalid || e.Message != checkin.MsgFormat {
			t.Errorf("ParseCode(%q) = %v", bad, err)
		}
	}
}

func TestPayload(t *testing.T) {
	p := checkin.Payload(42, "023222")
	if p != "dibao-checkin:42:023222" {
		t.Fatalf("Payload = %q", p)
	}
	id, code, err := checkin.ParsePayload(p)
	if err != nil || id != 42 || code != "023222" {
		t.Errorf("ParsePayload = %d, %q, %v", id, code, err)
	}
	for _, bad := range []string{"", "dibao-checkin:", "dibao-checkin:42", "dibao-checkin:42:", "dibao-checkin::123456",
		"dibao-checkin:0:123456", "dibao-checkin:042:123456", "dibao-checkin:-1:123456", "dibao-checkin:+1:123456",
		"dibao-checkin:42:12345", "dibao-checkin:42:1234567", "dibao-checkin:42:123 456", "dibao-checkin:42:１２３４５６",
		"dibao-checkin:42:123456:x", "DIBAO-CHECKIN:42:123456", "https://x/dibao-checkin:42:123456",
		"dibao-checkin:99999999999999999999:123456"} {
		if _, _, err := checkin.ParsePayload(bad); err == nil || errs.As(err).Message != checkin.MsgPayload {
			t.Errorf("ParsePayload(%q) = %v", bad, err)
		}
	}
}

func TestAttempts(t *testing.T) {
	var a checkin.Attempts
	t0 := nine
	for i := range checkin.MaxFailures {
		if !a.Allowed(t0.Add(time.Duration(i) * time.Minute)) {
			t.Fatalf("blocked after %d failures", i)
		}
		a.Fail(t0.Add(time.Duration(i) * time.Minute))
	}
	at := t0.Add(4 * time.Minute)
	if a.Allowed(at) || a.Remaining(at) != 0 {
		t.Fatal("a sixth try allowed within ten minutes")
	}
	if got := a.RetryAt(at); !got.Equal(t0.Add(checkin.FailureWindow)) {
		t.Errorf("RetryAt = %s", got)
	}
	// Sliding: once the first failure is ten minutes old, one more try.
	at = t0.Add(checkin.FailureWindow)
	if !a.Allowed(at) || a.Remaining(at) != 1 || !a.RetryAt(at).Equal(at) {
		t.Errorf("at +10 min: allowed %v, remaining %d", a.Allowed(at), a.Remaining(at))
	}
	a.Fail(at)
	if a.Allowed(at) || len(a.Failures) != checkin.MaxFailures {
		t.Errorf("after a failure at +10 min: %v", a.Failures)
	}
	// Much later everything is forgotten and the record shrinks.
	later := t0.Add(time.Hour)
	if a.Remaining(later) != checkin.MaxFailures {
		t.Error("old failures still count")
	}
	a.Fail(later)
	if len(a.Failures) != 1 {
		t.Errorf("record not pruned: %v", a.Failures)
	}
}

func TestCheck(t *testing.T) {
	var a checkin.Attempts
	at := nine
	good := checkin.Code(secret, at)
	if err := checkin.Check(secret, "12345", at, &a); errs.CodeOf(err) != errs.Invalid || len(a.Failures) != 0 {
		t.Errorf("malformed: %v, failures %d", err, len(a.Failures))
	}
	wrong := "999999"
	if wrong == good {
		wrong = "999998"
	}
	for i := 1; i < checkin.MaxFailures; i++ {
		err := checkin.Check(secret, wrong, at, &a)
		if errs.CodeOf(err) != errs.Invalid || !strings.Contains(errs.As(err).Message, "还可尝试") {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	err := checkin.Check(secret, wrong, at, &a)
	if errs.CodeOf(err) != errs.Forbidden || !strings.Contains(errs.As(err).Message, "请于09:11后再试") {
		t.Fatalf("fifth wrong code: %v", err)
	}
	// Blocked: even the right code is refused until the window passes, so a
	// guesser cannot keep going by mixing in a right one.
	if err := checkin.Check(secret, good, at, &a); errs.CodeOf(err) != errs.Forbidden {
		t.Errorf("right code while blocked: %v", err)
	}
	later := at.Add(checkin.FailureWindow)
	if err := checkin.Check(secret, checkin.Code(secret, later), later, &a); err != nil {
		t.Errorf("right code after the window: %v", err)
	}
	if err := checkin.Check(secret, good, at, nil); err != nil {
		t.Errorf("no limiter: %v", err)
	}
	if err := checkin.Check(secret, wrong, at, nil); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("no limiter, wrong: %v", err)
	}
}

func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"123456", " 123 456", "１２３４５６", "12345", "abc", "123-456", "\u3000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := checkin.ParseCode(s)
		if err != nil {
			return
		}
		if len(c) != checkin.Digits || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("ParseCode(%q) = %q", s, c)
		}
		if again, err := checkin.ParseCode(c); err != nil || again != c {
			t.Fatalf("not idempotent: %q → %q, %v", c, again, err)
		}
		// Whatever parses verifies exactly when its normal form does.
		if checkin.Verify(secret, s, nine) != checkin.Verify(secret, c, nine) {
			t.Fatalf("Verify differs for %q and %q", s, c)
		}
	})
}

func FuzzParsePayload(f *testing.F) {
	for _, s := range []string{"dibao-checkin:42:023222", "dibao-checkin:1:000000", "dibao-checkin:0:1", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, code, err := checkin.ParsePayload(s)
		if err != nil {
			return
		}
		if id <= 0 {
			t.Fatalf("ParsePayload(%q): id %d", s, id)
		}
		if checkin.Payload(id, code) != s {
			t.Fatalf("not canonical: %q → %q", s, checkin.Payload(id, code))
		}
	})
}
