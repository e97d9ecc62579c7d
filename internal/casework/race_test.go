package casework_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/casework"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/region"
	"dibao/internal/registry"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/workflow"
)

// Issue 9 item 1 (races): many cases are walked along the seed workflow;
// at every state where more than one move is possible (the activities of
// the investigation, the appraisal outcome, the township review's pass or
// send-back, the county's approve, reject or send-back by two approvers)
// 200 requests are released at once, each trying one of the moves with
// the version it read. Exactly one moves the case and every other one is
// refused as a conflict: not an internal error, not a "database busy"
// leaking out, not a hang (every request runs under a deadline). The
// history has exactly one event per step, the case's audit records are
// its history one to one, and the whole chain verifies.

const (
	raceN      = 200 // requests released at once per contested state
	raceRounds = 10  // cases walked per store
)

// move is one request a contender makes.
type move struct {
	p      authz.Principal
	id     string
	values map[string]string
	reason string
}

func (m move) String() string { return m.id + "/" + m.p.Username }

// raceWorld is world with a second approver and reviewer, and a new
// applicant household per round (an approved household cannot apply again).
type raceWorld struct {
	*world
	cnty2, rev2 authz.Principal
	reg         *registry.Service
	n           int
}

func newRaceWorld(t *testing.T, db *store.DB) *raceWorld {
	w := &raceWorld{world: newWorld(t, db)}
	w.cnty2 = testenv.User(t, db, "county2", testenv.County, authz.CountyApprover)
	w.rev2 = testenv.User(t, db, "reviewer2", testenv.TownA, authz.TownshipReviewer)
	w.reg = &registry.Service{DB: db, Now: func() time.Time { return w.now }}
	return w
}

// household registers a new eligible applicant household.
func (w *raceWorld) household() int64 {
	w.t.Helper()
	w.n++
	head := idcard.Make("110105", time.Date(1950, 1, 1+w.n%28, 0, 0, 0, 0, time.UTC), 100+w.n)
	child := idcard.Make("110105", time.Date(2015, 3, 1+w.n%28, 0, 0, 0, 0, time.UTC), 200+w.n)
	h, err := w.reg.Create(ctx, w.clerk, household.Draft{Region: string(testenv.VillageA), Address: fmt.Sprintf("李家庄村%d号", w.n),
		Urban: "rural", Members: []household.MemberDraft{
			{Name: "申请人" + strconv.Itoa(w.n), IDNumber: head.String(), Labour: "none", Health: "serious", HealthDetail: "重病", CoResident: "1"},
			{Name: "子女" + strconv.Itoa(w.n), Relation: "child", IDNumber: child.String(), Labour: "none", Health: "healthy", CoResident: "1"},
		}})
	if err != nil {
		w.t.Fatal(err)
	}
	return h.ID
}

