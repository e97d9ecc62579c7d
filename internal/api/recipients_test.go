package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/sheet"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

func TestRosterAPI(t *testing.T) {
	srv, a := newServer(t)
	testenv.User(t, a.DB, "approver", testenv.County, authz.CountyApprover)
	clerk := login(t, srv, "clerk")
	code, body := call(t, srv, "POST", "/households", clerk, map[string]any{
		"region_code": string(testenv.VillageA), "address": "一组", "urban": "rural", "bank_name": "农村信用社",
		"bank_account": "6228480012345678901",
		"members":      []map[string]string{{"name": "周大", "id_number": "11010519491231002X", "labour": "none", "health": "healthy"}}})
	if code != 201 {
		t.Fatalf("household: %d %s", code, body)
	}
	var h struct{ ID int64 }
	_ = json.Unmarshal(body, &h)
	// An approved case put the household on the register (fixture: the
	// enrolment approval writes).
	ctx := context.Background()
	err := a.DB.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
		c := store.Case{Number: "T-1", HouseholdID: h.ID, Region: testenv.VillageA, Profile: "seed", State: "approved", Policy: "{}"}
		if err := tx.CreateCase(ctx, &c); err != nil {
			return err
		}
		if err := tx.Enroll(ctx, store.Recipient{HouseholdID: h.ID, CaseID: c.ID, Region: testenv.VillageA, Category: "A",
			Amount: 65000, Members: 1, StartMonth: "2026-01", Status: "active"}); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "test.enroll", Object: "household"})
	})
	if err != nil {
		t.Fatal(err)
	}
	approver := login(t, srv, "approver")
	code, body = call(t, srv, "GET", "/recipients", approver, nil)
	if code != 200 || !strings.Contains(string(body), `"amount":"650.00"`) {
		t.Fatalf("register: %d %s", code, body)
	}
	month := time.Now().AddDate(0, 1, 0).Format("2006-01")
	build := func() (int, []byte) {
		return call(t, srv, "POST", "/rosters", approver, map[string]string{"county": string(testenv.County), "month": month})
	}
	code, body = build()
	var ro struct {
		ID   int64
		Rows int
	}
	if json.Unmarshal(body, &ro); code != 200 || ro.Rows != 1 {
		t.Fatalf("build: %d %s", code, body)
	}
	if code, body = build(); code != 200 || !strings.Contains(string(body), `"rows":1`) {
		t.Fatalf("rebuilding a draft must replace, not add: %d %s", code, body)
	}
	path := "/rosters/" + jsonInt(ro.ID)
	if code, body = call(t, srv, "POST", path+"/approve", approver, nil); code != 200 {
		t.Fatalf("approve: %d %s", code, body)
	}
	code, body = build()
	if e := decodeErr(t, body); code != 409 && code != 400 || !strings.Contains(e.Error.Message, "不能重新生成") {
		t.Fatalf("rebuilding an approved month: %d %s", code, body)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1"+path+"/bank.csv", nil)
	req.Header.Set("Authorization", "Bearer "+approver)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	csv, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(csv), "6228480012345678901") || !strings.Contains(string(csv), "650.00") {
		t.Fatalf("bank csv: %d %s", res.StatusCode, csv)
	}
	if code, _ := call(t, srv, "POST", path+"/approve", clerk, nil); code != 403 {
		t.Fatalf("a clerk approved a roster: %d", code)
	}

	// The list, the diff, the Excel export and the bank's result file.
	code, body = call(t, srv, "GET", "/rosters?county="+string(testenv.County), approver, nil)
	if code != 200 || !strings.Contains(string(body), `"month":"`+month+`"`) || !strings.Contains(string(body), `"paid":0`) {
		t.Fatalf("list: %d %s", code, body)
	}
	if code, body = call(t, srv, "GET", "/rosters?county=13019", approver, nil); code != 400 || decodeErr(t, body).Error.Field != "county" {
		t.Fatalf("list with a bad county: %d %s", code, body)
	}
	code, body = call(t, srv, "GET", path+"/diff", approver, nil)
	if code != 200 || !strings.Contains(string(body), `"added":1`) || !strings.Contains(string(body), `"previous":null`) ||
		!strings.Contains(string(body), `"new_total":"650.00"`) {
		t.Fatalf("diff: %d %s", code, body)
	}
	req, _ = http.NewRequest("GET", srv.URL+"/api/v1"+path+"/rows.xlsx", nil)
	req.Header.Set("Authorization", "Bearer "+approver)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := sheet.Read(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || len(rows) != 3 || rows[1][3] != "周大" ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "; filename*=utf-8''%E5%B9%B3%E5%AE%89%E5%8E%BF-") {
		t.Fatalf("xlsx: %d %v %v", res.StatusCode, rows, err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\r\n")
	result := func(amount string) string {
		return lines[0] + ",处理结果,失败原因\r\n" + strings.Replace(lines[1], ",650.00,", ","+amount+",", 1) + ",成功,\r\n"
	}
	code, body = call(t, srv, "POST", path+"/bank-result", approver, result("651.00"))
	if e := decodeErr(t, body); code != 400 || !strings.Contains(e.Error.Message, "金额 651.00 元与名册 650.00 元不符") {
		t.Fatalf("mismatching result: %d %s", code, body)
	}
	if code, body = call(t, srv, "POST", path+"/bank-result", clerk, result("650.00")); code != 403 {
		t.Fatalf("a clerk imported a result: %d %s", code, body)
	}
	code, body = call(t, srv, "POST", path+"/bank-result", approver, result("650.00"))
	if code != 200 || !strings.Contains(string(body), `"paid":1`) || !strings.Contains(string(body), `"repeated":false`) {
		t.Fatalf("result: %d %s", code, body)
	}
	code, body = call(t, srv, "POST", path+"/bank-result", approver, result("650.00"))
	if code != 200 || !strings.Contains(string(body), `"repeated":true`) {
		t.Fatalf("repeated result: %d %s", code, body)
	}
	code, body = call(t, srv, "GET", path+"?pay_status=paid", approver, nil)
	if code != 200 || !strings.Contains(string(body), `"head_name":"周大"`) || !strings.Contains(string(body), `"pay_status":"paid"`) ||
		!strings.Contains(string(body), `"paid":1`) {
		t.Fatalf("paid rows: %d %s", code, body)
	}
	if code, body = call(t, srv, "GET", path+"?pay_status=failed", approver, nil); code != 200 || !strings.Contains(string(body), `"items":[]`) {
		t.Fatalf("failed rows: %d %s", code, body)
	}
	if code, body = call(t, srv, "GET", path+"/repay.csv", approver, nil); code != 409 || !strings.Contains(decodeErr(t, body).Error.Message, "没有发放失败") {
		t.Fatalf("re-payment file without failures: %d %s", code, body)
	}
	if code, body = call(t, srv, "GET", path+"?pay_status=lost", approver, nil); code != 400 {
		t.Fatalf("bad pay_status: %d %s", code, body)
	}
}
