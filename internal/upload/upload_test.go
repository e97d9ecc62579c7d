package upload

import (
	"path"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"dibao/internal/errs"
	"dibao/internal/idcard"
)

var (
	pdf  = []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
	jpeg = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}
	png  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
)

func TestCheck(t *testing.T) {
	cases := []struct {
		name     string
		file     string
		data     []byte
		wantType Type
		wantName string
		errLike  string
	}{
		{"pdf", "申请书.pdf", pdf, PDF, "申请书.pdf", ""},
		{"jpeg named png gets the real extension", "身份证.png", jpeg, JPEG, "身份证.jpg", ""},
		{"jpeg extension kept", "户口本.JPEG", jpeg, JPEG, "户口本.JPEG", ""},
		{"png", "scan", png, PNG, "scan.png", ""},
		{"exe renamed to pdf", "收入证明.pdf", []byte("MZ\x90\x00\x03"), "", "", "文件类型不支持"},
		{"html renamed to jpg", "x.jpg", []byte("<html><script>"), "", "", "文件类型不支持"},
		{"empty", "a.pdf", nil, "", "", "文件为空"},
		{"oversize", "big.pdf", append(append([]byte{}, pdf...), make([]byte, MaxSize)...), "", "", "文件过大"},
		{"path stripped", `..\..\system32\证明.pdf`, pdf, PDF, "证明.pdf", ""},
		{"markup stripped", `<b>证明.pdf`, pdf, PDF, "b证明.pdf", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Check(c.file, c.data)
			if c.errLike != "" {
				if errs.CodeOf(err) != errs.Invalid || !strings.Contains(errs.As(err).Message, c.errLike) {
					t.Fatalf("err = %v, want %q", err, c.errLike)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Type != c.wantType || f.Name != c.wantName || f.Size != len(c.data) || len(f.Checksum) != 64 {
				t.Fatalf("file = %+v", f)
			}
			if !Verify(c.data, f.Checksum) || Verify(append([]byte{1}, c.data...), f.Checksum) {
				t.Fatal("checksum does not verify the content")
			}
		})
	}
}

func TestTokensAreUnguessable(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		tok, err := NewToken()
		if err != nil || len(tok) != 22 || seen[tok] {
			t.Fatalf("token %q (err %v, dup %v)", tok, err, seen[tok])
		}
		seen[tok] = true
	}
}

func TestSM3KnownAnswer(t *testing.T) {
	// GB/T 32905 example: SM3("abc").
	if !Verify([]byte("abc"), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0") {
		t.Fatal("SM3 checksum is not the standard's")
	}
}

// FuzzCheck: an accepted upload's type is its content's, its display
// name carries no path, markup, control or bidirectional-override
// character and ends in the type's extension, and its checksum verifies;
// a refusal is a structured "file" error with nothing returned.
func FuzzCheck(f *testing.F) {
	for _, s := range [][]byte{pdf, jpeg, png, []byte("MZ")} {
		f.Add("x.pdf", s)
	}
	f.Add("..\\..\\etc/passwd", pdf)
	f.Add("发票\u202efdp.exe", pdf)
	f.Add("a\u0085b<script>.jpeg", jpeg)
	f.Add("", []byte{})
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		file, err := Check(name, data)
		if err != nil {
			if e := errs.As(err); e.Code != errs.Invalid || e.Field != "file" || file.Data != nil || file.Name != "" {
				t.Fatalf("refusal %#v with %+v", err, file.Name)
			}
			return
		}
		if typ, ok := Sniff(data); !ok || typ != file.Type || file.Size != len(data) || !Verify(data, file.Checksum) {
			t.Fatalf("accepted %q as %+v", name, file.Type)
		}
		if strings.ContainsAny(file.Name, "/\\<>:\"|?*") || !utf8.ValidString(file.Name) ||
			strings.IndexFunc(file.Name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) >= 0 {
			t.Fatalf("name %q kept as %q", name, file.Name)
		}
		if ext := path.Ext(file.Name); !strings.EqualFold(ext, file.Type.Ext()) && !(file.Type == JPEG && strings.EqualFold(ext, ".jpeg")) {
			t.Fatalf("name %q for %s", file.Name, file.Type)
		}
	})
}

// A scan saved under the household head's ID number keeps its name, masked:
// the display name is stored and shown in clear (issue 9 item 8).
func TestCleanNameMasksIDNumbers(t *testing.T) {
	id := string(idcard.Make("130199", time.Date(1958, 3, 4, 0, 0, 0, 0, time.UTC), 123))
	if got, want := CleanName("C:\\扫描\\"+id+"身份证.jpg", JPEG), strings.ReplaceAll(idcard.Mask(id), "*", "＊")+"身份证.jpg"; got != want {
		t.Fatalf("CleanName = %q, want %q", got, want)
	}
}
