// Package progress keeps a trainee's progress through a video or document
// on the server, as the set of seconds actually watched (issue 5 item 5).
// Counting watched seconds rather than "opened" or "reached the end" is
// what makes skipping ahead worthless, and keeping them as a union of
// intervals is what makes a segment watched twice, or in two tabs at once,
// count once. The package is pure: the caller stores the encoded intervals
// and the last accepted position per playback.
package progress

import (
	"slices"
	"strconv"
	"strings"

	"dibao/internal/errs"
)

// Slack is the overshoot, in seconds, tolerated past the end of the media:
// players report a final position a little beyond the nominal duration
// (container rounding, the ended event), which must neither fail nor count.
const Slack = 2

// MaxDuration bounds a duration or position in seconds (about 115 days),
// far beyond any lesson; it keeps arithmetic and stored strings small.
const MaxDuration = 10_000_000

// MaxEncoded bounds the stored form that Decode accepts, so a corrupted or
// hostile value cannot make the server parse megabytes per heartbeat.
const MaxEncoded = 64 << 10

// Permille is a share in thousandths: 950 means 95%.
type Permille int

// DefaultThreshold is the share of a video that must be watched for it to
// count as complete: a little short of all of it, since players stop a
// second or two early and credits are rarely watched.
const DefaultThreshold Permille = 950

// Interval is a half-open range [From, To) of seconds into the media.
type Interval struct {
	From, To int // seconds; From < To in every stored interval
}

// Intervals is the set of watched seconds, kept as sorted, disjoint,
// non-touching intervals. The zero value is the empty set.
type Intervals struct {
	spans []Interval
}

// Add records that [from, to) was watched, merging it with what is there.
// It refuses a bad duration, negative positions, to < from, and a range
// reaching more than Slack past duration; a smaller overshoot is clamped
// to duration. from == to adds nothing.
func (iv *Intervals) Add(from, to, duration int) error {
	switch {
	case duration <= 0 || duration > MaxDuration:
		return errs.Invalidf("duration", "媒体时长无效")
	case from < 0 || to < 0:
		return errs.Invalidf("position", "播放位置不能为负数")
	case to < from:
		return errs.Invalidf("position", "播放区间的结束位置不能早于开始位置")
	case from > duration || to > duration+Slack:
		return errs.Invalidf("position", "播放位置超出了媒体时长")
	}
	iv.add(from, min(to, duration))
	return nil
}

// add merges [from, to) into the set; from ≤ to.
func (iv *Intervals) add(from, to int) {
	if from >= to {
		return
	}
	// Find the spans that overlap or touch [from, to): they are replaced by
	// their union with it.
	i, _ := slices.BinarySearchFunc(iv.spans, from, func(s Interval, x int) int { return s.To - x })
	j := i
	for j < len(iv.spans) && iv.spans[j].From <= to {
		from = min(from, iv.spans[j].From)
		to = max(to, iv.spans[j].To)
		j++
	}
	iv.spans = slices.Replace(iv.spans, i, j, Interval{from, to})
}

// Spans returns a copy of the intervals in order.
func (iv Intervals) Spans() []Interval { return slices.Clone(iv.spans) }

// Watched is the number of distinct seconds watched.
func (iv Intervals) Watched() int { return iv.covered(MaxDuration) }

// covered counts the watched seconds below duration, so that progress
// stored against an older, longer upload cannot complete a shorter one.
func (iv Intervals) covered(duration int) int {
	n := 0
	for _, s := range iv.spans {
		if s.From >= duration {
			break
		}
		n += min(s.To, duration) - s.From
	}
	return n
}

// Share is the watched part of duration in permille, rounded down.
func (iv Intervals) Share(duration int) Permille {
	if duration <= 0 {
		return 0
	}
	return Permille(int64(iv.covered(duration)) * 1000 / int64(duration))
}

// Complete reports whether the watched seconds cover at least threshold
// of duration. A threshold outside 1‰..1000‰ is clamped into it, so that a
// zero or negative setting can never complete unwatched media.
func (iv Intervals) Complete(duration int, threshold Permille) bool {
	if duration <= 0 {
		return false
	}
	threshold = min(max(threshold, 1), 1000)
	return int64(iv.covered(duration))*1000 >= int64(threshold)*int64(duration)
}

// Credit is the minutes of training credited for an item worth minutes:
// all of them once complete, none before, because seed §3 credits hours
// for finished study rather than for time spent with the page open.
func (iv Intervals) Credit(minutes, duration int, threshold Permille) int {
	if minutes <= 0 || !iv.Complete(duration, threshold) {
		return 0
	}
	return minutes
}

// Encode is the compact stored form, e.g. "0-120,300-420"; "" when empty.
func (iv Intervals) Encode() string {
	var b strings.Builder
	for i, s := range iv.spans {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(s.From))
		b.WriteByte('-')
		b.WriteString(strconv.Itoa(s.To))
	}
	return b.String()
}

// Decode parses the stored form written by Encode. It accepts intervals in
// any order, overlapping or touching (merging them), so hand-repaired or
// concatenated values still load; it refuses anything else: signs, spaces,
// empty or reversed intervals, numbers beyond MaxDuration, input beyond
// MaxEncoded.
func Decode(s string) (Intervals, error) {
	var iv Intervals
	if s == "" {
		return iv, nil
	}
	if len(s) > MaxEncoded {
		return iv, errs.Invalidf("progress", "学习进度数据过长")
	}
	// Collect, sort and merge once: inserting one by one would be quadratic
	// for input in reverse order.
	var all []Interval
	for part := range strings.SplitSeq(s, ",") {
		a, b, ok := strings.Cut(part, "-")
		if !ok {
			return Intervals{}, errs.Invalidf("progress", "学习进度数据格式错误：%q", clip(part))
		}
		from, ok1 := seconds(a)
		to, ok2 := seconds(b)
		if !ok1 || !ok2 || from >= to {
			return Intervals{}, errs.Invalidf("progress", "学习进度数据格式错误：%q", clip(part))
		}
		all = append(all, Interval{from, to})
	}
	slices.SortFunc(all, func(x, y Interval) int { return x.From - y.From })
	for _, x := range all {
		if n := len(iv.spans); n > 0 && x.From <= iv.spans[n-1].To {
			iv.spans[n-1].To = max(iv.spans[n-1].To, x.To)
		} else {
			iv.spans = append(iv.spans, x)
		}
	}
	return iv, nil
}

// seconds parses a plain decimal number of at most MaxDuration; unlike
// strconv.Atoi it refuses signs, so "-" stays the only separator.
func seconds(s string) (int, bool) {
	if s == "" || len(s) > 8 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n <= MaxDuration
}

// clip shortens a bad fragment quoted back in an error message.
func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
