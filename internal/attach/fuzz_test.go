package attach

import (
	"mime"
	"strings"
	"testing"
)

// FuzzDisposition builds the download header from arbitrary uploaded file
// names: the ASCII fallback holds only letters, digits and - _ . (nothing
// that could end the quoted string or the header), and the header parses
// back as an attachment whose file name is the original name.
func FuzzDisposition(f *testing.F) {
	for _, s := range []string{"低保审批表.pdf", "report-2026.xlsx", "a\"b.pdf", "x.\"; evil=\"1", "x.pdf\r\nSet-Cookie: a=b",
		"..", "名单.xlsx", ".bashrc", "a/b\\c.csv", "", "x.p df", "x.\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		fb := ASCIIName(name)
		if fb == "" || strings.Trim(fb, ".") == "" {
			t.Fatalf("ASCIIName(%q) = %q", name, fb)
		}
		for _, r := range fb {
			if !(r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				t.Fatalf("ASCIIName(%q) = %q holds %q", name, fb, r)
			}
		}
		h := Disposition(name, "")
		if strings.ContainsAny(h, "\r\n\x00") {
			t.Fatalf("header %q", h)
		}
		disp, params, err := mime.ParseMediaType(h)
		if err != nil || disp != "attachment" {
			t.Fatalf("Disposition(%q) = %q: %v", name, h, err)
		}
		if got := params["filename"]; got != name && got != fb {
			t.Fatalf("Disposition(%q) = %q names %q", name, h, got)
		}
	})
}
