package fieldcrypt

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Environment variables read by FromEnv; DIBAO_KEY wins so that a container
// can take the key from a secret store without any file on disk.
const (
	// EnvKey holds the key file's content itself, for containers and secret stores.
	EnvKey = "DIBAO_KEY"
	// EnvKeyFile names a key file kept outside the data directory, e.g. /etc/dibao.
	EnvKeyFile = "DIBAO_KEY_FILE"
)

const (
	secretLen      = 32
	maxKeyFileSize = 1 << 20 // a key file is a few hundred bytes; refuse to slurp anything huge
	maxKeyIDLen    = 32
	indexName      = "index"
)

// Generate returns the content of a new key file with one fresh key and a
// fresh blind-index secret, for first start-up and `dibao key generate`.
func Generate() ([]byte, error) {
	var key, index [secretLen]byte
	var tag [2]byte
	for _, b := range [][]byte{key[:], index[:], tag[:]} {
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("fieldcrypt: generate key: %w", err)
		}
	}
	now := time.Now().In(time.FixedZone("CST", 8*3600))
	// The date says when the key was made; the random suffix keeps two
	// rotations on the same day from producing the same id.
	id := "k" + now.Format("20060102") + "-" + hex.EncodeToString(tag[:])
	var b bytes.Buffer
	fmt.Fprintf(&b, `# dibao field-encryption key file / 低保系统敏感字段加密密钥文件
# Generated %s.
#
# These keys encrypt ID numbers, phone numbers, bank accounts and health and
# disability details in the database. WITHOUT THIS FILE THOSE FIELDS CANNOT BE
# RECOVERED. Back it up SEPARATELY from the database backups: a copy holding
# both the database and this file exposes every protected value.
# 本文件用于加密数据库中的身份证号、电话、银行账号、健康和残疾信息。
# 丢失本文件，这些数据将无法恢复。请将本文件与数据库备份分开保存
# （数据库备份和本文件放在一起，等于没有加密）。文件权限须为 600。
#
# Format: "<keyid> <64 hex digits>" per key. The FIRST key line seals new
# values; later lines only open old ones. To rotate, add a new key line at
# the top and keep the old lines until every value has been re-sealed.
# "index <64 hex digits>" keys the ID-number search index: never change it.
%s %s
%s %s
`, now.Format("2006-01-02 15:04:05 -07:00"), id, hex.EncodeToString(key[:]), indexName, hex.EncodeToString(index[:]))
	clear(key[:])
	clear(index[:])
	return b.Bytes(), nil
}

// Parse builds a keyring from key-file content, for callers that hold the
// content already (tests, secret stores).
func Parse(content []byte) (*Keyring, error) {
	return parse(content, "key file")
}

// parse names src in every error so the operator knows which source to fix;
// no error ever contains secret material.
func parse(content []byte, src string) (*Keyring, error) {
	content = bytes.TrimPrefix(content, []byte("\xef\xbb\xbf")) // Windows editors add a BOM
	fail := func(line int, format string, args ...any) error {
		return fmt.Errorf("%s: line %d: %s", src, line, fmt.Sprintf(format, args...))
	}
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	firstLine := map[string]int{}
	var indexSecret, firstSecret []byte
	indexLine := 0
	for i, line := range strings.Split(string(content), "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fail(n, `expected "<keyid> <64 hex digits>" or "index <64 hex digits>", found %d fields`, len(f))
		}
		name := f[0]
		if name != indexName && !validKeyID(name) {
			return nil, fail(n, "invalid key id: use 1 to %d letters, digits, '-' or '_'", maxKeyIDLen)
		}
		if len(f[1]) != 2*secretLen {
			return nil, fail(n, "secret of %q must be %d hex digits (%d bytes), found %d characters",
				name, 2*secretLen, secretLen, len(f[1]))
		}
		secret, err := hex.DecodeString(f[1])
		if err != nil {
			return nil, fail(n, "secret of %q is not hexadecimal", name)
		}
		if allZero(secret) {
			return nil, fail(n, "secret of %q is all zeros; make real keys with `dibao key generate`", name)
		}
		if name == indexName {
			if indexLine != 0 {
				return nil, fail(n, "second index line (the first is on line %d)", indexLine)
			}
			indexLine, indexSecret = n, secret
			continue
		}
		if prev, dup := firstLine[name]; dup {
			return nil, fail(n, "key id %q appears twice (first on line %d)", name, prev)
		}
		firstLine[name] = n
		aead, err := newAEAD(secret)
		if err != nil {
			return nil, fail(n, "key %q: %v", name, err)
		}
		if k.active == "" {
			k.active = name
			firstSecret = secret
		} else {
			clear(secret)
		}
		k.ids = append(k.ids, name)
		k.aeads[name] = aead
	}
	if k.active == "" {
		return nil, fmt.Errorf(`%s: no key lines (expected "<keyid> <64 hex digits>"); make a key file with `+"`dibao key generate`", src)
	}
	if indexSecret == nil {
		// Documented fallback: the blind index then hangs off the first key,
		// so rotating that key means rebuilding every blind index.
		k.indexKey = derive(firstSecret, labelIndex)
		k.indexDerived = true
	} else {
		k.indexKey = derive(indexSecret, labelIndex)
		clear(indexSecret)
	}
	clear(firstSecret)
	return k, nil
}

