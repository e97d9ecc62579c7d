// Package attach sends finished files as downloads, the one way every page
// and API download does it: the Content-Disposition names the file twice —
// an ASCII fallback for old clients, then the UTF-8 name (RFC 6266,
// RFC 5987) — and a file of personal data is never cached (no-store), never
// sniffed into something else (nosniff), and sent with its exact length
// only once it is complete.
package attach

import (
	"net/http"
	"path"
	"strconv"
	"strings"
)

// Disposition is the attachment header for a file named name. fallback is
// the ASCII name for clients without RFC 5987; "" derives one from name's
// ASCII letters, digits and - _ . (or "download" with name's extension).
func Disposition(name, fallback string) string {
	if fallback == "" {
		fallback = ASCIIName(name)
	}
	d := `attachment; filename="` + fallback + `"`
	if name != fallback {
		// Always the RFC 5987 form: for an ASCII name mime.FormatMediaType
		// writes a second plain filename= (a duplicate parameter that
		// parsers refuse), and it gives up on control characters.
		d += "; filename*=utf-8''" + percentEncode(name)
	}
	return d
}

// percentEncode writes s as an RFC 5987 value: attr-chars as they are,
// every other byte as %XX.
func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
		}
	}
	return b.String()
}

// ASCIIName keeps name's ASCII letters, digits and - _ . ; a name left
// without anything but its extension becomes download<ext>.
func ASCIIName(name string) string {
	ext := asciiExt(path.Ext(name))
	var b strings.Builder
	for _, r := range strings.TrimSuffix(name, path.Ext(name)) {
		if r < 128 && (r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		}
	}
	base := strings.Trim(b.String(), "-_.")
	for strings.Contains(base, "--") {
		base = strings.ReplaceAll(base, "--", "-")
	}
	if base == "" {
		base = "download"
	}
	return base + ext
}

// asciiExt keeps an extension of up to ten ASCII letters and digits; any
// other (a quote, a space, a control character) would leave the fallback
// name's safe alphabet.
func asciiExt(ext string) string {
	if len(ext) < 2 || len(ext) > 11 {
		return ""
	}
	for _, r := range ext[1:] {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return ""
		}
	}
	return ext
}

// Send writes data as the attachment name with content type ct; fallback
// as in Disposition.
func Send(w http.ResponseWriter, ct, name, fallback string, data []byte) error {
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", Disposition(name, fallback))
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	_, err := w.Write(data)
	return err
}
