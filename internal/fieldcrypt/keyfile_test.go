package fieldcrypt

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestGenerate(t *testing.T) {
	a, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	ka, kb := mustParse(t, string(a)), mustParse(t, string(b))
	if !regexp.MustCompile(`^k\d{8}-[0-9a-f]{4}$`).MatchString(ka.ActiveKeyID()) {
		t.Fatalf("key id %q", ka.ActiveKeyID())
	}
	if ka.IndexDerived() {
		t.Fatal("generated file has no index line")
	}
	if string(a) == string(b) || ka.BlindIndex("idcard", "x") == kb.BlindIndex("idcard", "x") {
		t.Fatal("two generated key files share secrets")
	}
	for _, want := range []string{"# ", "Back it up", "SEPARATELY", "分开保存"} {
		if !strings.Contains(string(a), want) {
			t.Fatalf("header lacks %q:\n%s", want, a)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"empty", "", "no key lines"},
		{"only comments", "# nothing\n\n", "no key lines"},
		{"only index", "index " + secretI, "no key lines"},
		{"one field", "k1", "line 1: expected"},
		{"three fields", "k1 " + secretA + " extra", "found 3 fields"},
		{"short secret", "k1 abcd", `secret of "k1" must be 64 hex digits`},
		{"128-bit secret", "k1 " + secretA[:32], "found 32 characters"},
		{"not hex", "k1 " + strings.Repeat("zz", 32), "not hexadecimal"},
		{"all zeros", "k1 " + strings.Repeat("0", 64), "all zeros"},
		{"duplicate id", "k1 " + secretA + "\n# x\nk1 " + secretB, `line 3: key id "k1" appears twice (first on line 1)`},
		{"two index lines", "k1 " + secretA + "\nindex " + secretI + "\nindex " + secretB, "line 3: second index line"},
		{"bad id", "k$1 " + secretA, "line 1: invalid key id"},
		{"id too long", strings.Repeat("k", 33) + " " + secretA, "invalid key id"},
		{"columns swapped", secretA + " k1", "invalid key id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.content))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want %q", err, tc.want)
			}
			for _, s := range []string{secretA, secretB, secretI} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error leaks a secret: %v", err)
				}
			}
		})
	}
}

func TestParseTolerance(t *testing.T) {
	tests := []struct{ name, content string }{
		{"crlf and bom", "\ufeff# c\r\nk1 " + secretA + "\r\nindex " + secretI + "\r\n"},
		{"indent and tabs", "  k1\t" + secretA + "  \n\tindex " + secretI},
		{"upper-case hex", "k1 " + strings.ToUpper(secretA) + "\nindex " + secretI},
		{"index first", "index " + secretI + "\nk1 " + secretA},
	}
	want := mustParse(t, "k1 "+secretA+"\nindex "+secretI)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := mustParse(t, tc.content)
			if k.ActiveKeyID() != "k1" || k.BlindIndex("idcard", "x") != want.BlindIndex("idcard", "x") {
				t.Fatal("parsed to different keys")
			}
			s, _ := want.Seal("phone", "13800138000")
			if got, err := k.Open("phone", s); err != nil || got != "13800138000" {
				t.Fatalf("Open = %q, %v", got, err)
			}
		})
	}
}

