package web

import (
	"fmt"
	"html/template"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

func init() { funcs["qr"] = qrSVG }

// qrSVG draws content as a QR code in inline SVG (no script, no data: URI,
// nothing for a Content-Security-Policy to refuse), built only from the
// module bitmap, so the markup is safe whatever content holds. An error
// draws nothing: the secret and the URI stay on the page as text.
func qrSVG(content string) template.HTML {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return ""
	}
	q.DisableBorder = true
	bits := q.Bitmap()
	n := len(bits)
	var b strings.Builder
	const quiet = 4
	fmt.Fprintf(&b, `<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="200" height="200" role="img" aria-label="二维码" shape-rendering="crispEdges">`,
		n+2*quiet, n+2*quiet)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n+2*quiet, n+2*quiet)
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()) // #nosec: built from booleans only
}
