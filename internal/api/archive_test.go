package api_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"dibao/internal/archive"
	"dibao/internal/authz"
	"dibao/internal/testenv"
)

func TestArchiveAPI(t *testing.T) {
	srv, a := newServer(t)
	now := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	a.DB.SetClock(func() time.Time { return now })
	trainer := testenv.User(t, a.DB, "trainer", testenv.County, authz.Trainer)
	cust := testenv.User(t, a.DB, "custodian", testenv.County, authz.ArchiveCustodian)
	if err := a.DB.ExecRaw(context.Background(), `INSERT INTO training_plans (kind, title, region_code, period_start, period_end, required_minutes, categories, created_at)
		VALUES ('quarterly', '三季度常规培训', ?, '2026-07-01', '2026-09-30', 240, 'policy_law', 1)`, string(testenv.County)); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.ExecRaw(context.Background(), `INSERT INTO assessment_results (person_id, plan_id, kind, attempt, score, passed, recorded_by, recorded_at)
		VALUES (?, 1, 'theory', 'first', 64, 1, 'trainer', ?)`, trainer.UserID, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if _, err := (&archive.Service{DB: a.DB}).Catalogue(context.Background(), cust); err != nil {
		t.Fatal(err)
	}
	tt := login(t, srv, "trainer")
	ct := login(t, srv, "custodian")

	code, body := call(t, srv, "GET", "/archive/records?type=score", tt, nil)
	var list struct {
		Items []struct {
			ID            int64
			Period, Title string
		}
	}
	if code != 200 || json.Unmarshal(body, &list) != nil || len(list.Items) != 1 || list.Items[0].Period != "2026-Q3" {
		t.Fatalf("list: %d %s", code, body)
	}
	rec := "/archive/records/" + strconv.FormatInt(list.Items[0].ID, 10)
	if code, body := call(t, srv, "GET", rec, tt, nil); code != 403 || decodeErr(t, body).Error.Code != "forbidden" {
		t.Fatalf("open without grant: %d %s", code, body)
	}
	// Bad input: structured errors naming the field.
	for _, c := range []struct {
		body  any
		field string
	}{
		{map[string]any{"purpose": "", "period": "2026-Q3", "type": "score", "days": 2}, "purpose"},
		{map[string]any{"purpose": "复盘", "period": "Q3", "type": "score", "days": 2}, "period"},
		{map[string]any{"purpose": "复盘", "period": "2026-Q3", "type": "score", "days": 0}, "days"},
		{map[string]any{"purpose": "复盘", "record_id": -1, "days": 2}, "record_id"},
	} {
		code, body := call(t, srv, "POST", "/archive/requests", tt, c.body)
		if e := decodeErr(t, body); code != 400 || e.Error.Field != c.field {
			t.Errorf("%v: %d %s", c.body, code, body)
		}
	}
	if code, body := call(t, srv, "POST", "/archive/requests", tt, `{"purpose":"x","days":2,"extra":1}`); code != 400 {
		t.Fatalf("unknown field: %d %s", code, body)
	}
	code, body = call(t, srv, "POST", "/archive/requests", tt, map[string]any{"purpose": "复盘三季度考核", "period": "2026-Q3", "type": "score", "days": 3})
	var created struct{ ID int64 }
	if code != 201 || json.Unmarshal(body, &created) != nil || created.ID == 0 {
		t.Fatalf("request: %d %s", code, body)
	}
	req := "/archive/requests/" + strconv.FormatInt(created.ID, 10)
	if code, _ := call(t, srv, "POST", req+"/approve", tt, map[string]any{"days": 2}); code != 403 {
		t.Fatalf("trainer approves: %d", code)
	}
	if code, body := call(t, srv, "POST", req+"/refuse", ct, map[string]any{"reason": " "}); code != 400 || decodeErr(t, body).Error.Field != "reason" {
		t.Fatalf("refuse without reason: %d %s", code, body)
	}
	if code, body := call(t, srv, "POST", req+"/approve", ct, map[string]any{"days": 2}); code != 200 {
		t.Fatalf("approve: %d %s", code, body)
	}
	if code, _ := call(t, srv, "POST", req+"/approve", ct, map[string]any{"days": 2}); code != 409 {
		t.Fatalf("approve twice: %d", code)
	}
	code, body = call(t, srv, "GET", rec, tt, nil)
	var opened struct {
		RequestID int64 `json:"request_id"`
		Content   struct{ Rows [][]string }
	}
	if code != 200 || json.Unmarshal(body, &opened) != nil || opened.RequestID != created.ID || len(opened.Content.Rows) != 1 || opened.Content.Rows[0][4] != "64" {
		t.Fatalf("open: %d %s", code, body)
	}
	if code, _ := call(t, srv, "GET", "/archive/reads", tt, nil); code != 403 {
		t.Fatalf("trainer reads log: %d", code)
	}
	for _, tok := range []string{ct, login(t, srv, "auditor")} {
		code, body := call(t, srv, "GET", "/archive/reads", tok, nil)
		var reads struct{ Items []struct{ Username string } }
		if code != 200 || json.Unmarshal(body, &reads) != nil || len(reads.Items) != 1 || reads.Items[0].Username != "trainer" {
			t.Fatalf("read log: %d %s", code, body)
		}
	}
	if code, body := call(t, srv, "GET", "/archive/requests?all=true", ct, nil); code != 200 {
		t.Fatalf("all requests: %d %s", code, body)
	}
	if code, _ := call(t, srv, "GET", "/archive/requests?all=true", tt, nil); code != 403 {
		t.Fatalf("trainer all: %d", code)
	}
	// After expiry: refused.
	now = now.Add(49 * time.Hour)
	tt = login(t, srv, "trainer")
	if code, _ := call(t, srv, "GET", rec, tt, nil); code != 403 {
		t.Fatalf("after expiry: %d", code)
	}
	if code, _ := call(t, srv, "GET", "/archive/records", login(t, srv, "clerk"), nil); code != 403 {
		t.Fatalf("clerk lists: %d", code)
	}
}
