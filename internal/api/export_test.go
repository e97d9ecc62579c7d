package api

// WaitStandardRuns waits for the standard-change runs started by
// confirmations (tests only).
func WaitStandardRuns() { standardRuns.Wait() }
