// Package library is the case library (issue 7 item 3, SPEC §3.3): closed
// cases turned into de-identified library cases (internal/deid), reviewed by
// a person before publishing, tagged by topic, linked to case seminars and
// exported as the starting point of practical scenarios.
package library

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dibao/internal/authz"
	"dibao/internal/deid"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// Service runs the case library over the store.
type Service struct {
	DB *store.DB
}

// Entry is a library case with its decoded content.
type Entry struct {
	store.LibraryCase
	Case deid.Case
}

// MayCurate says whether p may draft, review and tag library cases.
func MayCurate(p authz.Principal) bool {
	return p.Has(authz.Trainer) || p.Has(authz.TrainingAdmin)
}

func requireCurator(p authz.Principal) error {
	if !MayCurate(p) {
		return errs.New(errs.Forbidden, "", "只有培训讲师或培训管理员可以维护案例库")
	}
	return nil
}

// Source reads a closed case in the caller's scope and builds the input of
// the de-identification.
func (s *Service) Source(ctx context.Context, p authz.Principal, caseID int64) (store.Case, deid.Source, error) {
	c, err := s.DB.Case(ctx, p.Scope(), caseID)
	if err != nil {
		return c, deid.Source{}, err
	}
	if !c.Closed {
		return c, deid.Source{}, errs.New(errs.Invalid, "case", "只有已办结的案件才能加入案例库")
	}
	h, err := s.DB.Household(ctx, p.Scope(), c.HouseholdID)
	if err != nil {
		return c, deid.Source{}, err
	}
	events, err := s.DB.Events(ctx, caseID)
	if err != nil {
		return c, deid.Source{}, err
	}
	// The application date is the first timeline entry (imported and
	// back-dated cases were created later than they were applied for).
	applied := c.CreatedAt
	if len(events) > 0 && events[0].At.Before(applied) {
		applied = events[0].At
	}
	def, _ := workflow.Profile(c.Profile)
	stateLabel := func(id string) string {
		if st, ok := def.State(id); ok && st.Label != "" {
			return st.Label
		}
		return id
	}
	src := deid.Source{Applied: applied, Profile: def.Title, Outcome: stateLabel(c.State), Category: c.Category,
		AmountFen: int64(c.Amount), Urban: h.Urban, Address: h.Address, Phone: h.Phone, BankName: h.BankName,
		BankAccount: h.BankAccount, Notes: h.Notes}
	if src.Profile == "" {
		src.Profile = c.Profile
	}
	if names, err := s.DB.RegionNames(ctx); err == nil {
		for _, code := range []region.Code{c.Region, c.Region.Parent(), c.Region.County()} {
			if n := names[code]; n != "" {
				src.Places = append(src.Places, n)
			}
		}
	}
	names := map[int64]string{}
	for _, m := range h.Members {
		names[m.ID] = m.Name
		notes := strings.TrimSpace(strings.Join([]string{m.DisabilityDetail, m.HealthDetail}, " "))
		src.Members = append(src.Members, deid.Person{Name: m.Name, IDNumber: string(m.IDNumber), Relation: m.Relation.Label(),
			Age: m.IDNumber.Age(applied), Notes: notes})
	}
	for _, in := range h.Incomes {
		src.Incomes = append(src.Incomes, deid.Income{Kind: household.LabelOf(household.IncomeKinds, string(in.Kind)),
			Member: names[in.MemberID], Description: in.Description, AmountFen: int64(in.Amount), CostFen: int64(in.Cost),
			Months: in.Months})
	}
	for _, pr := range h.Properties {
		src.Properties = append(src.Properties, deid.Property{Kind: household.LabelOf(household.PropertyKinds, string(pr.Kind)),
			Description: pr.Description, ValueFen: int64(pr.Value), Quantity: pr.Quantity, Exempt: pr.Exempt})
	}
	for _, e := range events {
		label := e.Transition
		if t, ok := def.Transition(e.Transition); ok && t.Label != "" {
			label = t.Label
		}
		src.Events = append(src.Events, deid.Event{At: e.At, Transition: label, From: stateLabel(e.From), To: stateLabel(e.To),
			Reason: e.Reason, Data: e.Data})
	}
	docs, err := s.DB.Documents(ctx, caseID)
	if err != nil {
		return c, deid.Source{}, err
	}
	for _, d := range docs {
		src.Texts = append(src.Texts, d.Kind+"："+d.Data)
	}
	return c, src, nil
}

// Draft turns a closed case into a library case in status draft.
func (s *Service) Draft(ctx context.Context, p authz.Principal, caseID int64) (Entry, error) {
	if err := requireCurator(p); err != nil {
		return Entry{}, err
	}
	c, src, err := s.Source(ctx, p, caseID)
	if err != nil {
		return Entry{}, err
	}
	out := deid.Make(src)
	raw, err := json.Marshal(out)
	if err != nil {
		return Entry{}, err
	}
	lc := store.LibraryCase{SourceCaseID: c.ID, Content: string(raw),
		Title: fmt.Sprintf("%s·%s·%d人户", out.Profile, out.Outcome, len(out.Members))}
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		if err := tx.InsertLibraryCase(ctx, &lc); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "library.draft", Object: "library:" + strconv.FormatInt(lc.ID, 10),
			Detail: "由已办结案件" + c.Number + "生成脱敏案例（待审核）"})
	})
	return Entry{LibraryCase: lc, Case: out}, err
}

// Get returns a library case. Drafts and rejected cases are for curators only.
func (s *Service) Get(ctx context.Context, p authz.Principal, id int64) (Entry, error) {
	lc, err := s.DB.LibraryCase(ctx, readScope(p), id)
	if err != nil {
		return Entry{}, err
	}
	if lc.Status != "published" && !MayCurate(p) {
		return Entry{}, errs.New(errs.NotFound, "", "案例不存在")
	}
	e := Entry{LibraryCase: lc}
	err = json.Unmarshal([]byte(lc.Content), &e.Case)
	return e, err
}

