package practical

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/benefit"
	"dibao/internal/calendar"
	"dibao/internal/casework"
	"dibao/internal/crosscheck"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/money"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// Service runs practical assessments: runs and scores in the main store,
// the cases they are performed on in the sandbox store.
type Service struct {
	DB      *store.DB // the main store: runs and scores only
	Sandbox *store.DB // the sandbox store: synthetic households and cases
	Now     func() time.Time
	// Checker is the cross-check simulator of the sandbox (shared by runs).
	Checker *crosscheck.Simulator
	// OnScored is called inside the transaction that records a run's final
	// score (the rubric scored); nil does nothing. The assessment-results
	// foundation hooks in here (make-up rule, certifications).
	OnScored func(ctx context.Context, tx *store.Tx, run store.PracticalRun) error
}

// Attempt kinds.
const (
	AttemptFirst  = "first"
	AttemptMakeup = "makeup"
)

// Sandbox colleagues: the accounts the system acts as when it prepares a
// case's starting state, and the fellow investigators a trainee names on a
// home visit. They exist only in the sandbox store and cannot log in.
var colleagues = []store.User{
	{Username: "sandbox-clerk", DisplayName: "沙盒村经办人", Region: SandboxVillage, Roles: []authz.Role{authz.VillageClerk}},
	{Username: "sandbox-officer-a", DisplayName: "沙盒乡镇经办人甲", Region: SandboxTownship, Roles: []authz.Role{authz.TownshipOfficer}},
	{Username: "sandbox-officer-b", DisplayName: "沙盒乡镇经办人乙", Region: SandboxTownship, Roles: []authz.Role{authz.TownshipOfficer}},
}

func sandboxAdmin() authz.Principal {
	return authz.Principal{Username: "sandbox-system", Roles: []authz.Role{authz.CountyAdmin}, Region: SandboxCounty}
}

// Prepare writes the sandbox county and the sandbox colleagues once; it is
// safe to call on every start.
func Prepare(ctx context.Context, sb *store.DB) error {
	have, err := sb.Users(ctx, region.ScopeOf(SandboxCounty))
	if err != nil {
		return err
	}
	if _, err := sb.Region(ctx, SandboxVillage); err == nil && len(have) >= len(colleagues) {
		return ungated(ctx, sb)
	}
	err = sb.InTx(ctx, sandboxAdmin(), func(tx *store.Tx) error {
		for _, r := range []store.Region{
			{Code: SandboxCounty, Name: "沙盒县", Level: region.County},
			{Code: SandboxTownship, Name: "沙盒镇", Level: region.Township, Parent: SandboxCounty},
			{Code: SandboxVillage, Name: "示范村", Level: region.Village, Parent: SandboxTownship},
		} {
			if err := tx.PutRegion(ctx, r); err != nil {
				return err
			}
		}
		for _, u := range colleagues {
			if slices.ContainsFunc(have, func(x store.User) bool { return x.Username == u.Username }) {
				continue
			}
			u.Active, u.PasswordHash = true, "!" // no password: a sandbox account never logs in
			if _, err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, store.Entry{Action: "sandbox.prepare", Object: "region:" + SandboxCounty})
	})
	if err != nil {
		return err
	}
	return ungated(ctx, sb)
}

// ungated turns certification gating off in the sandbox county: practice
// and the practical assessment are how a person earns a certification, so
// an uncertified trainee must be able to perform every step there. Real
// cases keep the county's own certification_gate.
func ungated(ctx context.Context, sb *store.DB) error {
	now := time.Now()
	set, err := policy.Resolve(ctx, sb, SandboxCounty, now)
	if err != nil {
		return err
	}
	if set.Enum(policy.CertificationGate) == workflow.GateOff && set.Version(policy.CertificationGate) != policy.DefaultVersion {
		return nil
	}
	return sb.InTx(ctx, sandboxAdmin(), func(tx *store.Tx) error {
		day := calendar.DayOf(now).Format(time.DateOnly)
		if err := policy.SetValueIn(ctx, tx, now, SandboxCounty, policy.CertificationGate, workflow.GateOff, day,
			"沙盒：实操练习和考核不受岗位认证限制"); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "policy.set", Object: "policy:" + policy.CertificationGate,
			Detail: "sandbox county: off"})
	})
}

