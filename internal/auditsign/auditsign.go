// Package auditsign anchors the audit chain with SM2 signatures.
//
// The SM3 chain in the database proves that no record was edited, removed
// or reordered *unless the whole chain after it was recomputed* — and anyone
// who can write to the database (a DBA, a stolen backup restored elsewhere)
// can recompute it, since SM3 has no key. An anchor is an SM2 signature
// (GB/T 32918.2, SM3 digest with the default user id) over (seq, hash, time)
// of the chain head, made with a private key kept outside the database and
// appended to a file kept outside the database. A verifier holding only the
// public key then detects a rewrite of any anchored part of the chain.
package auditsign

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
)

// Anchor is one signed checkpoint of the audit chain.
type Anchor struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
	At   int64  `json:"at_ms"`
	Key  string `json:"key"` // the signer's public key, hex of the uncompressed point (informative only)
	Sig  string `json:"sig"` // hex of the ASN.1 SM2 signature
}

// message is what is signed; the prefix keeps these signatures from being
// mistaken for signatures over anything else made with the same key.
func message(seq int64, hash string, at int64) []byte {
	return []byte("dibao-audit-anchor/v1\n" + strconv.FormatInt(seq, 10) + "\n" + hash + "\n" + strconv.FormatInt(at, 10) + "\n")
}

// Signer holds the SM2 private key.
type Signer struct {
	priv *sm2.PrivateKey
	pub  string
}

// NewSigner makes a signer from the 32-byte private scalar.
func NewSigner(raw []byte) (*Signer, error) {
	priv, err := sm2.NewPrivateKey(raw)
	if err != nil {
		return nil, fmt.Errorf("auditsign: bad SM2 private key: %w", err)
	}
	pub, err := PublicHex(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return &Signer{priv: priv, pub: pub}, nil
}

// PublicHex encodes a public key as hex of its uncompressed point.
func PublicHex(pub *ecdsa.PublicKey) (string, error) {
	k, err := sm2.PublicKeyToECDH(pub)
	if err != nil {
		return "", fmt.Errorf("auditsign: %w", err)
	}
	return hex.EncodeToString(k.Bytes()), nil
}

// Public returns the public key in the form Verify takes.
func (s *Signer) Public() string { return s.pub }

// String keeps the private key out of logs.
func (s *Signer) String() string { return "auditsign.Signer{pub: " + s.pub[:16] + "…}" }

// Sign anchors the chain head (seq, hash) at time at.
func (s *Signer) Sign(seq int64, hash string, at time.Time) (Anchor, error) {
	ms := at.UnixMilli()
	sig, err := s.priv.Sign(rand.Reader, message(seq, hash, ms), sm2.DefaultSM2SignerOpts)
	if err != nil {
		return Anchor{}, fmt.Errorf("auditsign: sign: %w", err)
	}
	return Anchor{Seq: seq, Hash: hash, At: ms, Key: s.pub, Sig: hex.EncodeToString(sig)}, nil
}

// ErrBadSignature means an anchor was not signed by the trusted key, or its
// fields were changed after signing.
var ErrBadSignature = errors.New("auditsign: signature does not verify with the trusted public key")

// Verify checks a's signature against the trusted public key (hex of the
// uncompressed point). The key named inside the anchor is ignored on
// purpose: whoever forged the anchor would have put their own key there.
func Verify(a Anchor, trustedPub string) error {
	raw, err := hex.DecodeString(strings.TrimSpace(trustedPub))
	if err != nil {
		return fmt.Errorf("auditsign: public key is not hex: %w", err)
	}
	pub, err := sm2.NewPublicKey(raw)
	if err != nil {
		return fmt.Errorf("auditsign: bad SM2 public key: %w", err)
	}
	sig, err := hex.DecodeString(a.Sig)
	if err != nil || !sm2.VerifyASN1WithSM2(pub, nil, message(a.Seq, a.Hash, a.At), sig) {
		return ErrBadSignature
	}
	return nil
}

// KeyFile names for a data directory: the private key (0600) and the public
// key an auditor copies elsewhere.
const (
	PrivateFile = "audit-sign.key"
	PublicFile  = "audit-sign.pub"
	AnchorFile  = "audit-anchors.jsonl"
)

// LoadOrCreate reads the SM2 key from path, creating it (and path+".pub"
// beside it as PublicFile) on first use.
func LoadOrCreate(dir string) (s *Signer, created bool, err error) {
	path := filepath.Join(dir, PrivateFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		priv, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			return nil, false, err
		}
		raw := priv.D.FillBytes(make([]byte, 32))
		content := "# dibao audit anchor signing key (SM2 private key, hex). Keep it 0600 and out of backups of the database.\n" +
			hex.EncodeToString(raw) + "\n"
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, err
		}
		if _, err := f.WriteString(content); err != nil {
			f.Close()
			return nil, false, err
		}
		if err := f.Close(); err != nil {
			return nil, false, err
		}
		s, err := NewSigner(raw)
		if err != nil {
			return nil, false, err
		}
		if err := os.WriteFile(filepath.Join(dir, PublicFile), []byte(s.Public()+"\n"), 0o644); err != nil {
			return nil, false, err
		}
		return s, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, false, fmt.Errorf("%s is readable by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		raw, err := hex.DecodeString(line)
		if err != nil || len(raw) != 32 {
			return nil, false, fmt.Errorf("%s: expected 64 hex digits", path)
		}
		s, err := NewSigner(raw)
		return s, false, err
	}
	return nil, false, fmt.Errorf("%s holds no key", path)
}

// Append adds an anchor to the anchor file (one JSON line), synced to disk.
func Append(path string, a Anchor) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(a)
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Read parses an anchor file; a malformed line is an error naming it.
func Read(r io.Reader) ([]Anchor, error) {
	var out []Anchor
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var a Anchor
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil || a.Seq < 0 || len(a.Hash) != 64 {
			return nil, fmt.Errorf("anchor file line %d is malformed", n)
		}
		out = append(out, a)
	}
	return out, sc.Err()
}
