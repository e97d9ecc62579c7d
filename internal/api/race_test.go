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
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"dibao/internal/api"
	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/casework"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/workflow"
)

// TestCaseActionRaceAPI (issue 9 item 1, races, through HTTP): a case
// reaches the township review and the county decision, and at each 100
// requests race on POST /cases/{id}/actions/{transition} with the version
// they read (two reviewers; two approvers approving and rejecting). One
// gets 200; every other gets 409 with the structured error (code
// conflict, field version, a Chinese message): no 500, no hang. The
// history has one event per step, the case's audit records match it, and
// the chain verifies. Two cases, on both stores.
func TestCaseActionRaceAPI(t *testing.T) {
	const n = 100
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 9, 21, 9, 0, 0, 0, calendar.Location())
		db.SetClock(func() time.Time { return now })
		testenv.SeedRegions(t, db)
		clerk := testenv.User(t, db, "clerk", testenv.VillageA, authz.VillageClerk)
		t1 := testenv.User(t, db, "town1", testenv.TownA, authz.TownshipOfficer)
		t2 := testenv.User(t, db, "town2", testenv.TownA, authz.TownshipOfficer)
		testenv.User(t, db, "rev1", testenv.TownA, authz.TownshipReviewer)
		testenv.User(t, db, "rev2", testenv.TownA, authz.TownshipReviewer)
		testenv.User(t, db, "county1", testenv.County, authz.CountyApprover)
		testenv.User(t, db, "county2", testenv.County, authz.CountyApprover)
		a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		srv := httptest.NewServer(api.New(a))
		defer srv.Close()
		client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}}
		defer client.CloseIdleConnections()

		day := func() string { return now.Format(time.DateOnly) }
		act := func(p authz.Principal, c *store.Case, id string, values map[string]string) {
			t.Helper()
			in := workflow.Input{Values: map[string][]string{}}
			for k, v := range values {
				in.Values[k] = strings.Split(v, "|")
			}
			out, err := a.Cases.Act(ctx, p, casework.Action{CaseID: c.ID, Version: c.Version, Transition: id, Input: in})
			if err != nil {
				t.Fatalf("%s in %s: %v", id, c.State, err)
			}
			*c = out.Case
		}
		// contend sends n requests at once, request i as tokens[i%len] with
		// the body bodies[i%len], and returns the winner's index.
		contend := func(c *store.Case, transitions []string, tokens []string, bodies []map[string]any) int {
			t.Helper()
			codes := make([]int, n)
			resp := make([][]byte, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					k := i % len(transitions)
					body := map[string]any{"version": c.Version}
					for key, v := range bodies[k] {
						body[key] = v
					}
					raw, _ := json.Marshal(body)
					req, _ := http.NewRequest("POST", srv.URL+"/api/v1/cases/"+strconv.FormatInt(c.ID, 10)+"/actions/"+transitions[k],
						bytes.NewReader(raw))
					req.Header.Set("Authorization", "Bearer "+tokens[k])
					req.Header.Set("Content-Type", "application/json")
					<-start
					res, err := client.Do(req)
					if err != nil {
						codes[i], resp[i] = -1, []byte(err.Error())
						return
					}
					defer res.Body.Close()
					codes[i] = res.StatusCode
					resp[i], _ = io.ReadAll(res.Body)
				}()
			}
			close(start)
			wg.Wait()
			win := -1
			for i := range n {
				switch codes[i] {
				case 200:
					if win >= 0 {
						t.Fatalf("two requests succeeded in %s: %s and %s", c.State, resp[win], resp[i])
					}
					win = i
				case 409:
					e := decodeErr(t, resp[i])
					if e.Error.Code != "conflict" || e.Error.Field != "version" || !strings.Contains(e.Error.Message, "已被他人处理") {
						t.Fatalf("409 body %s", resp[i])
					}
				default:
					t.Fatalf("request %d in %s: %d %s, want 200 or 409", i, c.State, codes[i], resp[i])
				}
			}
			if win < 0 {
				t.Fatalf("no request succeeded in %s", c.State)
			}
			var out struct{ Case struct{ Version int64 } }
			if err := json.Unmarshal(resp[win], &out); err != nil || out.Case.Version != c.Version+1 {
				t.Fatalf("winner's answer %s", resp[win])
			}
			got, err := a.Cases.Get(ctx, clerk, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			*c = got.Case
			return win % len(transitions)
		}

		for round := range 2 {
			seq := round + 1
			h, err := a.Registry.Create(ctx, clerk, household.Draft{Region: string(testenv.VillageA), Address: fmt.Sprintf("%d号", seq),
				Urban: "rural", Members: []household.MemberDraft{
					{Name: "申请人" + strconv.Itoa(seq), IDNumber: idcard.Make("110105", time.Date(1950, 2, seq, 0, 0, 0, 0, time.UTC), seq).String(),
						Labour: "none", Health: "serious", HealthDetail: "重病", CoResident: "1"}}})
			if err != nil {
				t.Fatal(err)
			}
			c, err := a.Cases.Open(ctx, clerk, h.ID, casework.Declaration{None: true})
			if err != nil {
				t.Fatal(err)
			}
			act(clerk, &c, "intake", map[string]string{"application_date": day()})
			var items []casework.MaterialInput
			for _, m := range casework.Materials {
				items = append(items, casework.MaterialInput{Code: m.Code, Status: "ok"})
			}
			if c, err = a.Cases.SetMaterials(ctx, clerk, c.ID, c.Version, items); err != nil {
				t.Fatal(err)
			}
			act(clerk, &c, "accept", nil)
			act(clerk, &c, "forward", nil)
			act(t1, &c, "start_investigation", nil)
			act(t1, &c, "record_home_visit", map[string]string{"visit_date": day(), "form_filled": "on", "findings": "困难",
				"investigators": fmt.Sprintf("%d|%d", t1.UserID, t2.UserID)})
			act(t1, &c, "request_check", map[string]string{"requested_on": day()})
			act(t1, &c, "record_check_result", map[string]string{"received_on": day(), "summary": "无异常"})
			act(t1, &c, "write_report", map[string]string{"report": "困难", "opinion": "eligible", "opinion_reason": "符合"})
			act(t1, &c, "submit_to_appraisal", nil)
			act(t1, &c, "appraise", map[string]string{"meeting_date": day(), "participants": "村民代表", "attendance": "9",
				"outcome": "pass", "minutes": "同意"})
			act(t1, &c, "start_publicity", map[string]string{"place": "村务公开栏"})
			end, err := time.ParseInLocation(time.DateOnly, c.PublicityEnd, calendar.Location())
			if err != nil {
				t.Fatal(err)
			}
			now = end.AddDate(0, 0, 1).Add(9 * time.Hour)
			act(t1, &c, "close_publicity", nil)

			// Logged in now: the clock has moved past any earlier session.
			rt := []string{login(t, srv, "rev1"), login(t, srv, "rev2")}
			ct := []string{login(t, srv, "county1"), login(t, srv, "county2")}
			contend(&c, []string{"review_opinion", "review_opinion"}, rt, []map[string]any{
				{"values": map[string][]string{"opinion": {"agree"}, "comment": {"同意"}}},
				{"values": map[string][]string{"opinion": {"agree"}, "comment": {"同意上报"}}}})
			if c.State != "county_decision" {
				t.Fatalf("after the review: %s", c.State)
			}
			k := contend(&c, []string{"approve", "reject", "approve", "reject"}, []string{ct[0], ct[1], ct[1], ct[0]},
				[]map[string]any{{"values": map[string][]string{"category": {"A"}}}, {"reason": "收入超过标准"},
					{"values": map[string][]string{"category": {"B"}}}, {"reason": "有法定赡养人"}})
			if want := []string{"approved", "rejected", "approved", "rejected"}[k]; c.State != want {
				t.Fatalf("decision %d left the case %s", k, c.State)
			}

			evs, err := db.Events(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			recs, err := db.AuditRecords(ctx, store.AuditFilter{Object: "case:" + strconv.FormatInt(c.ID, 10), Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for i := len(recs) - 1; i >= 0; i-- {
				if recs[i].Action != "case.materials" {
					got = append(got, recs[i].Action+"@"+recs[i].Actor)
				}
			}
			for _, e := range evs {
				want = append(want, "case."+e.Transition+"@"+e.Actor)
			}
			if strings.Join(got, " ") != strings.Join(want, " ") || len(evs) != 15 {
				t.Fatalf("case %d: audit %v\nhistory %v (want 15 events)", c.ID, got, want)
			}
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatalf("audit chain: %v", err)
		}
	})
}