func (s *Service) colleague(ctx context.Context, username string) (authz.Principal, error) {
	users, err := s.Sandbox.Users(ctx, region.ScopeOf(SandboxCounty))
	if err != nil {
		return authz.Principal{}, err
	}
	for _, u := range users {
		if u.Username == username {
			return u.Principal(), nil
		}
	}
	return authz.Principal{}, errs.Wrap(fmt.Errorf("sandbox colleague %s missing", username), "沙盒未初始化")
}

// mirror returns the trainee's sandbox account: the same username and
// display name as the real account, every case role, created on first use.
func (s *Service) mirror(ctx context.Context, real authz.Principal) (store.User, error) {
	users, err := s.Sandbox.Users(ctx, region.ScopeOf(SandboxCounty))
	if err != nil {
		return store.User{}, err
	}
	for _, u := range users {
		if u.Username == real.Username {
			return u, nil
		}
	}
	u := store.User{Username: real.Username, DisplayName: real.DisplayName, Region: SandboxTownship, Roles: caseRoles,
		Active: true, PasswordHash: "!"}
	if u.DisplayName == "" {
		u.DisplayName = real.Username
	}
	err = s.Sandbox.InTx(ctx, sandboxAdmin(), func(tx *store.Tx) error {
		var err error
		if u.ID, err = tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "sandbox.mirror", Object: "user:" + u.Username})
	})
	return u, err
}

// Principal is the trainee's sandbox principal for a run: their mirror
// account with every case role, placed at the level of whoever the case
// waits for now (village clerk → the sandbox village, township roles → the
// sandbox township, county approver → the sandbox county), so one trainee
// can play every step of a scenario. RequestID is kept for the audit.
func (s *Service) Principal(ctx context.Context, real authz.Principal, run store.PracticalRun) (authz.Principal, error) {
	u, err := s.mirror(ctx, real)
	if err != nil {
		return authz.Principal{}, err
	}
	p := u.Principal()
	p.Roles, p.RequestID = caseRoles, real.RequestID
	p.Region = SandboxCounty
	c, err := s.Sandbox.Case(ctx, region.ScopeOf(SandboxCounty), run.SandboxCaseID)
	if err != nil {
		return authz.Principal{}, err
	}
	if d, ok := workflow.Profile(c.Profile); ok {
		if st, ok := d.State(c.State); ok {
			switch st.Actor {
			case authz.VillageClerk:
				p.Region = SandboxVillage
			case authz.TownshipOfficer, authz.TownshipReviewer:
				p.Region = SandboxTownship
			}
		}
	}
	return p, nil
}

// Cases is the case service over the sandbox for one run: the same
// casework code, with the run's simulated clock.
func (s *Service) Cases(run store.PracticalRun) *casework.Service {
	days := run.ClockDays
	return &casework.Service{DB: s.Sandbox, Checker: s.Checker,
		Now: func() time.Time { return s.Now().AddDate(0, 0, days) }}
}

func (s *Service) act(ctx context.Context, svc *casework.Service, p authz.Principal, caseID int64, tid string,
	values map[string][]string) error {
	c, err := s.Sandbox.Case(ctx, p.Scope(), caseID)
	if err != nil {
		return err
	}
	_, err = svc.Act(ctx, p, casework.Action{CaseID: caseID, Version: c.Version, Transition: tid,
		Input: workflow.Input{Values: values}})
	if err != nil {
		return fmt.Errorf("sandbox %s: %w", tid, err)
	}
	return nil
}

