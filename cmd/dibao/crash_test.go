package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"dibao/internal/access"
	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/enroll"
	"dibao/internal/exam"
	"dibao/internal/exams"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/store"
)

// Sizes of the crash tests: large enough that a kill lands in the middle of
// the work, small enough for CI on a loaded two-core machine.
const (
	crashHouseholds = 12000 // the province beside the demo county
	crashKills      = 3     // kills per scenario
	crashCounties   = 5     // counties whose rosters are built
	crashMonths     = 6     // months per county
	crashChunk      = 5     // standard change: households per transaction
	crashAttempts   = 1000  // expired exam attempts the sweep submits
)

// TestCrashKill is item 3 of issue 9: `dibao` is SIGKILLed at random points
// (seeded, logged) while it builds payment rosters for API clients, while
// it applies a standard change, and while serve's sweep auto-submits
// expired exam attempts; it is started again each time. Afterwards nothing
// acknowledged is lost, nothing is applied twice, the batch finishes and
// the audit chain verifies.
func TestCrashKill(t *testing.T) {
	bin := buildDibao(t)
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			e := newCrashEnv(t, bin, kind)
			start := time.Now()
			e.mustRun("demo", "--households", fmt.Sprint(crashHouseholds))
			t.Logf("demo county and a province of %d households loaded in %s", crashHouseholds, time.Since(start).Round(time.Millisecond))
			t.Run("roster", func(t *testing.T) { e.t = t; crashRoster(t, e, crashSeed(t)) })
			t.Run("standard", func(t *testing.T) { e.t = t; crashStandard(t, e, crashSeed(t)) })
			t.Run("sweep", func(t *testing.T) { e.t = t; crashSweep(t, e, crashSeed(t)) })
		})
	}
}

// rosterKey is one county's roster of one month.
type rosterKey struct{ county, month string }

// rosterResult is what a build acknowledged: rows and total in fen.
type rosterResult struct {
	rows  int
	total int64
}

func thisMonth() roster.Month {
	now := time.Now().In(calendar.Location())
	return roster.MonthOf(now.Year(), now.Month())
}

