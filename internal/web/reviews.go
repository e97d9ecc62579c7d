package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/mask"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/review"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// reviewRoutes registers the pages of periodic reviews: the work queue of
// review tasks and a task's page with its workflow actions and notice.
func (s *server) reviewRoutes(mux *http.ServeMux) {
	mux.Handle("GET /reviews", s.auth(s.reviewList))
	mux.Handle("POST /reviews/generate", s.auth(s.reviewGenerate))
	mux.Handle("GET /reviews/{id}", s.auth(s.reviewDetail))
	mux.Handle("POST /reviews/{id}/act/{transition}", s.auth(s.reviewAct))
	mux.Handle("GET /reviews/notices/{id}", s.auth(s.reviewNotice))
}

const reviewPageSize = 50

type reviewFilter struct {
	Kind, Status, Township, DueBefore string
}

type reviewRow struct {
	ID               int64
	Kind             string
	HeadName         string
	Village          string
	Due              string
	Overdue          bool
	Status           string
	StatusLabel      string
	StatusTone       string
	Amount           string
	Reason           string
	ProposedOutcome  string
	HouseholdID      int64
	DecisionRejected bool
}

type reviewListPage struct {
	Filter      reviewFilter
	Kinds       []choice
	Statuses    []choice
	Townships   []choice
	Rows        []reviewRow
	Total       int
	Page, Pages int
	Prev, Next  string
	Error       string
	CanGenerate bool
	SpotChecks  bool // the county spot checks are the county office's: others get no link to a page that refuses them
	Generated   string
}

func canGenerateReviews(p authz.Principal) bool {
	return p.Has(authz.CountyAdmin) || p.Has(authz.TownshipOfficer)
}

func (s *server) reviewList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q := r.URL.Query()
	f := reviewFilter{Kind: strings.TrimSpace(q.Get("kind")), Status: strings.TrimSpace(q.Get("status")),
		Township: strings.TrimSpace(q.Get("township")), DueBefore: strings.TrimSpace(q.Get("due_before"))}
	page, _ := strconv.Atoi(q.Get("page"))
	if page < 1 {
		page = 1
	}
	return s.renderReviewList(w, r, p, f, page, http.StatusOK, "", q.Get("generated"))
}

