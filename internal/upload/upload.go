// Package upload checks scanned application materials: the type is read
// from the content, never from the file name; the size is bounded; the
// checksum (SM3) is computed so a stored file can be proven unchanged; and
// each file gets an unguessable token for its URL.
package upload

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emmansun/gmsm/sm3"

	"dibao/internal/errs"
	"dibao/internal/piiscan"
)

// MaxSize bounds one scanned file (10 MiB: a multi-page PDF at 300 dpi).
const MaxSize = 10 << 20

// Type is a content type accepted for scanned materials.
type Type string

// The accepted types.
const (
	PDF  Type = "application/pdf"
	JPEG Type = "image/jpeg"
	PNG  Type = "image/png"
)

// Ext is the file extension used when the file is downloaded.
func (t Type) Ext() string {
	switch t {
	case PDF:
		return ".pdf"
	case JPEG:
		return ".jpg"
	case PNG:
		return ".png"
	}
	return ""
}

// Sniff returns the type of data judged by its leading bytes.
func Sniff(data []byte) (Type, bool) {
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return PDF, true
	case len(data) >= 4 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return JPEG, true
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, true
	}
	return "", false
}

// File is a checked upload, ready to store.
type File struct {
	Name     string // cleaned original name, for display only
	Type     Type
	Size     int
	Checksum string // hex SM3 of the content
	Token    string // random, URL-safe; the only handle a URL ever carries
	Data     []byte
}

// Check validates one uploaded file. size is the size the client declared
// or -1; data must already be bounded by the caller (read at most
// MaxSize+1 bytes) so an oversize upload is detected without reading it all.
func Check(name string, data []byte) (File, error) {
	switch {
	case len(data) == 0:
		return File{}, errs.Invalidf("file", "文件为空，请重新选择")
	case len(data) > MaxSize:
		return File{}, errs.Invalidf("file", "文件过大：单个文件不能超过 %d MB", MaxSize>>20)
	}
	t, ok := Sniff(data)
	if !ok {
		return File{}, errs.Invalidf("file", "文件类型不支持：只接受 PDF、JPEG、PNG 格式的扫描件（按文件内容判断，与扩展名无关）")
	}
	token, err := NewToken()
	if err != nil {
		return File{}, errs.Wrap(err, "上传失败，请重试")
	}
	sum := sm3.Sum(data)
	return File{Name: CleanName(name, t), Type: t, Size: len(data), Checksum: hex.EncodeToString(sum[:]),
		Token: token, Data: data}, nil
}

// Verify reports whether data still matches the stored checksum.
func Verify(data []byte, checksum string) bool {
	sum := sm3.Sum(data)
	return hex.EncodeToString(sum[:]) == checksum
}

// NewToken returns 128 random bits, URL-safe.
func NewToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// CleanName keeps a display name that cannot carry a path, markup or
// control characters, and gives it the extension of its real type. An ID
// or card number in the name (a scan saved as "<ID number>.jpg") is masked:
// the name is stored and shown in clear.
func CleanName(name string, t Type) string {
	// Masked with full-width stars: '*' is not allowed in a file name.
	name = strings.ReplaceAll(piiscan.Redact(path.Base(strings.ReplaceAll(name, "\\", "/"))), "*", "＊")
	name = strings.Map(func(r rune) rune {
		// Controls (C0, DEL, C1) and format characters such as the
		// bidirectional overrides that make "exe.pdf" read "fdp.exe".
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || strings.ContainsRune(`<>:"/\|?*`, r) {
			return -1
		}
		return r
	}, name)
	if !utf8.ValidString(name) || name == "." || name == "" {
		name = "扫描件"
	}
	if r := []rune(name); len(r) > 80 {
		name = string(r[:80])
	}
	if ext := path.Ext(name); !strings.EqualFold(ext, t.Ext()) && !(t == JPEG && strings.EqualFold(ext, ".jpeg")) {
		name = strings.TrimSuffix(name, ext) + t.Ext()
	}
	return name
}

// String describes the file for logs without its content.
func (f File) String() string {
	return fmt.Sprintf("%s (%s, %d bytes, sm3 %s…)", f.Name, f.Type, f.Size, f.Checksum[:12])
}
