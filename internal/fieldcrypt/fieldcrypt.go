// Package fieldcrypt seals sensitive fields (ID, phone and bank numbers,
// health and disability details) with SM4-GCM before they reach the database,
// and computes HMAC-SM3 blind indexes so that ID numbers can still be looked
// up exactly without being stored in clear.
//
// Every sealed value names its algorithm and key id
// ("sm4gcm$<keyid>$<base64url(nonce‖ciphertext‖tag)>") so that keys and
// algorithms can be rotated without a flag day: the key file lists the active
// key first and keeps older keys for reading old values.
//
// The field kind ("idcard", "phone", …) is authenticated as associated data,
// so a value copied from one kind of column into another fails to open.
//
// Nonces are 96 random bits; SP 800-38D's limit of 2³² encryptions per key
// under random nonces is far beyond a county's records, but rotate anyway
// (add a new first key line) when the key may have been exposed.
//
// A Keyring is immutable after it is built and safe for concurrent use.
package fieldcrypt

import (
	"bytes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
)

// AlgSM4GCM names SM4-GCM (12-byte nonce, 16-byte tag) in sealed values; a
// new algorithm gets a new name so old values stay readable.
const AlgSM4GCM = "sm4gcm"

// Purpose labels for HMAC-SM3 subkey derivation: one master secret must
// never be used directly for two different jobs.
const (
	labelEncrypt = "dibao/fieldcrypt/v1 sm4-gcm field encryption key"
	labelIndex   = "dibao/fieldcrypt/v1 hmac-sm3 blind index key"
)

const (
	nonceSize = 12
	tagSize   = 16
)

// Errors returned by Open, distinguishable with errors.Is so that callers can
// tell a missing key (operator fixes the key file) from tampered data.
var (
	// ErrUnknownAlgorithm means the value was sealed by an algorithm this
	// build does not implement (a newer release, or not a sealed value at all).
	ErrUnknownAlgorithm = errors.New("fieldcrypt: unknown algorithm")
	// ErrUnknownKey means the key id in the value is not in the key file,
	// usually because an old key line was removed or the wrong file is loaded.
	ErrUnknownKey = errors.New("fieldcrypt: unknown key id")
	// ErrMalformed means the value is not in the sealed format at all.
	ErrMalformed = errors.New("fieldcrypt: malformed sealed value")
	// ErrAuth means authentication failed: the value was altered, moved from
	// another field kind, or sealed with a different key of the same id.
	ErrAuth = errors.New("fieldcrypt: authentication failed (value altered, wrong field kind or wrong key)")
)

// Keyring holds the derived field keys; the master secrets are not kept.
type Keyring struct {
	active       string
	ids          []string // file order, active first
	aeads        map[string]cipher.AEAD
	indexKey     []byte
	indexDerived bool
}