func (s *server) renderReviewList(w http.ResponseWriter, r *http.Request, p authz.Principal, f reviewFilter, page, status int,
	msg, generated string) error {
	ctx := r.Context()
	if err := p.Require(authz.HouseholdView); err != nil {
		return err
	}
	names, err := s.a.DB.RegionNames(ctx)
	if err != nil {
		return err
	}
	pg := reviewListPage{Filter: f, Page: page, CanGenerate: canGenerateReviews(p), Error: msg,
		SpotChecks: countyOffice(p)}
	if n, err := strconv.Atoi(generated); err == nil && generated != "" {
		pg.Generated = "已生成到期复核任务 " + strconv.Itoa(n) + " 件"
	}
	pg.Statuses = []choice{{Value: "undecided", Label: "未办结"}}
	for _, st := range workflow.RecipientReview().States {
		pg.Statuses = append(pg.Statuses, choice{Value: st.ID, Label: st.Label})
	}
	kinds := []string{recipients.TaskPeriodic, recipients.TaskSpotCheck, recipients.TaskChangeReport}
	if f.Kind != "" && !slices.Contains(kinds, f.Kind) {
		kinds = append(kinds, f.Kind)
	}
	for _, k := range kinds {
		pg.Kinds = append(pg.Kinds, choice{Value: k, Label: recipients.TaskKindLabel(k)})
	}
	regs, err := s.a.DB.Regions(ctx, p.Scope())
	if err != nil {
		return err
	}
	for _, rg := range regs {
		if rg.Level == region.Township {
			pg.Townships = append(pg.Townships, choice{Value: string(rg.Code), Label: rg.Name})
		}
	}
	sf := store.ReviewTaskFilter{Kind: f.Kind, Status: f.Status, DueBefore: f.DueBefore, Limit: reviewPageSize,
		Offset: (page - 1) * reviewPageSize}
	if sf.Status != "" && sf.Status != "undecided" {
		if _, ok := workflow.RecipientReview().State(sf.Status); !ok {
			sf.Status = ""
			pg.Error = "办理状态无效"
		}
	}
	rows, total, err := s.a.Payments.ReviewTaskList(ctx, p, region.Code(f.Township), sf)
	if err != nil {
		if errs.CodeOf(err) != errs.Invalid {
			return err
		}
		pg.Error, status = errs.As(err).Message, http.StatusBadRequest
	}
	today := s.caseDay().Format(time.DateOnly)
	def := workflow.RecipientReview()
	for _, t := range rows {
		row := reviewRow{ID: t.ID, Kind: recipients.TaskKindLabel(t.Kind), HeadName: mask.Name(t.HeadName),
			Village: villageName(names, t.Region), Due: t.Due, Status: t.Status, StatusLabel: stateLabel(def, t.Status),
			StatusTone: reviewTone(t.Status), Amount: moneyYuan(t.Amount), Reason: t.Reason, HouseholdID: t.HouseholdID,
			DecisionRejected: t.Status == "open" && t.Decision == "rejected"}
		row.Overdue = t.Status != "decided" && t.Due < today
		if t.Proposal != "" {
			var prop recipients.Proposal
			if json.Unmarshal([]byte(t.Proposal), &prop) == nil {
				row.ProposedOutcome = prop.Outcome.Label()
			}
		}
		pg.Rows = append(pg.Rows, row)
	}
	pg.Total = total
	pg.Pages = (total + reviewPageSize - 1) / reviewPageSize
	link := func(n int) string {
		v := url.Values{}
		for k, x := range map[string]string{"kind": f.Kind, "status": f.Status, "township": f.Township, "due_before": f.DueBefore} {
			if x != "" {
				v.Set(k, x)
			}
		}
		v.Set("page", strconv.Itoa(n))
		return "/reviews?" + v.Encode()
	}
	if page > 1 {
		pg.Prev = link(page - 1)
	}
	if page < pg.Pages {
		pg.Next = link(page + 1)
	}
	s.render(w, r, p, status, "review_list", "动态管理 · 复核任务", []crumb{{Label: "动态管理", Href: "/reviews"}, {Label: "复核任务"}}, pg)
	return nil
}

func moneyYuan(fen int64) string {
	neg := fen < 0
	if neg {
		fen = -fen
	}
	out := strconv.FormatInt(fen/100, 10) + "." + strconv.FormatInt(fen%100/10, 10) + strconv.FormatInt(fen%10, 10)
	if neg {
		return "-" + out
	}
	return out
}

func reviewTone(state string) string {
	switch state {
	case "open":
		return "amber"
	case "proposed":
		return "blue"
	case "decided":
		return "green"
	}
	return "grey"
}

func (s *server) reviewGenerate(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	created, err := s.a.Payments.GenerateReviews(r.Context(), p, s.caseDay())
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/reviews?status=undecided&generated="+strconv.Itoa(created.Count), http.StatusSeeOther)
	return nil
}

// reviewTaskPage is the page of one review task.
type reviewTaskPage struct {
	ID, HouseholdID int64
	Version         int64
	Kind            string
	Reason          string
	Due             string
	StateLabel      string
	StateTone       string
	Actor           string
	Closed          bool
	HeadName        string
	Village         string
	Urban           string
	Members         []memberRowView
	Category        string
	Amount          string
	StartMonth      string
	Status          string
	LastReview      string
	RelativeFlag    bool
	InForce         benefitView
	Current         benefitView
	Proposal        *proposalView
	Options         []optionCard
	NoActions       string
	Notice          string
	Timeline        []eventView
	NoticeNumber    string
	NoticeHref      string
}

type proposalView struct {
	Outcome        string
	OldAmount      string
	NewAmount      string
	EffectiveMonth string
	Category       string
	PhaseOut       string
	Reasons        []string
	Note           string
	By             string
	Benefit        benefitView
	NoticeNeeded   bool
}