// crashRoster: API clients build rosters back to back (new months and
// rebuilds of drafts) while serve is killed. After each restart every
// roster is whole (its header matches its rows), no household is twice in
// a county's month, every acknowledged build is there with what it
// acknowledged, and the first builds' results never change.
func crashRoster(t *testing.T, e *crashEnv, rng *rand.Rand) {
	approvers := e.strings(`SELECT username FROM users WHERE username LIKE 's%-approver' ORDER BY username`)
	if len(approvers) < crashCounties {
		t.Fatalf("province approvers: %v", approvers)
	}
	approvers = approvers[:crashCounties]
	var months []string
	m := thisMonth()
	for i := 0; i < crashMonths; i++ {
		m-- // the month before
		months = append(months, m.String())
	}
	var keys []rosterKey
	county := map[string]string{} // approver → county
	for _, u := range approvers {
		c := strings.TrimSuffix(strings.TrimPrefix(u, "s"), "-approver") + "000000"
		county[u] = c
		for _, mo := range months {
			keys = append(keys, rosterKey{c, mo})
		}
	}
	var mu sync.Mutex
	acked := map[rosterKey]rosterResult{}
	reference := map[rosterKey]rosterResult{}
	build := func(ctx context.Context, c *apiClient, k rosterKey) (int, []byte, error) {
		return c.do(ctx, "POST", "/rosters", map[string]string{"county": k.county, "month": k.month})
	}
	parse := func(b []byte) rosterResult {
		var v struct {
			Rows  int    `json:"rows"`
			Total string `json:"total"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("roster response %s: %v", b, err)
		}
		return rosterResult{v.Rows, fen(v.Total)}
	}
	clients := func(srv *child) map[string]*apiClient {
		cs := map[string]*apiClient{}
		for _, u := range approvers {
			c := newAPIClient(srv.url)
			c.login(t, u, "dibao-demo-2026")
			cs[county[u]] = c
		}
		return cs
	}
	// check is what must hold after every restart.
	check := func(round string) {
		t.Helper()
		if bad := e.strings(`SELECT r.county || ' ' || r.month || ' header ' || r.row_count || '/' || r.total_fen || ' rows ' ||
			(SELECT COUNT(*) FROM roster_rows x WHERE x.roster_id = r.id) || '/' ||
			(SELECT COALESCE(SUM(x.amount_fen), 0) FROM roster_rows x WHERE x.roster_id = r.id)
			FROM rosters r WHERE r.row_count <> (SELECT COUNT(*) FROM roster_rows x WHERE x.roster_id = r.id)
			OR r.total_fen <> (SELECT COALESCE(SUM(x.amount_fen), 0) FROM roster_rows x WHERE x.roster_id = r.id)`); len(bad) > 0 {
			t.Fatalf("%s: rosters not whole: %v", round, bad)
		}
		if dup := e.count(`SELECT COUNT(*) FROM (SELECT r.county, r.month, x.household_id FROM roster_rows x
			JOIN rosters r ON r.id = x.roster_id GROUP BY r.county, r.month, x.household_id HAVING COUNT(*) > 1) d`); dup != 0 {
			t.Fatalf("%s: %d households twice in a county's month", round, dup)
		}
		mu.Lock()
		defer mu.Unlock()
		for k, want := range acked {
			got := e.strings(`SELECT row_count || ' ' || total_fen FROM rosters WHERE county = ? AND month = ?`, k.county, k.month)
			if len(got) != 1 || got[0] != fmt.Sprintf("%d %d", want.rows, want.total) {
				t.Fatalf("%s: acknowledged roster %v = %+v, stored %v", round, k, want, got)
			}
			if ref, ok := reference[k]; ok && ref != want {
				t.Fatalf("%s: roster %v rebuilt to %+v, first built %+v", round, k, want, ref)
			}
		}
	}

	// Round 0, no kill: the first half of the months, as reference.
	srv := e.serve()
	cs := clients(srv)
	for _, k := range keys {
		if k.month < months[crashMonths/2-1] {
			continue
		}
		code, b, err := build(context.Background(), cs[k.county], k)
		if err != nil || code != 200 {
			t.Fatalf("build %v: %d %v %s", k, code, err, b)
		}
		reference[k], acked[k] = parse(b), parse(b)
	}
	check("reference")
	for kill := 1; kill <= crashKills; kill++ {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var builds, unanswered, inflight int
		for w := 0; w < 3; w++ {
			wg.Add(1)
			order := rng.Perm(len(keys))
			go func() {
				defer wg.Done()
				for i := 0; ctx.Err() == nil; i++ {
					k := keys[order[i%len(order)]]
					code, b, err := build(ctx, cs[k.county], k)
					mu.Lock()
					switch {
					case err != nil: // cut off by the kill: this worker is done
						unanswered++
						mu.Unlock()
						return
					case code == 200:
						acked[k] = parse(b)
						builds++
					default: // an answer that is not 2xx acknowledges nothing; it must be a clean refusal
						inflight++
						if _, msg, ok := apiError(b); !ok || code >= 500 || !hasHan(msg) {
							t.Errorf("build %v refused with %d %s", k, code, b)
						} else if inflight == 1 {
							t.Logf("build %v refused: %d %s", k, code, b)
						}
					}
					mu.Unlock()
				}
			}()
		}
		delay := time.Duration(100+rng.IntN(1400)) * time.Millisecond
		time.Sleep(delay)
		srv.kill()
		cancel()
		wg.Wait()
		noPanic(t, "serve", srv.Stderr())
		t.Logf("kill %d after %s: %d builds acknowledged, %d requests cut off by the kill, %d refused", kill, delay, builds, unanswered, inflight)
		if unanswered == 0 {
			t.Logf("kill %d landed between requests", kill)
		}
		srv = e.serve() // the restart recovers the store
		check(fmt.Sprintf("after kill %d", kill))
		for _, c := range cs {
			c.base = srv.url // the sessions survive the restart
		}
	}
	// The batch resumes: every roster builds on the restarted server and
	// equals what was acknowledged before.
	for _, k := range keys {
		code, b, err := build(context.Background(), cs[k.county], k)
		if err != nil || code != 200 {
			t.Fatalf("rebuild %v after the kills: %d %v %s", k, code, err, b)
		}
		got := parse(b)
		mu.Lock()
		if prev, ok := acked[k]; ok && prev != got {
			t.Errorf("roster %v: acknowledged %+v, rebuilt %+v", k, prev, got)
		}
		acked[k] = got
		mu.Unlock()
	}
	check("final")
	srv.stop()
	noPanic(t, "serve", srv.Stderr())
	e.verifyAudit()
}

// crashStandard: `dibao standard apply` is killed at random points while
// 0 < applied < total, and run again; each household is adjusted exactly
// once, what a run reported done survives its kill, and the job ends
// applied.
func crashStandard(t *testing.T, e *crashEnv, rng *rand.Rand) {
	county := e.strings(`SELECT substr(region_code, 1, 6) FROM recipients WHERE status = 'active'
		GROUP BY substr(region_code, 1, 6) ORDER BY COUNT(*) DESC, substr(region_code, 1, 6) LIMIT 1`)[0] + "000000"
	effective := thisMonth().Next().String()
	out := e.mustRun("standard", "preview", "--county", county, "--urban", "1111", "--rural", "888", "--effective", effective)
	m := regexp.MustCompile(`标准调整 #(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("preview: %s", out)
	}
	id := m[1]
	total := e.count(`SELECT COUNT(*) FROM standard_change_items WHERE change_id = ?`, id)
	if total < 50*crashChunk {
		t.Fatalf("standard change #%s has %d households: too few to kill in the middle", id, total)
	}
	progress := regexp.MustCompile(`\] (\d+)/(\d+)`)
	// exactlyOnce: every applied item has its effect once, no unapplied
	// item has any (a chunk is all or nothing).
	exactlyOnce := func(round string) int {
		t.Helper()
		bad := e.strings(`SELECT i.household_id || ' applied=' || i.applied || ' outcome=' || i.outcome || ' history=' ||
			(SELECT COUNT(*) FROM recipient_history h WHERE h.household_id = i.household_id AND h.change_id = i.change_id) ||
			' amount=' || r.amount_fen || ' new=' || i.new_amount
			FROM standard_change_items i JOIN recipients r ON r.household_id = i.household_id
			WHERE i.change_id = ? AND (
			(SELECT COUNT(*) FROM recipient_history h WHERE h.household_id = i.household_id AND h.change_id = i.change_id) <>
				CASE WHEN i.applied = 1 AND i.outcome IN ('increase', 'decrease') THEN 1 ELSE 0 END
			OR (i.applied = 1 AND i.outcome IN ('increase', 'decrease') AND r.amount_fen <> i.new_amount)
			OR (i.applied = 0 AND i.outcome <> ''))`, id)
		if len(bad) > 0 {
			t.Fatalf("%s: %d households not adjusted exactly once, e.g. %v", round, len(bad), bad[:min(5, len(bad))])
		}
		return e.count(`SELECT COUNT(*) FROM standard_change_items WHERE change_id = ? AND applied = 1`, id)
	}
	applied := exactlyOnce("before")
	kills := 0
	for kill := 1; kill <= crashKills; kill++ {
		// A kill point strictly inside what is left.
		left := total - applied
		target := applied + 1 + rng.IntN(max(1, left/3))
		c := e.start(nil, "standard", "apply", "--id", id, "--chunk", fmt.Sprint(crashChunk))
		for !c.exited() && e.count(`SELECT COUNT(*) FROM standard_change_items WHERE change_id = ? AND applied = 1`, id) < target {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(1500)) * time.Microsecond) // anywhere inside the next chunks
		if c.kill() {
			kills++
		}
		noPanic(t, "standard apply", c.Stderr())
		reported := 0 // the last progress the killed run printed: committed before it printed
		for _, p := range progress.FindAllStringSubmatch(c.Stderr(), -1) {
			fmt.Sscan(p[1], &reported)
		}
		now := exactlyOnce(fmt.Sprintf("after kill %d", kill))
		t.Logf("kill %d at target %d/%d: run reported %d, %d applied", kill, target, total, reported, now)
		if now < reported {
			t.Fatalf("kill %d: the run reported %d households applied, the store holds %d", kill, reported, now)
		}
		if now >= total {
			t.Fatalf("kill %d: the run finished before the kill (target %d of %d)", kill, target, total)
		}
		if st := e.strings(`SELECT status FROM standard_changes WHERE id = ?`, id); st[0] != "applying" {
			t.Fatalf("after kill %d: status %v", kill, st)
		}
		applied = now
	}
	// The restart finishes the job.
	out, errOut, code := e.run("standard", "apply", "--id", id, "--chunk", fmt.Sprint(crashChunk*5))
	if code != 0 || !strings.Contains(errOut, fmt.Sprintf("] %d/%d", total, total)) {
		t.Fatalf("resumed apply: exit %d\n%s\n%s", code, out, tail(errOut, 2000))
	}
	if n := exactlyOnce("final"); n != total {
		t.Fatalf("applied %d of %d", n, total)
	}
	if st := e.strings(`SELECT status FROM standard_changes WHERE id = ?`, id); st[0] != "applied" {
		t.Fatalf("final status %v", st)
	}
	// The audit log counts every household once over all the chunks.
	sum := 0
	for _, d := range e.strings(`SELECT detail FROM audit_log WHERE action = 'standard.apply' AND object = ?`, "standard_change:"+id) {
		var n int
		if m := regexp.MustCompile(`本批处理(\d+)户`).FindStringSubmatch(d); m != nil {
			fmt.Sscan(m[1], &n)
		}
		sum += n
	}
	if sum != total {
		t.Fatalf("audit chunks count %d households, the job has %d", sum, total)
	}
	crossing := e.count(`SELECT COUNT(*) FROM standard_change_items WHERE change_id = ? AND outcome = 'crossing'`, id)
	if tasks := e.count(`SELECT COUNT(*) FROM review_tasks t JOIN standard_change_items i ON i.household_id = t.household_id
		AND i.change_id = ? AND i.outcome = 'crossing' WHERE t.reason LIKE '%按新标准可能不再符合条件%'`, id); tasks != crossing {
		t.Fatalf("%d households crossing the threshold, %d review tasks", crossing, tasks)
	}
	t.Logf("standard change #%s: %d households, %d kills landed mid-run, %d crossing", id, total, kills, crossing)
	e.verifyAudit()
}

