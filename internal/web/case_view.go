package web

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"dibao/internal/benefit"
	"dibao/internal/casework"
	"dibao/internal/docs"
	"dibao/internal/money"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// The case page turns the service's View into plain strings here, so the
// template only lays them out: labels instead of codes, masked identity
// numbers, dates in +08:00.

// stateTones colour the state badge; anything not listed is "blue" (work
// in progress).
var stateTones = map[string]string{
	"draft":               "grey",
	"returned":            "amber",
	"publicity":           "amber",
	"approved":            "green",
	"refused":             "red",
	"rejected":            "red",
	"rejection_delivered": "red",
	"withdrawn":           "grey",
	"terminated":          "grey",
}

func stateTone(id string) string {
	if t, ok := stateTones[id]; ok {
		return t
	}
	return "blue"
}

// stateLabel is the Chinese label of a state in a definition, the ID if
// the state is unknown (a history recorded under an older profile).
func stateLabel(d workflow.Definition, id string) string {
	if st, ok := d.State(id); ok {
		return st.Label
	}
	return id
}

// transitionLabel names a recorded transition; "open" is the service's
// own opening event, "ledger_import" and "existing" stand for a decision
// made on paper before dibao (store.EnrollExisting).
func transitionLabel(d workflow.Definition, id string) string {
	switch id {
	case "open":
		return "登记申请"
	case "ledger_import":
		return "台账导入（存量保障对象）"
	case "existing":
		return "系统上线前批准（存量保障对象）"
	}
	if t, ok := d.Transition(id); ok {
		return t.Label
	}
	return id
}

// docTitle is the printed title of a document kind.
func docTitle(kind string) string {
	if t := docs.Title(kind); t != "" {
		return t
	}
	if t := workflow.Documents[kind]; t != "" {
		return t
	}
	return kind
}

// chineseDate formats a YYYY-MM-DD value as 2026年10月14日; other values
// are shown as they are.
func chineseDate(s string) string {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return workflow.FormatDate(d)
}

// kv is one labelled value.
type kv struct{ Label, Value string }

// docLink is an issued document as a link to its printable page.
type docLink struct{ Number, Title, Href string }

type eventView struct {
	Seq      int
	At       string
	Actor    string
	Label    string
	From, To string
	Activity bool
	Tone     string
	Values   []kv
	Reason   string
	Docs     []docLink
	Warning  string
}

// staffNames maps account IDs to names for recorded staff lists.
type staffNames map[int64]string

func (n staffNames) name(id int64) string {
	if s, ok := n[id]; ok {
		return s
	}
	return "工作人员（编号 " + strconv.FormatInt(id, 10) + "）"
}

func (n staffNames) list(ids []int64) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = n.name(id)
	}
	return strings.Join(out, "、")
}

// recorded decodes an event's JSON data.
type recorded struct {
	Values  map[string]any `json:"values"`
	Warning string         `json:"certification_warning"`
	// The opening event records these instead of values.
	Profile   string `json:"profile"`
	Relatives string `json:"relatives"`
}

func decodeEvent(e store.Event) recorded {
	var r recorded
	_ = json.Unmarshal([]byte(e.Data), &r)
	return r
}

// fieldValue shows one recorded value the way the form asked for it.
func fieldValue(f workflow.Field, v any, names staffNames) string {
	switch f.Kind {
	case workflow.KindSelect:
		s := fmt.Sprint(v)
		for _, c := range f.Options {
			if c.Value == s {
				return c.Label
			}
		}
		return s
	case workflow.KindBool:
		if b, _ := v.(bool); b {
			return "是"
		}
		return "否"
	case workflow.KindStaffList:
		return names.list(int64s(v))
	case workflow.KindMoney:
		if n, ok := v.(float64); ok {
			return money.Fen(int64(n)).Yuan() + " 元"
		}
	case workflow.KindNumber:
		if n, ok := v.(float64); ok {
			return strconv.FormatInt(int64(n), 10)
		}
	}
	return fmt.Sprint(v)
}

