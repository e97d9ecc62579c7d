package fieldcrypt

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Rotate returns key-file content with a fresh key line put first (so it
// seals every new value) and every old key kept below it (so old values stay
// readable until `dibao key reseal` has re-sealed them). A file without an
// "index" line gets one holding the old first key's secret: the blind index
// was derived from that secret, and pinning it keeps every ID look-up
// working across the rotation. Comments are kept; the new key's id is
// returned for the operator's log.
func Rotate(content []byte) (out []byte, newID string, err error) {
	if _, err := Parse(content); err != nil {
		return nil, "", err
	}
	var key [secretLen]byte
	var tag [2]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, "", fmt.Errorf("fieldcrypt: generate key: %w", err)
	}
	if _, err := rand.Read(tag[:]); err != nil {
		return nil, "", fmt.Errorf("fieldcrypt: generate key: %w", err)
	}
	now := time.Now().In(time.FixedZone("CST", 8*3600))
	newID = "k" + now.Format("20060102") + "-" + hex.EncodeToString(tag[:])
	lines := strings.Split(strings.TrimPrefix(string(content), "\xef\xbb\xbf"), "\n")
	hasIndex, first := false, -1
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) != 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if f[0] == indexName {
			hasIndex = true
		} else if first < 0 {
			first = i
		}
	}
	var b bytes.Buffer
	for i, line := range lines {
		if i == first {
			fmt.Fprintf(&b, "# %s: key %s added by `dibao key rotate`; it seals new values.\n",
				now.Format("2006-01-02 15:04:05 -07:00"), newID)
			fmt.Fprintf(&b, "%s %s\n", newID, hex.EncodeToString(key[:]))
			if !hasIndex {
				// The blind index hung off this (old first) key; pin it.
				old := strings.Fields(line)[1]
				fmt.Fprintf(&b, "%s %s\n", indexName, old)
			}
		}
		b.WriteString(line)
		if i < len(lines)-1 {
			b.WriteByte('\n')
		}
	}
	clear(key[:])
	out = b.Bytes()
	if _, err := Parse(out); err != nil { // never hand back a file that would not load
		return nil, "", err
	}
	return out, newID, nil
}

// Replace writes content over the key file at path atomically (a complete
// new file renamed into place, mode 0600), so a crash mid-write can never
// leave a half-written key file that seals nothing and opens nothing.
func Replace(path string, content []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".dibao-key-*.tmp")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name)
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return err
	}
	return syncDir(dir)
}
