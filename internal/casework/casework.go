// Package casework runs applications through the declarative workflow:
// it loads a case and everything its guards need, asks the engine whether
// the actor may take a transition now, applies the transition's effects
// (visits, objections, documents, enrolment) and writes the event, the new
// state and the audit record in one transaction.
package casework

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/benefit"
	"dibao/internal/calendar"
	"dibao/internal/crosscheck"
	"dibao/internal/errs"
	"dibao/internal/holidays"
	"dibao/internal/household"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// Service is the case-handling use case.
type Service struct {
	DB  *store.DB
	Now func() time.Time
	// Checker is the information cross-check platform adapter (batch files,
	// HTTP or the simulator); nil means results are entered by hand only.
	Checker crosscheck.Adapter
}

// Materials is the configurable intake checklist (code → label).
var Materials = []household.Enum{
	{Code: "application", Label: "低保申请书"},
	{Code: "id_card", Label: "家庭成员身份证"},
	{Code: "household_register", Label: "户口簿"},
	{Code: "income_proof", Label: "收入证明"},
	{Code: "property_declaration", Label: "家庭财产申报表"},
	{Code: "authorisation", Label: "家庭经济状况核对授权书"},
	{Code: "promise", Label: "承诺书"},
}

func (s *Service) today() time.Time { return calendar.DayOf(s.Now()) }

func caseObj(id int64) string { return "case:" + strconv.FormatInt(id, 10) }

// policyAt resolves the parameters a case uses: those in force on the day
// it was opened, so later changes never rewrite an open case's rules.
func (s *Service) policyAt(ctx context.Context, r region.Code, on time.Time) (policy.Set, error) {
	return policy.Resolve(ctx, s.DB, r.County(), on)
}

// wfParams takes the workflow parameters from the policy set; where the
// county has set nothing (the built-in default), the profile's own default
// applies — national-2021 appraises only on objection, the seed always.
func wfParams(set policy.Set, d workflow.Definition) workflow.Params {
	def := d.Defaults
	num := func(name string, fallback int) int {
		if set.Version(name) == policy.DefaultVersion {
			return fallback
		}
		return set.Int(name)
	}
	enum := func(name, fallback string) string {
		if set.Version(name) == policy.DefaultVersion {
			return fallback
		}
		return set.Enum(name)
	}
	return workflow.Params{
		MinInvestigators:     num(policy.MinInvestigators, def.MinInvestigators),
		PublicityWD:          num(policy.PublicityWD, def.PublicityWD),
		ForwardWD:            num(policy.ForwardWD, def.ForwardWD),
		InvestigationStartWD: num(policy.InvestigationStartWD, def.InvestigationStartWD),
		CountyDecisionWD:     num(policy.CountyDecisionWD, def.CountyDecisionWD),
		RejectionNoticeWD:    num(policy.RejectionNoticeWD, def.RejectionNoticeWD),
		TotalWD:              num(policy.TotalWD, def.TotalWD),
		TotalWDExtended:      num(policy.TotalWDExtended, def.TotalWDExtended),
		Appraisal:            enum(policy.Appraisal, def.Appraisal),
		CertificationGate:    enum(policy.CertificationGate, def.CertificationGate),
	}
}

// Declaration is the intake answer about close relatives among staff and
// village cadres (近亲属备案).
type Declaration struct {
	None      bool       // the applicant declares no such relative
	Relatives []Declared // otherwise, each declared relation
}

// Declared is one declared relation.
type Declared struct {
	MemberName string
	Relative   string // the staff member's or cadre's name
	Relation   string // e.g. 配偶, 父母, 子女, 兄弟姐妹
	UserID     int64  // the staff account, when the relative is staff
}

