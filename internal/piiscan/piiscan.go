// Package piiscan finds clear-text personal numbers in bytes: valid 18-digit
// resident identity numbers (check character, a real birth date, a province
// code) and bank card numbers (16–19 digits, a card-network leading digit,
// Luhn-valid). It looks inside zip containers (xlsx, docx) too. It is used by
// the tests that prove no database file, backup, log or export carries a
// clear number, and by `dibao scan-pii` for operators.
//
// A hit never carries the number itself, only its masked form, so the
// scanner's own report cannot leak what it found.
//
// False positives: in binary files a number can be assembled by accident —
// a SQLite index entry puts a region code right before an integer whose
// bytes happen to be ASCII digits, and one such 16-digit run in ten passes
// Luhn. The scan of a 20,000-household province database (40 MB) reports
// about 30 such "cards", all of them region codes of a province starting
// with 4; the demo county's codes start with 1, which no card does, so the
// tests' scans have none. Check a hit at its offset before acting on it.
package piiscan

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"dibao/internal/deid"
	"dibao/internal/idcard"
)

// Kind names what a hit looks like.
type Kind string

// Kinds of hits.
const (
	IDNumber Kind = "id_number"
	BankCard Kind = "bank_card"
)

// Hit is one number found: its kind, its byte offset (inside Entry when the
// number sits in a zip member) and its masked form.
type Hit struct {
	Kind   Kind
	Entry  string // zip member name, "" for the top level
	Offset int64
	Masked string
}

func (h Hit) String() string {
	where := fmt.Sprintf("offset %d", h.Offset)
	if h.Entry != "" {
		where = h.Entry + " " + where
	}
	return fmt.Sprintf("%s %s at %s", h.Kind, h.Masked, where)
}

// maxZipMember bounds how much of one zip member is read (a zip bomb must
// not exhaust memory); larger members are scanned up to the bound.
const maxZipMember = 256 << 20

// Scan returns every hit in b. Birth dates must not lie after today. A zip
// archive (xlsx, docx) is also opened and each member scanned, recursively
// up to a small depth.
func Scan(b []byte, today time.Time) []Hit {
	return scan(b, today, "", 0)
}

func scan(b []byte, today time.Time, entry string, depth int) []Hit {
	hits := scanFlat(b, today, entry)
	if depth < 3 && bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err == nil {
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					continue
				}
				data, _ := io.ReadAll(io.LimitReader(rc, maxZipMember))
				rc.Close()
				name := f.Name
				if entry != "" {
					name = entry + "!" + name
				}
				hits = append(hits, scan(data, today, name, depth+1)...)
			}
		}
	}
	return hits
}

// ScanFile scans one file: a zip archive (xlsx) up to 256 MiB is read
// whole and opened; anything else is streamed, so a database file of many
// gigabytes needs little memory.
func ScanFile(path string, today time.Time) ([]Hit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	if fi, err := f.Stat(); err == nil && n == 4 && bytes.Equal(head, []byte("PK\x03\x04")) && fi.Size() <= maxZipMember {
		b, err := io.ReadAll(io.MultiReader(bytes.NewReader(head), f))
		if err != nil {
			return nil, err
		}
		return Scan(b, today), nil
	}
	return ScanReader(io.MultiReader(bytes.NewReader(head[:n]), f), today)
}

// chunkSize is how much ScanReader reads at a time (smaller in tests).
var chunkSize = 4 << 20

