package bench_test

import (
	"context"
	"strings"
	"testing"

	"dibao/internal/bench"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// TestExamDay runs the exam day small on both stores: every candidate
// started, saved each answer and submitted exactly once through HTTP, the
// attempts are graded and audited, and the raw baseline wrote the same
// rows.
func TestExamDay(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		testenv.SeedRegions(t, db)
		const k, answers = 20, 5
		res, err := bench.ExamDay(ctx, bench.Env{DB: db, Counties: []region.Code{testenv.County}, Candidates: k, Answers: answers})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 4 {
			t.Fatalf("results = %+v", res)
		}
		want := map[string]int{"exam start": k, "exam page": k, "exam autosave": k * answers, "exam submit": k}
		for _, r := range res {
			if r.Ops != want[r.Name] || r.Errors != 0 || r.App <= 0 || r.AppP99 <= 0 {
				t.Fatalf("result %+v", r)
			}
			if r.Name != "exam page" && (r.Raw <= 0 || r.Ratio <= 0 || r.Met == nil) {
				t.Fatalf("result %+v: no raw counterpart or target", r)
			}
		}
		if !*res[3].Met {
			t.Fatalf("submit target not met: %+v", res[3])
		}

		all, err := db.Exams(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var app, raw *store.Exam
		for i, e := range all {
			switch {
			case strings.HasPrefix(e.Title, bench.ExamRawTitle+" "):
				raw = &all[i]
			case strings.HasPrefix(e.Title, bench.ExamTitle+" "):
				app = &all[i]
			}
		}
		if app == nil || raw == nil || len(app.Paper) != bench.ExamQuestions {
			t.Fatalf("exams %+v", all)
		}
		for _, e := range []*store.Exam{app, raw} {
			as, err := db.ExamAttempts(ctx, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(as) != k {
				t.Fatalf("exam %q: %d attempts, want %d", e.Title, len(as), k)
			}
			people := map[int64]bool{}
			for _, a := range as {
				people[a.PersonID] = true
				if a.Status != store.AttemptSubmitted || a.AutoSubmitted || a.Kind != store.AttemptFirst {
					t.Fatalf("exam %q: attempt %+v", e.Title, a)
				}
				if e == app && (a.Passed != (a.Score >= a.PassMark) || a.Score < 0 || a.Score > 100) {
					t.Fatalf("attempt %+v not graded", a)
				}
				n, err := db.AnswerCount(ctx, a.ID)
				if err != nil || n != answers {
					t.Fatalf("exam %q attempt %d: %d answer records (%v), want %d", e.Title, a.ID, n, err, answers)
				}
			}
			if len(people) != k {
				t.Fatalf("exam %q: %d candidates", e.Title, len(people))
			}
		}
		// Start and submit are audited once per candidate; the grades
		// differ between candidates (their answers do).
		for _, action := range []string{"exam.start", "exam.submit"} {
			recs, err := db.AuditRecords(ctx, store.AuditFilter{Action: action, Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != k {
				t.Fatalf("%d %s audit records, want %d", len(recs), action, k)
			}
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
