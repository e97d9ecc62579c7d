package fieldcrypt

import (
	"testing"
)

// FuzzOpen feeds Open arbitrary values and kinds: it must never panic, and
// nothing but a value this keyring actually sealed may ever open.
func FuzzOpen(f *testing.F) {
	k := mustParse(f, "k1 "+secretA+"\nk2 "+secretB)
	genuine := map[[2]string]bool{}
	for _, c := range []struct{ kind, value string }{
		{"idcard", "11010519491231002X"},
		{"phone", "13800138000"},
		{"health", "二级肢体残疾"},
	} {
		// A fixed nonce keeps the seeds identical in every fuzz worker
		// process, so "genuine" means the same thing in all of them.
		s := k.sealNonce(c.kind, c.value, [nonceSize]byte{1, 2, 3})
		genuine[[2]string{c.kind, s}] = true
		f.Add(c.kind, s)
	}
	for _, s := range []string{"", "$", "$$", "$$$", "sm4gcm$", "sm4gcm$k1$", "sm4gcm$k1$A", "sm4gcm$$AAAA",
		"sm4gcm$k3$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x$k1$AAAA", "sm4gcm$k1$" + string(make([]byte, 40))} {
		f.Add("idcard", s)
	}
	f.Fuzz(func(t *testing.T, kind, sealed string) {
		pt, err := k.Open(kind, sealed)
		if err != nil || sealed == "" {
			return
		}
		if !genuine[[2]string{kind, sealed}] {
			t.Fatalf("forged value opened: kind=%q sealed=%q → %q", kind, sealed, pt)
		}
		k.NeedsRotation(sealed)
	})
}
