package audit

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 2, 3, 4, 0, time.UTC)

// chain builds n sealed records with every field varied.
func chain(n int) []Record {
	out := make([]Record, 0, n)
	prev := Genesis
	results := []string{"ok", "denied", "failed"}
	for i := 1; i <= n; i++ {
		r := Seal(prev, Record{
			Seq:       int64(i),
			At:        t0.Add(time.Duration(i) * 1234567 * time.Microsecond),
			Actor:     fmt.Sprintf("user%d", i%7),
			Role:      "clerk,auditor",
			Region:    "130102" + fmt.Sprint(i%3),
			Action:    "household.view",
			Object:    fmt.Sprintf("household/%d", i),
			Result:    results[i%3],
			RequestID: fmt.Sprintf("req-%04d", i),
			Detail:    "查看身份证号 " + strings.Repeat("x", i%5),
		})
		prev = r.Hash
		out = append(out, r)
	}
	return out
}

// stream feeds records to Verify the way a database cursor would.
func stream(recs []Record) func() (Record, bool, error) {
	i := 0
	return func() (Record, bool, error) {
		if i >= len(recs) {
			return Record{}, false, nil
		}
		i++
		return recs[i-1], true, nil
	}
}

func wantBreak(t *testing.T, recs []Record, seq int64, reason string) {
	t.Helper()
	n, err := Verify(stream(recs))
	var be *BreakError
	if !errors.As(err, &be) {
		t.Fatalf("Verify = %d, %v; want a break at %d", n, err, seq)
	}
	if be.Seq != seq || !strings.HasPrefix(be.Reason, reason) {
		t.Fatalf("break at %d %q; want %d %q", be.Seq, be.Reason, seq, reason)
	}
	if n != seq-1 {
		t.Fatalf("checked = %d; want %d records before the break", n, seq-1)
	}
}

func TestChainVerifies(t *testing.T) {
	for _, n := range []int{0, 1, 100} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			got, err := Verify(stream(chain(n)))
			if err != nil || got != int64(n) {
				t.Fatalf("Verify = %d, %v; want %d, nil", got, err, n)
			}
		})
	}
}

// TestEveryFieldCovered mutates each field of each record in turn. It walks
// Record by reflection so a field added later cannot be left out of the hash
// unnoticed.
func TestEveryFieldCovered(t *testing.T) {
	base := chain(100)
	typ := reflect.TypeFor[Record]()
	for f := range typ.NumField() {
		name := typ.Field(f).Name
		t.Run(name, func(t *testing.T) {
			for i := range base {
				recs := append([]Record(nil), base...)
				v := reflect.ValueOf(&recs[i]).Elem().Field(f)
				switch x := v.Interface().(type) {
				case string:
					v.SetString(x + "x")
				case int64:
					v.SetInt(x + 1)
				case time.Time:
					v.Set(reflect.ValueOf(x.Add(time.Millisecond)))
				default:
					t.Fatalf("field %s: no mutation for %T", name, x)
				}
				n, err := Verify(stream(recs))
				var be *BreakError
				if !errors.As(err, &be) || be.Seq != int64(i+1) || n != int64(i) {
					t.Fatalf("changed %s of record %d: Verify = %d, %v", name, i+1, n, err)
				}
			}
		})
	}
}

func TestBreaks(t *testing.T) {
	base := chain(100)
	without := func(i int) []Record {
		return append(append([]Record(nil), base[:i]...), base[i+1:]...)
	}
	swapped := func(i, j int) []Record {
		r := append([]Record(nil), base...)
		r[i], r[j] = r[j], r[i]
		return r
	}
	// Rows whose contents were exchanged but that still carry their own seq
	// numbers, as an UPDATE on the table would leave them.
	swappedContent := func(i, j int) []Record {
		r := swapped(i, j)
		r[i].Seq, r[j].Seq = r[j].Seq, r[i].Seq
		return r
	}
	tests := []struct {
		name   string
		recs   []Record
		seq    int64
		reason string
	}{
		{"delete first", without(0), 1, "gap: record 1 missing"},
		{"delete middle", without(41), 42, "gap: record 42 missing"},
		{"delete second to last", without(98), 99, "gap: record 99 missing"},
		{"swap adjacent in stream", swapped(9, 10), 10, "gap: record 10 missing"},
		{"swap distant in stream", swapped(3, 70), 4, "gap: record 4 missing"},
		{"swap adjacent content", swappedContent(9, 10), 10, "prev_hash does not match record 9"},
		{"swap distant content", swappedContent(3, 70), 4, "prev_hash does not match record 3"},
		{"duplicate", append(append([]Record(nil), base[:5]...), base[4:]...), 6, "out of order"},
		{"reseal edited record", func() []Record {
			r := append([]Record(nil), base...)
			r[50].Actor = "mallory"
			r[50] = Seal(r[50].PrevHash, r[50]) // forger recomputes its hash…
			return r
		}(), 52, "prev_hash does not match record 51"}, // …and breaks the next link
		{"first not genesis", func() []Record {
			r := append([]Record(nil), base...)
			r[0] = Seal(strings.Repeat("1", 64), r[0])
			return r
		}(), 1, "prev_hash of the first record"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantBreak(t, tc.recs, tc.seq, tc.reason) })
	}
}

