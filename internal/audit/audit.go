// Package audit is the hash-chain logic of the audit log: each record's SM3
// hash covers its content and the previous record's hash, so editing,
// deleting or reordering any stored record breaks the chain at that record.
// Persisting records is the store's job; this package does no I/O.
package audit

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/emmansun/gmsm/sm3"
)

// Genesis is the PrevHash of the first record, so the first record is
// chained like every other one and cannot be silently replaced.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Record is one audit entry. At is kept to the millisecond, the precision
// the store persists, so a record read back hashes the same as when written.
type Record struct {
	Seq       int64
	At        time.Time
	Actor     string
	Role      string
	Region    string
	Action    string
	Object    string
	Result    string // "ok", "denied", "failed"
	RequestID string
	Detail    string
	PrevHash  string
	Hash      string
}

// china is fixed rather than loaded from tzdata so display never depends on
// the host's time-zone database (China has no daylight saving time).
var china = time.FixedZone("CST", 8*3600)

// LocalTime formats At in Beijing time for the people reading the log,
// whatever zone the server runs in.
func (r Record) LocalTime() string {
	if r.At.IsZero() {
		return ""
	}
	return r.At.In(china).Format("2006-01-02 15:04:05 -07:00")
}

// hashDomain separates these hashes from any other SM3 use and versions the
// encoding, so a future format change cannot collide with this one.
const hashDomain = "dibao/audit/v1"

// ComputeHash returns the hex SM3 of an unambiguous encoding of every field
// but Hash: fixed-width integers and length-prefixed strings, so no two
// different records (including ones with text shifted between fields) encode
// alike. At enters as UTC milliseconds since the Unix epoch.
func ComputeHash(r Record) string {
	var buf [512]byte
	b := appendStr(buf[:0], hashDomain)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Seq))
	b = binary.BigEndian.AppendUint64(b, uint64(r.At.UnixMilli()))
	for _, s := range [...]string{r.Actor, r.Role, r.Region, r.Action, r.Object, r.Result, r.RequestID, r.Detail, r.PrevHash} {
		b = appendStr(b, s)
	}
	sum := sm3.Sum(b)
	return hex.EncodeToString(sum[:])
}

func appendStr(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// Seal links r after the record whose hash is prevHash (Genesis for the
// first) and sets its Hash. At is truncated to the millisecond here so the
// returned record equals what the store will read back.
func Seal(prevHash string, r Record) Record {
	r.At = r.At.Truncate(time.Millisecond)
	r.PrevHash = prevHash
	r.Hash = ComputeHash(r)
	return r
}

// BreakError names the first record at which the chain fails, for the
// operator to investigate; records before it are intact.
type BreakError struct {
	Seq    int64  // where the operator should start looking
	Reason string // English, for the operator console
}

// Error reads as a sentence for the operator console.
func (e *BreakError) Error() string {
	return "audit chain broken at record " + strconv.FormatInt(e.Seq, 10) + ": " + e.Reason
}

// Verify walks records in Seq order as next yields them (ok=false at the
// end) and returns how many verified before the first break. It streams so
// that a chain of millions of rows needs no memory beyond one record.
// A break is reported as *BreakError; an error from next is returned as is.
func Verify(next func() (Record, bool, error)) (checked int64, err error) {
	prevHash := Genesis
	var prevSeq int64
	for {
		r, ok, err := next()
		if err != nil {
			return checked, err
		}
		if !ok {
			return checked, nil
		}
		want := prevSeq + 1
		switch {
		case r.Seq > want:
			return checked, &BreakError{Seq: want, Reason: fmt.Sprintf("gap: record %d missing (next is record %d)", want, r.Seq)}
		case r.Seq < want:
			return checked, &BreakError{Seq: want, Reason: fmt.Sprintf("out of order: expected record %d, found record %d", want, r.Seq)}
		}
		if r.PrevHash != prevHash {
			if prevSeq == 0 {
				return checked, &BreakError{Seq: r.Seq, Reason: "prev_hash of the first record is not the genesis value"}
			}
			return checked, &BreakError{Seq: r.Seq, Reason: fmt.Sprintf("prev_hash does not match record %d", prevSeq)}
		}
		if r.Hash != ComputeHash(r) {
			return checked, &BreakError{Seq: r.Seq, Reason: "hash mismatch: record content was changed"}
		}
		prevSeq, prevHash = r.Seq, r.Hash
		checked++
	}
}