// contend releases n requests at once, request i trying moves[i%len], all
// from the case as c holds it. Exactly one must succeed and every other
// must be refused as a conflict; the store must show exactly one new
// event, the winner's. c becomes the case after the winning move.
func (w *raceWorld) contend(c *store.Case, n int, moves []move) move {
	w.t.Helper()
	evs, err := w.db.Events(ctx, c.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	// A deadlock or a request stuck behind one fails here instead of
	// hanging the test.
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	type result struct {
		out casework.Outcome
		err error
	}
	results := make([]result, n)
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			m := moves[i%len(moves)]
			in := workflow.Input{Values: map[string][]string{}, Reason: m.reason}
			for k, v := range m.values {
				in.Values[k] = strings.Split(v, "|")
			}
			a := casework.Action{CaseID: c.ID, Version: c.Version, Transition: m.id, Input: in}
			ready.Done()
			<-start
			results[i].out, results[i].err = w.svc.Act(rctx, m.p, a)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	win := -1
	for i, r := range results {
		switch {
		case r.err == nil:
			if win >= 0 {
				w.t.Fatalf("state %s: both %v and %v succeeded", c.State, moves[win%len(moves)], moves[i%len(moves)])
			}
			win = i
		case errs.CodeOf(r.err) != errs.Conflict:
			w.t.Fatalf("state %s: %v failed with %s (%v), want a conflict", c.State, moves[i%len(moves)], errs.CodeOf(r.err), r.err)
		case errs.As(r.err).Field != "version":
			w.t.Fatalf("state %s: %v refused with %v, want the stale-version conflict", c.State, moves[i%len(moves)], r.err)
		}
	}
	if win < 0 {
		w.t.Fatalf("state %s: none of %d requests %v succeeded", c.State, n, moves)
	}
	m, out := moves[win%len(moves)], results[win].out
	after, err := w.db.Events(ctx, c.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	if len(after) != len(evs)+1 || after[len(after)-1].Transition != m.id || after[len(after)-1].Actor != m.p.Username {
		w.t.Fatalf("state %s: %d events → %d (last %+v), want exactly one new %v", c.State, len(evs), len(after), after[len(after)-1], m)
	}
	if out.Case.Version != c.Version+1 {
		w.t.Fatalf("state %s: version %d → %d, want one step", c.State, c.Version, out.Case.Version)
	}
	*c = out.Case
	return m
}

// walk is where a case is in its round: which investigation activities
// were done since it (re)entered investigation, and how many send-backs
// are still allowed (so every round ends).
type walk struct {
	done      map[string]bool
	contested bool // the investigation's activities competed once since it (re)started
	sendBacks int
}

// moves lists what may be tried in c's state with valid input, or nil at
// the end of the walk.
func (w *raceWorld) moves(c *store.Case, wk *walk) []move {
	ids := func(ps ...authz.Principal) string {
		var s []string
		for _, p := range ps {
			s = append(s, strconv.FormatInt(p.UserID, 10))
		}
		return strings.Join(s, "|")
	}
	switch c.State {
	case "draft":
		return []move{{p: w.clerk, id: "intake", values: map[string]string{"application_date": w.day(0)}}}
	case "submitted":
		return []move{{p: w.clerk, id: "accept"}}
	case "accepted":
		return []move{{p: w.clerk, id: "forward"}}
	case "forwarded":
		return []move{{p: w.t1, id: "start_investigation"}}
	case "investigating":
		var ms []move
		if !wk.done["record_home_visit"] {
			ms = append(ms, move{p: w.t1, id: "record_home_visit", values: map[string]string{"visit_date": w.day(0),
				"investigators": ids(w.t1, w.t2), "form_filled": "on", "findings": "两间旧平房"}},
				move{p: w.t2, id: "record_home_visit", values: map[string]string{"visit_date": w.day(0),
					"investigators": ids(w.t2, w.t1), "form_filled": "on", "findings": "无大件家电"}})
		}
		if !wk.done["request_check"] {
			ms = append(ms, move{p: w.t1, id: "request_check", values: map[string]string{"requested_on": w.day(0)}})
		} else if !wk.done["record_check_result"] {
			ms = append(ms, move{p: w.t2, id: "record_check_result", values: map[string]string{"received_on": w.day(0), "summary": "无异常"}})
		}
		if !wk.done["write_report"] {
			ms = append(ms, move{p: w.t2, id: "write_report", values: map[string]string{"report": "无劳动力",
				"opinion": "eligible", "opinion_reason": "收入低于标准"}})
		}
		if len(ms) == 0 {
			return []move{{p: w.t1, id: "submit_to_appraisal"}}
		}
		if wk.contested {
			return ms[:1] // once per investigation keeps the round short; the rest in turn
		}
		return ms
	case "appraisal":
		v := func(outcome string) map[string]string {
			return map[string]string{"meeting_date": w.day(0), "participants": "王书记、李主任", "attendance": "9",
				"outcome": outcome, "minutes": "评议"}
		}
		return []move{{p: w.t1, id: "appraise", values: v("pass")}, {p: w.t2, id: "appraise", values: v("fail")}}
	case "publicity_ready":
		return []move{{p: w.t1, id: "start_publicity", values: map[string]string{"place": "村务公开栏"}}}
	case "publicity":
		end, err := time.ParseInLocation(time.DateOnly, c.PublicityEnd, calendar.Location())
		if err != nil {
			w.t.Fatalf("publicity end %q: %v", c.PublicityEnd, err)
		}
		if day := end.AddDate(0, 0, 1).Add(9 * time.Hour); w.now.Before(day) {
			w.now = day
		}
		return []move{{p: w.t1, id: "close_publicity"}}
	case "township_review":
		ms := []move{{p: w.rev, id: "review_opinion", values: map[string]string{"opinion": "agree", "comment": "同意"}},
			{p: w.rev2, id: "review_opinion", values: map[string]string{"opinion": "agree", "comment": "同意上报"}}}
		if wk.sendBacks > 0 {
			ms = append(ms, move{p: w.rev2, id: "review_send_back", reason: "入户调查记录不全"})
		}
		return ms
	case "county_decision":
		ms := []move{
			{p: w.cnty, id: "approve", values: map[string]string{"category": "A"}},
			{p: w.cnty2, id: "reject", reason: "家庭收入超过标准"},
			{p: w.cnty2, id: "approve", values: map[string]string{"category": "B"}},
			{p: w.cnty, id: "reject", reason: "有赡养人"},
		}
		if wk.sendBacks > 0 {
			ms = append(ms, move{p: w.cnty, id: "county_send_back", reason: "审核意见不明确"},
				move{p: w.cnty2, id: "county_send_back_investigation", reason: "需重新调查"})
		}
		return ms
	case "rejected":
		return []move{{p: w.t1, id: "deliver_rejection", values: map[string]string{"delivered_on": w.day(0), "method": "direct",
			"recipient": "申请人"}}}
	}
	return nil
}

// caseAuditMatchesHistory checks that the audit records of case c, in
// chain order, are its events one to one (the checklist edits, which are
// not steps of the workflow, aside): same count, order, action and actor.
func caseAuditMatchesHistory(t *testing.T, db *store.DB, caseID int64) int {
	t.Helper()
	evs, err := db.Events(ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := db.AuditRecords(ctx, store.AuditFilter{Object: "case:" + strconv.FormatInt(caseID, 10), Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for i := len(recs) - 1; i >= 0; i-- { // newest first → chain order
		r := recs[i]
		if r.Action == "case.materials" {
			continue
		}
		if r.Result != "ok" {
			t.Fatalf("case %d: audit record %d is %s", caseID, r.Seq, r.Result)
		}
		actions = append(actions, r.Action+"@"+r.Actor)
	}
	var want []string
	for i, e := range evs {
		if e.Seq != i+1 {
			t.Fatalf("case %d: event %d has seq %d", caseID, i, e.Seq)
		}
		want = append(want, "case."+e.Transition+"@"+e.Actor)
	}
	if strings.Join(actions, " ") != strings.Join(want, " ") {
		t.Fatalf("case %d: audit records\n  %v\ndo not match the history\n  %v", caseID, actions, want)
	}
	return len(evs)
}

func TestActRace200(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newRaceWorld(t, db)
		contested, steps := 0, 0
		ends := map[string]int{}
		for round := range raceRounds {
			c, err := w.svc.Open(ctx, w.clerk, w.household(), casework.Declaration{None: true})
			if err != nil {
				t.Fatal(err)
			}
			// Even rounds walk straight; odd ones may be sent back once.
			wk := &walk{done: map[string]bool{}, sendBacks: round % 2}
			for step := 0; !c.Closed && c.State != "rejection_delivered"; step++ {
				if step > 60 {
					t.Fatalf("round %d: no end after %d steps (state %s)", round, step, c.State)
				}
				if c.State == "submitted" {
					w.materials(&c)
				}
				ms := w.moves(&c, wk)
				if ms == nil {
					t.Fatalf("round %d: no move from state %s", round, c.State)
				}
				n := 1
				if len(ms) > 1 {
					n = raceN
					contested++
				}
				from := c.State
				m := w.contend(&c, n, ms)
				steps++
				if c.State == "investigating" && from != "investigating" {
					wk.done, wk.contested = map[string]bool{}, false
				} else if from == "investigating" && n > 1 {
					wk.contested = true
				}
				wk.done[m.id] = true
				if strings.Contains(m.id, "send_back") {
					wk.sendBacks--
				}
			}
			ends[c.State]++
			caseAuditMatchesHistory(t, db, c.ID)
			if c.State == "approved" {
				recips, err := db.Recipients(ctx, region.ScopeOf(testenv.County))
				if err != nil {
					t.Fatal(err)
				}
				k := 0
				for _, r := range recips {
					if r.CaseID == c.ID {
						k++
					}
				}
				if k != 1 {
					t.Fatalf("round %d: case approved with %d register rows, want 1", round, k)
				}
			}
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatalf("audit chain: %v", err)
		}
		t.Logf("%d rounds, %d steps, %d contested by %d requests each; ends %v", raceRounds, steps, contested, raceN, ends)
	})
}

// TestOpenRace: 200 clerks' requests open an application for the same
// household at once. Exactly one case is opened, with one event and one
// audit record; every other request is refused as a conflict (before the
// fix, on PostgreSQL, 16 of them each held a pooled connection and waited
// for a second one to read the open cases and the policy: nobody moved).
func TestOpenRace(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newRaceWorld(t, db)
		hid := w.household()
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		results := make([]error, raceN)
		cases := make([]store.Case, raceN)
		start := make(chan struct{})
		var done sync.WaitGroup
		for i := range raceN {
			done.Add(1)
			go func() {
				defer done.Done()
				<-start
				cases[i], results[i] = w.svc.Open(rctx, w.clerk, hid, casework.Declaration{None: true})
			}()
		}
		close(start)
		done.Wait()
		var won []store.Case
		for i, err := range results {
			switch {
			case err == nil:
				won = append(won, cases[i])
			case errs.CodeOf(err) != errs.Conflict:
				t.Fatalf("a losing open failed with %s: %v, want a conflict", errs.CodeOf(err), err)
			}
		}
		if len(won) != 1 {
			t.Fatalf("%d applications opened for one household, want 1", len(won))
		}
		open, err := db.Cases(ctx, region.ScopeOf(testenv.County), store.CaseFilter{HouseholdID: hid})
		if err != nil || len(open) != 1 || open[0].ID != won[0].ID {
			t.Fatalf("cases of the household: %+v (%v)", open, err)
		}
		if n := caseAuditMatchesHistory(t, db, won[0].ID); n != 1 {
			t.Fatalf("%d events, want the opening only", n)
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatalf("audit chain: %v", err)
		}
	})
}
