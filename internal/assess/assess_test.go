package assess

import (
	"testing"

	"dibao/internal/errs"
)

func TestOneMakeUpThenRetraining(t *testing.T) {
	var all []Result
	step := func(score int, wantAttempt Attempt, wantCycle int) Result {
		t.Helper()
		c, a, err := Next(Theory, all)
		if err != nil || a != wantAttempt || c != wantCycle {
			t.Fatalf("Next = cycle %d %q %v, want cycle %d %q", c, a, err, wantCycle, wantAttempt)
		}
		r, err := Grade(Theory, c, a, score, 60)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
		return r
	}
	if r := step(45, First, 1); r.Passed || r.Score != 45 {
		t.Fatalf("first attempt %+v", r)
	}
	if st := PlanStanding([]Kind{Theory}, all); st.States[Theory] != MakeUpDue || st.Complete {
		t.Fatalf("after a failed first attempt: %+v", st)
	}
	// The make-up is recorded as pass/fail only.
	if r := step(55, MakeUp, 1); r.Passed || r.Score != -1 {
		t.Fatalf("make-up %+v, want failed with no score kept", r)
	}
	// A second make-up in the same cycle is impossible: the failed make-up
	// sends the person back to training, a new cycle starting with a first
	// attempt.
	st := PlanStanding([]Kind{Theory}, all)
	if st.Cycle != 2 || st.States[Theory] != Pending || !st.FailedAfterMakeUp {
		t.Fatalf("after a failed make-up: %+v", st)
	}
	step(70, First, 2)
	if _, _, err := Next(Theory, all); errs.CodeOf(err) != errs.Conflict || err.Error() == "" {
		t.Fatalf("after passing: %v, want a conflict", err)
	}
	if st := PlanStanding([]Kind{Theory}, all); !st.Complete || st.States[Theory] != Passed {
		t.Fatalf("after passing in cycle 2: %+v", st)
	}
	if Excellent([]Kind{Theory}, all, 60) {
		t.Fatal("excellent after a failed make-up")
	}
}

func TestMakeUpUsedIsRefused(t *testing.T) {
	// A passed make-up ends the kind; only a failed one moves the cycle.
	all := []Result{{Kind: Practical, Cycle: 1, Attempt: First, Score: 40}, {Kind: Practical, Cycle: 1, Attempt: MakeUp, Score: -1, Passed: true}}
	if _, _, err := Next(Practical, all); err == nil || errs.As(err).Message != MsgPassed {
		t.Fatalf("after a passed make-up: %v", err)
	}
	// Two records for one cycle's make-up cannot exist, but if the rules
	// saw a first and a make-up both failed in a cycle that did not move
	// (inconsistent data), they refuse rather than allow a second make-up.
	bad := []Result{{Kind: Daily, Cycle: 2, Attempt: First, Score: 10}, {Kind: Daily, Cycle: 2, Attempt: MakeUp, Score: -1}}
	if c := Cycle(bad); c != 3 {
		t.Fatalf("cycle %d", c)
	}
}

func TestStandingNeedsEveryRequiredKind(t *testing.T) {
	req := []Kind{Theory, Practical, Daily}
	all := []Result{
		{Kind: Theory, Cycle: 1, Attempt: First, Score: 95, Passed: true},
		{Kind: Practical, Cycle: 1, Attempt: First, Score: 91, Passed: true},
	}
	if st := PlanStanding(req, all); st.Complete || st.States[Daily] != Pending {
		t.Fatalf("%+v", st)
	}
	all = append(all, Result{Kind: Daily, Cycle: 1, Attempt: First, Score: 90, Passed: true})
	if st := PlanStanding(req, all); !st.Complete {
		t.Fatalf("%+v", st)
	}
	if !Excellent(req, all, 90) || Excellent(req, all, 92) {
		t.Fatal("excellent flag: want true at mark 90, false at 92")
	}
	if PlanStanding(nil, all).Complete {
		t.Fatal("a plan without assessments completed by results")
	}
}

func TestGradeRefusesBadInput(t *testing.T) {
	if _, err := Grade(Theory, 1, First, 101, 60); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("score 101: %v", err)
	}
	if _, err := Grade("essay", 1, First, 50, 60); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("unknown kind: %v", err)
	}
	if r, _ := Grade(Daily, 1, First, 60, 60); !r.Passed {
		t.Fatal("60 against a pass mark of 60 must pass (≥)")
	}
}
