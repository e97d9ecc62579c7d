package auditsign

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newSigner(t testing.TB) *Signer {
	t.Helper()
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	raw[0] &= 0x7f // below the group order
	s, err := NewSigner(raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignVerify(t *testing.T) {
	s, other := newSigner(t), newSigner(t)
	hash := strings.Repeat("ab", 32)
	a, err := s.Sign(42, hash, time.UnixMilli(1764200000000))
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(a, s.Public()); err != nil {
		t.Fatalf("genuine anchor: %v", err)
	}
	for name, bad := range map[string]Anchor{
		"seq changed":  {Seq: 43, Hash: a.Hash, At: a.At, Sig: a.Sig},
		"hash changed": {Seq: 42, Hash: strings.Repeat("cd", 32), At: a.At, Sig: a.Sig},
		"time changed": {Seq: 42, Hash: a.Hash, At: a.At + 1, Sig: a.Sig},
		"sig garbage":  {Seq: 42, Hash: a.Hash, At: a.At, Sig: "zz"},
	} {
		if err := Verify(bad, s.Public()); err != ErrBadSignature {
			t.Errorf("%s: %v, want ErrBadSignature", name, err)
		}
	}
	forged, _ := other.Sign(42, hash, time.UnixMilli(a.At))
	forged.Key = s.Public() // claiming the trusted key does not help
	if err := Verify(forged, s.Public()); err != ErrBadSignature {
		t.Fatalf("anchor signed by another key: %v", err)
	}
	if err := Verify(a, "nothex"); err == nil {
		t.Fatal("a bad trusted key must be an error")
	}
}

func TestKeyFileAndAnchorFile(t *testing.T) {
	dir := t.TempDir()
	s, created, err := LoadOrCreate(dir)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	again, created, err := LoadOrCreate(dir)
	if err != nil || created || again.Public() != s.Public() {
		t.Fatalf("reload: %v %v", created, err)
	}
	pub, _ := os.ReadFile(filepath.Join(dir, PublicFile))
	if strings.TrimSpace(string(pub)) != s.Public() {
		t.Fatal("public key file does not match the key")
	}
	if err := os.Chmod(filepath.Join(dir, PrivateFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreate(dir); err == nil {
		t.Fatal("a world-readable private key must be refused")
	}
	path := filepath.Join(dir, AnchorFile)
	for i := int64(1); i <= 3; i++ {
		a, _ := s.Sign(i*10, strings.Repeat("0f", 32), time.Now())
		if err := Append(path, a); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	got, err := Read(bytes.NewReader(b))
	if err != nil || len(got) != 3 || got[2].Seq != 30 {
		t.Fatalf("read back %d anchors: %v", len(got), err)
	}
	for _, a := range got {
		if err := Verify(a, s.Public()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Read(strings.NewReader("{\"seq\":1}\n")); err == nil {
		t.Fatal("a malformed anchor line must be an error")
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"seq":1,"hash":"` + strings.Repeat("0", 64) + `","at_ms":1,"key":"","sig":"00"}` + "\n"))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		as, err := Read(bytes.NewReader(b))
		if err != nil && as != nil {
			t.Fatal("anchors returned with an error")
		}
		for _, a := range as {
			if a.Seq < 0 || len(a.Hash) != 64 {
				t.Fatalf("accepted a malformed anchor %+v", a)
			}
		}
	})
}
