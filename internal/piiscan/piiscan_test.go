package piiscan

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"dibao/internal/deid"
	"dibao/internal/idcard"
)

var today = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

func TestScanFindsValidNumbersOnly(t *testing.T) {
	id := string(idcard.Make("130199", time.Date(1958, 3, 4, 0, 0, 0, 0, time.UTC), 123))
	var idX string // an ID whose check character is X
	for seq := 0; seq < 1000 && idX == ""; seq++ {
		if s := string(idcard.Make("110101", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), seq)); s[17] == 'X' {
			idX = s
		}
	}
	card := "6217991234567890120" // 19 digits
	for d := byte('0'); d <= '9'; d++ {
		if c := card[:18] + string(d); ValidCard(c) {
			card = c
			break
		}
	}
	if !ValidCard(card) || !ValidID(id, today) || idX == "" {
		t.Fatalf("fixtures: %s %s %q", card, id, idX)
	}
	badCheck := id[:17] + string("0123456789"[(int(id[17]-'0')+1)%10])
	if id[17] == 'X' {
		badCheck = id[:17] + "0"
	}
	future := string(idcard.Make("130199", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), 1))
	noProvince := string(idcard.Make("000199", time.Date(1958, 3, 4, 0, 0, 0, 0, time.UTC), 1))
	badLuhn := card[:18] + string("0123456789"[(int(card[18]-'0')+1)%10])
	var fake string // a de-identified ID number that also passes Luhn: not a card
	for seq := 0; seq < 1000 && fake == ""; seq++ {
		if s := string(idcard.Make(deid.FakeRegion, time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC), seq)); ValidCard(s) {
			fake = s
		}
	}
	if fake == "" {
		t.Fatal("no Luhn-valid de-identified number")
	}
	text := "身份证号" + id + "，卡号：" + card + " 另一个 " + strings.ToLower(idX) + "\n" +
		"错 " + badCheck + " " + future + " " + noProvince + " " + badLuhn +
		" 掩码 " + idcard.Mask(id) + " 脱敏 " + fake + " hash a" + id + "f 时间 1764201600000000000 " + strings.Repeat("7", 40) + " 粘连 130199000000" + id
	hits := Scan([]byte(text), today)
	var kinds []string
	for _, h := range hits {
		kinds = append(kinds, string(h.Kind)+":"+h.Masked)
		if strings.Contains(h.String(), id) || strings.Contains(h.String(), card) {
			t.Fatalf("a hit carries the clear number: %s", h)
		}
	}
	want := []string{"id_number:" + idcard.Mask(id), "bank_card:***************" + card[15:], "id_number:" + idcard.Mask(idX),
		"id_number:" + idcard.Mask(id)} // the last one glued to a region code, as in a SQLite record
	if strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Fatalf("hits %v, want %v", kinds, want)
	}
	if hits[0].Offset != int64(len("身份证号")) {
		t.Fatalf("offset %d", hits[0].Offset)
	}
}

func TestScanLooksInsideZip(t *testing.T) {
	id := string(idcard.Make("130199", time.Date(1958, 3, 4, 0, 0, 0, 0, time.UTC), 123))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("xl/sharedStrings.xml")
	// Enough repetition that deflate codes it (a few bytes may be stored
	// verbatim in a stored block, and then the test would prove nothing).
	w.Write([]byte(strings.Repeat("<si><t>最低生活保障</t></si>", 200) + "<si><t>" + id + "</t></si>"))
	zw.Close()
	if bytes.Contains(buf.Bytes(), []byte(id)) {
		t.Fatal("the fixture should be compressed")
	}
	hits := Scan(buf.Bytes(), today)
	if len(hits) != 1 || hits[0].Entry != "xl/sharedStrings.xml" || hits[0].Kind != IDNumber {
		t.Fatalf("hits %v", hits)
	}
	if got := Scan(buf.Bytes()[:buf.Len()/2], today); len(got) != 0 {
		t.Fatalf("a broken zip: %v", got)
	}
}

func TestRedact(t *testing.T) {
	id := string(idcard.Make("130199", time.Date(1958, 3, 4, 0, 0, 0, 0, time.UTC), 123))
	got := Redact("/api/v1/households/" + id + "/x?card=6217991234567890128")
	if want := "/api/v1/households/" + idcard.Mask(id) + "/x?card=6217991234567890128"; ValidCard("6217991234567890128") || got != want {
		t.Fatalf("Redact = %q, want %q", got, want)
	}
	if s := "/rosters/12/bank.csv"; Redact(s) != s {
		t.Fatal("Redact changed a path without numbers")
	}
}

// ScanReader finds what Scan finds, at the same offsets, however the
// stream is cut into chunks.
func TestScanReaderMatchesScan(t *testing.T) {
	var b bytes.Buffer
	for i := 0; i < 300; i++ {
		id := string(idcard.Make("130199", time.Date(1940+i%80, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC), i))
		switch i % 4 {
		case 0:
			b.WriteString("身份证" + id + ";")
		case 1:
			b.WriteString("130199000000" + id) // glued, as in a SQLite record
		case 2:
			b.WriteString("abc" + strings.Repeat("7", i%40) + " ")
		default:
			b.WriteString(" card 6217991234567890128 x" + id[:10])
		}
	}
	want := Scan(b.Bytes(), today)
	if len(want) < 150 {
		t.Fatalf("fixture: %d hits", len(want))
	}
	defer func(n int) { chunkSize = n }(chunkSize)
	for _, n := range []int{7, 19, 64, 1000, 1 << 20} {
		chunkSize = n
		got, err := ScanReader(bytes.NewReader(b.Bytes()), today)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("chunk %d: %d hits, Scan %d", n, len(got), len(want))
		}
	}
}
