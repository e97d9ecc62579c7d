// Package assess holds the pure rules of training assessment results (SPEC
// §3.4): the three kinds of assessment, exactly one make-up per failed
// assessment recorded as pass/fail only, retraining after a failed make-up
// (a new cycle of training and assessment), a person's standing in a plan,
// and the appraisal flags (excellent, failed after make-up). It does no I/O;
// the training service loads results, asks these rules and records.
package assess

import (
	"slices"

	"dibao/internal/errs"
)

// Kind is a kind of assessment.
type Kind string

// The assessment kinds.
const (
	Theory    Kind = "theory"    // closed-book timed exam, pass ≥ theory_pass
	Practical Kind = "practical" // sandbox scenario, pass ≥ practical_pass
	Daily     Kind = "daily"     // attendance, participation, homework, pass ≥ daily_pass
)

// Kinds lists the kinds in display order.
func Kinds() []Kind { return []Kind{Theory, Practical, Daily} }

// Label is the Chinese name of the kind.
func (k Kind) Label() string {
	switch k {
	case Theory:
		return "理论考核"
	case Practical:
		return "实操考核"
	case Daily:
		return "日常表现"
	}
	return string(k)
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return slices.Contains(Kinds(), k) }

// Attempt says whether a result is the first assessment or the make-up.
type Attempt string

// The attempts.
const (
	First  Attempt = "first"
	MakeUp Attempt = "makeup"
)

// Label is the Chinese name of the attempt.
func (a Attempt) Label() string {
	if a == MakeUp {
		return "补考"
	}
	return "首次考核"
}

// Result is one recorded assessment result. Cycle counts training rounds:
// 1 at enrollment, +1 each time a failed make-up sends the person back to
// retraining and reassessment. A make-up's Score is not kept (-1): it is
// recorded as pass/fail only.
type Result struct {
	Kind    Kind
	Cycle   int
	Attempt Attempt
	Score   int // 0..100; -1 for a make-up
	Passed  bool
}

// Messages of the attempt rule.
const (
	MsgPassed       = "该项考核已通过，无需再考"
	MsgMakeUpUsed   = "补考机会已用完：每项考核只能补考一次，未通过者须重新培训后再参加考核"
	MsgScoreRange   = "成绩应为0至100分"
	MsgUnknownKind  = "考核类别不正确"
	MsgWrongAttempt = "考核次序不符：应先参加首次考核，未通过的方可补考一次"
)

// Cycle is the current training cycle of a person in a plan given all its
// results of every kind: 1 plus the number of failed make-ups.
func Cycle(all []Result) int {
	c := 1
	for _, r := range all {
		if r.Attempt == MakeUp && !r.Passed && r.Cycle+1 > c {
			c = r.Cycle + 1
		}
	}
	return c
}

// Next returns the attempt a person may take next for kind in the current
// cycle, given all their results in the plan: the first assessment, the one
// make-up after a failed first one, or a Conflict error in Chinese (already
// passed; make-up used — the cycle moves on only through retraining, which
// Cycle reflects).
func Next(kind Kind, all []Result) (cycle int, a Attempt, err error) {
	return NextFrom(kind, all, 1)
}

// CycleFrom is Cycle with a floor: the enrollment's cycle, which also
// moves on when a certification expires and the person is sent back to
// retraining without any failed result.
func CycleFrom(all []Result, floor int) int {
	return max(Cycle(all), floor)
}

// NextFrom is Next in the cycle CycleFrom(all, floor).
func NextFrom(kind Kind, all []Result, floor int) (cycle int, a Attempt, err error) {
	if !kind.Valid() {
		return 0, "", errs.Invalidf("kind", MsgUnknownKind)
	}
	cycle = CycleFrom(all, floor)
	var first, makeup *Result
	for i := range all {
		r := &all[i]
		if r.Kind != kind || r.Cycle != cycle {
			continue
		}
		if r.Attempt == MakeUp {
			makeup = r
		} else {
			first = r
		}
	}
	switch {
	case first == nil:
		return cycle, First, nil
	case first.Passed || (makeup != nil && makeup.Passed):
		return cycle, "", errs.New(errs.Conflict, "", MsgPassed)
	case makeup == nil:
		return cycle, MakeUp, nil
	}
	return cycle, "", errs.New(errs.Conflict, "", MsgMakeUpUsed)
}

