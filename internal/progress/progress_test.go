package progress_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"dibao/internal/errs"
	"dibao/internal/progress"
)

type iv = progress.Interval

func TestAdd(t *testing.T) {
	type add struct{ from, to int }
	cases := []struct {
		name    string
		adds    []add
		want    []iv
		watched int
	}{
		{"one", []add{{0, 120}}, []iv{{0, 120}}, 120},
		{"disjoint, out of order", []add{{300, 420}, {0, 120}}, []iv{{0, 120}, {300, 420}}, 240},
		{"overlap merges", []add{{0, 120}, {100, 200}}, []iv{{0, 200}}, 200},
		{"touching merges", []add{{0, 120}, {120, 200}}, []iv{{0, 200}}, 200},
		{"rewatch inside counts once", []add{{0, 300}, {100, 200}}, []iv{{0, 300}}, 300},
		{"bridge joins three", []add{{0, 10}, {20, 30}, {40, 50}, {5, 45}}, []iv{{0, 50}}, 50},
		{"cover several, keep the rest", []add{{0, 10}, {20, 30}, {40, 50}, {70, 80}, {15, 55}}, []iv{{0, 10}, {15, 55}, {70, 80}}, 60},
		{"empty range adds nothing", []add{{50, 50}}, nil, 0},
		{"tiny overshoot clamped", []add{{590, 602}}, []iv{{590, 600}}, 10},
		{"up to the end", []add{{0, 600}}, []iv{{0, 600}}, 600},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var w progress.Intervals
			for _, a := range c.adds {
				if err := w.Add(a.from, a.to, 600); err != nil {
					t.Fatalf("Add(%d, %d): %v", a.from, a.to, err)
				}
			}
			if got := w.Spans(); !slices.Equal(got, c.want) {
				t.Errorf("spans = %v, want %v", got, c.want)
			}
			if got := w.Watched(); got != c.watched {
				t.Errorf("Watched = %d, want %d", got, c.watched)
			}
		})
	}
}

func TestAddRejects(t *testing.T) {
	cases := []struct {
		name               string
		from, to, duration int
		field              string
	}{
		{"negative from", -1, 10, 600, "position"},
		{"negative to", 0, -5, 600, "position"},
		{"reversed", 20, 10, 600, "position"},
		{"beyond the end", 0, 603, 600, "position"},
		{"starts after the end", 601, 602, 600, "position"},
		{"no duration", 0, 10, 0, "duration"},
		{"absurd duration", 0, 10, progress.MaxDuration + 1, "duration"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var w progress.Intervals
			err := w.Add(c.from, c.to, c.duration)
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != errs.Invalid || e.Field != c.field || e.Message == "" {
				t.Fatalf("Add = %v, want Invalid on %s", err, c.field)
			}
			if w.Watched() != 0 {
				t.Error("a refused Add changed the set")
			}
		})
	}
}

func TestComplete(t *testing.T) {
	var w progress.Intervals
	_ = w.Add(0, 569, 600)
	if w.Complete(600, progress.DefaultThreshold) || w.Share(600) != 948 {
		t.Errorf("569/600 complete or share %d", w.Share(600))
	}
	if w.Credit(240, 600, progress.DefaultThreshold) != 0 {
		t.Error("credit before completion")
	}
	_ = w.Add(569, 570, 600)
	if !w.Complete(600, progress.DefaultThreshold) {
		t.Error("570/600 = 950‰ not complete")
	}
	if got := w.Credit(240, 600, progress.DefaultThreshold); got != 240 {
		t.Errorf("Credit = %d", got)
	}
	if w.Credit(-5, 600, progress.DefaultThreshold) != 0 {
		t.Error("negative credit")
	}
	if w.Complete(0, 950) || w.Share(0) != 0 {
		t.Error("zero duration complete")
	}
	var none progress.Intervals
	if none.Complete(600, 0) || none.Complete(600, -10) {
		t.Error("a zero threshold completes unwatched media")
	}
	if w.Complete(600, 5000) != w.Complete(600, 1000) {
		t.Error("threshold above 1000‰ not clamped to 1000‰")
	}
	// Progress of an older, longer upload must not complete a shorter one.
	var old progress.Intervals
	_ = old.Add(500, 1000, 1000)
	if old.Complete(500, 10) || old.Watched() != 500 || old.Share(500) != 0 {
		t.Error("seconds past the duration counted")
	}
}

// A player that reports every 10 s while playing, seeking and pausing, as
// a page would; it returns the watched set.
type player struct {
	t        *testing.T
	duration int
	watched  progress.Intervals
	pb       progress.Playback
	seq      int64
	now      time.Time
	pos      int
}

func newPlayer(t *testing.T, duration int) *player {
	p := &player{t: t, duration: duration, now: time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)}
	p.report()
	return p
}

func (p *player) report() {
	if from, to, ok := p.pb.Report(p.seq, p.pos, p.now, p.duration); ok {
		if err := p.watched.Add(from, to, p.duration); err != nil {
			p.t.Fatal(err)
		}
	}
	p.seq++
}

