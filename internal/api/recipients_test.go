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
}
