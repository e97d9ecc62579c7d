package access

import (
	"testing"
	"time"
)

func TestLockoutPolicy(t *testing.T) {
	p := DefaultPolicy()
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name       string
		gaps       []time.Duration // time of each failure after t0
		wantLocked bool
		wantCount  int
	}{
		{"four failures do not lock", []time.Duration{0, time.Minute, 2 * time.Minute, 3 * time.Minute}, false, 4},
		{"five within 15 minutes lock", []time.Duration{0, time.Minute, 2 * time.Minute, 3 * time.Minute, 14 * time.Minute}, true, 0},
		{"window restarts after 15 minutes", []time.Duration{0, time.Minute, 2 * time.Minute, 3 * time.Minute, 16 * time.Minute}, false, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s LoginState
			var locked bool
			for _, g := range c.gaps {
				s, locked = p.AfterFailure(s, t0.Add(g))
			}
			if locked != c.wantLocked || s.Failed != c.wantCount {
				t.Fatalf("locked=%v failed=%d, want %v %d", locked, s.Failed, c.wantLocked, c.wantCount)
			}
			last := t0.Add(c.gaps[len(c.gaps)-1])
			if c.wantLocked {
				if !s.Locked(last.Add(29*time.Minute)) || s.Locked(last.Add(30*time.Minute)) {
					t.Fatalf("lock must last exactly 30 minutes: until %v", s.LockedUntil)
				}
			}
		})
	}
}

func TestSessionAlive(t *testing.T) {
	p := DefaultPolicy()
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name          string
		created, seen time.Duration
		now           time.Duration
		alive         bool
	}{
		{"fresh", 0, 0, time.Minute, true},
		{"idle 14 minutes", 0, 0, 14 * time.Minute, true},
		{"idle 15 minutes", 0, 0, 15 * time.Minute, false},
		{"active but past 8 hours", 0, 8*time.Hour - time.Minute, 8 * time.Hour, false},
		{"active at 7h59", 0, 7*time.Hour + 50*time.Minute, 7*time.Hour + 59*time.Minute, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := p.SessionAlive(t0.Add(c.created), t0.Add(c.seen), t0.Add(c.now)); got != c.alive {
				t.Fatalf("alive = %v, want %v", got, c.alive)
			}
		})
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("dibao-demo-2026")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := HashPassword("dibao-demo-2026")
	if h == h2 {
		t.Fatal("hashes must be salted")
	}
	for _, c := range []struct {
		pw string
		ok bool
	}{{"dibao-demo-2026", true}, {"dibao-demo-2027", false}, {"", false}} {
		ok, err := CheckPassword(h, c.pw)
		if err != nil || ok != c.ok {
			t.Fatalf("CheckPassword(%q) = %v, %v", c.pw, ok, err)
		}
	}
	if _, err := CheckPassword("$2a$10$bcrypt", "x"); err == nil {
		t.Fatal("foreign hash format must be an error")
	}
	if CheckPolicy("short", "") == nil || CheckPolicy("alllowercaseletters", "") == nil || CheckPolicy("Abcdefgh12!x", "") != nil {
		t.Fatal("strength rule wrong")
	}
}
