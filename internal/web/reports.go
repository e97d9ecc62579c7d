package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// Change reports from the village (/reviews/reports) and county spot checks
// (/reviews/spot-checks, in spotchecks.go): both registered here.

func init() {
	flashMessages["report_created"] = "变化情况已报告，等待乡镇（街道）核实"
	flashMessages["report_replayed"] = "该报告此前已提交，本次未重复登记"
	flashMessages["report_acted"] = "已办理"
	flashMessages["report_forwarded"] = "已转入复核，已为该户建立变化报告复核任务"
	flashMessages["report_joined"] = "已转入复核：该户已有未完成的变化报告复核任务，本报告已并入该任务"
	flashMessages["spot_drawn"] = "抽查已完成，抽中的家庭及抽取原因见下表"
	flashMessages["spot_result"] = "抽查结果已保存"
}

// reportRoutes registers the change-report and spot-check pages.
func (s *server) reportRoutes(mux *http.ServeMux) {
	mux.Handle("GET /reviews/reports", s.auth(s.reportList))
	mux.Handle("POST /reviews/reports", s.auth(s.reportCreate))
	mux.Handle("GET /reviews/reports/{id}", s.auth(s.reportDetail))
	mux.Handle("POST /reviews/reports/{id}/act/{transition}", s.auth(s.reportAct))
	mux.Handle("GET /reviews/spot-checks", s.auth(s.spotCheckList))
	mux.Handle("POST /reviews/spot-checks", s.auth(s.spotCheckDraw))
	mux.Handle("GET /reviews/spot-checks/{id}", s.auth(s.spotCheckDetail))
	mux.Handle("POST /reviews/spot-checks/{id}/results/{household}", s.auth(s.spotCheckResult))
}

var reviewsCrumb = crumb{Label: "动态管理", Href: "/reviews"}

// reportStateTone colours a report's state badge.
func reportStateTone(state string) string {
	switch state {
	case "reported", "confirmed", "not_confirmed":
		return "blue"
	case "forwarded":
		return "green"
	}
	return "grey"
}

type reportRow struct {
	ID        int64
	Head      string
	Village   string
	Kind      string
	ChangedOn string
	State     string
	Tone      string
	Finding   string
	Reported  string
}

type reportForm struct {
	HouseholdID string
	Kind        string
	ChangedOn   string
	Detail      string
	Key         string
	Today       string
	Err         map[string]string
	Summary     []string
}

type choice struct {
	Value, Label string
	Selected     bool
}

type reportListPage struct {
	Rows       []reportRow
	State      string
	Kind       string
	States     []choice
	Kinds      []choice
	Filtered   bool
	CanReport  bool
	SpotChecks bool // link to the county spot checks (county office only)
	Households []choice
	Form       reportForm
	Limited    bool
}

const reportListLimit = 500

func (s *server) reportList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.renderReportList(w, r, p, http.StatusOK, nil, nil)
}

func (s *server) renderReportList(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, form *reportForm,
	formErr error) error {
	ctx := r.Context()
	q := r.URL.Query()
	pg := reportListPage{State: q.Get("state"), Kind: q.Get("kind")}
	pg.Filtered = pg.State != "" || pg.Kind != ""
	rows, err := s.a.Payments.Reports(ctx, p, store.ChangeReportFilter{State: pg.State, Kind: pg.Kind, Limit: reportListLimit})
	if errs.CodeOf(err) == errs.Invalid {
		// A hand-edited filter: show everything rather than an error page.
		pg.State, pg.Kind, pg.Filtered = "", "", false
		rows, err = s.a.Payments.Reports(ctx, p, store.ChangeReportFilter{Limit: reportListLimit})
	}
	if err != nil {
		return err
	}
	pg.Limited = len(rows) >= reportListLimit
	names, err := s.a.DB.RegionNames(ctx)
	if err != nil {
		return err
	}
	def := workflow.ChangeReport()
	pg.States = append(pg.States, choice{"open", "办理中", pg.State == "open"})
	for _, st := range def.States {
		pg.States = append(pg.States, choice{st.ID, st.Label, pg.State == st.ID})
	}
	for _, k := range workflow.ChangeReportKinds {
		pg.Kinds = append(pg.Kinds, choice{k.Value, k.Label, pg.Kind == k.Value})
	}
	for _, x := range rows {
		pg.Rows = append(pg.Rows, reportRow{ID: x.ID, Head: x.HeadName, Village: villageName(names, x.Region),
			Kind: workflow.ChangeReportKindLabel(x.Kind), ChangedOn: x.ChangedOn, State: stateLabel(def, x.State),
			Tone: reportStateTone(x.State), Finding: workflow.FindingLabel(x.Finding), Reported: localTime(x.ReportedAt)})
	}
	hh, err := s.a.Payments.ReportableHouseholds(ctx, p)
	if err != nil {
		return err
	}
	pg.CanReport = p.Has(authz.VillageClerk) && p.Region.Level() == region.Village
	pg.SpotChecks = countyOffice(p)
	if form == nil {
		form = &reportForm{Key: newKey()}
	}
	form.Today = s.caseDay().Format(time.DateOnly)
	if formErr != nil {
		form.Err, form.Summary = fieldErrors(formErr)
	}
	for _, e := range hh {
		id := strconv.FormatInt(e.HouseholdID, 10)
		pg.Households = append(pg.Households, choice{id, e.HeadName + "（户号 " + id + "）", form.HouseholdID == id})
	}
	pg.Form = *form
	s.render(w, r, p, status, "reports", "变化情况报告", []crumb{reviewsCrumb, {Label: "变化情况报告"}}, pg)
	return nil
}

