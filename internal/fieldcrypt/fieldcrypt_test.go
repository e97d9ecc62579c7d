package fieldcrypt

import (
	"crypto/cipher"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
)

const (
	secretA = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	secretB = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	secretI = "f0e0d0c0b0a090807060504030201000f1e1d1c1b1a191817161514131211101"
)

func mustParse(t testing.TB, content string) *Keyring {
	t.Helper()
	k, err := Parse([]byte(content))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKnownAnswers(t *testing.T) {
	t.Run("SM3 abc", func(t *testing.T) {
		sum := sm3.Sum([]byte("abc"))
		if got := hex.EncodeToString(sum[:]); got != "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0" {
			t.Fatal(got)
		}
	})
	t.Run("SM4 GB/T 32907 example", func(t *testing.T) {
		key, _ := hex.DecodeString("0123456789abcdeffedcba9876543210")
		b, err := sm4.NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]byte, 16)
		b.Encrypt(out, key) // the standard's example uses the key as plaintext too
		if got := hex.EncodeToString(out); got != "681edf34d206965e86b3e94f536e4246" {
			t.Fatal(got)
		}
	})
	t.Run("SelfTest", func(t *testing.T) {
		if err := SelfTest(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRoundTrip(t *testing.T) {
	k := mustParse(t, "k1 "+secretA+"\nindex "+secretI)
	tests := []struct{ name, kind, value string }{
		{"id card", "idcard", "11010519491231002X"},
		{"phone", "phone", "13800138000"},
		{"bank", "bank", "6222020200112233445"},
		{"health text", "health", "二级肢体残疾；高血压，长期服药"},
		{"one byte", "phone", "1"},
		{"long", "health", strings.Repeat("病史", 5000)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := k.Seal(tc.kind, tc.value)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(s, "sm4gcm$k1$") || len(tc.value) > 3 && strings.Contains(s, tc.value) {
				t.Fatalf("sealed = %q", s)
			}
			got, err := k.Open(tc.kind, s)
			if err != nil || got != tc.value {
				t.Fatalf("Open = %q, %v", got, err)
			}
			if k.NeedsRotation(s) {
				t.Fatal("fresh value needs rotation")
			}
		})
	}
}

func TestEmptyStaysEmpty(t *testing.T) {
	k := mustParse(t, "k1 "+secretA)
	if s, err := k.Seal("phone", ""); s != "" || err != nil {
		t.Fatalf("Seal empty = %q, %v", s, err)
	}
	if s, err := k.Open("phone", ""); s != "" || err != nil {
		t.Fatalf("Open empty = %q, %v", s, err)
	}
	if k.NeedsRotation("") {
		t.Fatal("empty needs rotation")
	}
}

func TestSealIsRandomised(t *testing.T) {
	k := mustParse(t, "k1 "+secretA)
	seen := map[string]bool{}
	for range 100 {
		s, err := k.Seal("idcard", "11010519491231002X")
		if err != nil {
			t.Fatal(err)
		}
		if seen[s] {
			t.Fatal("same ciphertext twice for the same plaintext")
		}
		seen[s] = true
	}
}

// TestTamper changes every character of a sealed value in turn, so the
// header, nonce, ciphertext, tag and the base64 padding bits are all covered.
func TestTamper(t *testing.T) {
	k := mustParse(t, "k1 "+secretA+"\nk2 "+secretB)
	s, err := k.Seal("idcard", "11010519491231002X")
	if err != nil {
		t.Fatal(err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_$"
	for i := range len(s) {
		for _, c := range []byte(alphabet) {
			if c == s[i] {
				continue
			}
			m := s[:i] + string(c) + s[i+1:]
			if got, err := k.Open("idcard", m); err == nil {
				t.Fatalf("tampered value %q opened to %q", m, got)
			}
		}
	}
	for _, tc := range []struct{ name, value string }{
		{"truncated", s[:len(s)-1]},
		{"extended", s + "A"},
		{"tag cut off", s[:len(s)-22]},
		{"payload only", s[strings.LastIndex(s, "$")+1:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := k.Open("idcard", tc.value); err == nil {
				t.Fatal("opened")
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	k := mustParse(t, "k1 "+secretA)
	other := mustParse(t, "k1 "+secretB) // same id, different secret
	s, err := k.Seal("idcard", "11010519491231002X")
	if err != nil {
		t.Fatal(err)
	}
	payload := s[strings.LastIndex(s, "$")+1:]
	tests := []struct {
		name, kind, value string
		want              error
	}{
		{"wrong kind", "phone", s, ErrAuth},
		{"kind is case-sensitive", "IDCARD", s, ErrAuth},
		{"unknown key id", "idcard", "sm4gcm$k9$" + payload, ErrUnknownKey},
		{"unknown algorithm", "idcard", "aes256gcm$k1$" + payload, ErrUnknownAlgorithm},
		{"clear value stored by mistake", "idcard", "11010519491231002X", ErrMalformed},
		{"bad base64", "idcard", "sm4gcm$k1$***", ErrMalformed},
		{"short payload", "idcard", "sm4gcm$k1$AAAA", ErrMalformed},
		{"extra separator", "idcard", s + "$x", ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := k.Open(tc.kind, tc.value)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open = %q, %v; want %v", got, err, tc.want)
			}
			if strings.Contains(err.Error(), "11010519491231002X") {
				t.Fatalf("error leaks the value: %v", err)
			}
		})
	}
	t.Run("same key id, different secret", func(t *testing.T) {
		if _, err := other.Open("idcard", s); !errors.Is(err, ErrAuth) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("seal without kind", func(t *testing.T) {
		if _, err := k.Seal("", "x"); err == nil {
			t.Fatal("sealed without a kind")
		}
	})
}

func TestRotation(t *testing.T) {
	old := mustParse(t, "k1 "+secretA+"\nindex "+secretI)
	rotated := mustParse(t, "# rotated\nk2 "+secretB+"\nk1 "+secretA+"\nindex "+secretI)
	if rotated.ActiveKeyID() != "k2" {
		t.Fatalf("active = %s", rotated.ActiveKeyID())
	}
	sOld, err := old.Seal("bank", "6222020200112233445")
	if err != nil {
		t.Fatal(err)
	}
	sNew, err := rotated.Seal("bank", "6222020200112233445")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		k           *Keyring
		sealed      string
		wantErr     error
		needsRotate bool
	}{
		{"rotated opens old value", rotated, sOld, nil, true},
		{"rotated opens new value", rotated, sNew, nil, false},
		{"new value is sealed with k2", rotated, sNew, nil, false},
		{"old keyring cannot open new value", old, sNew, ErrUnknownKey, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.k.Open("bank", tc.sealed)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Open = %q, %v", got, err)
			}
			if err == nil && got != "6222020200112233445" {
				t.Fatalf("Open = %q", got)
			}
			if r := tc.k.NeedsRotation(tc.sealed); r != tc.needsRotate {
				t.Fatalf("NeedsRotation = %v", r)
			}
		})
	}
	if !strings.HasPrefix(sNew, "sm4gcm$k2$") {
		t.Fatalf("new value = %s", sNew)
	}
	if old.BlindIndex("idcard", "11010519491231002X") != rotated.BlindIndex("idcard", "11010519491231002X") {
		t.Fatal("blind index changed with the encryption key although the index line stayed")
	}
	if !rotated.NeedsRotation("sm3old$k2$AAAA") {
		t.Fatal("value under another algorithm does not need rotation")
	}
}

func TestBlindIndex(t *testing.T) {
	k := mustParse(t, "k1 "+secretA+"\nindex "+secretI)
	const id = "11010519491231002X"
	bi := k.BlindIndex("idcard", id)
	if len(bi) != 64 {
		t.Fatalf("blind index %q is not 64 hex digits", bi)
	}
	tests := []struct {
		name string
		got  string
		same bool
	}{
		{"deterministic", k.BlindIndex("idcard", id), true},
		{"deterministic across loads", mustParse(t, "k7 "+secretB+"\nindex "+secretI).BlindIndex("idcard", id), true},
		{"other kind", k.BlindIndex("phone", id), false},
		{"other value", k.BlindIndex("idcard", "110105194912310021"), false},
		{"other index secret", mustParse(t, "k1 "+secretA+"\nindex "+secretB).BlindIndex("idcard", id), false},
		{"kind/value boundary", k.BlindIndex("idcar", "d"+id), false},
		{"derived from first key", mustParse(t, "k1 "+secretA).BlindIndex("idcard", id), false},
		{"not a plain hash", hex.EncodeToString(sum(id)), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if (tc.got == bi) != tc.same {
				t.Fatalf("%s vs %s: same = %v, want %v", tc.got, bi, tc.got == bi, tc.same)
			}
		})
	}
}

func sum(s string) []byte { h := sm3.Sum([]byte(s)); return h[:] }

func TestIndexDerivedFromFirstKey(t *testing.T) {
	a := mustParse(t, "k1 "+secretA)
	b := mustParse(t, "k1 "+secretA+"\nk0 "+secretB)
	c := mustParse(t, "k2 "+secretB+"\nk1 "+secretA)
	if !a.IndexDerived() || a.BlindIndex("idcard", "x") != b.BlindIndex("idcard", "x") {
		t.Fatal("derived index should depend on the first key only")
	}
	if a.BlindIndex("idcard", "x") == c.BlindIndex("idcard", "x") {
		t.Fatal("derived index did not follow the first key")
	}
	if mustParse(t, "k1 "+secretA+"\nindex "+secretI).IndexDerived() {
		t.Fatal("explicit index line reported as derived")
	}
}

// TestSubkeysAreDerived proves the master secret is not used as the SM4 key
// directly: a value sealed by raw SM4-GCM under the master's first 16 bytes
// must not open.
func TestSubkeysAreDerived(t *testing.T) {
	k := mustParse(t, "k1 "+secretA)
	raw, _ := hex.DecodeString(secretA)
	b, _ := sm4.NewCipher(raw[:16])
	g, _ := cipher.NewGCM(b)
	nonce := make([]byte, 12)
	ct := g.Seal(append([]byte(nil), nonce...), nonce, []byte("x"), []byte("phone"))
	if _, err := k.Open("phone", "sm4gcm$k1$"+b64.EncodeToString(ct)); !errors.Is(err, ErrAuth) {
		t.Fatalf("raw master key accepted: %v", err)
	}
}

func TestKeyringDoesNotPrintSecrets(t *testing.T) {
	k := mustParse(t, "k1 "+secretA+"\nindex "+secretI)
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(f, k)
		if !strings.Contains(out, "k1") || strings.Contains(out, "[") {
			t.Fatalf("%s → %s", f, out)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	k := mustParse(b, "k1 "+secretA)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Seal("idcard", "11010519491231002X"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBlindIndex(b *testing.B) {
	k := mustParse(b, "k1 "+secretA)
	b.ReportAllocs()
	for b.Loop() {
		k.BlindIndex("idcard", "11010519491231002X")
	}
}
