package learning_test

import (
	"testing"

	"dibao/internal/learning"
	"dibao/internal/store"
)

// FuzzSniff decides the type of learning-material uploads from content:
// never a panic; an accepted upload is one of the three types with its
// matching kind; a refusal returns nothing.
func FuzzSniff(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00"))
	f.Add([]byte{0x1A, 0x45, 0xDF, 0xA3, 0x9f})
	f.Add([]byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"))
	f.Add([]byte("ftyp"))
	f.Add([]byte("<html><script>"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		ct, kind, ok := learning.Sniff(data)
		if !ok {
			if ct != "" || kind != "" {
				t.Fatalf("refused as %q %q", ct, kind)
			}
			return
		}
		switch {
		case (ct == learning.MP4 || ct == learning.WebM) && kind == store.LearningVideo:
		case ct == learning.PDF && kind == store.LearningDocument:
		default:
			t.Fatalf("Sniff = %q %q", ct, kind)
		}
	})
}