// Start begins a run: the scenario's household and case are created in the
// sandbox and brought to the scenario's starting state; the run is recorded
// in the main store with started_at.
func (s *Service) Start(ctx context.Context, p authz.Principal, scenarioID, attempt string) (store.PracticalRun, error) {
	if p.UserID == 0 {
		return store.PracticalRun{}, errs.New(errs.Forbidden, "", "请先登录")
	}
	sc, ok := ScenarioByID(scenarioID)
	if !ok {
		return store.PracticalRun{}, errs.Invalidf("scenario", "没有这个实操情景：%s", scenarioID)
	}
	if attempt == "" {
		attempt = AttemptFirst
	}
	if attempt != AttemptFirst && attempt != AttemptMakeup {
		return store.PracticalRun{}, errs.Invalidf("attempt", "考核类型应为 first（首次）或 makeup（补考）")
	}
	if err := Prepare(ctx, s.Sandbox); err != nil {
		return store.PracticalRun{}, err
	}
	if _, err := s.mirror(ctx, p); err != nil {
		return store.PracticalRun{}, err
	}
	clerk, err := s.colleague(ctx, "sandbox-clerk")
	if err != nil {
		return store.PracticalRun{}, err
	}
	officer, err := s.colleague(ctx, "sandbox-officer-a")
	if err != nil {
		return store.PracticalRun{}, err
	}
	now := s.Now()
	today := calendar.DayOf(now)
	h, err := s.household(ctx, clerk, sc, today, p.Username)
	if err != nil {
		return store.PracticalRun{}, err
	}
	svc := &casework.Service{DB: s.Sandbox, Now: s.Now, Checker: s.Checker}
	c, err := svc.Open(ctx, clerk, h.ID, casework.Declaration{None: true})
	if err != nil {
		return store.PracticalRun{}, err
	}
	if s.Checker != nil {
		s.Checker.Declare(c.Number, h, crosscheck.ScenarioAgree)
	}
	day := map[string][]string{"application_date": {today.Format(time.DateOnly)}}
	if err := s.act(ctx, svc, clerk, c.ID, "intake", day); err != nil {
		return store.PracticalRun{}, err
	}
	if sc.Start == "investigating" {
		items := make([]casework.MaterialInput, 0, len(casework.Materials))
		for _, m := range casework.Materials {
			items = append(items, casework.MaterialInput{Code: m.Code, Status: "ok"})
		}
		cur, err := s.Sandbox.Case(ctx, clerk.Scope(), c.ID)
		if err != nil {
			return store.PracticalRun{}, err
		}
		if _, err := svc.SetMaterials(ctx, clerk, c.ID, cur.Version, items); err != nil {
			return store.PracticalRun{}, err
		}
		for _, step := range []struct {
			p  authz.Principal
			id string
		}{{clerk, "accept"}, {clerk, "forward"}, {officer, "start_investigation"}} {
			if err := s.act(ctx, svc, step.p, c.ID, step.id, nil); err != nil {
				return store.PracticalRun{}, err
			}
		}
	}
	set, err := policy.Resolve(ctx, s.Sandbox, SandboxVillage, now)
	if err != nil {
		return store.PracticalRun{}, err
	}
	expected := benefit.Compute(h, set.BenefitParams(), today)
	run := store.PracticalRun{Scenario: sc.ID, UserID: p.UserID, Username: p.Username, Attempt: attempt,
		SandboxCaseID: c.ID, SandboxHouseholdID: h.ID, ExpectedAmount: int64(expected.Amount), DeclaredAmount: -1,
		Status: "running", StartedAt: now}
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		if err := tx.CreatePracticalRun(ctx, &run); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "practical.start", Object: runObj(run.ID),
			Detail: fmt.Sprintf("scenario=%s attempt=%s sandbox_case=%d", sc.ID, attempt, c.ID)})
	})
	return run, err
}

// household writes the scenario's synthetic household in the sandbox. The
// run's sequence keeps ID numbers distinct; two runs started at the same
// moment may still draw the same one, so a duplicate is retried with the
// next sequence.
func (s *Service) household(ctx context.Context, clerk authz.Principal, sc Scenario, today time.Time,
	trainee string) (household.Household, error) {
	n, _, err := s.Sandbox.CountHouseholds(ctx, region.All())
	if err != nil {
		return household.Household{}, err
	}
	for try := 0; ; try++ {
		h := sc.Household(today, n+try)
		err = s.Sandbox.InTx(ctx, clerk, func(tx *store.Tx) error {
			incomes, props := h.Incomes, h.Properties
			if err := tx.CreateHousehold(ctx, &h); err != nil {
				return err
			}
			for _, in := range incomes {
				if _, err := tx.AddIncome(ctx, h.ID, h.Version, in); err != nil {
					return err
				}
				h.Version++
			}
			for _, pr := range props {
				if _, err := tx.AddProperty(ctx, h.ID, h.Version, pr); err != nil {
					return err
				}
				h.Version++
			}
			var err error
			if h, err = tx.Household(ctx, h.ID); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "household.create", Object: "household:" + strconv.FormatInt(h.ID, 10),
				Detail: "practical scenario " + sc.ID + " for " + trainee})
		})
		if err == nil || errs.CodeOf(err) != errs.Invalid || try >= 5 {
			return h, err
		}
	}
}