// int64s reads a JSON array of numbers.
func int64s(v any) []int64 {
	arr, _ := v.([]any)
	var out []int64
	for _, x := range arr {
		if n, ok := x.(float64); ok {
			out = append(out, int64(n))
		}
	}
	return out
}

// recordValues lists the recorded values of a transition in form order,
// with labels.
func recordValues(t workflow.Transition, values map[string]any, names staffNames) []kv {
	var out []kv
	for _, f := range t.Records {
		v, ok := values[f.Name]
		if !ok || v == nil {
			continue
		}
		out = append(out, kv{Label: f.Label, Value: fieldValue(f, v, names)})
	}
	return out
}

func timeline(v casework.View, names staffNames) []eventView {
	titles := map[string]string{}
	for _, d := range v.Documents {
		titles[d.Number] = docTitle(d.Kind)
	}
	out := make([]eventView, 0, len(v.Events))
	for _, e := range v.Events {
		rec := decodeEvent(e)
		ev := eventView{Seq: e.Seq, At: localTime(e.At), Actor: e.ActorName, Label: transitionLabel(v.Definition, e.Transition),
			Reason: e.Reason, Warning: rec.Warning}
		if ev.Actor == "" {
			ev.Actor = e.Actor
		}
		if e.From != "" {
			ev.From = stateLabel(v.Definition, e.From)
		}
		ev.To = stateLabel(v.Definition, e.To)
		ev.Activity = e.From == e.To && e.Transition != "open"
		ev.Tone = stateTone(e.To)
		if e.Transition == "open" {
			if rec.Relatives != "" {
				ev.Values = append(ev.Values, kv{"近亲属备案", rec.Relatives})
			}
		} else if t, ok := v.Definition.Transition(e.Transition); ok {
			ev.Values = recordValues(t, rec.Values, names)
		}
		for _, n := range strings.Split(e.Documents, ",") {
			if n = strings.TrimSpace(n); n == "" {
				continue
			}
			ev.Docs = append(ev.Docs, docLink{Number: n, Title: titles[n], Href: docHref(v.Case.ID, n)})
		}
		out = append(out, ev)
	}
	// Newest first: the latest step is what a caseworker looks for.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func docHref(caseID int64, number string) string {
	return "/cases/" + strconv.FormatInt(caseID, 10) + "/documents/" + number
}

// benefitView is a benefit result laid out for the page.
type benefitView struct {
	Outcome         string
	Tone            string
	Eligible        bool
	Invalid         bool
	Urban           string
	Mode            string
	Standard        string
	HouseholdIncome string
	PerCapita       string
	Amount          string
	Members         int
	Persons         int
	MembersNote     string
	Tier            string
	Reasons         []string
	Lines           []benefitLine
	Checks          []benefitCheck
	Versions        []kv
}

type benefitLine struct{ Label, Formula, Amount string }

type benefitCheck struct {
	Text   string
	Passed bool
}

func benefitOf(r benefit.Result) benefitView {
	b := benefitView{Outcome: r.Outcome.Label(), Eligible: r.Eligible, Invalid: r.Outcome == benefit.OutcomeInvalid,
		Urban: urbanLabel(r.Urban), Mode: r.Mode.Label(), Standard: r.Standard.Yuan(),
		HouseholdIncome: r.HouseholdIncome.Yuan(), PerCapita: r.PerCapita.Yuan(), Amount: r.Amount.Yuan(),
		Members: r.Members, Persons: r.Persons, MembersNote: r.MembersNote, Tier: r.Tier}
	switch r.Outcome {
	case benefit.OutcomeEligible, benefit.OutcomeSinglePerson:
		b.Tone = "green"
	case benefit.OutcomeInvalid:
		b.Tone = "grey"
	default:
		b.Tone = "red"
	}
	for _, x := range r.Reasons {
		b.Reasons = append(b.Reasons, x.Text)
	}
	for _, l := range r.Lines {
		b.Lines = append(b.Lines, benefitLine{Label: l.Label, Formula: l.Formula, Amount: l.Amount.Yuan()})
	}
	for _, c := range r.Checks {
		b.Checks = append(b.Checks, benefitCheck{Text: c.Text, Passed: c.Passed})
	}
	for _, n := range r.Used {
		ver, ok := r.Versions[n]
		if !ok {
			ver = "（未登记版本）"
		}
		b.Versions = append(b.Versions, kv{n, ver})
	}
	return b
}