// crashSweep: many attempts are past their deadline and still open; serve
// starts its sweep and is killed while 0 < submitted < all, again and
// again; each attempt ends submitted exactly once with exactly one
// exam.autosubmit audit record.
func crashSweep(t *testing.T, e *crashEnv, rng *rand.Rand) {
	ctx := context.Background()
	village := region.Code(e.strings(`SELECT region_code FROM recipients ORDER BY household_id LIMIT 1`)[0])
	county := region.Code(string(village)[:6] + "000000")
	now := time.Now()
	admin := authz.Principal{Username: "crash-exam", Roles: []authz.Role{authz.TrainingAdmin}, Region: county}
	past := now.Add(-2 * time.Hour)
	s := &exams.Service{DB: e.db, Now: func() time.Time { return past }}
	year := now.In(calendar.Location()).Year()
	plan := store.TrainingPlan{Kind: "regular", Title: "崩溃测试理论考核", Region: county,
		PeriodStart: fmt.Sprintf("%d-01-01", year), PeriodEnd: fmt.Sprintf("%d-12-31", year), Audience: `{}`,
		RequiredMinutes: 240, Categories: "policy_law,ethics", Assessments: "theory"}
	hash, err := access.HashPassword("crash-candidate-2026")
	if err != nil {
		t.Fatal(err)
	}
	people := make([]authz.Principal, crashAttempts)
	err = e.db.InTx(ctx, admin, func(tx *store.Tx) error {
		if err := tx.CreateTrainingPlan(ctx, &plan); err != nil {
			return err
		}
		for i := range people {
			u := store.User{Username: fmt.Sprintf("crash-cand-%d", i), DisplayName: fmt.Sprintf("考生%d", i), PasswordHash: hash,
				Region: village, Roles: []authz.Role{authz.VillageClerk}, Active: true}
			id, err := tx.CreateUser(ctx, u)
			if err != nil {
				return err
			}
			u.ID = id
			people[i] = u.Principal()
			if err := tx.InsertEnrollment(ctx, &store.Enrollment{PersonID: id, PlanID: plan.ID, Due: plan.PeriodEnd}); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, store.Entry{Action: "test.fixture", Object: "users", Detail: "崩溃测试考生"})
	})
	if err != nil {
		t.Fatal(err)
	}
	var picks []exam.Pick
	for i, q := range []exam.Question{
		{Kind: exam.Single, Category: enroll.PolicyLaw, Difficulty: 1, Stem: "低保申请审核确认后的公示期为几天？",
			Options: []string{"3天", "7天", "15天"}, Correct: []int{1}},
		{Kind: exam.TrueFalse, Category: enroll.Ethics, Difficulty: 1, Stem: "经办人员近亲属申请低保应当备案。", Correct: []int{0}},
	} {
		qid, err := s.CreateQuestion(ctx, admin, q)
		if err != nil {
			t.Fatalf("question %d: %v", i, err)
		}
		picks = append(picks, exam.Pick{QuestionID: qid, Points: 50})
	}
	examID, err := s.CreateExam(ctx, admin, exams.ExamInput{Title: "崩溃测试考试", PlanID: plan.ID, OpensAt: past.Add(-time.Hour),
		ClosesAt: now.Add(6 * time.Hour), Minutes: 20, ClosedBook: true, Review: exam.ReviewScore, Paper: exam.Paper{Fixed: picks}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(people); i += 4 {
				if _, err := s.Start(ctx, people[i], examID, ""); err != nil {
					errc <- fmt.Errorf("start %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	submitted := func() int {
		return e.count(`SELECT COUNT(*) FROM exam_attempts WHERE exam_id = ? AND status = 'submitted'`, examID)
	}
	// Each submitted attempt has one audit record, each open one none.
	check := func(round string) int {
		t.Helper()
		// One statement, so one snapshot: on PostgreSQL a COMMIT the killed
		// process had already sent still lands after the kill, and counts
		// read by separate statements could straddle it.
		// serve records each submitted attempt's theory result for the
		// training plan in the same transaction (app.go OnSubmit).
		row := e.strings(`SELECT (SELECT COUNT(*) FROM exam_attempts WHERE exam_id = ? AND status = 'submitted')
			|| '|' || (SELECT COUNT(*) FROM audit_log a JOIN exam_attempts x ON a.object = 'exam_attempt:' || x.id
				WHERE a.action = 'exam.autosubmit' AND x.exam_id = ?)
			|| '|' || (SELECT COUNT(*) FROM (SELECT a.object FROM audit_log a JOIN exam_attempts x ON a.object = 'exam_attempt:' || x.id
				WHERE a.action IN ('exam.autosubmit', 'exam.submit') AND x.exam_id = ? GROUP BY a.object HAVING COUNT(*) > 1) d)
			|| '|' || (SELECT COUNT(*) FROM exam_attempts WHERE exam_id = ? AND status = 'submitted'
				AND (auto_submitted <> 1 OR submitted_at = 0))
			|| '|' || (SELECT COUNT(*) FROM assessment_results r JOIN exam_attempts x ON r.source = 'exam_attempt:' || x.id
				WHERE x.exam_id = ?)
			|| '|' || (SELECT COUNT(*) FROM assessment_results r JOIN exam_attempts x ON r.source = 'exam_attempt:' || x.id
				WHERE x.exam_id = ? AND x.status = 'open')`, examID, examID, examID, examID, examID, examID)
		var c [6]int
		for i, f := range strings.Split(row[0], "|") {
			c[i], _ = strconv.Atoi(f)
		}
		n, audits, twice, notAuto, results, resultsOpen := c[0], c[1], c[2], c[3], c[4], c[5]
		if audits != n || twice != 0 || notAuto != 0 || results != n || resultsOpen != 0 {
			t.Fatalf("%s: %d attempts submitted, %d exam.autosubmit records, %d attempts audited twice, %d not marked auto, "+
				"%d theory results (%d of open attempts)", round, n, audits, twice, notAuto, results, resultsOpen)
		}
		return n
	}
	if n := check("before"); n != 0 {
		t.Fatalf("%d submitted before the sweep ran", n)
	}
	kills := 0
	done := 0
	for kill := 1; kill <= crashKills; kill++ {
		left := crashAttempts - done
		target := done + 1 + rng.IntN(max(1, left*2/3))
		srv := e.serve()
		for !srv.exited() && submitted() < target {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(5)) * time.Millisecond)
		if srv.kill() {
			kills++
		}
		noPanic(t, "serve", srv.Stderr())
		done = check(fmt.Sprintf("after kill %d", kill))
		t.Logf("kill %d at target %d/%d: %d submitted", kill, target, crashAttempts, done)
		if done >= crashAttempts {
			t.Fatalf("kill %d: the sweep finished before the kill", kill)
		}
	}
	srv := e.serve()
	deadline := time.Now().Add(3 * time.Minute) // a hang guard
	for submitted() < crashAttempts && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	srv.stop()
	noPanic(t, "serve", srv.Stderr())
	if n := check("final"); n != crashAttempts {
		t.Fatalf("the restarted sweep submitted %d of %d", n, crashAttempts)
	}
	t.Logf("sweep: %d attempts, %d kills landed mid-sweep", crashAttempts, kills)
	e.verifyAudit()
}