// derive returns HMAC-SM3(secret, label): a PRF output that is independent
// for each label, so subkeys reveal nothing about each other or the master.
func derive(secret []byte, label string) []byte {
	m := hmac.New(sm3.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

func newAEAD(master []byte) (cipher.AEAD, error) {
	block, err := sm4.NewCipher(derive(master, labelEncrypt)[:16])
	if err != nil {
		return nil, err
	}
	// The standard library dispatches to gmsm's assembly SM4-GCM when the
	// block offers it, so this is both standard GCM and fast.
	return cipher.NewGCMWithTagSize(block, tagSize)
}

// ActiveKeyID names the key new values are sealed with, for start-up logs and
// the re-encryption job.
func (k *Keyring) ActiveKeyID() string { return k.active }

// IndexDerived reports that the key file has no "index" line, so blind
// indexes depend on the first key and would all change if it were rotated.
func (k *Keyring) IndexDerived() bool { return k.indexDerived }

// String keeps key material out of logs and %v/%+v formatting.
func (k *Keyring) String() string {
	if k == nil {
		return "fieldcrypt.Keyring(nil)"
	}
	return fmt.Sprintf("fieldcrypt.Keyring{active: %s, keys: %d}", k.active, len(k.ids))
}

// GoString keeps key material out of %#v formatting as well.
func (k *Keyring) GoString() string { return k.String() }

// Seal encrypts plaintext for a column of the given kind. An empty plaintext
// stays empty so that "not provided" does not look like a stored value.
func (k *Keyring) Seal(kind, plaintext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	if kind == "" {
		return "", errors.New("fieldcrypt: Seal needs a field kind")
	}
	var nonce [nonceSize]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return "", fmt.Errorf("fieldcrypt: random nonce: %w", err)
	}
	return k.sealNonce(kind, plaintext, nonce), nil
}

// sealNonce is Seal with a given nonce, split out so tests can build
// reproducible sealed values; production code must only use Seal.
func (k *Keyring) sealNonce(kind, plaintext string, nonce [nonceSize]byte) string {
	buf := make([]byte, nonceSize, nonceSize+len(plaintext)+tagSize)
	copy(buf, nonce[:])
	buf = k.aeads[k.active].Seal(buf, nonce[:], []byte(plaintext), []byte(kind))
	return AlgSM4GCM + "$" + k.active + "$" + b64.EncodeToString(buf)
}

// b64 is strict so that every sealed value has exactly one encoding: any
// changed character is a changed value, never an equivalent spelling.
var b64 = base64.RawURLEncoding.Strict()

// split parses "alg$keyid$payload" without judging alg or keyid.
func split(sealed string) (alg, keyID, payload string, ok bool) {
	alg, rest, ok1 := strings.Cut(sealed, "$")
	keyID, payload, ok2 := strings.Cut(rest, "$")
	if !ok1 || !ok2 || strings.Contains(payload, "$") {
		return "", "", "", false
	}
	return alg, keyID, payload, true
}

// Open authenticates and decrypts a value sealed for the given kind. An empty
// value stays empty, matching Seal.
func (k *Keyring) Open(kind, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	alg, keyID, payload, ok := split(sealed)
	if !ok {
		// Do not echo the input: it may be a clear value stored by mistake.
		return "", ErrMalformed
	}
	if alg != AlgSM4GCM {
		if validKeyID(alg) {
			return "", fmt.Errorf("%w %q", ErrUnknownAlgorithm, alg)
		}
		return "", ErrUnknownAlgorithm
	}
	aead, found := k.aeads[keyID]
	if !found {
		if validKeyID(keyID) {
			return "", fmt.Errorf("%w %q: add that key's line back to the key file", ErrUnknownKey, keyID)
		}
		return "", ErrMalformed
	}
	raw, err := b64.DecodeString(payload)
	if err != nil || len(raw) < nonceSize+tagSize {
		return "", ErrMalformed
	}
	pt, err := aead.Open(nil, raw[:nonceSize], raw[nonceSize:], []byte(kind))
	if err != nil {
		return "", ErrAuth
	}
	return string(pt), nil
}

// NeedsRotation tells the re-encryption job which values to re-seal: those
// sealed with an older key or algorithm. Empty and unparseable values report
// false, since there is nothing a re-seal could do for them.
func (k *Keyring) NeedsRotation(sealed string) bool {
	alg, keyID, _, ok := split(sealed)
	if !ok {
		return false
	}
	return alg != AlgSM4GCM || keyID != k.active
}

// BlindIndex returns a deterministic keyed digest of a normalised value, so
// equal values can be found by equality without storing them in clear. The
// kind is mixed in so that the same digits as an ID number and as a phone
// number do not collide. Kinds must not contain a NUL byte.
func (k *Keyring) BlindIndex(kind, normalisedValue string) string {
	m := hmac.New(sm3.New, k.indexKey)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(normalisedValue))
	return hex.EncodeToString(m.Sum(nil))
}

// SelfTest runs known-answer tests of SM3, SM4, SM4-GCM and HMAC-SM3 so a
// service can refuse to start on a broken or substituted implementation
// (the power-on self-test that GM/T 0028 expects of a crypto module).
func SelfTest() error {
	if err := sm3.SelfTest(); err != nil {
		return err
	}
	if err := sm4.SelfTest(); err != nil {
		return err
	}
	// RFC 8998 A.1 SM4-GCM test vector.
	key, _ := hex.DecodeString("0123456789abcdeffedcba9876543210")
	nonce, _ := hex.DecodeString("00001234567800000000abcd")
	aad, _ := hex.DecodeString("feedfacedeadbeeffeedfacedeadbeefabaddad2")
	pt, _ := hex.DecodeString("aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccddddddddddddddddeeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa")
	want, _ := hex.DecodeString("17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d83de3541e4c2b58177e065a9bf7b62ec")
	block, err := sm4.NewCipher(key)
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	if got := aead.Seal(nil, nonce, pt, aad); !bytes.Equal(got, want) {
		return errors.New("fieldcrypt selftest: SM4-GCM known answer mismatch")
	}
	if got, err := aead.Open(nil, nonce, want, aad); err != nil || !bytes.Equal(got, pt) {
		return errors.New("fieldcrypt selftest: SM4-GCM decrypt known answer mismatch")
	}
	// No published HMAC-SM3 vector is at hand, so HMAC-SM3 is checked against
	// its RFC 2104 definition over the SM3 just proven by its known answer.
	if !bytes.Equal(derive([]byte("key"), "The quick brown fox"), hmacByDefinition(sm3.New, []byte("key"), []byte("The quick brown fox"))) {
		return errors.New("fieldcrypt selftest: HMAC-SM3 mismatch")
	}
	return nil
}

// hmacByDefinition is H((K⊕opad) ‖ H((K⊕ipad) ‖ m)) for a key shorter than
// the block size.
func hmacByDefinition(h func() hash.Hash, key, msg []byte) []byte {
	bs := h().BlockSize()
	ipad := make([]byte, bs)
	opad := make([]byte, bs)
	copy(ipad, key)
	copy(opad, key)
	for i := range ipad {
		ipad[i] ^= 0x36
		opad[i] ^= 0x5c
	}
	in := h()
	in.Write(ipad)
	in.Write(msg)
	out := h()
	out.Write(opad)
	out.Write(in.Sum(nil))
	return out.Sum(nil)
}