func runObj(id int64) string { return "practical_run:" + strconv.FormatInt(id, 10) }

// Examiner reports whether p may score rubrics and see every run.
func Examiner(p authz.Principal) bool { return p.Has(authz.TrainingAdmin) || p.Has(authz.Trainer) }

// Run reads a run for its trainee or an examiner.
func (s *Service) Run(ctx context.Context, p authz.Principal, id int64) (store.PracticalRun, error) {
	run, err := s.DB.PracticalRun(ctx, p.Scope(), id)
	if err != nil {
		return run, err
	}
	if run.UserID != p.UserID && !Examiner(p) {
		return store.PracticalRun{}, errs.New(errs.NotFound, "", "实操考核记录不存在")
	}
	return run, nil
}

// RunByCase finds the run of a sandbox case, for its trainee or an examiner.
func (s *Service) RunByCase(ctx context.Context, p authz.Principal, caseID int64) (store.PracticalRun, error) {
	run, err := s.DB.PracticalRunByCase(ctx, p.Scope(), caseID)
	if err != nil {
		return run, errs.New(errs.NotFound, "", "沙盒案件不存在")
	}
	if run.UserID != p.UserID && !Examiner(p) {
		return store.PracticalRun{}, errs.New(errs.NotFound, "", "沙盒案件不存在")
	}
	return run, nil
}

// Runs lists the caller's runs, or every run for an examiner (all true).
func (s *Service) Runs(ctx context.Context, p authz.Principal, all bool) ([]store.PracticalRun, error) {
	uid := p.UserID
	if all && Examiner(p) {
		uid = 0
	}
	return s.DB.PracticalRuns(ctx, p.Scope(), uid, 200)
}

// Scores lists a run's items in breakdown order (automatic, then rubric).
func (s *Service) Scores(ctx context.Context, run store.PracticalRun) ([]store.PracticalScore, error) {
	xs, err := s.DB.PracticalScores(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	sc, _ := ScenarioByID(run.Scenario)
	rank := map[string]int{}
	for i, c := range itemOrder {
		rank["auto:"+c] = i
	}
	for i, r := range sc.Rubric {
		rank["rubric:"+r.Code] = 100 + i
	}
	slices.SortStableFunc(xs, func(a, b store.PracticalScore) int {
		return rank[a.Kind+":"+a.Item] - rank[b.Kind+":"+b.Item]
	})
	return xs, nil
}

func (s *Service) mine(ctx context.Context, p authz.Principal, id int64) (store.PracticalRun, error) {
	run, err := s.DB.PracticalRun(ctx, p.Scope(), id)
	if err != nil {
		return run, err
	}
	if run.UserID != p.UserID {
		return store.PracticalRun{}, errs.New(errs.NotFound, "", "实操考核记录不存在")
	}
	if run.Status != "running" {
		return store.PracticalRun{}, errs.New(errs.Conflict, "", "本次实操考核已结束，不能再办理")
	}
	return run, nil
}

// Owned checks that a sandbox case action is the running run's trainee's.
func (s *Service) Owned(ctx context.Context, p authz.Principal, caseID int64) (store.PracticalRun, error) {
	run, err := s.DB.PracticalRunByCase(ctx, p.Scope(), caseID)
	if err != nil || run.UserID != p.UserID {
		return store.PracticalRun{}, errs.New(errs.NotFound, "", "沙盒案件不存在")
	}
	if run.Status != "running" {
		return store.PracticalRun{}, errs.New(errs.Conflict, "", "本次实操考核已结束，沙盒案件不能再办理")
	}
	return run, nil
}

// MaxAdvance bounds one move of the sandbox clock.
const MaxAdvance = 30

// Advance moves the run's sandbox clock forward by days (simulated time,
// so a publicity period can run out during an exam).
func (s *Service) Advance(ctx context.Context, p authz.Principal, id int64, days int) (store.PracticalRun, error) {
	if days < 1 || days > MaxAdvance {
		return store.PracticalRun{}, errs.Invalidf("days", "推进天数应为 1 至 %d 天", MaxAdvance)
	}
	var run store.PracticalRun
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		var err error
		if run, err = s.mine(ctx, p, id); err != nil {
			return err
		}
		v := run.Version
		run.ClockDays += days
		if err := tx.SavePracticalRun(ctx, &run, v); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "practical.advance", Object: runObj(id), Detail: fmt.Sprintf("+%d days", days)})
	})
	return run, err
}

