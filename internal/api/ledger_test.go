package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"dibao/internal/authz"
	"dibao/internal/ledger/ledgertest"
	"dibao/internal/sheet"
	"dibao/internal/testenv"
)

func uploadLedger(t *testing.T, srv *httptest.Server, token, name string, data []byte) (int, []byte) {
	t.Helper()
	code, body, _ := uploadLedgerKey(t, srv, token, "", name, data)
	return code, body
}

func uploadLedgerKey(t *testing.T, srv *httptest.Server, token, key, name string, data []byte) (int, []byte, http.Header) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/ledger-imports", &buf)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out, res.Header
}

type ledgerBatch struct {
	ID, Rows, Valid, Imported int
	Status                    string
	Errors                    []struct {
		Row             int
		Column, Message string
	}
	Households []int64
}

func TestLedgerAPI(t *testing.T) {
	srv, a := newServer(t)
	testenv.User(t, a.DB, "cadmin", testenv.County, authz.CountyAdmin)
	tok := login(t, srv, "cadmin")
	clerk := login(t, srv, "clerk")

	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/ledger/template.xlsx", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if rows, err := sheet.Read(bytes.NewReader(tmpl)); res.StatusCode != 200 || err != nil || len(rows) != 2 {
		t.Fatalf("template: %d %v", res.StatusCode, err)
	}

	code, body := uploadLedger(t, srv, tok, "x.csv", []byte("a,b\n1,2\n"))
	if e := decodeErr(t, body); code != 400 || e.Error.Field != "file" || !strings.Contains(e.Error.Message, "xlsx") {
		t.Fatalf("csv upload: %d %s", code, body)
	}
	if code, _ := uploadLedger(t, srv, clerk, "a.xlsx", ledgertest.Workbook(t, ledgertest.Rows(12, testenv.VillageA))); code != 403 {
		t.Fatalf("clerk upload: %d", code)
	}

	code, body = uploadLedger(t, srv, tok, "台账.xlsx", ledgertest.Workbook(t, ledgertest.Rows(20, testenv.VillageA, testenv.VillageB)))
	var b ledgerBatch
	if code != 201 || json.Unmarshal(body, &b) != nil {
		t.Fatalf("upload: %d %s", code, body)
	}
	// Existing is not registered here, so row 11 is valid: five bad rows.
	if b.Rows != 20 || b.Valid != 15 || b.Status != "checked" || len(b.Errors) != 5 || b.Errors[0].Row != 3 ||
		b.Errors[0].Column != "户主公民身份号码" || b.Errors[0].Message == "" {
		t.Fatalf("report %+v", b)
	}
	if v, _ := a.DB.QueryStrings(context.Background(), "SELECT COUNT(*) FROM recipients"); v[0] != "0" {
		t.Fatal("check wrote recipients")
	}
	path := "/ledger-imports/" + strconv.Itoa(b.ID)
	if code, body := call(t, srv, "GET", path, tok, nil); code != 200 || !strings.Contains(string(body), `"rows":20`) {
		t.Fatalf("get %d %s", code, body)
	}
	if code, _ := call(t, srv, "POST", path+"/confirm", clerk, nil); code != 403 {
		t.Fatalf("clerk confirm %d", code)
	}
	for i := 0; i < 2; i++ {
		code, body = call(t, srv, "POST", path+"/confirm", tok, nil)
		var done ledgerBatch
		if code != 200 || json.Unmarshal(body, &done) != nil || done.Status != "imported" || done.Imported != 15 ||
			len(done.Households) != 15 {
			t.Fatalf("confirm %d: %d %s", i, code, body)
		}
	}
	if v, _ := a.DB.QueryStrings(context.Background(), "SELECT COUNT(*) FROM recipients"); v[0] != "15" {
		t.Fatalf("recipients %v", v)
	}
	if code, body := call(t, srv, "POST", path+"/cancel", tok, nil); code != 409 || decodeErr(t, body).Error.Code != "conflict" {
		t.Fatalf("cancel imported %d %s", code, body)
	}
	if code, body := call(t, srv, "GET", "/ledger-imports", tok, nil); code != 200 || !strings.Contains(string(body), `"status":"imported"`) {
		t.Fatalf("list %d %s", code, body)
	}
	if code, _ := call(t, srv, "GET", "/ledger-imports/999", tok, nil); code != 404 {
		t.Fatalf("unknown %d", code)
	}

	// A retried upload with the same Idempotency-Key answers the first batch.
	more := ledgertest.Workbook(t, append([][]string{ledgertest.Header}, ledgertest.Rows(25, testenv.VillageA)[21:]...))
	c1, b1, _ := uploadLedgerKey(t, srv, tok, "up-1", "b.xlsx", more)
	c2, b2, h2 := uploadLedgerKey(t, srv, tok, "up-1", "b.xlsx", more)
	var first, second ledgerBatch
	if c1 != 201 || c2 != 201 || json.Unmarshal(b1, &first) != nil || json.Unmarshal(b2, &second) != nil ||
		first.ID != second.ID || first.Valid != 5 || h2.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("idempotent upload: %d %s / %d %s", c1, b1, c2, b2)
	}
	if v, _ := a.DB.QueryStrings(context.Background(), "SELECT COUNT(*) FROM ledger_imports"); v[0] != "2" {
		t.Fatalf("batches %v", v)
	}
}