func allZero(b []byte) bool {
	var acc byte
	for _, c := range b {
		acc |= c
	}
	return acc == 0
}

// validKeyID keeps ids safe to print in errors and free of the "$" separator.
func validKeyID(s string) bool {
	if s == "" || len(s) > maxKeyIDLen {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Load reads an existing key file, refusing one that others could read,
// because a leaked key file undoes the encryption of the whole database.
func Load(path string) (*Keyring, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("key file %s is not a regular file", path)
	}
	if err := checkPrivate(fi, path); err != nil {
		return nil, err
	}
	content, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	if len(content) > maxKeyFileSize {
		return nil, fmt.Errorf("key file %s is larger than %d bytes; is it the right file?", path, maxKeyFileSize)
	}
	return parse(content, "key file "+path)
}

// LoadOrCreate loads the key file at path, creating it with fresh keys on
// first start-up so a new installation encrypts from its first record.
// created tells the caller to remind the operator to back the file up.
func LoadOrCreate(path string) (kr *Keyring, created bool, err error) {
	kr, err = Load(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return kr, false, err
	}
	content, err := Generate()
	if err != nil {
		return nil, false, err
	}
	won, err := createExclusive(path, content)
	if err != nil {
		return nil, false, fmt.Errorf("create key file %s: %w", path, err)
	}
	if !won {
		// Another process created it first; its keys are the ones in use.
		kr, err = Load(path)
		return kr, false, err
	}
	kr, err = Parse(content)
	return kr, err == nil, err
}

// createExclusive writes content to path atomically, never replacing an
// existing file: if two processes start at once, a plain rename would let the
// second overwrite a key the first may already have sealed values with.
// It reports false when path already existed.
func createExclusive(path string, content []byte) (bool, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	tmp, err := os.CreateTemp(dir, ".dibao-key-*.tmp")
	if err != nil {
		return false, err
	}
	name := tmp.Name()
	defer os.Remove(name) // after a link the temporary name is left over; after a rename this is a no-op
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return false, err
	}
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	// A hard link publishes the complete file under its final name atomically
	// and fails if the name is taken, which rename cannot do.
	err = os.Link(name, path)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrExist):
		return false, nil
	default:
		// Filesystem without hard links: fall back to check-then-rename,
		// which is atomic for readers but racy between two creators.
		if _, statErr := os.Lstat(path); statErr == nil {
			return false, nil
		}
		if err := os.Rename(name, path); err != nil {
			return false, err
		}
	}
	return true, syncDir(dir)
}

// FromEnv finds the keys the way the server and CLI do: DIBAO_KEY (the key
// file's content, lines separated by newlines, `\n` or ";"), else the file
// named by DIBAO_KEY_FILE, else defaultPath (created on first use).
//
// A file named by DIBAO_KEY_FILE is never created: when an explicitly
// configured key is missing (an unmounted secret volume, a typo), making a
// new one would seal data with a key nobody has backed up.
func FromEnv(getenv func(string) string, defaultPath string) (kr *Keyring, created bool, err error) {
	if v := getenv(EnvKey); v != "" {
		v = strings.NewReplacer(`\n`, "\n", ";", "\n").Replace(v)
		kr, err := parse([]byte(v), EnvKey)
		return kr, false, err
	}
	if p := getenv(EnvKeyFile); p != "" {
		kr, err := Load(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, fmt.Errorf("%s=%s: key file does not exist (it is not created automatically; make one with `dibao key generate --out %s`)", EnvKeyFile, p, p)
		}
		return kr, false, err
	}
	return LoadOrCreate(defaultPath)
}
