package ratelimit

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// clock is a hand-stepped time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time       { return c.t }
func (c *clock) step(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                { return &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)} }
func allow(t *testing.T, l *Limiter, key string) bool {
	t.Helper()
	ok, _ := l.Allow(key)
	return ok
}

func TestBurstThenRefill(t *testing.T) {
	c := newClock()
	l := New(PerMinute(10), c.now)
	for i := range 10 {
		if !allow(t, l, "alice") {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("alice")
	if ok || wait != 6*time.Second {
		t.Fatalf("11th request: ok=%v wait=%s, want refused, 6s", ok, wait)
	}
	// A refusal spends nothing: the wait only shrinks as time passes.
	c.step(2 * time.Second)
	if ok, wait := l.Allow("alice"); ok || wait != 4*time.Second {
		t.Fatalf("after 2s: ok=%v wait=%s, want refused, 4s", ok, wait)
	}
	c.step(4 * time.Second)
	if !allow(t, l, "alice") {
		t.Fatal("a token is back after 6s but the request was refused")
	}
	if allow(t, l, "alice") {
		t.Fatal("only one token came back, the second request passed")
	}
	// Other keys have their own buckets.
	if !allow(t, l, "bob") {
		t.Fatal("bob refused for alice's requests")
	}
	// A long pause refills to the burst, not beyond.
	c.step(time.Hour)
	for i := range 10 {
		if !allow(t, l, "alice") {
			t.Fatalf("after an hour, request %d refused", i+1)
		}
	}
	if allow(t, l, "alice") {
		t.Fatal("the bucket grew beyond its burst")
	}
}

func TestBurstDiffersFromRate(t *testing.T) {
	c := newClock()
	l := New(Rate{N: 1, Per: time.Second, Burst: 3}, c.now)
	for range 3 {
		if !allow(t, l, "k") {
			t.Fatal("burst of 3 refused")
		}
	}
	if ok, wait := l.Allow("k"); ok || wait != time.Second {
		t.Fatalf("4th: ok=%v wait=%s", ok, wait)
	}
	c.step(500 * time.Millisecond)
	if ok, wait := l.Allow("k"); ok || wait != 500*time.Millisecond {
		t.Fatalf("half a token: ok=%v wait=%s", ok, wait)
	}
}

func TestUnlimited(t *testing.T) {
	for _, r := range []Rate{{}, {N: 5}, {Per: time.Minute}} {
		l := New(r, nil)
		for range 1000 {
			if !allow(t, l, "x") {
				t.Fatalf("%+v refused", r)
			}
		}
		if l.Len() != 0 {
			t.Fatalf("%+v keeps buckets", r)
		}
	}
	var nilLimiter *Limiter
	if !allow(t, nilLimiter, "x") {
		t.Fatal("nil limiter refused")
	}
}

func TestSweepForgetsIdleKeys(t *testing.T) {
	c := newClock()
	l := New(PerMinute(10), c.now)
	for i := range 1000 {
		l.Allow(fmt.Sprint("user", i))
	}
	if l.Len() != 1000 {
		t.Fatalf("tracking %d keys, want 1000", l.Len())
	}
	c.step(55 * time.Second)
	for range 10 {
		l.Allow("busy") // spent down to empty
	}
	c.step(6 * time.Second) // a minute since the last sweep: this call sweeps
	if ok, _ := l.Allow("busy"); !ok {
		t.Fatal("busy refused although one token came back")
	}
	if l.Len() != 1 {
		t.Fatalf("after a minute %d keys tracked, want only the busy one", l.Len())
	}
	// The busy key kept its state through the sweep: its one token is spent.
	if allow(t, l, "busy") {
		t.Fatal("busy spent its burst but was allowed again")
	}
}

func TestConcurrentSpendIsExact(t *testing.T) {
	c := newClock()
	l := New(PerMinute(50), c.now)
	var mu sync.Mutex
	granted := 0
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if ok, _ := l.Allow("shared"); ok {
					mu.Lock()
					granted++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if granted != 50 {
		t.Fatalf("200 concurrent requests against a burst of 50 granted %d", granted)
	}
}

// BenchmarkAllow measures one decision over 10,000 live keys (the cost a
// login or export pays).
func BenchmarkAllow(b *testing.B) {
	l := New(PerMinute(1_000_000), nil)
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = fmt.Sprint("10.0.", i/256, ".", i%256)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Allow(keys[i%len(keys)])
	}
}