// play advances position and wall clock together, reporting every 10 s.
func (p *player) play(seconds int) {
	for seconds > 0 {
		step := min(10, seconds)
		p.pos, p.now, seconds = min(p.pos+step, p.duration), p.now.Add(time.Duration(step)*time.Second), seconds-step
		p.report()
	}
}

// seek jumps without wall time passing, as the page reports on "seeked".
func (p *player) seek(pos int) { p.pos = pos; p.now = p.now.Add(time.Second); p.report() }

func (p *player) pause(d time.Duration) { p.now = p.now.Add(d) }

func TestSkippingAheadDoesNotComplete(t *testing.T) {
	p := newPlayer(t, 600)
	p.play(30)
	p.seek(590)
	p.play(10)
	if got := p.watched.Watched(); got != 40 {
		t.Errorf("watched %d s, want 40 (0–30 and 590–600)", got)
	}
	if p.watched.Complete(600, progress.DefaultThreshold) {
		t.Error("skipping to the end completed the video")
	}
}

func TestSkippingAfterALongPauseCreditsNothing(t *testing.T) {
	p := newPlayer(t, 600)
	p.play(30)
	p.pause(time.Hour)
	// No "seeked" report: the next heartbeat claims the end straight away.
	p.pos = 600
	p.now = p.now.Add(10 * time.Second)
	p.report()
	if got := p.watched.Watched(); got != 30 {
		t.Errorf("watched %d s after pause and skip, want 30", got)
	}
}

func TestPauseThenResumeStillCounts(t *testing.T) {
	p := newPlayer(t, 600)
	p.play(30)
	p.pause(time.Hour)
	p.play(570)
	if !p.watched.Complete(600, progress.DefaultThreshold) || p.watched.Watched() != 600 {
		t.Errorf("watched %d after pause", p.watched.Watched())
	}
}

func TestFastPlaybackAllowedUpTo125(t *testing.T) {
	// 1.25× speed: 12.5 s of media per 10 s; the player reports 12 or 13.
	var w progress.Intervals
	prev := 0
	for i := 0; prev < 600; i++ {
		pos := min(prev+12+i%2, 600)
		from, to, ok := progress.Accept(prev, progress.Heartbeat{Position: pos, Elapsed: 10}, 600)
		if !ok {
			t.Fatalf("1.25× heartbeat %d → %d refused", prev, pos)
		}
		_ = w.Add(from, to, 600)
		prev = pos
	}
	if !w.Complete(600, progress.DefaultThreshold) {
		t.Error("1.25× playback not complete")
	}
	// 2× is not normal study.
	if _, _, ok := progress.Accept(0, progress.Heartbeat{Position: 20, Elapsed: 10}, 600); ok {
		t.Error("2× accepted")
	}
}

func TestRewatchingDoesNotDoubleCount(t *testing.T) {
	p := newPlayer(t, 600)
	p.play(300)
	p.seek(100)
	p.play(200)
	if got := p.watched.Watched(); got != 300 {
		t.Errorf("watched %d, want 300", got)
	}
	if p.watched.Complete(600, progress.DefaultThreshold) {
		t.Error("rewatching half twice completed")
	}
}

func TestTwoTabsSameSegmentCountOnce(t *testing.T) {
	a, b := newPlayer(t, 600), newPlayer(t, 600)
	b.now = b.now.Add(3 * time.Second) // the second tab starts a little later
	for range 12 {
		a.play(10)
		b.play(10)
	}
	merged, err := progress.Decode(a.watched.Encode() + "," + b.watched.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if got := merged.Watched(); got != 120 {
		t.Errorf("two tabs over 0–120 watched %d, want 120", got)
	}
	// The same, recorded into one set as the server does.
	var one progress.Intervals
	for _, s := range append(a.watched.Spans(), b.watched.Spans()...) {
		_ = one.Add(s.From, s.To, 600)
	}
	if one.Watched() != 120 {
		t.Errorf("one set: %d", one.Watched())
	}
}

func TestAccept(t *testing.T) {
	cases := []struct {
		name     string
		prev     int
		hb       progress.Heartbeat
		from, to int
		ok       bool
	}{
		{"normal 10 s", 100, progress.Heartbeat{Position: 110, Elapsed: 10}, 100, 110, true},
		{"jitter within 2 s", 100, progress.Heartbeat{Position: 114, Elapsed: 10}, 100, 114, true},
		{"limit: 10 × 1.25 + 2 = 14.5", 100, progress.Heartbeat{Position: 115, Elapsed: 10}, 0, 0, false},
		{"two reports in the same second", 100, progress.Heartbeat{Position: 102, Elapsed: 0}, 100, 102, true},
		{"skip ahead", 100, progress.Heartbeat{Position: 590, Elapsed: 10}, 0, 0, false},
		{"long gap capped at MaxGap", 100, progress.Heartbeat{Position: 190, Elapsed: 3600}, 0, 0, false},
		{"long gap, normal play within the cap", 100, progress.Heartbeat{Position: 160, Elapsed: 3600}, 100, 160, true},
		{"rewind", 100, progress.Heartbeat{Position: 50, Elapsed: 10}, 0, 0, false},
		{"out-of-order older report", 100, progress.Heartbeat{Position: 90, Elapsed: 1}, 0, 0, false},
		{"standing still", 100, progress.Heartbeat{Position: 100, Elapsed: 10}, 0, 0, false},
		{"end overshoot clamped", 590, progress.Heartbeat{Position: 601, Elapsed: 10}, 590, 600, true},
		{"beyond the end", 590, progress.Heartbeat{Position: 603, Elapsed: 10}, 0, 0, false},
		{"at the end already", 600, progress.Heartbeat{Position: 601, Elapsed: 1}, 0, 0, false},
		{"negative elapsed", 100, progress.Heartbeat{Position: 101, Elapsed: -1}, 0, 0, false},
		{"negative previous", -10, progress.Heartbeat{Position: 1, Elapsed: 10}, 0, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			from, to, ok := progress.Accept(c.prev, c.hb, 600)
			if from != c.from || to != c.to || ok != c.ok {
				t.Errorf("Accept = %d, %d, %v; want %d, %d, %v", from, to, ok, c.from, c.to, c.ok)
			}
		})
	}
	if _, _, ok := progress.Accept(0, progress.Heartbeat{Position: 1, Elapsed: 1}, 0); ok {
		t.Error("zero duration accepted")
	}
}

