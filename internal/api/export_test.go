package api

import "time"

// WaitStandardRuns waits for the standard-change runs started by
// confirmations (tests only).
func WaitStandardRuns() { standardRuns.Wait() }

// SetIdemWait shortens how long a replay waits for a pending first request
// (tests only); the returned func restores it.
func SetIdemWait(d time.Duration) func() {
	old := idemWait
	idemWait = d
	return func() { idemWait = old }
}

// IdemLease is how long a pending claim is presumed alive.
func IdemLease() time.Duration { return idemLease }