func (s *server) loadReviewPage(r *http.Request, p authz.Principal, id int64, f *caseFailure) (reviewTaskPage, error) {
	ctx := r.Context()
	v, err := s.a.Payments.Review(ctx, p, id)
	if err != nil {
		return reviewTaskPage{}, err
	}
	names, err := s.a.DB.RegionNames(ctx)
	if err != nil {
		return reviewTaskPage{}, err
	}
	today := s.caseDay()
	t, e, h := v.Task, v.Entry, v.Household
	pg := reviewTaskPage{ID: t.ID, HouseholdID: t.HouseholdID, Version: t.Version, Kind: recipients.TaskKindLabel(t.Kind),
		Reason: t.Reason, Due: chineseDate(t.Due), StateLabel: v.State.Label, StateTone: reviewTone(t.Status),
		Closed: v.State.Terminal, HeadName: mask.Name(h.HeadName()), Village: villageName(names, t.Region),
		Urban: urbanLabel(h.Urban), Category: e.Category, Amount: e.Amount.Yuan(), StartMonth: e.StartMonth,
		Status: e.Status, LastReview: e.LastReview, RelativeFlag: e.RelativeFlag,
		InForce: benefitOf(v.InForce), Current: benefitOf(v.Current)}
	if pg.StateLabel == "" {
		pg.StateLabel = t.Status
	}
	if v.State.Actor != "" && !v.State.Terminal {
		pg.Actor = v.State.Actor.Label()
	}
	for _, m := range h.Members {
		pg.Members = append(pg.Members, memberRowView{Name: mask.Name(m.Name), Relation: m.Relation.Label(),
			IDMasked: m.IDNumber.Mask(), Age: m.IDNumber.Age(today), Labour: m.Labour.Label(), Health: m.Health.Label(),
			Disability: disabilityLabel(m.DisabilityGrade), CoResident: m.CoResident})
	}
	if v.Proposal != nil {
		pr := v.Proposal
		pv := &proposalView{Outcome: pr.Outcome.Label(), OldAmount: pr.OldAmount.Yuan(), NewAmount: pr.NewAmount.Yuan(),
			EffectiveMonth: pr.EffectiveMonth, Category: pr.Category, Reasons: pr.Reasons, Note: pr.Note, By: t.ProposedBy,
			Benefit: benefitOf(pr.Result), NoticeNeeded: pr.Notice()}
		if pr.Outcome == review.Stop {
			pv.NewAmount = "0.00（停发）"
		}
		if pr.Outcome == review.PhaseOut {
			pv.PhaseOut = strconv.Itoa(pr.PhaseOutMonths) + " 个月"
		}
		pg.Proposal = pv
	}
	// Actions, from workflow.Available, greyed with the reason when blocked.
	var failFields map[string]string
	var failAll []string
	if f != nil {
		failFields, failAll = fieldErrors(f.Err)
	}
	found := false
	for _, o := range v.Options {
		var cf *caseFailure
		if f != nil && f.Transition == o.Transition.ID {
			cf, found = f, true
		}
		pg.Options = append(pg.Options, reviewCard(o, v, today, cf, failFields, failAll))
	}
	if f != nil && (errs.CodeOf(f.Err) == errs.Conflict || !found) {
		pg.Notice = strings.Join(failAll, "；")
	}
	if len(v.Options) == 0 {
		switch {
		case v.State.Terminal:
			pg.NoActions = "本复核任务已办结（" + pg.StateLabel + "）。"
		case pg.Actor != "":
			pg.NoActions = "本任务当前环节为“" + pg.StateLabel + "”，由" + pg.Actor + "办理，您暂无可办理的操作。"
		default:
			pg.NoActions = "您暂无可办理的操作。"
		}
	}
	// History, newest first.
	for i := len(v.Events) - 1; i >= 0; i-- {
		ev := v.Events[i]
		tr, _ := v.Definition.Transition(ev.Transition)
		item := eventView{Seq: int(ev.Seq), Label: tr.Label, From: stateLabel(v.Definition, ev.From), To: stateLabel(v.Definition, ev.To),
			At: localTime(ev.At), Actor: ev.Actor, Reason: ev.Reason, Tone: reviewTone(ev.To)}
		if item.Label == "" {
			item.Label = ev.Transition
		}
		var data struct {
			Values  map[string]any `json:"values"`
			Warning string         `json:"certification_warning"`
			Notice  string         `json:"notice"`
		}
		if json.Unmarshal([]byte(ev.Record), &data) == nil {
			for _, fd := range tr.Records {
				if val, ok := data.Values[fd.Name]; ok {
					item.Values = append(item.Values, kv{fd.Label, recordText(fd, val)})
				}
			}
			item.Warning = data.Warning
			if data.Notice != "" {
				item.Docs = append(item.Docs, docLink{Number: data.Notice, Title: docTitle("review_notice"),
					Href: noticeHref(t.ID)})
			}
		}
		pg.Timeline = append(pg.Timeline, item)
	}
	if v.Notice != nil {
		pg.NoticeNumber, pg.NoticeHref = v.Notice.Number, noticeHref(t.ID)
	}
	return pg, nil
}