func TestOutOfOrderReports(t *testing.T) {
	var pb progress.Playback
	var w progress.Intervals
	at := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	send := func(seq int64, pos, sec int) bool {
		from, to, ok := pb.Report(seq, pos, at.Add(time.Duration(sec)*time.Second), 600)
		if ok {
			_ = w.Add(from, to, 600)
		}
		return ok
	}
	send(0, 0, 0)
	send(1, 10, 10)
	send(3, 30, 30) // seq 2 is delayed: 10–30 in 20 s is fine
	if send(2, 20, 31) {
		t.Error("stale report credited")
	}
	if pb.Pos != 30 || pb.Seq != 3 {
		t.Errorf("stale report changed the state: %+v", pb)
	}
	send(4, 40, 40)
	if got := w.Spans(); !slices.Equal(got, []iv{{0, 40}}) {
		t.Errorf("spans = %v", got)
	}
	// A bogus position changes nothing either.
	if send(5, 10_000, 50) || pb.Pos != 40 {
		t.Errorf("bogus position: %+v", pb)
	}
	// The clock stepping back gives zero elapsed, not a negative one.
	if send(6, 41, 39) != true {
		t.Error("1 s within jitter refused after a clock step")
	}
}

func TestEncodeDecode(t *testing.T) {
	cases := []struct {
		name, in, canonical string
	}{
		{"empty", "", ""},
		{"one", "0-120", "0-120"},
		{"two", "0-120,300-420", "0-120,300-420"},
		{"out of order", "300-420,0-120", "0-120,300-420"},
		{"overlapping", "0-120,100-200,150-160", "0-200"},
		{"touching", "0-10,10-20", "0-20"},
		{"leading zeros", "007-010", "7-10"},
		{"largest", "0-10000000", "0-10000000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, err := progress.Decode(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := w.Encode(); got != c.canonical {
				t.Errorf("Encode(Decode(%q)) = %q, want %q", c.in, got, c.canonical)
			}
		})
	}
	bad := []string{",", "0-120,", ",0-120", "0-", "-5", "5", "5-5", "10-5", "-1-5", "+1-5", "1-+5", " 1-5", "1-5 ",
		"1--5", "1-5-9", "a-b", "0-10000001", "0-99999999999999999999", "１-５", strings.Repeat("0-1,", progress.MaxEncoded/4+1)}
	for _, s := range bad {
		if _, err := progress.Decode(s); err == nil || errs.CodeOf(err) != errs.Invalid {
			t.Errorf("Decode(%.40q) = %v, want Invalid", s, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{"", "0-120", "0-120,300-420", "300-420,0-120", "0-10,5-20", "1-", "x", "0-10000000", "9-8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := progress.Decode(s)
		if err != nil {
			if w.Watched() != 0 {
				t.Fatal("error with a non-empty result")
			}
			return
		}
		spans := w.Spans()
		for i, x := range spans {
			if x.From < 0 || x.To <= x.From || x.To > progress.MaxDuration {
				t.Fatalf("bad span %v", x)
			}
			if i > 0 && x.From <= spans[i-1].To {
				t.Fatalf("spans not disjoint and apart: %v", spans)
			}
		}
		enc := w.Encode()
		w2, err := progress.Decode(enc)
		if err != nil || w2.Encode() != enc {
			t.Fatalf("round trip %q → %q: %v", enc, w2.Encode(), err)
		}
		// Sorting, merging and dropping leading zeros never lengthen it.
		if len(enc) > len(s) {
			t.Fatalf("canonical form longer than the input: %q → %q", s, enc)
		}
	})
}
