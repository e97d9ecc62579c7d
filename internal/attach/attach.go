// Package attach sends finished files as downloads, the one way every page
// and API download does it: the Content-Disposition names the file twice —
// an ASCII fallback for old clients, then the UTF-8 name (RFC 6266,
// RFC 5987) — and a file of personal data is never cached (no-store), never
// sniffed into something else (nosniff), and sent with its exact length
// only once it is complete.
package attach

import (
	"mime"
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
		if ext := mime.FormatMediaType("attachment", map[string]string{"filename": name}); ext != "" {
			d += "; " + strings.TrimPrefix(ext, "attachment; ")
		}
	}
	return d
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

func asciiExt(ext string) string {
	for _, r := range ext {
		if r >= 128 {
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
