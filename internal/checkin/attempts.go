package checkin

import (
	"fmt"
	"time"

	"dibao/internal/calendar"
	"dibao/internal/errs"
)

// MaxFailures wrong codes per person and session within FailureWindow
// block further tries: enough for honest typos, and it caps a guesser at
// 5 in a million per window.
const (
	MaxFailures   = 5
	FailureWindow = 10 * time.Minute
)

// Attempts is the record of wrong codes one person entered for one
// session: a sliding window, so a burst of guesses is stopped however it
// lines up with the clock. The caller keeps one per (person, session), in
// memory or stored; the zero value is a clean record.
type Attempts struct {
	// Failures are the times of the wrong codes still inside the window,
	// oldest first; at most MaxFailures are kept.
	Failures []time.Time
}

// recent returns the failures inside the window ending at now.
func (a Attempts) recent(now time.Time) []time.Time {
	cut := now.Add(-FailureWindow)
	for i, t := range a.Failures {
		if t.After(cut) {
			return a.Failures[i:]
		}
	}
	return nil
}

// Allowed reports whether the person may try a code at now.
func (a Attempts) Allowed(now time.Time) bool { return len(a.recent(now)) < MaxFailures }

// Remaining is how many wrong codes the person may still enter at now.
func (a Attempts) Remaining(now time.Time) int { return max(MaxFailures-len(a.recent(now)), 0) }

// RetryAt is when the person may try again: now if allowed, else when
// the oldest failure that counts leaves the window.
func (a Attempts) RetryAt(now time.Time) time.Time {
	r := a.recent(now)
	if len(r) < MaxFailures {
		return now
	}
	return r[len(r)-MaxFailures].Add(FailureWindow)
}

// Fail records a wrong code at now, forgetting failures that have left
// the window so the record stays small.
func (a *Attempts) Fail(now time.Time) {
	r := append(a.recent(now), now)
	if len(r) > MaxFailures {
		r = r[len(r)-MaxFailures:]
	}
	a.Failures = append([]time.Time(nil), r...)
}

// Check is the whole check-in decision for a typed code, with the message
// to show: blocked after too many wrong codes (errs.Forbidden, pointing to
// the trainer's manual check-in); a malformed code (errs.Invalid, not
// counted, since a missing digit is a typo and not a guess); a wrong or
// expired code (errs.Invalid, counted in a). nil means checked in. a may
// be nil when the caller limits attempts elsewhere.
func Check(secret []byte, input string, at time.Time, a *Attempts) error {
	if a != nil && !a.Allowed(at) {
		return blocked(a.RetryAt(at))
	}
	if _, err := ParseCode(input); err != nil {
		return err
	}
	if Verify(secret, input, at) {
		return nil
	}
	if a == nil {
		return errs.Invalidf("code", "签到码错误或已过期，请输入现场显示的最新签到码")
	}
	a.Fail(at)
	if n := a.Remaining(at); n > 0 {
		return errs.Invalidf("code", "签到码错误或已过期，请输入现场显示的最新签到码（还可尝试%d次）", n)
	}
	return blocked(a.RetryAt(at))
}

// blocked is the message for a person out of tries. The time is rounded
// up to the minute: "try again after 09:11" must not be a minute early.
func blocked(retry time.Time) error {
	t := retry.Add(time.Minute - time.Nanosecond).Truncate(time.Minute)
	return errs.New(errs.Forbidden, "code", fmt.Sprintf("签到码错误次数过多，请于%s后再试，或请讲师为您手工签到",
		t.In(calendar.Location()).Format("15:04")))
}