func (s *server) reportCreate(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := reportForm{HouseholdID: strings.TrimSpace(r.PostFormValue("household_id")), Kind: r.PostFormValue("kind"),
		ChangedOn: r.PostFormValue("changed_on"), Detail: r.PostFormValue("detail"),
		Key: strings.TrimSpace(r.PostFormValue("idempotency_key"))}
	hid, _ := strconv.ParseInt(f.HouseholdID, 10, 64)
	in := recipients.NewReport{HouseholdID: hid, Kind: f.Kind, Detail: f.Detail, ChangedOn: f.ChangedOn, IdempotencyKey: f.Key}
	out, err := s.a.Payments.Report(r.Context(), p, in)
	if err != nil && f.Key != "" && errs.CodeOf(err) == errs.Conflict {
		// A double submission: the twin has committed by now.
		if again, err2 := s.a.Payments.Report(r.Context(), p, in); err2 == nil && again.Replayed {
			out, err = again, nil
		}
	}
	if err != nil {
		if !pageFailure(err) {
			return err
		}
		return s.renderReportList(w, r, p, statusOf(err, true), &f, err)
	}
	flash := "report_created"
	if out.Replayed {
		flash = "report_replayed"
	}
	s.redirect(w, r, "/reviews/reports/"+strconv.FormatInt(out.Report.ID, 10), flash)
	return nil
}

type reportEventView struct {
	Seq    int
	Label  string
	From   string
	To     string
	At     string
	Actor  string
	Reason string
	Values []kv
	Tone   string
}

type reportPage struct {
	ID          int64
	Version     int64
	HouseholdID int64
	Head        string
	Village     string
	Kind        string
	ChangedOn   string
	Detail      string
	State       string
	StateLabel  string
	Tone        string
	Actor       string
	Finding     string
	TaskID      int64
	Reported    string
	ReportedBy  string
	Recused     bool
	Notice      string
	NoActions   string
	Cards       []optionCard
	History     []reportEventView
}