// Performance reads what the trainee did from the sandbox case.
func (s *Service) Performance(ctx context.Context, run store.PracticalRun, sp authz.Principal, declared money.Fen) (Performance, error) {
	v, err := s.Cases(run).Get(ctx, sp, run.SandboxCaseID)
	if err != nil {
		return Performance{}, err
	}
	perf := Performance{FinalState: v.Case.State, StateLabel: v.State.Label, MinInvestigators: v.Params.MinInvestigators,
		PublicityStart: v.Case.PublicityStart, PublicityEnd: v.Case.PublicityEnd, Expected: money.Fen(run.ExpectedAmount),
		Declared: declared, CaseAmount: v.Case.Amount}
	var reasons []string
	for _, e := range v.Events {
		switch e.Transition {
		case "return":
			perf.NoticeIssued = true
		case "refuse", "reject":
			reasons = append(reasons, e.Reason)
		case "write_report":
			var d struct {
				Values map[string]any `json:"values"`
			}
			if json.Unmarshal([]byte(e.Data), &d) == nil {
				if r, ok := d.Values["opinion_reason"].(string); ok {
					reasons = append(reasons, r)
				}
			}
		case "close_publicity", "report_to_county":
			perf.PublicityClosed = true
		}
	}
	perf.Reason = strings.TrimSpace(strings.Join(reasons, "；"))
	if perf.NoticeIssued {
		for _, m := range casework.Materials {
			for _, x := range v.Materials {
				if x.Code == m.Code && x.Status != "ok" {
					perf.Deficiencies = append(perf.Deficiencies, m.Code)
				}
			}
		}
	}
	inv := map[int64]bool{}
	for _, x := range v.Visits {
		if x.Kind == "home" {
			for _, id := range x.Investigators {
				inv[id] = true
			}
		}
	}
	perf.Investigators = len(inv)
	return perf, nil
}

func minutesBetween(a, b time.Time) int {
	return max(int(b.Sub(a).Round(time.Minute)/time.Minute), 0)
}

func toScores(items []Item) []store.PracticalScore {
	out := make([]store.PracticalScore, len(items))
	for i, it := range items {
		out[i] = store.PracticalScore{Item: it.Code, Kind: it.Kind, Label: it.Label, Expected: it.Expected,
			Done: it.Done, Points: it.Points, Max: it.Max}
	}
	return out
}

// Finish ends a run: the automatic items are scored from the sandbox case
// and stored; the run then waits for the examiner's rubric (status
// finished) — its score is provisional until then. declared is the
// monthly amount the trainee determined (-1 none).
func (s *Service) Finish(ctx context.Context, p authz.Principal, id int64, declared money.Fen) (store.PracticalRun, error) {
	run, err := s.mine(ctx, p, id)
	if err != nil {
		return run, err
	}
	sc, _ := ScenarioByID(run.Scenario)
	if sc.Amount && declared < 0 {
		return run, errs.Invalidf("amount", "请填写您核定的月保障金额（元）")
	}
	sp, err := s.Principal(ctx, p, run)
	if err != nil {
		return run, err
	}
	now := s.Now()
	perf, err := s.Performance(ctx, run, sp, declared)
	if err != nil {
		return run, err
	}
	perf.Minutes = minutesBetween(run.StartedAt, now)
	items := Auto(sc, perf)
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		cur, err := tx.PracticalRunForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if cur.Status != "running" {
			return errs.New(errs.Conflict, "", "本次实操考核已结束")
		}
		run = cur
		v := run.Version
		run.Status, run.FinishedAt, run.DeclaredAmount = "finished", now, int64(declared)
		run.AutoPoints = Total(items)
		run.Score = run.AutoPoints
		if err := tx.PutPracticalScores(ctx, id, "auto", toScores(items)); err != nil {
			return err
		}
		if len(sc.Rubric) == 0 {
			if err := s.final(ctx, tx, &run, p); err != nil {
				return err
			}
		}
		if err := tx.SavePracticalRun(ctx, &run, v); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "practical.finish", Object: runObj(id),
			Detail: fmt.Sprintf("auto=%d/%d", run.AutoPoints, sc.AutoMax())})
	})
	return run, err
}

