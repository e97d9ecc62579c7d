package progress

import "time"

// MaxGap is the most wall time, in seconds, one heartbeat can vouch for.
// The player reports every 10–15 s; a longer gap means the tab was asleep
// or paused, and without the cap a trainee could pause for an hour, seek
// to the end and be credited the whole video.
const MaxGap = 60

// Heartbeat is one progress report from the player.
type Heartbeat struct {
	// Position is the playback position in whole seconds, as reported by
	// the player.
	Position int
	// Elapsed is the wall time in seconds since the previous heartbeat of
	// the same playback, measured by the server from the times it received
	// them: a client-supplied value would let a script claim any speed.
	Elapsed int
}

// Accept decides what a heartbeat credits: the interval [prevPos,
// hb.Position) when the jump is plausible for the wall time elapsed, at
// most 1.25× speed plus 2 s of jitter (Position − prevPos ≤ min(Elapsed,
// MaxGap) × 1.25 + 2). A seek ahead, a rewind or an out-of-order report
// credits nothing (ok false); in every case the caller then stores
// hb.Position as the new prevPos, so normal playback from the new place is
// credited from the next heartbeat on.
//
// prevPos belongs to one playback (one player in one tab, identified by an
// id the page makes when it loads), not to the person: two tabs sharing one
// position would reject each other's reports. Two tabs playing the same
// segment still count once, because the credited intervals are merged in
// Intervals.
//
// A position just past duration (≤ Slack) is clamped to it; beyond that the
// report is refused.
func Accept(prevPos int, hb Heartbeat, duration int) (from, to int, ok bool) {
	if duration <= 0 || duration > MaxDuration || prevPos < 0 || hb.Elapsed < 0 ||
		hb.Position <= prevPos || hb.Position > duration+Slack {
		return 0, 0, false
	}
	elapsed := min(hb.Elapsed, MaxGap)
	// jump ≤ elapsed × 5/4 + 2, in integers.
	if 4*(hb.Position-prevPos) > 5*elapsed+8 {
		return 0, 0, false
	}
	to = min(hb.Position, duration)
	if prevPos >= to {
		return 0, 0, false
	}
	return prevPos, to, true
}

// Playback is the server's state for one playback (one player in one tab):
// the caller keeps it per playback id, in memory or in a row, and feeds it
// every report. It adds to Accept what a bare position cannot tell: the
// wall time measured on the server, and a sequence number so that a report
// overtaken by a later one is ignored instead of looking like a rewind.
type Playback struct {
	Pos     int       // last reported position, seconds
	Seq     int64     // sequence number of the last report applied
	At      time.Time // server time the last report arrived
	Started bool      // a report has been applied
}

// Report applies a report with sequence number seq (increasing per
// playback; the page counts from 0) and position pos, received at now, and
// returns the interval to credit, as Accept. The first report only sets the
// position, so the page sends one when playback starts. A report with a
// sequence number not above the last one is stale, and a position outside
// the media is bogus; neither changes anything.
func (p *Playback) Report(seq int64, pos int, now time.Time, duration int) (from, to int, ok bool) {
	if (p.Started && seq <= p.Seq) || pos < 0 || pos > duration+Slack {
		return 0, 0, false
	}
	if p.Started {
		// Whole seconds, rounded down, never negative even if the clock
		// steps back; a large gap is capped by Accept.
		elapsed := max(now.Sub(p.At), 0) / time.Second
		from, to, ok = Accept(p.Pos, Heartbeat{Position: pos, Elapsed: int(min(elapsed, MaxGap+1))}, duration)
	}
	*p = Playback{Pos: pos, Seq: seq, At: now, Started: true}
	return from, to, ok
}
