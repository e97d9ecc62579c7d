package attach

import (
	"mime"
	"net/http/httptest"
	"testing"
)

func TestDispositionNamesTheFileTwice(t *testing.T) {
	for _, c := range []struct{ name, fallback, wantASCII string }{
		{"平安县-2027-01-发放名册.xlsx", "roster-3.xlsx", "roster-3.xlsx"},
		{"平安县-2027-01-发放名册.xlsx", "", "2027-01.xlsx"},
		{"低保台账导入模板.xlsx", "", "download.xlsx"},
		{"report.csv", "", "report.csv"},
	} {
		d := Disposition(c.name, c.fallback)
		typ, params, err := mime.ParseMediaType(d)
		if err != nil || typ != "attachment" {
			t.Fatalf("%q: %v", d, err)
		}
		// Go's parser prefers filename* and decodes it: the full UTF-8 name.
		if params["filename"] != c.name {
			t.Errorf("%q: decoded name %q, want %q", d, params["filename"], c.name)
		}
		if got := ASCIIName(c.name); c.fallback == "" && got != c.wantASCII {
			t.Errorf("ASCIIName(%q) = %q, want %q", c.name, got, c.wantASCII)
		}
	}
}

func TestSendSetsTheDownloadHeaders(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := Send(rec, "text/csv", "名册.csv", "roster.csv", []byte("a,b\r\n")); err != nil {
		t.Fatal(err)
	}
	h := rec.Header()
	if h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" ||
		h.Get("Content-Length") != "5" || h.Get("Content-Type") != "text/csv" || rec.Body.String() != "a,b\r\n" {
		t.Fatalf("headers %v body %q", h, rec.Body.String())
	}
}