// The chain alone cannot see records cut off its end; the store compares the
// last verified seq with its head row for that.
func TestTruncatedTailIsCallersJob(t *testing.T) {
	n, err := Verify(stream(chain(100)[:99]))
	if err != nil || n != 99 {
		t.Fatalf("Verify = %d, %v", n, err)
	}
}

func TestVerifyPassesReaderError(t *testing.T) {
	boom := errors.New("disk on fire")
	recs := chain(3)
	i := 0
	n, err := Verify(func() (Record, bool, error) {
		if i == 2 {
			return Record{}, false, boom
		}
		i++
		return recs[i-1], true, nil
	})
	if !errors.Is(err, boom) || n != 2 {
		t.Fatalf("Verify = %d, %v", n, err)
	}
}

func TestComputeHash(t *testing.T) {
	r := Record{Seq: 7, At: time.UnixMilli(1795745584123), Actor: "zhang", Role: "clerk", Region: "130102",
		Action: "login", Object: "user/3", Result: "ok", RequestID: "r1", Detail: "d", PrevHash: Genesis}
	h := ComputeHash(r)
	tests := []struct {
		name string
		mod  func(*Record)
		same bool
	}{
		{"text moved between fields", func(r *Record) { r.Actor, r.Role = "zhangc", "lerk" }, false},
		{"fields exchanged", func(r *Record) { r.Object, r.Detail = r.Detail, r.Object }, false},
		{"hash field ignored", func(r *Record) { r.Hash = "anything" }, true},
		{"time zone ignored", func(r *Record) { r.At = r.At.In(time.FixedZone("X", -5*3600)) }, true},
		{"sub-millisecond ignored", func(r *Record) { r.At = r.At.Add(999 * time.Microsecond) }, true},
		{"millisecond counts", func(r *Record) { r.At = r.At.Add(time.Millisecond) }, false},
		{"seq counts", func(r *Record) { r.Seq = 8 }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := r
			tc.mod(&m)
			if got := ComputeHash(m); (got == h) != tc.same {
				t.Fatalf("hash changed = %v; want changed = %v", got != h, !tc.same)
			}
		})
	}
}

// TestHashGolden pins the encoding: changing it would make every stored
// chain fail to verify, so it must only ever change on purpose (with a new
// hashDomain version and a migration).
func TestHashGolden(t *testing.T) {
	r := Record{Seq: 1, At: time.UnixMilli(1795745584123), Actor: "admin", Role: "admin", Region: "130102",
		Action: "login", Object: "user/1", Result: "ok", RequestID: "abc", Detail: "登录成功", PrevHash: Genesis}
	// Cross-checked with OpenSSL's SM3 (Python hashlib) over the same encoding.
	const want = "b74a850ba8e100616b58a71c629f3f536cd2a7e620b82c75040c401980f98b0c"
	if got := ComputeHash(r); got != want {
		t.Fatalf("ComputeHash = %s; want %s", got, want)
	}
}

func TestSealTruncatesToMillisecond(t *testing.T) {
	at := time.Date(2026, 11, 27, 2, 3, 4, 567891234, time.UTC)
	r := Seal(Genesis, Record{Seq: 1, At: at, Actor: "a"})
	if r.At.Nanosecond() != 567000000 {
		t.Fatalf("At = %v; want millisecond precision", r.At)
	}
	// What the store reads back (UnixMilli in local time) verifies.
	back := r
	back.At = time.UnixMilli(r.At.UnixMilli())
	if n, err := Verify(stream([]Record{back})); err != nil || n != 1 {
		t.Fatalf("read-back record: %d, %v", n, err)
	}
}

func TestLocalTime(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{"utc", t0, "2026-11-27 10:03:04 +08:00"},
		{"crosses midnight", time.Date(2026, 11, 27, 16, 30, 0, 0, time.UTC), "2026-11-28 00:30:00 +08:00"},
		{"other zone", t0.In(time.FixedZone("EST", -5*3600)), "2026-11-27 10:03:04 +08:00"},
		{"zero", time.Time{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Record{At: tc.at}).LocalTime(); got != tc.want {
				t.Fatalf("LocalTime = %q; want %q", got, tc.want)
			}
		})
	}
}

func TestBreakErrorMessage(t *testing.T) {
	err := error(&BreakError{Seq: 5, Reason: "hash mismatch: record content was changed"})
	if got := err.Error(); got != "audit chain broken at record 5: hash mismatch: record content was changed" {
		t.Fatal(got)
	}
}

func BenchmarkComputeHash(b *testing.B) {
	r := chain(1)[0]
	r.Detail = strings.Repeat("变更家庭成员信息 ", 10)
	b.ReportAllocs()
	for b.Loop() {
		ComputeHash(r)
	}
}
