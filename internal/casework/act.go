package casework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// Action is one request to move a case.
type Action struct {
	CaseID     int64
	Version    int64 // the case version the actor saw; a stale one is a conflict
	Transition string
	Input      workflow.Input
	// IdempotencyKey makes a retried request safe: the first outcome is
	// stored with the change and a replay returns it without acting again.
	IdempotencyKey string
}

// Outcome is what an action produced.
type Outcome struct {
	Case      store.Case
	Event     store.Event
	Documents []store.Document
	Warning   string // e.g. a certification warning under the "warn" gate
	Replayed  bool   // the idempotency key had been used: nothing was done now
}

// Act performs one transition or activity. Everything — effects, event,
// new state, documents, audit and the idempotency record — is one
// transaction; a refusal says why in Chinese and writes nothing.
func (s *Service) Act(ctx context.Context, p authz.Principal, a Action) (Outcome, error) {
	path := "case:" + strconv.FormatInt(a.CaseID, 10) + ":" + a.Transition
	if a.IdempotencyKey != "" {
		var out Outcome
		if ok, err := s.DB.Replay(ctx, p.UserID, a.IdempotencyKey, path, &out); err != nil || ok {
			if err != nil {
				return Outcome{}, err
			}
			out.Replayed = true
			return out, nil
		}
	}
	// On SQLite, whose write transaction excludes every other writer,
	// everything the decision reads is loaded first on a read snapshot
	// outside it: inside, one read checks that the case and its household
	// are still at the versions read, and only a change since makes it
	// load them again there. PostgreSQL writers run side by side (the case
	// row is locked, not the store), and there the extra round trips of a
	// separate read cost more than they save.
	// On both, the case's rules (policy, calendar) are read from the pool
	// before the write transaction opens, so the writer holds its
	// connection (and on PostgreSQL the case's lock) only for the change.
	// A request whose case has already moved on is refused there, without
	// taking the writer or the case's lock (of 200 requests racing for one
	// step, 199 are such).
	var pre, rules *loaded
	var stale bool
	if s.DB.Dialect() == store.SQLite {
		pre, stale = s.preload(ctx, p, a)
		rules = pre
	} else {
		rules, stale = s.preRules(ctx, p, a)
	}
	if stale {
		return Outcome{}, staleCase()
	}
	certs, err := s.certified(ctx, p)
	if err != nil {
		return Outcome{}, err
	}
	out, err := s.act(ctx, p, a, certs, path, pre, rules, false)
	if errors.Is(err, errRulesChanged) {
		// The rules read before the transaction were not the case's (the
		// day turned, or the read failed): read them again outside; if
		// they are still not (a second turn in between), the transaction
		// reads them itself this once.
		rules, _ = s.preRules(ctx, p, a)
		out, err = s.act(ctx, p, a, certs, path, nil, rules, true)
	}
	return out, err
}

// errRulesChanged stops a PostgreSQL write transaction that would have to
// read the case's rules on the pool (see load).
var errRulesChanged = errors.New("casework: rules read before the transaction are stale")

// act is Act's write transaction. inTxRules lets load read the rules on
// the pool from inside it (see load).
func (s *Service) act(ctx context.Context, p authz.Principal, a Action, certs []string, path string, pre, rules *loaded,
	inTxRules bool) (Outcome, error) {
	var out Outcome
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		L, err := s.hold(ctx, tx, a.CaseID, a.Version, pre, rules, inTxRules)
		if err != nil {
			return err
		}
		L.certified = certs
		if L.c.Version != a.Version {
			return staleCase()
		}
		f := s.facts(L, a.Input)
		t, err := workflow.Check(L.def, L.c.State, a.Transition, p, p.Region.Level(), f)
		if err != nil {
			return err
		}
		rec, err := workflow.ParseRecord(t, f)
		if err != nil {
			return err
		}
		warning, err := workflow.Certification(t, f)
		if err != nil {
			return err
		}
		out.Warning = warning
		from := L.c.State
		to := workflow.Next(t, from)
		if err := s.effects(ctx, tx, L, t, rec, a.Input, p); err != nil {
			return err
		}
		// Deadlines after this step, from the history including it.
		hist := append(history(L.events), workflow.Event{Transition: t.ID, At: s.Now()})
		sched := workflow.Deadlines(L.def, to, hist, s.today(), L.cal, L.params)
		L.c.DueDate, L.c.TotalDue = "", ""
		if sched.Current != nil && sched.Current.Running {
			L.c.DueDate = sched.Current.Due.Format(time.DateOnly)
		}
		if sched.Total != nil {
			L.c.TotalDue = sched.Total.Due.Format(time.DateOnly)
			L.c.Extended = sched.Total.Extended
			if L.c.StartedOn == "" {
				L.c.StartedOn = sched.Total.Start.Format(time.DateOnly)
			}
		}
		if pc, ok := sched.Clock("publicity"); ok && t.ID == "start_publicity" {
			L.c.PublicityStart, L.c.PublicityEnd = pc.Start.Format(time.DateOnly), pc.Due.Format(time.DateOnly)
		}
		if to != from {
			L.c.StateSince = s.Now()
		}
		L.c.State = to
		if st, ok := L.def.State(to); ok {
			L.c.Closed = st.Terminal
		}
		docs, err := s.issue(ctx, tx, L, t, rec, a.Input)
		if err != nil {
			return err
		}
		nums := make([]string, len(docs))
		for i, d := range docs {
			nums[i] = d.Number
		}
		data := map[string]any{"values": rec}
		if warning != "" {
			data["certification_warning"] = warning
		}
		raw, _ := json.Marshal(data)
		ev := store.Event{CaseID: L.c.ID, Transition: t.ID, From: from, To: to, Reason: strings.TrimSpace(a.Input.Reason),
			Data: string(raw), Documents: strings.Join(nums, ",")}
		if err := tx.AppendEvent(ctx, &ev); err != nil {
			return err
		}
		if err := tx.SaveCase(ctx, &L.c, a.Version); err != nil {
			return err
		}
		detail := fmt.Sprintf("%s → %s", from, to)
		if warning != "" {
			detail += " warning=" + warning
		}
		out = Outcome{Case: L.c, Event: ev, Documents: docs, Warning: warning}
		if a.IdempotencyKey != "" {
			if err := tx.Remember(ctx, a.IdempotencyKey, path, out); err != nil {
				return err
			}
		}
		// The audit record last: its head row is held until commit.
		return tx.Audit(ctx, store.Entry{Action: "case." + t.ID, Object: caseObj(L.c.ID), Detail: detail})
	})
	return out, err
}