// visitView is a home visit, county home visit or neighbour interview.
type visitView struct {
	Kind          string
	Date          string
	Investigators string
	Details       []kv
	Recorded      string
}

var visitKinds = map[string]string{"home": "入户调查", "county_home": "县级入户核查", "neighbour": "邻里访问"}

// visitTransition names the transition whose fields a visit kind records,
// so its stored data is labelled the way the form asked for it.
var visitTransition = map[string]string{"home": "record_home_visit", "county_home": "county_home_visit",
	"neighbour": "record_interview"}

func visitsOf(v casework.View, names staffNames) []visitView {
	var out []visitView
	for _, x := range v.Visits {
		vv := visitView{Kind: visitKinds[x.Kind], Date: x.Date, Investigators: names.list(x.Investigators),
			Recorded: localTime(x.RecordedAt)}
		if vv.Kind == "" {
			vv.Kind = x.Kind
		}
		var data map[string]any
		_ = json.Unmarshal([]byte(x.Data), &data)
		if t, ok := v.Definition.Transition(visitTransition[x.Kind]); ok {
			for _, f := range t.Records {
				// The date and the investigators have their own columns.
				if val, ok := data[f.Name]; ok && val != nil && f.Kind != workflow.KindDate && f.Kind != workflow.KindStaffList {
					vv.Details = append(vv.Details, kv{f.Label, fieldValue(f, val, names)})
				}
			}
		}
		out = append(out, vv)
	}
	return out
}

// recordView is one recorded activity shown in the investigation section
// (check requests and results, reports, appraisals, publicity).
type recordView struct {
	Label  string
	At     string
	Actor  string
	Values []kv
	Reason string
}

// investigationRecords are the transitions whose records the
// investigation section lists beside visits and objections.
var investigationRecords = []string{"request_check", "record_check_result", "write_report", "preliminary_opinion",
	"appraise", "start_publicity", "review_opinion"}

func recordsOf(v casework.View, names staffNames) []recordView {
	var out []recordView
	for _, e := range v.Events {
		if !containsStr(investigationRecords, e.Transition) {
			continue
		}
		t, ok := v.Definition.Transition(e.Transition)
		if !ok {
			continue
		}
		actor := e.ActorName
		if actor == "" {
			actor = e.Actor
		}
		out = append(out, recordView{Label: t.Label, At: localTime(e.At), Actor: actor,
			Values: recordValues(t, decodeEvent(e).Values, names), Reason: e.Reason})
	}
	return out
}

func containsStr(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

type objectionView struct {
	No         int
	ReceivedOn string
	Objector   string
	Content    string
	Status     string
	Tone       string
	Resolution string
}

var objectionStatus = map[string][2]string{"open": {"待处理", "amber"}, "upheld": {"异议成立", "red"},
	"dismissed": {"异议不成立", "green"}}

func objectionsOf(v casework.View) []objectionView {
	out := make([]objectionView, len(v.Objections))
	for i, o := range v.Objections {
		st, ok := objectionStatus[o.Status]
		if !ok {
			st = [2]string{o.Status, "grey"}
		}
		who := o.Objector
		if who == "" {
			who = "匿名"
		}
		out[i] = objectionView{No: i + 1, ReceivedOn: o.ReceivedOn, Objector: who, Content: o.Content, Status: st[0],
			Tone: st[1], Resolution: o.Resolution}
	}
	return out
}
