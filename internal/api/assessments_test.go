package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"

	"dibao/internal/authz"
	"dibao/internal/sheet"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

func TestAssessmentAPI(t *testing.T) {
	srv, a := newServer(t)
	ctx := context.Background()
	officer := testenv.User(t, a.DB, "township", testenv.TownA, authz.TownshipOfficer)
	testenv.User(t, a.DB, "trainer", testenv.County, authz.Trainer)
	testenv.User(t, a.DB, "tadmin", testenv.County, authz.TrainingAdmin)
	pl := store.TrainingPlan{Kind: "special", Title: "入户调查专项培训", Region: testenv.County, PeriodStart: "2026-01-01",
		PeriodEnd: "2026-12-31", Audience: "{}", RequiredMinutes: 240, Categories: "business_skills", Assessments: "daily",
		Certifies: "investigation", ValidityMonths: 12}
	err := a.DB.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
		if err := tx.CreateTrainingPlan(ctx, &pl); err != nil {
			return err
		}
		if err := tx.InsertEnrollment(ctx, &store.Enrollment{PersonID: officer.UserID, PlanID: pl.ID, Due: "2026-12-31"}); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "test.plan", Object: "plan"})
	})
	if err != nil {
		t.Fatal(err)
	}
	trainer, admin, me := login(t, srv, "trainer"), login(t, srv, "tadmin"), login(t, srv, "township")
	base := "/training/plans/" + strconv.FormatInt(pl.ID, 10)

	// Bad input: a structured error naming the field, nothing written.
	code, body := call(t, srv, "POST", base+"/daily-scores", trainer, map[string]any{"person_id": officer.UserID,
		"participation": 150, "homework": 80})
	if e := decodeErr(t, body); code != 422 && code != 400 || e.Error.Message == "" {
		t.Fatalf("bad marks: %d %s", code, body)
	}
	code, body = call(t, srv, "POST", base+"/daily-scores", trainer, map[string]any{"person_id": officer.UserID})
	if e := decodeErr(t, body); code/100 != 4 || len(e.Error.Details) < 2 && e.Error.Field == "" {
		t.Fatalf("missing marks: %d %s", code, body)
	}
	if rs, _ := a.DB.PlanResults(ctx, pl.ID); len(rs) != 0 {
		t.Fatalf("bad input wrote %+v", rs)
	}
	// The officer may not score.
	if code, _ := call(t, srv, "POST", base+"/daily-scores", me, map[string]any{"person_id": officer.UserID,
		"participation": 100, "homework": 100}); code != http.StatusForbidden {
		t.Fatalf("officer scores: %d", code)
	}
	code, body, _ = callKey(t, srv, base+"/daily-scores", trainer, "k-1", map[string]any{"person_id": officer.UserID,
		"participation": 80, "homework": 70})
	// The same key again answers with the first outcome, recording nothing.
	if code2, body2, replayed := callKey(t, srv, base+"/daily-scores", trainer, "k-1", map[string]any{"person_id": officer.UserID,
		"participation": 80, "homework": 70}); code2 != code || replayed != "true" || !bytes.Equal(body2, body) || !bytes.Contains(body2, []byte(`"score":85`)) {
		t.Fatalf("replay: %d %s %q", code2, body2, replayed)
	}
	if rs, _ := a.DB.PlanResults(ctx, pl.ID); len(rs) != 1 {
		t.Fatalf("results after a replay: %+v", rs)
	}
	var rec struct {
		Score   int
		Passed  bool
		Attempt string
		Granted []string
	}
	// 40 (no session held) + 24 + 21 = 85.
	if code != 201 || json.Unmarshal(body, &rec) != nil || rec.Score != 85 || !rec.Passed || rec.Attempt != "first" ||
		len(rec.Granted) != 1 || rec.Granted[0] != "investigation" {
		t.Fatalf("daily score: %d %s", code, body)
	}
	code, body = call(t, srv, "GET", base+"/results", trainer, nil)
	var res struct {
		Certifies []string
		Items     []struct {
			PersonID int64 `json:"person_id"`
			Complete bool
			Kinds    []struct {
				FirstScore int    `json:"first_score"`
				State      string `json:"state"`
			}
		}
	}
	if code != 200 || json.Unmarshal(body, &res) != nil || len(res.Items) != 1 || !res.Items[0].Complete ||
		res.Items[0].Kinds[0].FirstScore != 85 || res.Items[0].Kinds[0].State != "passed" {
		t.Fatalf("results: %d %s", code, body)
	}
	if code, _ := call(t, srv, "GET", base+"/results", me, nil); code != http.StatusForbidden {
		t.Fatalf("officer reads results: %d", code)
	}
	code, body = call(t, srv, "GET", "/me/certifications", me, nil)
	var mine struct {
		Items []struct {
			Name   string
			Valid  bool
			Status string
		}
	}
	if code != 200 || json.Unmarshal(body, &mine) != nil || len(mine.Items) != 1 || mine.Items[0].Name != "investigation" ||
		!mine.Items[0].Valid {
		t.Fatalf("my certifications: %d %s", code, body)
	}

	// The appraisal workbook.
	if code, body := call(t, srv, "GET", "/training/appraisal.xlsx?from=2026-13-01&to=x", admin, nil); code != 400 && code != 422 {
		t.Fatalf("bad period: %d %s", code, body)
	}
	if code, _ := call(t, srv, "GET", "/training/appraisal.xlsx?from=2000-01-01&to=2100-01-01", trainer, nil); code != http.StatusForbidden {
		t.Fatalf("trainer exports: %d", code)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/training/appraisal.xlsx?from=2000-01-01&to=2100-01-01", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	hres, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer hres.Body.Close()
	data, _ := io.ReadAll(hres.Body)
	rows, err := sheet.Read(bytes.NewReader(data))
	if hres.StatusCode != 200 || err != nil || len(rows) != 2 || rows[1][8] != "85" || rows[1][3] != "入户调查专项培训" {
		t.Fatalf("appraisal: %d %q %v", hres.StatusCode, rows, err)
	}
}
