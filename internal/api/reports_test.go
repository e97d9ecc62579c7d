package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"dibao/internal/authz"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// callKey is call with an Idempotency-Key header.
func callKey(t *testing.T, srv *httptest.Server, path, token, key string, body any) (int, []byte, string) {
	t.Helper()
	buf, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1"+path, bytes.NewReader(buf))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out, res.Header.Get("Idempotent-Replayed")
}

func TestChangeReportAndSpotCheckAPI(t *testing.T) {
	srv, a := newServer(t)
	testenv.User(t, a.DB, "township", testenv.TownA, authz.TownshipOfficer)
	testenv.User(t, a.DB, "approver", testenv.County, authz.CountyApprover)
	clerk := login(t, srv, "clerk")
	code, body := call(t, srv, "POST", "/households", clerk, map[string]any{
		"region_code": string(testenv.VillageA), "address": "一组", "urban": "rural",
		"members": []map[string]string{{"name": "周大山", "id_number": "11010519491231002X", "labour": "none", "health": "healthy"}}})
	if code != 201 {
		t.Fatalf("household: %d %s", code, body)
	}
	var h struct{ ID int64 }
	_ = json.Unmarshal(body, &h)
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

	report := map[string]any{"household_id": h.ID, "kind": "member_died", "detail": "户主之妻于10月病故", "changed_on": "2026-10-02"}
	if code, body = call(t, srv, "POST", "/change-reports", login(t, srv, "clerkb"), report); code != 404 {
		t.Fatalf("other village's clerk: %d %s", code, body)
	}
	code, body = call(t, srv, "POST", "/change-reports", clerk, map[string]any{"household_id": h.ID, "kind": "x"})
	if e := decodeErr(t, body); code != 400 || len(e.Error.Details) != 3 {
		t.Fatalf("bad report: %d %s", code, body)
	}
	code, body, _ = callKey(t, srv, "/change-reports", clerk, "r-1", report)
	var rep struct {
		ID      int64
		Version int64
		State   string
	}
	if json.Unmarshal(body, &rep); code != 201 || rep.State != "reported" {
		t.Fatalf("report: %d %s", code, body)
	}
	code, body, replayed := callKey(t, srv, "/change-reports", clerk, "r-1", report)
	if code != 201 || replayed != "true" || !strings.Contains(string(body), `"id":`+jsonInt(rep.ID)) { // the first answer again
		t.Fatalf("report replay: %d %s %q", code, body, replayed)
	}

	town := login(t, srv, "township")
	path := "/change-reports/" + jsonInt(rep.ID)
	code, body = call(t, srv, "GET", path, town, nil)
	if code != 200 || !strings.Contains(string(body), `"id":"confirm"`) || !strings.Contains(string(body), `"transition":"report"`) {
		t.Fatalf("detail: %d %s", code, body)
	}
	verify := map[string]any{"version": rep.Version, "values": map[string][]string{"method": {"data_check"},
		"verified_on": {"2026-10-05"}, "note": {"民政系统死亡信息比对一致"}}}
	code, body = call(t, srv, "POST", path+"/actions/confirm", town, verify)
	if code != 200 || !strings.Contains(string(body), `"state":"confirmed"`) {
		t.Fatalf("confirm: %d %s", code, body)
	}
	if code, body = call(t, srv, "POST", path+"/actions/forward", town, map[string]any{"version": rep.Version}); code != 409 {
		t.Fatalf("stale version: %d %s", code, body)
	}
	fwd := map[string]any{"version": rep.Version + 1}
	code, body, _ = callKey(t, srv, path+"/actions/forward", town, "f-1", fwd)
	var out struct {
		ReviewTaskID int64 `json:"review_task_id"`
	}
	if json.Unmarshal(body, &out); code != 200 || out.ReviewTaskID == 0 {
		t.Fatalf("forward: %d %s", code, body)
	}
	code, body, replayed = callKey(t, srv, path+"/actions/forward", town, "f-1", fwd)
	if code != 200 || replayed != "true" || !strings.Contains(string(body), `"review_task_id":`+jsonInt(out.ReviewTaskID)) {
		t.Fatalf("forward replay: %d %s", code, body)
	}
	if xs, _ := a.DB.QueryStrings(ctx, "SELECT reason FROM review_tasks WHERE kind = 'change_report'"); len(xs) != 1 ||
		!strings.Contains(xs[0], "户主之妻于10月病故") {
		t.Fatalf("review tasks %v", xs)
	}
	code, body = call(t, srv, "GET", "/change-reports?state=forwarded&kind=member_died", town, nil)
	if code != 200 || strings.Count(string(body), `"household_id"`) != 1 || strings.Contains(string(body), "周大山") {
		t.Fatalf("list: %d %s", code, body)
	}

	// Spot checks.
	approver := login(t, srv, "approver")
	if code, body = call(t, srv, "POST", "/spot-checks", approver, map[string]any{"seed": "abc"}); code != 400 {
		t.Fatalf("bad seed: %d %s", code, body)
	}
	code, body = call(t, srv, "POST", "/spot-checks", approver, map[string]any{"seed": "42"})
	var sc struct {
		ID     int64
		Seed   string
		Sample []struct {
			HouseholdID int64  `json:"household_id"`
			HeadName    string `json:"head_name"`
			Reason      string
		}
	}
	if json.Unmarshal(body, &sc); code != 201 || sc.Seed != "42" || len(sc.Sample) != 1 || sc.Sample[0].HeadName != "周*山" ||
		sc.Sample[0].Reason != "随机抽取" {
		t.Fatalf("draw: %d %s", code, body)
	}
	spath := "/spot-checks/" + jsonInt(sc.ID)
	code, body = call(t, srv, "POST", spath+"/results", approver, map[string]any{"household_id": h.ID, "finding": "no"})
	if e := decodeErr(t, body); code != 400 || e.Error.Field != "finding" {
		t.Fatalf("bad finding: %d %s", code, body)
	}
	code, body = call(t, srv, "POST", spath+"/results", approver, map[string]any{"household_id": h.ID, "finding": "not_confirmed",
		"note": "家中有未申报的经营收入"})
	if code != 200 || !strings.Contains(string(body), `"finding_label":"不属实"`) {
		t.Fatalf("result: %d %s", code, body)
	}
	code, body = call(t, srv, "GET", "/spot-checks", approver, nil)
	if code != 200 || !strings.Contains(string(body), `"recorded":1`) || !strings.Contains(string(body), `"seed":"42"`) {
		t.Fatalf("spot-check list: %d %s", code, body)
	}
	if code, body = call(t, srv, "GET", spath, approver, nil); code != 200 || !strings.Contains(string(body), "家中有未申报的经营收入") {
		t.Fatalf("spot-check detail: %d %s", code, body)
	}
	if code, _ = call(t, srv, "GET", "/spot-checks", town, nil); code != 403 {
		t.Fatalf("township listing spot checks: %d", code)
	}
}