// Grade makes the result of an attempt with score against passMark. A
// make-up keeps only pass or fail.
func Grade(kind Kind, cycle int, a Attempt, score, passMark int) (Result, error) {
	if !kind.Valid() {
		return Result{}, errs.Invalidf("kind", MsgUnknownKind)
	}
	if score < 0 || score > 100 {
		return Result{}, errs.Invalidf("score", MsgScoreRange)
	}
	r := Result{Kind: kind, Cycle: cycle, Attempt: a, Score: score, Passed: score >= passMark}
	if a == MakeUp {
		r.Score = -1
	}
	return r, nil
}

// State is where a person stands on one kind of assessment in a plan.
type State string

// The states.
const (
	Pending         State = "pending"             // not yet assessed in this cycle
	Passed          State = "passed"              // passed (first time or at the make-up)
	MakeUpDue       State = "makeup_due"          // failed the first time; the one make-up is open
	FailedAfterMake State = "failed_after_makeup" // failed the make-up: retraining and reassessment
)

// Label is the Chinese name of the state.
func (s State) Label() string {
	switch s {
	case Passed:
		return "已通过"
	case MakeUpDue:
		return "待补考"
	case FailedAfterMake:
		return "补考未通过（重新培训）"
	}
	return "待考核"
}

// Standing is a person's standing in a plan.
type Standing struct {
	Cycle  int
	States map[Kind]State // for each required kind
	// Complete: every required kind passed in the current cycle — the plan's
	// certifications may be granted.
	Complete bool
	// FailedAfterMakeUp: some make-up was failed in any cycle (the
	// appraisal flag).
	FailedAfterMakeUp bool
}

// PlanStanding evaluates all of a person's results in a plan against the
// kinds the plan requires. A plan that requires no assessment is never
// Complete by results (it completes by attendance alone elsewhere).
func PlanStanding(required []Kind, all []Result) Standing {
	return PlanStandingFrom(required, all, 1)
}

// PlanStandingFrom is PlanStanding in the cycle CycleFrom(all, floor).
func PlanStandingFrom(required []Kind, all []Result, floor int) Standing {
	st := Standing{Cycle: CycleFrom(all, floor), States: map[Kind]State{}}
	for _, r := range all {
		if r.Attempt == MakeUp && !r.Passed {
			st.FailedAfterMakeUp = true
		}
	}
	st.Complete = len(required) > 0
	for _, k := range required {
		s := Pending
		for _, r := range all {
			if r.Kind != k || r.Cycle != st.Cycle {
				continue
			}
			switch {
			case r.Passed:
				s = Passed
			case r.Attempt == First && s != Passed:
				s = MakeUpDue
			}
		}
		// A failed make-up moved the cycle on, so it shows in the previous
		// cycle; in the new one the kind is pending again.
		st.States[k] = s
		if s != Passed {
			st.Complete = false
		}
	}
	return st
}

// Excellent reports the appraisal's excellent flag: every required kind
// passed at the first attempt in the first cycle with a score ≥ mark.
func Excellent(required []Kind, all []Result, mark int) bool {
	if len(required) == 0 {
		return false
	}
	for _, k := range required {
		ok := false
		for _, r := range all {
			if r.Kind == k && r.Cycle == 1 && r.Attempt == First && r.Passed && r.Score >= mark {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// Daily-performance weights (SPEC §3.4): attendance counts 40 of the 100
// points, taken from the person's share of the plan's sessions held so far;
// participation and homework 30 each, scored by the trainer on 0..100 and
// weighed down to 30. A plan that has held no session yet gives full
// attendance points (nothing was missed).
const (
	WeightAttendance    = 40
	WeightParticipation = 30
	WeightHomework      = 30
)

// Messages of the daily score.
const (
	MsgParticipation = "课堂参与应为0至100的整数"
	MsgHomework      = "作业完成应为0至100的整数"
)

// DailyScore is the 100-point daily-performance score of a person who
// attended attended of held sessions, with the trainer's participation and
// homework marks (0..100 each), rounded half up. Marks out of range are
// refused with a Chinese message, field by field.
func DailyScore(attended, held, participation, homework int) (int, error) {
	var l errs.List
	if participation < 0 || participation > 100 {
		l.Add("participation", MsgParticipation)
	}
	if homework < 0 || homework > 100 {
		l.Add("homework", MsgHomework)
	}
	if err := l.Err(); err != nil {
		return 0, err
	}
	att := WeightAttendance * 100 // hundredths of a point
	if held > 0 {
		attended = min(max(attended, 0), held)
		att = WeightAttendance * 100 * attended / held
	}
	total := att + WeightParticipation*participation + WeightHomework*homework
	return (total + 50) / 100, nil
}