// ScanReader scans a stream without opening zip archives. Each chunk is
// scanned up to its last separator byte (neither digit nor letter), and
// the rest carried into the next, so no number is cut in two.
func ScanReader(r io.Reader, today time.Time) ([]Hit, error) {
	var hits []Hit
	var base int64 // stream offset of buf[0]
	buf := make([]byte, 0, 2*chunkSize)
	chunk := make([]byte, chunkSize)
	for {
		n, err := io.ReadFull(r, chunk)
		buf = append(buf, chunk[:n]...)
		eof := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !eof {
			return hits, err
		}
		cut := len(buf)
		if !eof {
			cut = -1
			for i := len(buf) - 1; i > 0; i-- {
				if c := buf[i]; !isDigit(c) && !isLetter(c) {
					cut = i
					break
				}
			}
			if cut < 0 && len(buf) < 4*chunkSize+1<<16 {
				continue // one long run of digits and letters: read on
			}
			if cut < 0 {
				cut = len(buf) // give up keeping it whole
			}
		}
		for _, h := range scanFlat(buf[:min(cut+1, len(buf))], today, "") {
			h.Offset += base
			hits = append(hits, h)
		}
		if eof {
			return hits, nil
		}
		rest := copy(buf, buf[cut:])
		base += int64(cut)
		buf = buf[:rest]
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// scanFlat walks maximal runs of ASCII digits. A number glued to letters on
// either side (inside a hex hash or base64 ciphertext) is not a number
// someone wrote down, except the X check character of an ID. Runs longer
// than 18 digits are searched for IDs inside them; card numbers are only
// whole runs (Luhn alone passes one random run in ten).
func scanFlat(b []byte, today time.Time, entry string) []Hit {
	var hits []Hit
	for i := 0; i < len(b); {
		if !isDigit(b[i]) {
			i++
			continue
		}
		j := i
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		run := b[i:j]
		before := byte(' ')
		if i > 0 {
			before = b[i-1]
		}
		after := byte(' ')
		if j < len(b) {
			after = b[j]
		}
		switch {
		case len(run) == 17 && (after == 'X' || after == 'x') && !isLetter(before) &&
			(j+1 >= len(b) || !isLetter(b[j+1]) && !isDigit(b[j+1])):
			if s := string(run) + "X"; ValidID(s, today) {
				hits = append(hits, Hit{Kind: IDNumber, Entry: entry, Offset: int64(i), Masked: idcard.Mask(s)})
			}
		case len(run) == 18 && !isLetter(before) && !isLetter(after) && ValidID(string(run), today):
			hits = append(hits, Hit{Kind: IDNumber, Entry: entry, Offset: int64(i), Masked: idcard.Mask(string(run))})
		case len(run) == 18 && bytes.HasPrefix(run, []byte(deid.FakeRegion)):
			// A de-identified ID number (the training library's 99… namespace):
			// no one's, and no card either, though one in ten passes Luhn.
		case len(run) >= 16 && len(run) <= 19 && !isLetter(before) && !isLetter(after) && ValidCard(string(run)):
			hits = append(hits, Hit{Kind: BankCard, Entry: entry, Offset: int64(i), Masked: maskCard(string(run))})
		case len(run) > idcard.Length:
			// Binary formats glue values together: a SQLite record puts
			// one text column right after another, so an ID can follow a
			// region code with no separator. Every 18-digit window of a
			// longer run is checked (a random window passes the date,
			// province and check character about once in 70,000).
			for k := 0; k+idcard.Length <= len(run); k++ {
				if w := string(run[k : k+idcard.Length]); ValidID(w, today) {
					hits = append(hits, Hit{Kind: IDNumber, Entry: entry, Offset: int64(i + k), Masked: idcard.Mask(w)})
					k += idcard.Length - 1
				}
			}
			if (after == 'X' || after == 'x') && len(run) > 17 {
				if w := string(run[len(run)-17:]) + "X"; ValidID(w, today) {
					hits = append(hits, Hit{Kind: IDNumber, Entry: entry, Offset: int64(j - 17), Masked: idcard.Mask(w)})
				}
			}
		}
		i = j
	}
	return hits
}

// provinces are the first two digits of a resident identity number.
var provinces = map[string]bool{}

func init() {
	for _, p := range []string{"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
		"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83", "91"} {
		provinces[p] = true
	}
}

// ValidID reports whether s is an 18-character identity number with a
// province code, a real birth date not after today and a matching check
// character.
func ValidID(s string, today time.Time) bool {
	if len(s) != idcard.Length || !provinces[s[:2]] {
		return false
	}
	_, err := idcard.Parse(s, today)
	return err == nil
}

// ValidCard reports whether s is 16–19 digits starting like a card of the
// networks issued in China (3 JCB, 4 Visa, 5 Mastercard, 6 UnionPay, 9
// domestic) and passing the Luhn check.
func ValidCard(s string) bool {
	if len(s) < 16 || len(s) > 19 {
		return false
	}
	switch s[0] {
	case '3', '4', '5', '6', '9':
	default:
		return false
	}
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		if !isDigit(s[i]) {
			return false
		}
		d := int(s[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

func maskCard(s string) string {
	return s[:0] + string(bytes.Repeat([]byte("*"), len(s)-4)) + s[len(s)-4:]
}

// Redact returns s with every valid ID and bank card number replaced by its
// masked form (same length), for text that goes to a log or an audit
// record: a request path, a username someone typed.
func Redact(s string) string {
	hits := scanFlat([]byte(s), time.Now(), "")
	if len(hits) == 0 {
		return s
	}
	b := []byte(s)
	for _, h := range hits {
		copy(b[h.Offset:], h.Masked)
	}
	return string(b)
}
