package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/testenv"
)

func TestCaseAPI(t *testing.T) {
	srv, a := newServer(t)
	testenv.User(t, a.DB, "town", testenv.TownA, authz.TownshipOfficer)
	clerk := login(t, srv, "clerk")
	today := time.Now().Format(time.DateOnly)

	code, body := call(t, srv, "POST", "/households", clerk, map[string]any{
		"region_code": string(testenv.VillageA), "address": "一组", "urban": "rural",
		"members": []map[string]string{{"name": "孙大", "id_number": "11010519491231002X", "labour": "none", "health": "healthy"}}})
	if code != 201 {
		t.Fatalf("household: %d %s", code, body)
	}
	var h struct{ ID int64 }
	_ = json.Unmarshal(body, &h)

	code, body = call(t, srv, "POST", "/cases", clerk, map[string]any{"household_id": h.ID, "relatives": map[string]any{}})
	if e := decodeErr(t, body); code != 400 || e.Error.Field != "relatives" {
		t.Fatalf("open without the relatives answer: %d %s", code, body)
	}
	code, body = call(t, srv, "POST", "/cases", clerk, map[string]any{"household_id": h.ID, "relatives": map[string]any{"none": true}})
	if code != 201 {
		t.Fatalf("open: %d %s", code, body)
	}
	var c struct {
		ID      int64
		Version int64
		State   string
	}
	_ = json.Unmarshal(body, &c)
	path := "/cases/" + jsonInt(c.ID)

	act := func(token, transition string, version int64, values map[string][]string, key string) (int, []byte) {
		req, _ := json.Marshal(map[string]any{"version": version, "values": values})
		r, _ := http.NewRequest("POST", srv.URL+"/api/v1"+path+"/actions/"+transition, bytes.NewReader(req))
		r.Header.Set("Authorization", "Bearer "+token)
		if key != "" {
			r.Header.Set("Idempotency-Key", key)
		}
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	version := func(b []byte) int64 {
		var r struct{ Case struct{ Version int64 } }
		_ = json.Unmarshal(b, &r)
		return r.Case.Version
	}
	code, body = act(clerk, "intake", c.Version, map[string][]string{"application_date": {today}}, "")
	if code != 200 {
		t.Fatalf("intake: %d %s", code, body)
	}
	v := version(body)
	items := []map[string]string{}
	for _, m := range []string{"application", "id_card", "household_register", "income_proof", "property_declaration", "authorisation", "promise"} {
		items = append(items, map[string]string{"code": m, "status": "ok"})
	}
	code, body = call(t, srv, "PUT", path+"/materials", clerk, map[string]any{"version": v, "items": items})
	if code != 200 {
		t.Fatalf("materials: %d %s", code, body)
	}
	_ = json.Unmarshal(body, &c)
	code, body = act(clerk, "accept", c.Version, nil, "accept-1")
	if code != 200 || !strings.Contains(string(body), `"kind":"receipt"`) {
		t.Fatalf("accept: %d %s", code, body)
	}
	// A replay with the same key returns the first answer and does nothing.
	code2, body2 := act(clerk, "accept", c.Version, nil, "accept-1")
	// (The API's Idempotency-Key layer answers the first answer itself.)
	if code2 != 200 || string(body2) != string(body) || version(body2) != version(body) {
		t.Fatalf("replay: %d %s", code2, body2)
	}
	// Without the key the same stale request is a conflict.
	code, body = act(clerk, "accept", c.Version, nil, "")
	if code != 409 || decodeErr(t, body).Error.Code != "conflict" {
		t.Fatalf("stale accept: %d %s", code, body)
	}
	// The wrong person for a step gets a Chinese reason.
	town := login(t, srv, "town")
	code, body = call(t, srv, "GET", path, clerk, nil)
	if code != 200 || !strings.Contains(string(body), `"transition":"forward"`) {
		t.Fatalf("case view: %d %s", code, body)
	}
	var view struct {
		Version   int64
		Documents []struct{ Number, URL string }
	}
	_ = json.Unmarshal(body, &view)
	code, body = act(town, "forward", view.Version, nil, "")
	if e := decodeErr(t, body); code != 403 || !strings.Contains(e.Error.Message, "角色") {
		t.Fatalf("township officer forwarding: %d %s", code, body)
	}
	// The receipt prints as HTML.
	req, _ := http.NewRequest("GET", srv.URL+strings.Replace(view.Documents[0].URL, "/api/v1", "/api/v1", 1), nil)
	req.Header.Set("Authorization", "Bearer "+clerk)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(html), view.Documents[0].Number) || !strings.Contains(string(html), "孙大") {
		t.Fatalf("receipt: %d", res.StatusCode)
	}

	// Uploads: type by content.
	upload := func(name string, data []byte) (int, []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("material", "application")
		fw, _ := mw.CreateFormFile("file", name)
		_, _ = fw.Write(data)
		mw.Close()
		r, _ := http.NewRequest("POST", srv.URL+"/api/v1"+path+"/files", &buf)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		r.Header.Set("Authorization", "Bearer "+clerk)
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	code, body = upload("申请书.pdf", []byte("MZ\x90\x00 not a pdf"))
	if e := decodeErr(t, body); code != 400 || !strings.Contains(e.Error.Message, "文件类型不支持") {
		t.Fatalf("exe upload: %d %s", code, body)
	}
	pdf := []byte("%PDF-1.4\n%%EOF\n")
	code, body = upload("申请书.pdf", pdf)
	if code != 201 {
		t.Fatalf("pdf upload: %d %s", code, body)
	}
	var f struct{ URL string }
	_ = json.Unmarshal(body, &f)
	req, _ = http.NewRequest("GET", srv.URL+f.URL, nil)
	req.Header.Set("Authorization", "Bearer "+clerk)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(got, pdf) || res.Header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %v", res.StatusCode, res.Header)
	}
	other := login(t, srv, "clerkb")
	req.Header.Set("Authorization", "Bearer "+other)
	res, _ = http.DefaultClient.Do(req)
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Fatalf("another village downloaded the scan: %d", res.StatusCode)
	}
}
