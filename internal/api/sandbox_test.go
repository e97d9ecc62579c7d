package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"dibao/internal/api"
	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/crosscheck"
	"dibao/internal/practical"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

type runOut struct {
	ID            int64  `json:"id"`
	Status        string `json:"status"`
	Attempt       string `json:"attempt"`
	SandboxCaseID int64  `json:"sandbox_case_id"`
	AutoPoints    int    `json:"auto_points"`
	Complete      bool   `json:"complete"`
	Score         int    `json:"score"`
	Passed        bool   `json:"passed"`
	Breakdown     []struct {
		Item, Kind, Expected, Done string
		Points, Max                int
	} `json:"breakdown"`
}

func decodeRun(t *testing.T, body []byte) runOut {
	t.Helper()
	var r runOut
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return r
}

// The supplement scenario end to end through the API: start, investigate
// with two sandbox investigators, appraisal, publicity (clock advanced),
// review, approval, finish with the determined amount, examiner rubric.
func TestSandboxAPI(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		testenv.SeedRegions(t, db)
		testenv.User(t, db, "trainee", testenv.TownA, authz.TownshipOfficer)
		testenv.User(t, db, "examiner", testenv.County, authz.Trainer)
		a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		a.Sandbox = &practical.Service{DB: db, Sandbox: testenv.SandboxStore(t, db), Now: time.Now,
			Checker: &crosscheck.Simulator{Seed: 3}}
		srv := httptest.NewServer(api.New(a))
		t.Cleanup(srv.Close)
		tr, ex := login(t, srv, "trainee"), login(t, srv, "examiner")

		code, body := call(t, srv, "GET", "/sandbox/scenarios", tr, nil)
		if code != 200 || !json.Valid(body) {
			t.Fatalf("scenarios: %d %s", code, body)
		}
		var sc struct{ Items []struct{ ID string } }
		_ = json.Unmarshal(body, &sc)
		if len(sc.Items) < 3 {
			t.Fatalf("scenarios %s", body)
		}
		code, body = call(t, srv, "POST", "/sandbox/runs", tr, map[string]string{"scenario": "supplement", "attempt": "again"})
		if e := decodeErr(t, body); code != 400 || e.Error.Field != "attempt" {
			t.Fatalf("bad attempt: %d %s", code, body)
		}
		code, body = call(t, srv, "POST", "/sandbox/runs", tr, map[string]string{"scenario": "supplement", "attempt": "makeup"})
		if code != 201 {
			t.Fatalf("start: %d %s", code, body)
		}
		run := decodeRun(t, body)
		cpath := "/sandbox/cases/" + strconv.FormatInt(run.SandboxCaseID, 10)
		// The real case API does not know the sandbox case.
		if code, body := call(t, srv, "GET", "/cases/"+strconv.FormatInt(run.SandboxCaseID, 10), tr, nil); code != 404 {
			t.Fatalf("sandbox case on the real API: %d %s", code, body)
		}
		var staff []int64
		act := func(tid string, values map[string][]string, reason string) (int, []byte) {
			t.Helper()
			code, body := call(t, srv, "GET", cpath, tr, nil)
			var c struct {
				Version int64
				Staff   []struct{ ID int64 }
			}
			if code != 200 || json.Unmarshal(body, &c) != nil {
				t.Fatalf("case: %d %s", code, body)
			}
			staff = staff[:0]
			for _, s := range c.Staff {
				staff = append(staff, s.ID)
			}
			return call(t, srv, "POST", cpath+"/actions/"+tid, tr, map[string]any{"version": c.Version, "values": values, "reason": reason})
		}
		must := func(tid string, values map[string][]string) {
			t.Helper()
			if code, body := act(tid, values, ""); code != 200 {
				t.Fatalf("%s: %d %s", tid, code, body)
			}
		}
		day := time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
		_, _ = act("request_check", map[string][]string{"requested_on": {day}}, "") // also loads staff
		if len(staff) < 2 {
			t.Fatalf("sandbox staff %v", staff)
		}
		must("record_home_visit", map[string][]string{"visit_date": {day}, "form_filled": {"on"}, "findings": {"父子二人"},
			"investigators": {fmt.Sprint(staff[0]), fmt.Sprint(staff[1])}})
		must("record_check_result", map[string][]string{"received_on": {day}, "summary": {"与申报一致"}})
		must("write_report", map[string][]string{"report": {"报告"}, "opinion": {"eligible"}, "opinion_reason": {"符合"}})
		must("submit_to_appraisal", nil)
		must("appraise", map[string][]string{"meeting_date": {day}, "participants": {"代表"}, "attendance": {"7"},
			"outcome": {"pass"}, "minutes": {"通过"}})
		must("start_publicity", map[string][]string{"place": {"公开栏"}})
		if code, body := act("close_publicity", nil, ""); code != 400 {
			t.Fatalf("early close: %d %s", code, body)
		}
		if code, body := call(t, srv, "POST", "/sandbox/runs/"+fmt.Sprint(run.ID)+"/advance", tr, map[string]int{"days": 15}); code != 200 {
			t.Fatalf("advance: %d %s", code, body)
		}
		must("close_publicity", nil)
		must("review_opinion", map[string][]string{"opinion": {"agree"}, "comment": {"同意"}})
		must("approve", map[string][]string{"category": {"A"}})
		rpath := "/sandbox/runs/" + fmt.Sprint(run.ID)
		if code, body := call(t, srv, "POST", rpath+"/finish", tr, map[string]string{"amount": "abc"}); code != 400 {
			t.Fatalf("bad amount: %d %s", code, body)
		}
		code, body = call(t, srv, "POST", rpath+"/finish", tr, map[string]string{"amount": "1195.00"})
		if code != 200 {
			t.Fatalf("finish: %d %s", code, body)
		}
		run = decodeRun(t, body)
		if run.Status != "finished" || run.Complete || run.AutoPoints != 80 || len(run.Breakdown) != 5 {
			t.Fatalf("finished run %s", body)
		}
		if code, body := act("deliver_rejection", nil, ""); code != 409 {
			t.Fatalf("act after finish: %d %s", code, body)
		}
		if code, body := call(t, srv, "POST", rpath+"/rubric", tr, map[string]any{"scores": map[string]int{"report_quality": 10, "explanation": 10}}); code != 403 {
			t.Fatalf("trainee rubric: %d %s", code, body)
		}
		code, body = call(t, srv, "POST", rpath+"/rubric", ex, map[string]any{"scores": map[string]int{"report_quality": 5}})
		if e := decodeErr(t, body); code != 400 || e.Error.Field != "rubric.explanation" {
			t.Fatalf("incomplete rubric: %d %s", code, body)
		}
		code, body = call(t, srv, "POST", rpath+"/rubric", ex, map[string]any{"scores": map[string]int{"report_quality": 5, "explanation": 4}})
		if code != 200 {
			t.Fatalf("rubric: %d %s", code, body)
		}
		run = decodeRun(t, body)
		if !run.Complete || run.Score != 89 || !run.Passed || run.Attempt != "makeup" || len(run.Breakdown) != 7 {
			t.Fatalf("scored run %s", body)
		}
		code, body = call(t, srv, "GET", rpath, tr, nil)
		if code != 200 || decodeRun(t, body).Score != 89 {
			t.Fatalf("get run: %d %s", code, body)
		}
		code, body = call(t, srv, "GET", "/sandbox/runs?all=true", ex, nil)
		if code != 200 || !json.Valid(body) {
			t.Fatalf("runs: %d %s", code, body)
		}
	})
}
