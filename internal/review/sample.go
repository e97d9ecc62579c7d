package review

import (
	"cmp"
	crand "crypto/rand"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"slices"

	"dibao/internal/errs"
)

// Reasons a household is in the spot-check sample.
const (
	ReasonRelative  = "近亲属备案"
	ReasonComplaint = "有投诉举报"
	ReasonRandom    = "随机抽取"
)

// Rate is the spot-check rate as an exact fraction, e.g. 30/100.
type Rate struct {
	Num, Den int64
}

// DefaultRate returns the SPEC §4 spot_check_rate of 30 %.
func DefaultRate() Rate { return Rate{30, 100} }

// Validate checks that the rate is a fraction between 0 and 1.
func (r Rate) Validate() error {
	if r.Den <= 0 || r.Num < 0 || r.Num > r.Den {
		return errs.Invalidf("spot_check_rate", "抽查比例应在0%%至100%%之间")
	}
	return nil
}

// ceilOf returns ⌈rate × n⌉, clamped to 0..n.
func (r Rate) ceilOf(n int) int {
	if r.Den <= 0 || r.Num <= 0 || n <= 0 {
		return 0
	}
	if r.Num >= r.Den {
		return n
	}
	// Exact in 128 bits: ⌈Num×n ÷ Den⌉ ≤ n, so the quotient fits.
	hi, lo := bits.Mul64(uint64(r.Num), uint64(n))
	lo, carry := bits.Add64(lo, uint64(r.Den-1), 0)
	q, _ := bits.Div64(hi+carry, lo, uint64(r.Den))
	return int(q)
}

// NewSeed returns a fresh random seed from crypto/rand; the caller records it
// with the spot check so that the sample can be reproduced and verified.
func NewSeed() uint64 {
	var b [8]byte
	_, _ = crand.Read(b[:]) // crypto/rand.Read never fails (it panics instead)
	return binary.LittleEndian.Uint64(b[:])
}

// pcgStream is the fixed PCG stream constant; changing it changes every
// recorded sample, so it must never change.
const pcgStream = 0x6469_6261_6f5f_7370 // "dibao_sp"

// Sample draws the county spot check: every household registered as a
// relative of staff or cadres and every household with a complaint, plus
// ⌈rate × n⌉ households (n = distinct households) drawn at random from the
// rest (all of the rest if fewer remain). The draw is reproducible: the
// recipients are sorted by household id (duplicates ignored) and shuffled with
// a PCG generator seeded with seed, using only its raw 64-bit output and
// rejection sampling, so the result does not depend on the input order or on
// math/rand's derived methods. chosen is sorted by household id; reasons gives
// each chosen household its reasons joined by "、". An invalid rate draws no
// random households.
func Sample(recipients []Recipient, rate Rate, seed uint64) (chosen []int64, reasons map[int64]string) {
	rs := slices.Clone(recipients)
	slices.SortStableFunc(rs, func(a, b Recipient) int { return cmp.Compare(a.HouseholdID, b.HouseholdID) })
	rs = slices.CompactFunc(rs, func(a, b Recipient) bool { return a.HouseholdID == b.HouseholdID })

	reasons = make(map[int64]string)
	var pool []int64
	for _, r := range rs {
		var why string
		if r.RelativeFlag {
			why = ReasonRelative
		}
		if r.Complaints > 0 {
			if why != "" {
				why += "、"
			}
			why += ReasonComplaint
		}
		if why != "" {
			reasons[r.HouseholdID] = why
		} else {
			pool = append(pool, r.HouseholdID)
		}
	}
	k := 0
	if rate.Validate() == nil {
		k = min(rate.ceilOf(len(rs)), len(pool))
	}
	src := rand.NewPCG(seed, pcgStream)
	// Partial Fisher–Yates: the first k of pool become the sample.
	for i := range k {
		j := i + int(bounded(src, uint64(len(pool)-i)))
		pool[i], pool[j] = pool[j], pool[i]
		reasons[pool[i]] = ReasonRandom
	}
	chosen = make([]int64, 0, len(reasons))
	for id := range reasons {
		chosen = append(chosen, id)
	}
	slices.Sort(chosen)
	return chosen, reasons
}

// bounded returns a uniform value in [0, n) from src by rejection sampling.
func bounded(src *rand.PCG, n uint64) uint64 {
	limit := -n % n // 2^64 mod n: reject the first values so the rest divide evenly
	for {
		v := src.Uint64()
		if v >= limit {
			return v % n
		}
	}
}