// final completes a run's score: pass flag against practical_pass of the
// trainee's region, status scored, and the OnScored hook.
func (s *Service) final(ctx context.Context, tx *store.Tx, run *store.PracticalRun, p authz.Principal) error {
	pass := 60
	if u, err := s.DB.UserByID(ctx, run.UserID); err == nil && u.Region != "" {
		if set, err := policy.Resolve(ctx, s.DB, u.Region, s.Now()); err == nil {
			pass = set.Int(policy.PracticalPass)
		}
	}
	run.Score = run.AutoPoints + run.RubricPoints
	run.Passed = Passed(run.Score, pass)
	run.Status, run.ScoredBy, run.ScoredAt = "scored", p.Username, s.Now()
	if s.OnScored != nil {
		return s.OnScored(ctx, tx, *run)
	}
	return nil
}

// Rubric records the examiner's rubric scores (item code → points 0..max)
// and completes the run's score.
func (s *Service) Rubric(ctx context.Context, p authz.Principal, id int64, scores map[string]int) (store.PracticalRun, error) {
	if !Examiner(p) {
		return store.PracticalRun{}, errs.New(errs.Forbidden, "", "只有培训讲师或培训管理员可以评分")
	}
	run, err := s.DB.PracticalRun(ctx, p.Scope(), id)
	if err != nil {
		return run, err
	}
	if run.UserID == p.UserID {
		return run, errs.New(errs.Forbidden, "", "不能为自己的实操考核评分")
	}
	sc, _ := ScenarioByID(run.Scenario)
	var l errs.List
	var items []Item
	sum := 0
	for _, r := range sc.Rubric {
		n, ok := scores[r.Code]
		if !ok {
			l.Add("rubric."+r.Code, "请为“%s”评分", r.Label)
			continue
		}
		if n < 0 || n > r.Max {
			l.Add("rubric."+r.Code, "“%s”的得分应在 0 至 %d 之间", r.Label, r.Max)
			continue
		}
		sum += n
		items = append(items, Item{Code: r.Code, Kind: "rubric", Label: r.Label, Expected: "满分 " + strconv.Itoa(r.Max),
			Done: strconv.Itoa(n) + " 分", Points: n, Max: r.Max})
	}
	if err := l.Err(); err != nil {
		return run, err
	}
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		cur, err := tx.PracticalRunForUpdate(ctx, id)
		if err != nil {
			return err
		}
		switch cur.Status {
		case "running":
			return errs.New(errs.Conflict, "", "学员尚未结束本次实操考核，暂不能评分")
		case "scored":
			return errs.New(errs.Conflict, "", "本次实操考核已评分，成绩不能再修改")
		}
		run = cur
		v := run.Version
		run.RubricPoints = sum
		if err := tx.PutPracticalScores(ctx, id, "rubric", toScores(items)); err != nil {
			return err
		}
		if err := s.final(ctx, tx, &run, p); err != nil {
			return err
		}
		if err := tx.SavePracticalRun(ctx, &run, v); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "practical.rubric", Object: runObj(id),
			Detail: fmt.Sprintf("rubric=%d score=%d passed=%v", sum, run.Score, run.Passed)})
	})
	return run, err
}

// CaseFor resolves a sandbox case for the caller: its run (acting: only
// the trainee's running run; viewing: the trainee's or, for an examiner,
// any), the case service over the sandbox with the run's clock, and the
// sandbox principal to use — an examiner sees the case as the trainee does.
func (s *Service) CaseFor(ctx context.Context, p authz.Principal, caseID int64, acting bool) (store.PracticalRun,
	*casework.Service, authz.Principal, error) {
	var run store.PracticalRun
	var err error
	if acting {
		run, err = s.Owned(ctx, p, caseID)
	} else {
		run, err = s.RunByCase(ctx, p, caseID)
	}
	if err != nil {
		return run, nil, authz.Principal{}, err
	}
	who := p
	if run.UserID != p.UserID {
		who = authz.Principal{UserID: run.UserID, Username: run.Username, RequestID: p.RequestID}
	}
	sp, err := s.Principal(ctx, who, run)
	if err != nil {
		return run, nil, sp, err
	}
	return run, s.Cases(run), sp, nil
}