// List lists library cases: everyone sees published ones; curators may
// filter by status (drafts waiting for review).
func (s *Service) List(ctx context.Context, p authz.Principal, f store.LibraryFilter) ([]store.LibraryCase, error) {
	if !MayCurate(p) {
		f.Status = "published"
	}
	switch f.Status {
	case "", "draft", "published", "rejected":
	default:
		return nil, errs.Invalidf("status", "状态只能是 draft、published 或 rejected")
	}
	f.Scope = readScope(p)
	return s.DB.LibraryCases(ctx, f)
}

// readScope is what a reader of the library sees: the de-identified cases
// of their whole county (a village clerk learns from the county's cases),
// never another county's. Curating (review, tags, seminars) stays within
// the curator's own scope.
func readScope(p authz.Principal) region.Scope {
	return region.ScopeOf(p.Region.County())
}

// Review publishes or rejects a draft; a note is required for a rejection.
func (s *Service) Review(ctx context.Context, p authz.Principal, id int64, approve bool, note string) error {
	if err := requireCurator(p); err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	if !approve && note == "" {
		return errs.Invalidf("note", "退回须写明原因")
	}
	if utf8.RuneCountInString(note) > 500 {
		return errs.Invalidf("note", "审核意见不能超过500字")
	}
	status, verb := "published", "审核通过并发布"
	if !approve {
		status, verb = "rejected", "审核退回"
	}
	return s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		lc, err := tx.LibraryCase(ctx, p.Scope(), id)
		if err != nil {
			return err
		}
		if lc.Status != "draft" {
			return errs.New(errs.Conflict, "", "只有待审核的案例可以审核")
		}
		if lc.CreatedBy == p.Username {
			return errs.New(errs.Forbidden, "", "案例须由生成人以外的人员审核")
		}
		if err := tx.SetLibraryReview(ctx, id, lc.Version, status, note); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "library.review", Object: "library:" + strconv.FormatInt(id, 10),
			Detail: verb + "：" + note})
	})
}

// ParseTopics validates a topic list (comma, 、 or space separated).
func ParseTopics(s string) ([]string, error) {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ' ' || r == '\n' })
	var out []string
	seen := map[string]bool{}
	for _, t := range f {
		if utf8.RuneCountInString(t) > 20 {
			return nil, errs.Invalidf("topics", "每个主题不能超过20字")
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	if len(out) > 10 {
		return nil, errs.Invalidf("topics", "主题最多10个")
	}
	return out, nil
}

// Tag replaces a library case's topics.
func (s *Service) Tag(ctx context.Context, p authz.Principal, id int64, topics []string) error {
	if err := requireCurator(p); err != nil {
		return err
	}
	topics, err := ParseTopics(strings.Join(topics, ","))
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		if _, err := tx.LibraryCase(ctx, p.Scope(), id); err != nil {
			return err
		}
		if err := tx.SetLibraryTopics(ctx, id, topics); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "library.tag", Object: "library:" + strconv.FormatInt(id, 10),
			Detail: "主题：" + strings.Join(topics, "、")})
	})
}

// LinkSeminar uses a published library case in a seminar session.
func (s *Service) LinkSeminar(ctx context.Context, p authz.Principal, sessionID, id int64) error {
	if err := requireCurator(p); err != nil {
		return err
	}
	return s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		ts, err := tx.TrainingSession(ctx, sessionID)
		if err != nil {
			return err
		}
		if ts.Kind != "seminar" {
			return errs.Invalidf("session", "只能关联到案例研讨场次")
		}
		lc, err := tx.LibraryCase(ctx, p.Scope(), id)
		if err != nil {
			return err
		}
		if lc.Status != "published" {
			return errs.New(errs.Conflict, "", "只有已发布的案例可以用于研讨")
		}
		if err := tx.LinkSeminar(ctx, sessionID, id); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "library.seminar", Object: "library:" + strconv.FormatInt(id, 10),
			Detail: "用于研讨场次" + strconv.FormatInt(sessionID, 10) + "「" + ts.Title + "」"})
	})
}

// Scenario is the de-identified household as the starting point of a
// practical scenario: a household the practical package could load.
type Scenario struct {
	LibraryCaseID int64           `json:"library_case_id"`
	Title         string          `json:"title"`
	Urban         bool            `json:"urban"`
	Address       string          `json:"address"`
	Phone         string          `json:"phone"`
	Members       []deid.Member   `json:"members"`
	Incomes       []deid.Income   `json:"incomes"`
	Properties    []deid.Property `json:"properties"`
	ExpectedFen   int64           `json:"expected_amount_fen"`
	Outcome       string          `json:"outcome"`
	Exported      time.Time       `json:"exported_at"`
}

// ExportScenario returns a published library case's household as JSON.
func (s *Service) ExportScenario(ctx context.Context, p authz.Principal, id int64) ([]byte, error) {
	e, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if e.Status != "published" {
		return nil, errs.New(errs.Conflict, "", "只有已发布的案例可以导出为实操情景")
	}
	sc := Scenario{LibraryCaseID: e.ID, Title: e.Title, Urban: e.Case.Urban, Address: e.Case.Address, Phone: e.Case.Phone,
		Members: e.Case.Members, Incomes: e.Case.Incomes, Properties: e.Case.Properties, ExpectedFen: e.Case.AmountFen,
		Outcome: e.Case.Outcome, Exported: s.DB.Now()}
	return json.MarshalIndent(sc, "", "  ")
}