func (s *server) renderReport(w http.ResponseWriter, r *http.Request, p authz.Principal, id int64, status int,
	f *caseFailure) error {
	ctx := r.Context()
	v, err := s.a.Payments.GetReport(ctx, p, id)
	if err != nil {
		return err
	}
	names, err := s.a.DB.RegionNames(ctx)
	if err != nil {
		return err
	}
	x := v.Report
	def := v.Definition
	pg := reportPage{ID: x.ID, Version: x.Version, HouseholdID: x.HouseholdID, Head: x.HeadName,
		Village: villageName(names, x.Region), Kind: workflow.ChangeReportKindLabel(x.Kind), ChangedOn: x.ChangedOn,
		Detail: x.Detail, State: x.State, StateLabel: stateLabel(def, x.State), Tone: reportStateTone(x.State),
		Finding: workflow.FindingLabel(x.Finding), TaskID: x.TaskID, Reported: localTime(x.ReportedAt),
		ReportedBy: x.ReportedBy, Recused: v.Recused}
	if v.State.Actor != "" && !x.Closed {
		pg.Actor = v.State.Actor.Label()
	}
	var failFields map[string]string
	var failAll []string
	if f != nil {
		failFields, failAll = fieldErrors(f.Err)
	}
	found := false
	today := s.caseDay()
	for _, o := range v.Options {
		var cf *caseFailure
		if f != nil && f.Transition == o.Transition.ID {
			cf, found = f, true
		}
		action := "/reviews/reports/" + strconv.FormatInt(x.ID, 10) + "/act/" + o.Transition.ID
		pg.Cards = append(pg.Cards, workflowCard(o, def, action, x.Version, today, cf, failFields, failAll))
	}
	if f != nil && (!found || errs.CodeOf(f.Err) == errs.Conflict) {
		pg.Notice = strings.Join(failAll, "；")
	}
	if len(v.Options) == 0 {
		switch {
		case x.Closed:
			pg.NoActions = "本报告已办结（" + pg.StateLabel + "）。"
		case pg.Actor != "":
			pg.NoActions = "本报告当前为“" + pg.StateLabel + "”，由" + pg.Actor + "办理，您暂无可办理的操作。"
		default:
			pg.NoActions = "您暂无可办理的操作。"
		}
	}
	for i := len(v.Events) - 1; i >= 0; i-- {
		pg.History = append(pg.History, reportEventOf(def, v.Events[i]))
	}
	s.render(w, r, p, status, "report", fmt.Sprintf("变化情况报告 %d", x.ID),
		[]crumb{reviewsCrumb, {Label: "变化情况报告", Href: "/reviews/reports"}, {Label: strconv.FormatInt(x.ID, 10)}}, pg)
	return nil
}

// reportEventOf labels one history entry with the definition's labels.
func reportEventOf(def workflow.Definition, e store.ReportEvent) reportEventView {
	ev := reportEventView{Seq: e.Seq, To: stateLabel(def, e.To), At: localTime(e.At), Actor: e.ActorName, Reason: e.Reason,
		Tone: reportStateTone(e.To)}
	if ev.Actor == "" {
		ev.Actor = e.Actor
	}
	if e.From != "" {
		ev.From = stateLabel(def, e.From)
	}
	if e.Transition == "report" {
		ev.Label = "村级报告变化情况"
		var d map[string]string
		_ = json.Unmarshal([]byte(e.Data), &d)
		ev.Values = []kv{{"变化类型", workflow.ChangeReportKindLabel(d["kind"])}, {"变化日期", d["changed_on"]},
			{"具体情况", d["detail"]}}
		return ev
	}
	t, ok := def.Transition(e.Transition)
	if !ok {
		ev.Label = e.Transition
		return ev
	}
	ev.Label = t.Label
	var d struct {
		Values     map[string]any `json:"values"`
		Task       int64          `json:"task"`
		JoinedTask int64          `json:"joined_task"`
	}
	_ = json.Unmarshal([]byte(e.Data), &d)
	for _, fd := range t.Records {
		raw, ok := d.Values[fd.Name]
		if !ok {
			continue
		}
		val := fmt.Sprint(raw)
		for _, c := range fd.Options {
			if c.Value == val {
				val = c.Label
			}
		}
		ev.Values = append(ev.Values, kv{fd.Label, val})
	}
	switch {
	case d.Task != 0:
		ev.Values = append(ev.Values, kv{"复核任务", "已建立（编号 " + strconv.FormatInt(d.Task, 10) + "）"})
	case d.JoinedTask != 0:
		ev.Values = append(ev.Values, kv{"复核任务", "并入该户未完成的任务（编号 " + strconv.FormatInt(d.JoinedTask, 10) + "）"})
	}
	return ev
}

func (s *server) reportDetail(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.renderReport(w, r, p, id, http.StatusOK, nil)
}

func (s *server) reportAct(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := readActForm(w, r)
	if err != nil {
		return err
	}
	tid := f.Transition
	a := recipients.ReportAction{ReportID: id, Version: f.Version, Transition: tid, Input: f.Input, IdempotencyKey: f.Key}
	out, err := actOnce(f, func() (recipients.ReportOutcome, error) { return s.a.Payments.ActOnReport(r.Context(), p, a) },
		func(o recipients.ReportOutcome) bool { return o.Replayed })
	if err != nil {
		if !pageFailure(err) {
			return err
		}
		return s.renderReport(w, r, p, id, statusOf(err, true), &caseFailure{Form: "act", Transition: tid, Values: r.PostForm, Err: err})
	}
	flash := "report_acted"
	switch {
	case out.Joined:
		flash = "report_joined"
	case out.Task != 0:
		flash = "report_forwarded"
	}
	s.redirect(w, r, "/reviews/reports/"+strconv.FormatInt(id, 10)+"#actions", flash)
	return nil
}