// preload reads the case and everything its guards need on a read-only
// snapshot. It returns nil when that fails or the case is no longer at the
// version the actor saw: the write transaction then loads the case itself
// and refuses with the right reason; stale if the case read first is
// already at another version.
func (s *Service) preload(ctx context.Context, p authz.Principal, a Action) (pre *loaded, stale bool) {
	c0, err := s.DB.Case(ctx, p.Scope(), a.CaseID)
	if err != nil {
		return nil, false
	}
	if c0.Version != a.Version {
		return nil, true
	}
	L, err := s.rulesOf(ctx, c0)
	if err != nil {
		return nil, false
	}
	if t, ok := L.def.Transition(a.Transition); ok && len(t.Documents) > 0 {
		n := s.regionNames(ctx, c0.Region)
		L.names = &n
	}
	err = s.DB.ReadTx(ctx, p, func(tx *store.Tx) error {
		c, err := tx.CaseRead(ctx, a.CaseID)
		if err != nil {
			return err
		}
		if c.Version != a.Version || c.Region != c0.Region || c.Profile != c0.Profile || !c.CreatedAt.Equal(c0.CreatedAt) {
			return staleCase()
		}
		L.c = c
		L, err = s.loadRows(ctx, tx, L)
		return err
	})
	if err != nil {
		return nil, false
	}
	return L, false
}