// Open starts an application for a household: the case remembers the
// workflow profile and every parameter version in force today, and the
// members' ID numbers are checked against the staff and cadre register.
func (s *Service) Open(ctx context.Context, p authz.Principal, householdID int64, decl Declaration) (store.Case, error) {
	if !p.Has(authz.VillageClerk) {
		return store.Case{}, errs.New(errs.Forbidden, "", "只有村（社区）经办人可以登记低保申请")
	}
	if !decl.None && len(decl.Relatives) == 0 {
		return store.Case{}, errs.Invalidf("relatives", "请询问并登记申请家庭与经办人员、村（社区）干部的近亲属关系（无则勾选“无”）")
	}
	for i, r := range decl.Relatives {
		if strings.TrimSpace(r.MemberName) == "" || strings.TrimSpace(r.Relative) == "" || strings.TrimSpace(r.Relation) == "" {
			return store.Case{}, errs.Invalidf(fmt.Sprintf("relatives[%d]", i), "第%d条近亲属登记不完整（成员、亲属姓名、关系均须填写）", i+1)
		}
	}
	today := s.today()
	// The policy is resolved on the pool before the write transaction
	// begins, and everything inside reads on the transaction's connection:
	// on PostgreSQL a writer that needs a second connection waits forever
	// once as many writers as the pool has connections are in flight.
	h0, err := s.DB.Household(ctx, p.Scope(), householdID)
	if err != nil {
		return store.Case{}, err
	}
	set, err := s.policyAt(ctx, h0.Region, today)
	if err != nil {
		return store.Case{}, err
	}
	var c store.Case
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		h, err := tx.Household(ctx, householdID)
		if err != nil {
			return err
		}
		if h.Region != h0.Region {
			return errs.New(errs.Conflict, "", "该家庭的所在地刚被他人修改，请刷新后重试")
		}
		// The unique index cases_one_open decides between applications
		// opened at the same moment; this names the case in the common one.
		if number, err := tx.OpenCaseNumber(ctx, h.ID); err != nil {
			return err
		} else if number != "" {
			return errs.New(errs.Conflict, "", "该家庭已有正在办理的申请（"+number+"），不能重复申请")
		}
		profile := set.Enum(policy.WorkflowProfile)
		d, ok := workflow.Profile(profile)
		if !ok {
			return errs.Wrap(fmt.Errorf("unknown workflow profile %q", profile), "办理流程配置错误")
		}
		versions, _ := json.Marshal(set.Versions())
		serial, err := tx.NextSerial(ctx, "case", h.Region.County(), today.Year())
		if err != nil {
			return err
		}
		c = store.Case{Number: fmt.Sprintf("%s-%d-%06d", h.Region.County()[:6], today.Year(), serial), HouseholdID: h.ID,
			Region: h.Region, Profile: d.Name, State: d.Initial, Policy: string(versions),
			RelativeNote: "无"}
		if !decl.None {
			c.RelativeNote = fmt.Sprintf("申报 %d 条", len(decl.Relatives))
			c.RelativeFlag = true
		}
		if err := tx.CreateCase(ctx, &c); err != nil {
			return err
		}
		for _, r := range decl.Relatives {
			if err := tx.AddRelative(ctx, c.ID, store.Relative{MemberName: r.MemberName, Relative: r.Relative,
				Relation: r.Relation, UserID: r.UserID, Source: "declared"}); err != nil {
				return err
			}
		}
		// The register check: a member who is staff or a cadre flags the case
		// even when nobody declared it.
		for _, m := range h.Members {
			uid, cid, name, err := tx.StaffByIDIndex(ctx, s.DB.IDIndex(m.IDNumber))
			if err != nil {
				return err
			}
			if uid == 0 && cid == 0 {
				continue
			}
			c.RelativeFlag = true
			c.RelativeNote = "系统比对发现家庭成员为经办人员或村（社区）干部"
			if err := tx.AddRelative(ctx, c.ID, store.Relative{MemberName: m.Name, Relative: name, Relation: "本人",
				UserID: uid, CadreID: cid, Source: "matched"}); err != nil {
				return err
			}
		}
		if c.RelativeFlag {
			if err := tx.SaveCase(ctx, &c, c.Version); err != nil {
				return err
			}
		}
		ev := store.Event{CaseID: c.ID, Transition: "open", From: "", To: c.State,
			Data: fmt.Sprintf(`{"profile":%q,"relatives":%q}`, d.Name, c.RelativeNote)}
		if err := tx.AppendEvent(ctx, &ev); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "case.open", Object: caseObj(c.ID),
			Detail: fmt.Sprintf("household:%d number=%s profile=%s relative_flag=%v", h.ID, c.Number, d.Name, c.RelativeFlag)})
	})
	return c, err
}

