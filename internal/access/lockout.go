package access

import "time"

// Policy holds the login and session limits; the defaults are the issue's
// (5 failures in 15 minutes lock for 30; idle 15 minutes; absolute 8 hours).
type Policy struct {
	MaxFailures     int
	FailureWindow   time.Duration
	LockFor         time.Duration
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
}

// DefaultPolicy returns the default limits.
func DefaultPolicy() Policy {
	return Policy{MaxFailures: 5, FailureWindow: 15 * time.Minute, LockFor: 30 * time.Minute,
		IdleTimeout: 15 * time.Minute, AbsoluteTimeout: 8 * time.Hour}
}

// LoginState is an account's failure counter and lock.
type LoginState struct {
	Failed      int
	FirstFailed time.Time
	LockedUntil time.Time
}

// Locked reports whether the account is locked at now.
func (s LoginState) Locked(now time.Time) bool { return now.Before(s.LockedUntil) }

// AfterFailure returns the state after a failed attempt at now and whether
// this failure locked the account. Failures older than the window restart
// the count.
func (p Policy) AfterFailure(s LoginState, now time.Time) (LoginState, bool) {
	if s.Failed == 0 || now.Sub(s.FirstFailed) > p.FailureWindow {
		s = LoginState{Failed: 0, FirstFailed: now}
	}
	s.Failed++
	if s.Failed >= p.MaxFailures {
		return LoginState{LockedUntil: now.Add(p.LockFor)}, true
	}
	return s, false
}

// SessionAlive reports whether a session created at created and last seen
// at seen is still valid at now.
func (p Policy) SessionAlive(created, seen, now time.Time) bool {
	return now.Sub(seen) < p.IdleTimeout && now.Sub(created) < p.AbsoluteTimeout
}
