package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"dibao/internal/api"
	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

func TestReviewTaskAPI(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		srv, a := newServerOn(t, db)
		testenv.User(t, db, "cadmin", testenv.County, authz.CountyAdmin)
		testenv.User(t, db, "township", testenv.TownA, authz.TownshipOfficer)
		testenv.User(t, db, "approver", testenv.County, authz.CountyApprover)
		clerk := login(t, srv, "clerk")
		code, body := call(t, srv, "POST", "/households", clerk, map[string]any{
			"region_code": string(testenv.VillageA), "address": "一组", "urban": "rural", "bank_name": "农村信用社",
			"bank_account": "6228480012345678901",
			"members":      []map[string]string{{"name": "周大", "relation": "head", "id_number": "11010519491231002X", "labour": "none", "health": "healthy", "co_resident": "1"}}})
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
				Amount: 100000, Members: 1, StartMonth: "2025-06", Status: "active"}); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test.enroll", Object: "household"})
		})
		if err != nil {
			t.Fatal(err)
		}
		town := login(t, srv, "township")
		// More income since enrolment: 300 yuan a month.
		if code, body := call(t, srv, "POST", fmt.Sprintf("/households/%d/incomes", h.ID), town, map[string]any{
			"version": 1, "kind": "transfer", "description": "子女赡养", "amount": "3600", "months": "12"}); code != 201 && code != 200 {
			t.Fatalf("income: %d %s", code, body)
		}

		admin := login(t, srv, "cadmin")
		if code, body := call(t, srv, "POST", "/review-tasks/generate", clerk, nil); code != 403 {
			t.Fatalf("clerk generating: %d %s", code, body)
		}
		code, body = call(t, srv, "POST", "/review-tasks/generate", admin, nil)
		var gen struct{ Created int }
		if code != 200 || json.Unmarshal(body, &gen) != nil || gen.Created != 1 {
			t.Fatalf("generate: %d %s", code, body)
		}
		code, body = call(t, srv, "GET", "/review-tasks?status=undecided&kind=periodic", town, nil)
		var list struct {
			Items []struct {
				ID      int64
				Version int64
				Status  string
			}
			Total int
		}
		if code != 200 || json.Unmarshal(body, &list) != nil || list.Total != 1 || list.Items[0].Status != "open" {
			t.Fatalf("list: %d %s", code, body)
		}
		if code, body := call(t, srv, "GET", "/review-tasks?due_before=x", town, nil); code != 400 || decodeErr(t, body).Error.Field != "due_before" {
			t.Fatalf("bad filter: %d %s", code, body)
		}
		task := list.Items[0]
		path := fmt.Sprintf("/review-tasks/%d", task.ID)
		code, body = call(t, srv, "GET", path, town, nil)
		if code != 200 || !strings.Contains(string(body), `"transition":"propose"`) || !strings.Contains(string(body), `"enabled":true`) {
			t.Fatalf("task: %d %s", code, body)
		}
		// Bad input: a structured error, nothing written.
		code, body = call(t, srv, "POST", path+"/actions/propose", town, map[string]any{"version": task.Version})
		if code != 400 && code != 422 {
			t.Fatalf("propose without findings: %d %s", code, body)
		}
		if e := decodeErr(t, body); e.Error.Code != "invalid" {
			t.Fatalf("error %+v", e)
		}
		req := map[string]any{"version": task.Version, "values": map[string][]string{"verified_on": {"2026-11-20"},
			"income_check": {"子女每月给付300元"}, "property_check": {"无变化"}}}
		first := actWithKey(t, srv, path+"/actions/propose", town, "key-1", req)
		again := actWithKey(t, srv, path+"/actions/propose", town, "key-1", req)
		if first.replayed || !again.replayed || first.body != strings.Replace(again.body, `"replayed":true`, `"replayed":false`, 1) {
			t.Fatalf("replay:\n%s\n%s", first.body, again.body)
		}
		var res struct {
			Task     struct{ Version int64 }
			Proposal struct{ Outcome string }
		}
		_ = json.Unmarshal([]byte(first.body), &res)
		if res.Proposal.Outcome != "decrease" {
			t.Fatalf("proposal %s", first.body)
		}
		appr := login(t, srv, "approver")
		code, body = call(t, srv, "POST", path+"/actions/decide", appr, map[string]any{"version": res.Task.Version,
			"values": map[string][]string{"comment": {"同意"}}})
		var dec struct{ Notice string }
		if code != 200 || json.Unmarshal(body, &dec) != nil || !strings.HasPrefix(dec.Notice, "DB-BG-") {
			t.Fatalf("decide: %d %s", code, body)
		}
		code, body = call(t, srv, "POST", path+"/actions/decide", appr, map[string]any{"version": res.Task.Version})
		if code != 409 {
			t.Fatalf("deciding again: %d %s", code, body)
		}
		code, body = call(t, srv, "GET", path, appr, nil)
		if code != 200 || !strings.Contains(string(body), dec.Notice) || !strings.Contains(string(body), `"transition":"decide"`) {
			t.Fatalf("decided task: %d %s", code, body)
		}
		code, body = call(t, srv, "GET", path+"/notice", appr, nil)
		if code != 200 || !strings.Contains(string(body), "申请人对决定不服的，可以依法申请行政复议或者提起行政诉讼") {
			t.Fatalf("notice: %d", code)
		}
	})
}

type actResult struct {
	body     string
	replayed bool
}

// actWithKey posts an action with an Idempotency-Key and expects 200.
func actWithKey(t *testing.T, srv *httptest.Server, path, token, key string, body any) actResult {
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
	if res.StatusCode != 200 {
		t.Fatalf("%s: %d %s", path, res.StatusCode, out)
	}
	return actResult{body: string(out), replayed: res.Header.Get("Idempotent-Replayed") == "true"}
}

// newServerOn is newServer over the given store.
func newServerOn(t *testing.T, db *store.DB) (*httptest.Server, *app.App) {
	t.Helper()
	testenv.SeedRegions(t, db)
	testenv.User(t, db, "clerk", testenv.VillageA, authz.VillageClerk)
	a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(api.New(a))
	t.Cleanup(srv.Close)
	serverDB.Store(srv.URL, db)
	return srv, a
}