// MaterialInput is the checklist as the clerk marks it.
type MaterialInput struct {
	Code   string
	Status string // ok, missing, wrong
	Note   string // what is wrong or what to supply
}

// CanEditMaterials reports whether p may mark the checklist of a case in
// state: only the village clerk, only while the case is at the counter.
func CanEditMaterials(p authz.Principal, state string) bool {
	return p.Has(authz.VillageClerk) && (state == "draft" || state == "submitted" || state == "returned")
}

// SetMaterials records the checklist while the case is at the counter.
func (s *Service) SetMaterials(ctx context.Context, p authz.Principal, caseID, version int64, items []MaterialInput) (store.Case, error) {
	if !p.Has(authz.VillageClerk) {
		return store.Case{}, errs.New(errs.Forbidden, "", "只有村（社区）经办人可以核对申请材料")
	}
	var l errs.List
	var rows []store.Material
	seen := map[string]bool{}
	for _, it := range items {
		if !slices.ContainsFunc(Materials, func(e household.Enum) bool { return e.Code == it.Code }) {
			l.Add("materials", "未知的材料项：%s", it.Code)
			continue
		}
		seen[it.Code] = true
		switch it.Status {
		case "ok":
		case "missing", "wrong":
			if it.Status == "wrong" && strings.TrimSpace(it.Note) == "" {
				l.Add("materials."+it.Code, "“%s”有误时请写明错误之处", household.LabelOf(Materials, it.Code))
			}
		default:
			l.Add("materials."+it.Code, "请为“%s”选择齐全、缺少或有误", household.LabelOf(Materials, it.Code))
		}
		rows = append(rows, store.Material{Code: it.Code, Status: it.Status, Note: strings.TrimSpace(it.Note)})
	}
	for _, m := range Materials {
		if !seen[m.Code] {
			l.Add("materials."+m.Code, "请核对“%s”", m.Label)
		}
	}
	if err := l.Err(); err != nil {
		return store.Case{}, err
	}
	var c store.Case
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		var err error
		if c, err = tx.CaseForUpdate(ctx, caseID); err != nil {
			return err
		}
		if c.Version != version {
			return staleCase()
		}
		if !CanEditMaterials(p, c.State) {
			return errs.New(errs.Conflict, "", "案件已受理，不能再修改材料清单")
		}
		if err := tx.SetMaterials(ctx, c.ID, rows); err != nil {
			return err
		}
		if err := tx.SaveCase(ctx, &c, version); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "case.materials", Object: caseObj(c.ID)})
	})
	return c, err
}

func staleCase() error {
	return errs.New(errs.Conflict, "version", "该案件已被他人处理，请刷新页面查看最新状态后再操作")
}

// facts gathers what the guards need, from the store, inside tx.
type loaded struct {
	c       store.Case
	def     workflow.Definition
	set     policy.Set
	params  workflow.Params
	h       household.Household
	events  []store.Event
	visits  []store.Visit
	objs    []store.Objection
	mats    []store.Material
	rels    []store.Relative
	benefit benefit.Result
	sched   workflow.Schedule
	cal     *calendar.Calendar
	day     time.Time // the day it was loaded (benefit and deadlines are as of then)
	names   *names    // the region names documents print; nil until needed
	// certified: the actor's post certifications valid today (SPEC §3.5),
	// for the certification_gate.
	certified []string
}