// recordText shows a recorded value: select labels, 是/否 for a bool.
func recordText(fd workflow.Field, v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "是"
		}
		return "否"
	case string:
		for _, c := range fd.Options {
			if c.Value == x {
				return c.Label
			}
		}
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func reviewCard(o workflow.Option, v recipients.ReviewView, today time.Time, f *caseFailure, failFields map[string]string,
	failAll []string) optionCard {
	card := workflowCard(o, v.Definition, "/reviews/"+strconv.FormatInt(v.Task.ID, 10)+"/act/"+o.Transition.ID,
		v.Task.Version, today, f, failFields, failAll)
	for i := range card.Docs {
		card.Docs[i] += "（减发、渐退、停保时）"
	}
	return card
}

func (s *server) renderReview(w http.ResponseWriter, r *http.Request, p authz.Principal, id int64, status int, f *caseFailure) error {
	pg, err := s.loadReviewPage(r, p, id, f)
	if err != nil {
		return err
	}
	s.render(w, r, p, status, "review_task", pg.HeadName+" 户"+pg.Kind+" 第"+strconv.FormatInt(id, 10)+"号",
		[]crumb{{Label: "动态管理", Href: "/reviews"}, {Label: pg.Kind + " 第" + strconv.FormatInt(id, 10) + "号"}}, pg)
	return nil
}

func (s *server) reviewDetail(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.renderReview(w, r, p, id, http.StatusOK, nil)
}

func (s *server) reviewAct(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := readActForm(w, r)
	if err != nil {
		return err
	}
	tid := f.Transition
	a := recipients.ReviewAction{TaskID: id, Version: f.Version, Transition: tid, Input: f.Input, IdempotencyKey: f.Key}
	_, err = actOnce(f, func() (recipients.ReviewOutcome, error) { return s.a.Payments.ActReview(r.Context(), p, a) },
		func(o recipients.ReviewOutcome) bool { return o.Replayed })
	if err != nil {
		if !pageFailure(err) {
			return err
		}
		return s.renderReview(w, r, p, id, statusOf(err, true), &caseFailure{Form: "act", Transition: tid, Values: r.PostForm, Err: err})
	}
	s.redirect(w, r, "/reviews/"+strconv.FormatInt(id, 10)+"#actions", "saved")
	return nil
}

func (s *server) reviewNotice(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	_, html, err := s.a.Payments.ReviewNoticeHTML(r.Context(), p, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(html)
	return err
}

// noticeHref is the printable notice of a decided review task. It lives
// under /reviews/notices/ so that it cannot collide with the change-report
// and spot-check pages (/reviews/reports/{id}, /reviews/spot-checks/{id}).
func noticeHref(taskID int64) string { return "/reviews/notices/" + strconv.FormatInt(taskID, 10) }
