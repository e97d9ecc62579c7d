package fieldcrypt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRotateKeepsOldValuesAndIndex(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dropIdx bool // a key file written before index lines existed
	}{
		{name: "with index line"},
		{name: "derived index", dropIdx: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			content, err := Generate()
			if err != nil {
				t.Fatal(err)
			}
			if tc.dropIdx {
				var keep []string
				for _, l := range strings.Split(string(content), "\n") {
					if !strings.HasPrefix(l, indexName+" ") {
						keep = append(keep, l)
					}
				}
				content = []byte(strings.Join(keep, "\n"))
			}
			old, err := Parse(content)
			if err != nil {
				t.Fatal(err)
			}
			if old.IndexDerived() != tc.dropIdx {
				t.Fatalf("IndexDerived = %v", old.IndexDerived())
			}
			sealed, err := old.Seal("idcard", "110105194912310029")
			if err != nil {
				t.Fatal(err)
			}
			rotated, newID, err := Rotate(content)
			if err != nil {
				t.Fatal(err)
			}
			kr, err := Parse(rotated)
			if err != nil {
				t.Fatal(err)
			}
			if kr.ActiveKeyID() != newID || newID == old.ActiveKeyID() {
				t.Fatalf("active key %q, new %q, old %q", kr.ActiveKeyID(), newID, old.ActiveKeyID())
			}
			if kr.IndexDerived() {
				t.Fatal("a rotated file must pin the blind index with an explicit index line")
			}
			if got, err := kr.Open("idcard", sealed); err != nil || got != "110105194912310029" {
				t.Fatalf("old value after rotation: %q, %v", got, err)
			}
			if !kr.NeedsRotation(sealed) {
				t.Fatal("a value sealed with the old key must need re-sealing")
			}
			fresh, _ := kr.Seal("idcard", "110105194912310029")
			if kr.NeedsRotation(fresh) || !strings.HasPrefix(fresh, AlgSM4GCM+"$"+newID+"$") {
				t.Fatalf("new value %q not sealed with the new key", fresh)
			}
			if a, b := old.BlindIndex("idcard", "110105194912310029"), kr.BlindIndex("idcard", "110105194912310029"); a != b {
				t.Fatal("rotation changed the blind index: ID look-ups would break")
			}
			// Rotating twice keeps all three keys readable.
			again, _, err := Rotate(rotated)
			if err != nil {
				t.Fatal(err)
			}
			kr2, err := Parse(again)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := kr2.Open("idcard", sealed); err != nil || got != "110105194912310029" {
				t.Fatalf("oldest value after two rotations: %q, %v", got, err)
			}
		})
	}
}

func TestRotateRefusesBrokenFile(t *testing.T) {
	if _, _, err := Rotate([]byte("# only a comment\n")); err == nil {
		t.Fatal("a key file without keys must not be rotated")
	}
}

func TestReplaceWritesPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dibao.key")
	content, _ := Generate()
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Replace(path, content); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Fatalf("replaced file does not load: %v", err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
}
