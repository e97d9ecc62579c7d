// Package ratelimit is an in-memory token-bucket limiter keyed by string
// (a client address, a user name, a user id). It serves one process: the
// buckets live in memory and start full again after a restart.
//
// A Rate of N per Per with Burst B lets a key spend B requests at once and
// then one every Per/N; a denied request costs nothing and is told how long
// to wait. The clock is injected, so tests step time instead of sleeping.
package ratelimit

import (
	"sync"
	"time"
)

// Rate is N events per Per, with up to Burst at once (Burst < 1 means N).
// The zero Rate (N == 0) is unlimited.
type Rate struct {
	N     int
	Per   time.Duration
	Burst int
}

// PerMinute is n events a minute with a burst of n.
func PerMinute(n int) Rate { return Rate{N: n, Per: time.Minute, Burst: n} }

// Unlimited reports whether r never refuses.
func (r Rate) Unlimited() bool { return r.N <= 0 || r.Per <= 0 }

func (r Rate) burst() float64 {
	if r.Burst < 1 {
		return float64(r.N)
	}
	return float64(r.Burst)
}

// interval is the time one token takes to come back.
func (r Rate) interval() time.Duration { return r.Per / time.Duration(r.N) }

type bucket struct {
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

// Limiter holds one bucket per key. The zero value is not usable: use New.
type Limiter struct {
	rate  Rate
	now   func() time.Time
	mu    sync.Mutex
	b     map[string]*bucket
	swept time.Time
}

// New returns a limiter for rate; now is the clock (nil: time.Now).
func New(rate Rate, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{rate: rate, now: now, b: map[string]*bucket{}}
}

// Allow spends one token of key's bucket. When the bucket is empty it
// returns false and how long until a token is back; the refusal spends
// nothing.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if l == nil || l.rate.Unlimited() {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.b[key]
	if b == nil {
		b = &bucket{tokens: l.rate.burst(), at: now}
		l.b[key] = b
	}
	l.refill(b, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.rate.interval()))
}

func (l *Limiter) refill(b *bucket, now time.Time) {
	if el := now.Sub(b.at); el > 0 {
		b.tokens += float64(el) / float64(l.rate.interval())
		if max := l.rate.burst(); b.tokens > max {
			b.tokens = max
		}
	}
	b.at = now
}

// sweep drops, at most once per Per, the buckets that have refilled to
// full: they hold nothing a new bucket would not, so the map stays as
// small as the set of keys active within the last period.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < l.rate.Per {
		return
	}
	l.swept = now
	for k, b := range l.b {
		l.refill(b, now)
		if b.tokens >= l.rate.burst() {
			delete(l.b, k)
		}
	}
}

// Len is the number of keys the limiter currently tracks.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.b)
}