func TestLoadOrCreate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("permission bits are not enforced on Windows")
	}
	dir := filepath.Join(t.TempDir(), "data", "keys")
	path := filepath.Join(dir, "dibao.key")

	k, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("first LoadOrCreate: created=%v err=%v", created, err)
	}
	for _, c := range []struct {
		path string
		want fs.FileMode
	}{{path, 0o600}, {dir, 0o700}} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != c.want {
			t.Fatalf("%s mode %04o; want %04o", c.path, got, c.want)
		}
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".dibao-key-*")); len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
	s, err := k.Seal("idcard", "11010519491231002X")
	if err != nil {
		t.Fatal(err)
	}

	k2, created, err := LoadOrCreate(path)
	if err != nil || created {
		t.Fatalf("second LoadOrCreate: created=%v err=%v", created, err)
	}
	if got, err := k2.Open("idcard", s); err != nil || got != "11010519491231002X" {
		t.Fatalf("reloaded keys do not open the value: %q, %v", got, err)
	}

	for _, mode := range []fs.FileMode{0o644, 0o640, 0o604, 0o620} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadOrCreate(path)
		if err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) {
			t.Fatalf("mode %04o: err = %v", mode, err)
		}
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreate(path); err != nil {
		t.Fatalf("read-only owner file refused: %v", err)
	}
}

// TestLoadOrCreateRace starts several first-time loaders at once: they must
// all end up with the one key that is on disk.
func TestLoadOrCreateRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dibao.key")
	const n = 8
	var wg sync.WaitGroup
	keys := make([]*Keyring, n)
	created := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { keys[i], created[i], errs[i] = LoadOrCreate(path) })
	}
	wg.Wait()
	onDisk, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	nCreated := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if created[i] {
			nCreated++
		}
		if keys[i].ActiveKeyID() != onDisk.ActiveKeyID() {
			t.Fatalf("loader %d uses key %s; the file has %s", i, keys[i].ActiveKeyID(), onDisk.ActiveKeyID())
		}
	}
	if nCreated != 1 {
		t.Fatalf("%d loaders claim to have created the file", nCreated)
	}
}

func TestLoadMalformedNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dibao.key")
	if err := os.WriteFile(path, []byte("# ok\nk1 nothex\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := LoadOrCreate(path)
	if err == nil || !strings.Contains(err.Error(), "key file "+path+": line 2:") {
		t.Fatalf("err = %v", err)
	}
}

func TestFromEnv(t *testing.T) {
	dir := t.TempDir()
	fileA := filepath.Join(dir, "a.key")
	if err := os.WriteFile(fileA, []byte("ka "+secretA+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	defaultPath := filepath.Join(dir, "default", "dibao.key")
	tests := []struct {
		name       string
		env        map[string]string
		wantID     string
		wantCreate bool
		wantErr    string
	}{
		{"DIBAO_KEY newline", map[string]string{"DIBAO_KEY": "# c\nkenv " + secretB + "\nindex " + secretI}, "kenv", false, ""},
		{"DIBAO_KEY semicolons", map[string]string{"DIBAO_KEY": "kenv " + secretB + ";index " + secretI}, "kenv", false, ""},
		{"DIBAO_KEY literal backslash-n", map[string]string{"DIBAO_KEY": `kenv ` + secretB + `\nk0 ` + secretA}, "kenv", false, ""},
		{"DIBAO_KEY beats DIBAO_KEY_FILE", map[string]string{"DIBAO_KEY": "kenv " + secretB, "DIBAO_KEY_FILE": fileA}, "kenv", false, ""},
		{"DIBAO_KEY malformed", map[string]string{"DIBAO_KEY": "kenv 1234"}, "", false, "DIBAO_KEY: line 1:"},
		{"DIBAO_KEY_FILE", map[string]string{"DIBAO_KEY_FILE": fileA}, "ka", false, ""},
		{"DIBAO_KEY_FILE missing is not created", map[string]string{"DIBAO_KEY_FILE": filepath.Join(dir, "nope.key")}, "", false, "not created automatically"},
		{"default path created", nil, "", true, ""},
		{"default path reused", nil, "", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, created, err := FromEnv(func(name string) string { return tc.env[name] }, defaultPath)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v; want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if created != tc.wantCreate || (tc.wantID != "" && k.ActiveKeyID() != tc.wantID) {
				t.Fatalf("key %s created=%v", k.ActiveKeyID(), created)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "nope.key")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing DIBAO_KEY_FILE was created: %v", err)
	}
}
