package api_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

type apiAttempt struct {
	ID, ExamID    int64 `json:"-"`
	Status        string
	Score         *int
	Passed        *bool
	AutoSubmitted bool `json:"auto_submitted"`
	Items         []struct {
		N       int
		Kind    string
		Stem    string
		Options []struct{ Value, Text string }
		Answer  string
		Correct string
		Right   bool
	}
	Events []struct{ Kind string }
}

// TestExamAPI: the bank (bad input, create, revise to a new version), an
// exam, a candidate's start (repeated: same attempt), autosave (bad
// question, bad option), leave event, submit with the score, review
// setting; someone not enrolled is refused.
func TestExamAPI(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		srv, a := newServerOn(t, db)
		testenv.User(t, db, "trainer", testenv.County, authz.Trainer)
		testenv.User(t, db, "outsider", testenv.VillageB, authz.VillageClerk)
		us, _ := db.Users(context.Background(), testenv.Admin().Scope())
		var clerkID int64
		for _, u := range us {
			if u.Username == "clerk" {
				clerkID = u.ID
			}
		}
		plan := testenv.Plan(t, db, testenv.County, clerkID)
		trainer, clerk, outsider := login(t, srv, "trainer"), login(t, srv, "clerk"), login(t, srv, "outsider")

		code, body := call(t, srv, "POST", "/questions", trainer, map[string]any{"kind": "single", "category": "policy_law",
			"difficulty": 1, "stem": "公示期为几天？", "options": []string{"3天", "7天"}, "correct": []int{0, 1}})
		if e := decodeErr(t, body); code != 400 || e.Error.Field != "correct" {
			t.Fatalf("bad question: %d %s", code, body)
		}
		if code, _ := call(t, srv, "POST", "/questions", clerk, map[string]any{"kind": "fill"}); code != 403 {
			t.Fatalf("clerk writes the bank: %d", code)
		}
		var ids []int64
		for _, q := range []map[string]any{
			{"kind": "single", "category": "policy_law", "difficulty": 1, "stem": "公示期为几天？", "options": []string{"3天", "7天"}, "correct": []int{1}},
			{"kind": "truefalse", "category": "ethics", "difficulty": 1, "stem": "近亲属申请低保应当备案。", "correct": []int{0}},
		} {
			code, body := call(t, srv, "POST", "/questions", trainer, q)
			var got struct{ ID, Version int64 }
			if code != 201 || json.Unmarshal(body, &got) != nil || got.Version != 1 {
				t.Fatalf("question: %d %s", code, body)
			}
			ids = append(ids, got.ID)
		}
		code, body = call(t, srv, "PUT", "/questions/"+strconv.FormatInt(ids[0], 10), trainer, map[string]any{"kind": "single",
			"category": "policy_law", "difficulty": 2, "stem": "公示期为几天？", "options": []string{"3天", "7天", "10天"}, "correct": []int{1}})
		if code != 200 || !json.Valid(body) {
			t.Fatalf("revise: %d %s", code, body)
		}
		if code, body := call(t, srv, "GET", "/questions/"+strconv.FormatInt(ids[0], 10)+"?version=1", trainer, nil); code != 200 ||
			!contains(body, `"difficulty":1`) {
			t.Fatalf("version 1: %d %s", code, body)
		}

		now := time.Now().UTC().Truncate(time.Second)
		code, body = call(t, srv, "POST", "/exams", trainer, map[string]any{"title": "", "minutes": 0})
		if e := decodeErr(t, body); code != 400 || len(e.Error.Details) < 3 {
			t.Fatalf("bad exam: %d %s", code, body)
		}
		code, body = call(t, srv, "POST", "/exams", trainer, map[string]any{"title": "季度考试", "plan_id": plan,
			"opens_at": now.Add(-time.Hour), "closes_at": now.Add(time.Hour), "minutes": 30, "closed_book": true, "review": "answers",
			"paper": map[string]any{"fixed": []map[string]any{{"question_id": ids[0], "points": 10}, {"question_id": ids[1], "points": 30}}}})
		var ex struct{ ID, PassMark int64 }
		if code != 201 || json.Unmarshal(body, &ex) != nil {
			t.Fatalf("exam: %d %s", code, body)
		}
		examPath := "/exams/" + strconv.FormatInt(ex.ID, 10) + "/attempts"
		if code, body := call(t, srv, "POST", examPath, outsider, nil); code != 403 || decodeErr(t, body).Error.Message == "" {
			t.Fatalf("outsider start: %d %s", code, body)
		}
		code, body = call(t, srv, "POST", examPath, clerk, nil)
		var started struct {
			ID int64
			apiAttempt
		}
		if code != 201 || json.Unmarshal(body, &started) != nil || len(started.Items) != 2 || started.Items[0].Correct != "" {
			t.Fatalf("start: %d %s", code, body)
		}
		code, body = call(t, srv, "POST", examPath, clerk, map[string]any{"kind": "first"})
		var again struct{ ID int64 }
		if code != 201 || json.Unmarshal(body, &again) != nil || again.ID != started.ID {
			t.Fatalf("second start: %d %s", code, body)
		}
		base := "/attempts/" + strconv.FormatInt(started.ID, 10)
		for _, it := range started.Items {
			v := "true"
			if it.Kind == "single" {
				v = "0" // 3天: wrong (the paper keeps version 1's answer 7天)
			}
			if code, body := call(t, srv, "PUT", base+"/answers/"+strconv.Itoa(it.N), clerk, map[string]any{"values": []string{v}}); code != 200 {
				t.Fatalf("save: %d %s", code, body)
			}
		}
		if code, body := call(t, srv, "PUT", base+"/answers/9", clerk, map[string]any{"values": []string{"1"}}); code != 400 ||
			decodeErr(t, body).Error.Field != "question" {
			t.Fatalf("bad question: %d %s", code, body)
		}
		if code, _ := call(t, srv, "PUT", base+"/answers/1", outsider, map[string]any{"values": []string{"1"}}); code != 404 {
			t.Fatalf("outsider save: %d", code)
		}
		if code, body := call(t, srv, "POST", base+"/events", clerk, map[string]any{"kind": "leave"}); code != 201 {
			t.Fatalf("event: %d %s", code, body)
		}
		if code, _ := call(t, srv, "POST", base+"/events", clerk, map[string]any{"kind": "dance"}); code != 400 {
			t.Fatalf("bad event: %d", code)
		}
		code, body = call(t, srv, "POST", base+"/submit", clerk, nil)
		var done apiAttempt
		if code != 200 || json.Unmarshal(body, &done) != nil || done.Status != "submitted" || done.Score == nil || *done.Score != 75 ||
			!*done.Passed || len(done.Items) != 2 {
			t.Fatalf("submit: %d %s", code, body)
		}
		if code, body := call(t, srv, "PUT", base+"/answers/1", clerk, map[string]any{"values": []string{"1"}}); code != 409 ||
			decodeErr(t, body).Error.Message != store.MsgAttemptClosed {
			t.Fatalf("save after submit: %d %s", code, body)
		}
		code, body = call(t, srv, "GET", examPath, trainer, nil)
		if code != 200 || !contains(body, `"leave_events":1`) {
			t.Fatalf("examiner list: %d %s", code, body)
		}
		code, body = call(t, srv, "GET", base, trainer, nil)
		var seen apiAttempt
		if code != 200 || json.Unmarshal(body, &seen) != nil || len(seen.Events) != 1 {
			t.Fatalf("examiner view: %d %s", code, body)
		}
		if code, body := call(t, srv, "GET", "/exams", clerk, nil); code != 200 || !contains(body, "季度考试") {
			t.Fatalf("my exams: %d %s", code, body)
		}
		if code, body := call(t, srv, "GET", "/exams", outsider, nil); code != 200 || contains(body, "季度考试") {
			t.Fatalf("outsider exams: %d %s", code, body)
		}
		// Retiring a question keeps it out of the bank list; attempts keep it.
		if code, _ := call(t, srv, "DELETE", "/questions/"+strconv.FormatInt(ids[1], 10), clerk, nil); code != 403 {
			t.Fatalf("clerk retires: %d", code)
		}
		if code, _ := call(t, srv, "DELETE", "/questions/"+strconv.FormatInt(ids[1], 10), trainer, nil); code != 204 {
			t.Fatalf("retire: %d", code)
		}
		if code, body := call(t, srv, "GET", "/questions", trainer, nil); code != 200 || contains(body, "近亲属申请低保应当备案") {
			t.Fatalf("bank after retire: %d %s", code, body)
		}
		_ = a
	})
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }
