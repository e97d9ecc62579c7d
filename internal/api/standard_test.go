package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"dibao/internal/api"
	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/roster"
	"dibao/internal/testenv"
)

func TestStandardChangeAPI(t *testing.T) {
	srv, a := newServer(t)
	testenv.User(t, a.DB, "approver", testenv.County, authz.CountyApprover)
	testenv.User(t, a.DB, "cadmin", testenv.County, authz.CountyAdmin)
	ctx := context.Background()
	ids := enrol(t, a.DB, 3)
	approver := login(t, srv, "approver")
	count := func() string {
		xs, err := a.DB.QueryStrings(ctx, "SELECT COUNT(*) FROM standard_changes")
		if err != nil {
			t.Fatal(err)
		}
		return xs[0]
	}

	// Bad input: one structured error per field, nothing written.
	code, body := call(t, srv, "POST", "/standard-changes", approver,
		map[string]string{"county": "1301", "urban": "abc", "rural": "-1", "effective_month": "2027-13"})
	e := decodeErr(t, body)
	fields := map[string]bool{}
	for _, d := range e.Error.Details {
		fields[d.Field] = true
	}
	if code != 400 || !fields["county"] || !fields["urban"] || !fields["rural"] || !fields["effective_month"] || count() != "0" {
		t.Fatalf("bad input: %d %s", code, body)
	}

	now := time.Now().In(calendar.Location())
	month := roster.MonthOf(now.Year(), now.Month()).Next().String()
	req := map[string]string{"county": string(testenv.County), "urban": "1000", "rural": "800", "effective_month": month}
	preview := func(key string) (int, []byte) {
		t.Helper()
		buf, _ := json.Marshal(req)
		r, _ := http.NewRequest("POST", srv.URL+"/api/v1/standard-changes", strings.NewReader(string(buf)))
		r.Header.Set("Authorization", "Bearer "+approver)
		r.Header.Set("Idempotency-Key", key)
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res.StatusCode, out
	}
	var job struct {
		ID                  int64
		Status              string
		Recipients, Applied int
		Delta               string
		Decreases           []struct {
			HouseholdID int64  `json:"household_id"`
			HeadName    string `json:"head_name"`
		}
		Townships []struct{ Code, Delta string }
	}
	code, body = preview("std-1")
	if json.Unmarshal(body, &job); code != 201 || job.Recipients != 3 || len(job.Decreases) != 3 || job.Delta != "-360.00" ||
		job.Status != "preview" || len(job.Townships) != 1 || job.Decreases[0].HeadName != "周*" {
		t.Fatalf("preview: %d %s", code, body)
	}
	first := job.ID
	if code, body = preview("std-1"); code != 201 || json.Unmarshal(body, &job) != nil || job.ID != first || count() != "1" {
		t.Fatalf("replayed preview: %d %s (%s changes)", code, body, count())
	}
	path := fmt.Sprintf("/standard-changes/%d", first)
	if code, body = call(t, srv, "GET", "/standard-changes", approver, nil); code != 200 || !strings.Contains(string(body), fmt.Sprintf(`"id":%d`, first)) {
		t.Fatalf("list: %d %s", code, body)
	}
	if code, body = call(t, srv, "GET", path, approver, nil); code != 200 || !strings.Contains(string(body), `"crossing_households":[]`) {
		t.Fatalf("get: %d %s", code, body)
	}
	if code, _ = call(t, srv, "GET", path, login(t, srv, "clerk"), nil); code != 403 {
		t.Fatalf("village clerk reading: %d", code)
	}
	if code, body = call(t, srv, "POST", path+"/confirm", login(t, srv, "cadmin"), nil); code != 403 || decodeErr(t, body).Error.Code != "forbidden" {
		t.Fatalf("county admin confirming: %d %s", code, body)
	}
	code, body = call(t, srv, "POST", path+"/confirm", approver, nil)
	if code != 202 || !strings.Contains(string(body), `"status":"applying"`) || !strings.Contains(string(body), path+"/progress") {
		t.Fatalf("confirm: %d %s", code, body)
	}
	api.WaitStandardRuns()
	var pr struct {
		Status      string
		Done, Total int
	}
	if code, body = call(t, srv, "GET", path+"/progress", approver, nil); code != 200 || json.Unmarshal(body, &pr) != nil ||
		pr.Status != "applied" || pr.Done != 3 || pr.Total != 3 {
		t.Fatalf("progress: %d %s", code, body)
	}
	if code, body = call(t, srv, "POST", path+"/confirm", approver, nil); code != 409 {
		t.Fatalf("confirming again: %d %s", code, body)
	}
	for _, id := range ids {
		code, body = call(t, srv, "GET", fmt.Sprintf("/recipients/%d/history", id), approver, nil)
		if code != 200 || strings.Count(string(body), `"kind":"decrease"`) != 1 || !strings.Contains(string(body), `"new_amount":"880.00"`) {
			t.Fatalf("history of %d: %d %s", id, code, body)
		}
	}
}