// certified returns the names of the post certifications p holds today
// (store.DB.CertifiedNames); a system principal holds none.
func (s *Service) certified(ctx context.Context, p authz.Principal) ([]string, error) {
	if p.UserID == 0 {
		return nil, nil
	}
	return s.DB.CertifiedNames(ctx, p.UserID, s.today().Format(time.DateOnly))
}

// load reads case caseID for update inside tx; a case no longer at
// version is refused at once (staleCase). rules, if not nil, are its
// rules read before the transaction (rulesOf); they are used if they are
// still the case's (same case, profile, region and opening, same day),
// otherwise the rules are read again: on SQLite here, on the reader pool;
// on PostgreSQL only if inTxRules, else errRulesChanged makes the caller
// read them outside and try again (a writer reading on the pool can wait
// forever for a connection: see store.Tx.UserByID).
func (s *Service) load(ctx context.Context, tx *store.Tx, caseID, version int64, rules *loaded, inTxRules bool) (*loaded, error) {
	c, err := tx.CaseForUpdate(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if c.Version != version {
		return nil, staleCase()
	}
	if r := rules; r != nil && r.c.ID == c.ID && r.c.Profile == c.Profile && r.c.Region == c.Region &&
		r.c.CreatedAt.Equal(c.CreatedAt) && r.day.Equal(s.today()) {
		L := &loaded{c: c, day: r.day, def: r.def, set: r.set, params: r.params, cal: r.cal, names: r.names}
		return s.loadRows(ctx, tx, L)
	}
	if s.DB.Dialect() == store.Postgres && !inTxRules {
		return nil, errRulesChanged
	}
	return s.loadCase(ctx, tx, c)
}

func (s *Service) loadCase(ctx context.Context, tx *store.Tx, c store.Case) (*loaded, error) {
	L, err := s.rulesOf(ctx, c)
	if err != nil {
		return nil, err
	}
	return s.loadRows(ctx, tx, L)
}

// rulesOf starts the load of a case with what it is decided under: its
// profile, the policy in force when it was opened and today's
// certification gate, and the calendar. These are read on the reader pool
// outside any transaction, so callers holding a read-only transaction's
// connection must call it before they begin it (the pool is small, and
// every holder waiting for a second connection would wait forever).
func (s *Service) rulesOf(ctx context.Context, c store.Case) (*loaded, error) {
	L := &loaded{c: c, day: s.today()}
	var ok bool
	if L.def, ok = workflow.Profile(c.Profile); !ok {
		return nil, errs.Wrap(fmt.Errorf("unknown profile %q", c.Profile), "办理流程配置错误")
	}
	var err error
	// The rules the case was opened under; and the certification gate,
	// which is about who acts now: the county's value in force today.
	sets, err := policy.ResolveOn(ctx, s.DB, c.Region.County(), c.CreatedAt, L.day)
	if err != nil {
		return nil, err
	}
	L.set = sets[0]
	L.params = wfParams(L.set, L.def)
	L.params.CertificationGate = wfParams(sets[1], L.def).CertificationGate
	if L.cal, err = holidays.Calendar(ctx, s.DB); err != nil {
		return nil, err
	}
	return L, nil
}

// loadRows completes L with the case's own rows, read inside tx, and what
// follows from them.
func (s *Service) loadRows(ctx context.Context, tx *store.Tx, L *loaded) (*loaded, error) {
	c := L.c
	var err error
	if L.h, err = tx.Household(ctx, c.HouseholdID); err != nil {
		return nil, err
	}
	if L.events, err = tx.Events(ctx, c.ID); err != nil {
		return nil, err
	}
	if L.visits, err = tx.Visits(ctx, c.ID); err != nil {
		return nil, err
	}
	if L.objs, err = tx.Objections(ctx, c.ID); err != nil {
		return nil, err
	}
	if L.mats, err = tx.Materials(ctx, c.ID); err != nil {
		return nil, err
	}
	if L.rels, err = tx.Relatives(ctx, c.ID); err != nil {
		return nil, err
	}
	L.benefit = benefit.Compute(L.h, L.set.BenefitParams(), L.day)
	L.sched = workflow.Deadlines(L.def, c.State, history(L.events), L.day, L.cal, L.params)
	return L, nil
}

func history(evs []store.Event) []workflow.Event {
	out := make([]workflow.Event, 0, len(evs))
	for _, e := range evs {
		out = append(out, workflow.Event{Transition: e.Transition, At: e.At})
	}
	return out
}

func (s *Service) facts(L *loaded, in workflow.Input) workflow.Facts {
	f := workflow.Facts{Today: s.today(), Params: L.params, Input: in, Members: len(L.h.Members),
		RelativesDeclared: L.c.RelativeNote != "", RelativeRegistered: L.c.RelativeFlag, Certified: L.certified}
	for _, r := range L.rels {
		if r.UserID != 0 {
			f.RelativeStaff = append(f.RelativeStaff, r.UserID)
		}
	}
	f.MaterialsChecked = len(L.mats) > 0
	for _, m := range Materials {
		for _, x := range L.mats {
			if x.Code == m.Code && x.Status != "ok" {
				f.Deficiencies = append(f.Deficiencies, m.Label)
			}
		}
	}
	inv := map[int64]bool{}
	for _, v := range L.visits {
		switch v.Kind {
		case "home":
			f.HomeVisits++
			for _, id := range v.Investigators {
				inv[id] = true
			}
		case "county_home":
			f.CountyVisitDone = true
		}
	}
	f.Investigators = len(inv)
	// Report and check results count since the case last entered
	// investigation, so a re-investigation needs a fresh report.
	since := 0
	for i, e := range L.events {
		if e.To == "investigating" && e.From != "investigating" {
			since = i
		}
	}
	for i, e := range L.events {
		switch e.Transition {
		case "request_check":
			f.CheckRequested = true
		case "record_check_result":
			f.CheckResultPresent = true
		case "write_report":
			if i >= since {
				f.ReportPresent = true
			}
		}
	}
	for _, o := range L.objs {
		f.Objections++
		if o.Status == "open" {
			f.OpenObjections++
		}
	}
	f.BenefitComputed = L.benefit.Outcome != benefit.OutcomeInvalid
	f.Eligible = L.benefit.Eligible
	L.sched.Fill(&f)
	return f
}

// Options lists the actions the caller could take on a case now, enabled
// or with the reason they are not.
func (s *Service) Options(ctx context.Context, p authz.Principal, caseID int64) ([]workflow.Option, error) {
	var opts []workflow.Option
	err := s.read(ctx, p, caseID, func(L *loaded) error {
		opts = workflow.Available(L.def, L.c.State, p, p.Region.Level(), s.facts(L, workflow.Input{}))
		return nil
	})
	return opts, err
}

// read loads a case for display inside a read-only use of a transaction
// scope; nothing is written, so no audit record is needed.
func (s *Service) read(ctx context.Context, p authz.Principal, caseID int64, fn func(L *loaded) error) error {
	c, err := s.DB.Case(ctx, p.Scope(), caseID)
	if err != nil {
		return err
	}
	certs, err := s.certified(ctx, p)
	if err != nil {
		return err
	}
	L, err := s.rulesOf(ctx, c)
	if err != nil {
		return err
	}
	return s.DB.ReadTx(ctx, p, func(tx *store.Tx) error {
		L, err := s.loadRows(ctx, tx, L)
		if err != nil {
			return err
		}
		L.certified = certs
		return fn(L)
	})
}

// sortedKeys returns the keys of a map in order (stable JSON and docs).
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