// hold returns pre inside the write transaction if the case (locked on
// PostgreSQL) and its household are still at the versions pre read, on
// the same day: every change to a case's history, materials, visits,
// objections or relatives bumps the case's version, every change to the
// household its version. Otherwise it loads the case inside tx. A case no
// longer at version (the actor's) is refused at once, before anything
// else is read: when many act on one case at once, every loser holds the
// single writer (SQLite) or the case's row lock (PostgreSQL) for one
// read only.
func (s *Service) hold(ctx context.Context, tx *store.Tx, caseID, version int64, pre, rules *loaded, inTxRules bool) (*loaded, error) {
	if pre == nil {
		return s.load(ctx, tx, caseID, version, rules, inTxRules)
	}
	cv, hv, err := tx.CaseVersions(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if cv != version {
		return nil, staleCase()
	}
	if cv == pre.c.Version && hv == pre.h.Version && s.today().Equal(pre.day) {
		return pre, nil
	}
	return s.load(ctx, tx, caseID, version, rules, inTxRules)
}

// preRules reads the rules of case id from the pool (rulesOf), or returns
// nil if it cannot; the caller's transaction checks scope and state.
// stale: the case read is already at another version than the actor's.
func (s *Service) preRules(ctx context.Context, p authz.Principal, a Action) (rules *loaded, stale bool) {
	c, err := s.DB.Case(ctx, p.Scope(), a.CaseID)
	if err != nil {
		return nil, false
	}
	if c.Version != a.Version {
		return nil, true
	}
	L, err := s.rulesOf(ctx, c)
	if err != nil {
		return nil, false
	}
	if t, ok := L.def.Transition(a.Transition); ok && len(t.Documents) > 0 {
		n := s.regionNames(ctx, c.Region)
		L.names = &n
	}
	return L, false
}

// effects applies what a transition does beyond changing state.
func (s *Service) effects(ctx context.Context, tx *store.Tx, L *loaded, t workflow.Transition, rec map[string]any,
	in workflow.Input, p authz.Principal) error {
	str := func(name string) string { v, _ := rec[name].(string); return v }
	switch t.ID {
	case "record_home_visit", "county_home_visit":
		staff, _ := rec["investigators"].([]int64)
		ids, err := s.investigators(ctx, tx, L, staff, t.ID == "county_home_visit")
		if err != nil {
			return err
		}
		kind := "home"
		if t.ID == "county_home_visit" {
			kind = "county_home"
		}
		data, _ := json.Marshal(rec)
		return tx.AddVisit(ctx, &store.Visit{CaseID: L.c.ID, Kind: kind, Date: dateOf(rec["visit_date"]),
			Investigators: ids, Data: string(data)})
	case "record_interview":
		data, _ := json.Marshal(rec)
		return tx.AddVisit(ctx, &store.Visit{CaseID: L.c.ID, Kind: "neighbour", Date: dateOf(rec["interview_date"]),
			Data: string(data)})
	case "request_check":
		return s.requestCheck(ctx, tx, L)
	case "record_check_result":
		return s.fetchCheck(ctx, tx, L)
	case "record_objection":
		return tx.AddObjection(ctx, &store.Objection{CaseID: L.c.ID, ReceivedOn: dateOf(rec["received_on"]),
			Objector: str("objector"), Content: str("content")})
	case "resolve_objection":
		n := intOf(rec["objection_no"])
		if n < 1 || n > len(L.objs) {
			return errs.Invalidf("objection_no", "异议编号无效：本案共有 %d 条异议", len(L.objs))
		}
		o := L.objs[n-1]
		return tx.ResolveObjection(ctx, L.c.ID, o.ID, str("outcome"), str("finding"))
	case "submit_to_appraisal", "submit_to_publicity", "submit_to_review", "approve":
		// The computed benefit is frozen on the case with its explanation and
		// the parameter versions, so the decision can be defended later.
		raw, _ := json.Marshal(L.benefit)
		L.c.Benefit = string(raw)
		L.c.Amount = L.benefit.Amount
		if t.ID == "approve" {
			if !L.benefit.Eligible && L.benefit.Outcome != "single_person" {
				return errs.Invalidf("", "按现行标准计算该家庭不符合条件，不能批准（%s）", reasonsText(L))
			}
			L.c.Category = str("category")
			next := s.today().AddDate(0, 1, 0)
			L.c.StartMonth = next.Format("2006-01")
			return tx.Enroll(ctx, store.Recipient{HouseholdID: L.h.ID, CaseID: L.c.ID, Region: L.c.Region,
				Category: L.c.Category, Amount: L.benefit.Amount, Members: L.benefit.Members, StartMonth: L.c.StartMonth,
				Status: "active"})
		}
	case "extend_time_limit":
		L.c.Extended = true
		L.c.ExtensionNote = strings.TrimSpace(in.Reason)
	}
	_ = p
	return nil
}

func reasonsText(L *loaded) string {
	var ss []string
	for _, r := range L.benefit.Reasons {
		ss = append(ss, r.Text)
	}
	return strings.Join(ss, "；")
}

// investigators checks the submitted staff: they must exist, work in the
// case's township (or the county, for a county visit) and not be close
// relatives of the household.
// They are read on tx's own connection: see store.Tx.UserByID.
func (s *Service) investigators(ctx context.Context, tx *store.Tx, L *loaded, raw []int64, county bool) ([]int64, error) {
	scope := L.c.Region.Township()
	if county {
		scope = L.c.Region.County()
	}
	var ids []int64
	seen := map[int64]bool{}
	for _, id := range raw {
		u, err := tx.UserByID(ctx, id)
		if errs.CodeOf(err) == errs.NotFound {
			return nil, errs.Invalidf("investigators", "调查人员（编号 %d）不存在", id)
		}
		if err != nil {
			return nil, err
		}
		if !u.Active || !(u.Region.Within(scope) || scope.Within(u.Region)) {
			return nil, errs.Invalidf("investigators", "%s 不是本乡镇（街道）或上级在岗工作人员，不能登记为调查人员", u.DisplayName)
		}
		for _, rel := range L.rels {
			if rel.UserID == u.ID {
				return nil, errs.Invalidf("investigators", "%s 与申请家庭存在近亲属关系，须回避", u.DisplayName)
			}
		}
		if !seen[u.ID] {
			seen[u.ID] = true
			ids = append(ids, u.ID)
		}
	}
	return ids, nil
}

func dateOf(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.Format(time.DateOnly)
	case string:
		return x
	}
	return ""
}

func intOf(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case int64:
		return int(x)
	case float64:
		return int(x)
	case string:
		n, _ := strconv.Atoi(x)
		return n
	}
	return 0
}
