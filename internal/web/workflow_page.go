package web

import (
	"net/http"
	"strconv"
	"strings"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/workflow"
)

type stateRow struct {
	ID       string
	Label    string
	Actor    string
	Kind     string
	Tone     string
	Deadline string
	Editable bool
}

type transitionRow struct {
	ID        string
	Label     string
	From      string
	To        string
	Activity  bool
	Roles     string
	Level     string
	Guards    []string
	Records   []string
	Documents []string
	Deadlines []string
	Reason    bool
	Cert      string
}

type profileView struct {
	Name        string
	Title       string
	Diagram     string
	States      []stateRow
	Transitions []transitionRow
	Params      []kv
}

type workflowPage struct {
	Profiles []profileView
}

// paramLabels name the workflow parameters (SPEC §4) in Chinese.
var paramLabels = []struct{ Name, Label, Unit string }{
	{"min_investigators", "入户调查最少人数", "人"},
	{"forward_wd", "受理后转交乡镇时限", "个工作日"},
	{"investigation_start_wd", "乡镇启动调查时限", "个工作日"},
	{"publicity_wd", "公示期", "个工作日"},
	{"county_decision_wd", "县级审批时限", "个工作日"},
	{"rejection_notice_wd", "送达不予批准通知时限", "个工作日"},
	{"total_wd", "办理总时限", "个工作日"},
	{"total_wd_extended", "延长后总时限", "个工作日"},
}

var appraisalLabels = map[string]string{workflow.AppraisalAlways: "每案评议", workflow.AppraisalOnObjection: "公示有异议时评议",
	workflow.AppraisalNever: "不评议"}

var gateLabels = map[string]string{workflow.GateEnforce: "未认证不得办理", workflow.GateWarn: "未认证时提示并记录",
	workflow.GateOff: "不检查"}

func deadlineText(r workflow.DeadlineRule, p workflow.Params) string {
	s := r.Label + " " + strconv.Itoa(r.Days(p, false)) + " 个工作日"
	if r.ExtendedParam != "" {
		s += "（可延长至 " + strconv.Itoa(r.Days(p, true)) + " 个）"
	}
	return s
}

func profileViewOf(d workflow.Definition) profileView {
	pv := profileView{Name: d.Name, Title: d.Title, Diagram: "/workflow/" + d.Name + ".svg"}
	p := d.Defaults
	for _, st := range d.States {
		row := stateRow{ID: st.ID, Label: st.Label, Tone: stateTone(st.ID), Editable: st.Editable}
		if st.Actor != "" {
			row.Actor = st.Actor.Label()
		}
		switch {
		case st.Terminal:
			row.Kind = "办结"
		case st.Settled:
			row.Kind = "已决定，待送达"
		default:
			row.Kind = "办理中"
		}
		if st.Deadline != nil {
			row.Deadline = deadlineText(*st.Deadline, p)
		}
		pv.States = append(pv.States, row)
	}
	for _, t := range d.Transitions {
		row := transitionRow{ID: t.ID, Label: t.Label, Activity: t.IsActivity(), Level: t.Level.Label(),
			Reason: t.RequiresReason}
		var from []string
		for _, f := range t.From {
			if f == workflow.AnyOpen {
				from = append(from, "任一办理中状态")
			} else {
				from = append(from, stateLabel(d, f))
			}
		}
		row.From = strings.Join(from, "、")
		if row.Activity {
			row.To = "（状态不变）"
		} else {
			row.To = stateLabel(d, t.To)
		}
		row.Roles = rolesLabel(t.Roles)
		for _, g := range t.Guards {
			if l := workflow.GuardLabels[g]; l != "" {
				row.Guards = append(row.Guards, l)
			} else {
				row.Guards = append(row.Guards, g)
			}
		}
		for _, f := range t.Records {
			l := f.Label
			if f.Required {
				l += "*"
			}
			row.Records = append(row.Records, l)
		}
		for _, k := range t.Documents {
			row.Documents = append(row.Documents, docTitle(k))
		}
		for _, n := range t.Starts {
			if r, ok := workflow.Rule(n); ok {
				row.Deadlines = append(row.Deadlines, "开始计算"+r.Label)
			}
		}
		for _, n := range t.Extends {
			if r, ok := workflow.Rule(n); ok {
				row.Deadlines = append(row.Deadlines, "延长"+r.Label)
			}
		}
		if t.Certification != "" {
			row.Cert = workflow.Certifications[t.Certification] + "岗位认证"
		}
		pv.Transitions = append(pv.Transitions, row)
	}
	for _, pl := range paramLabels {
		if n, ok := p.Int(pl.Name); ok {
			pv.Params = append(pv.Params, kv{pl.Label, strconv.Itoa(n) + " " + pl.Unit})
		}
	}
	pv.Params = append(pv.Params, kv{"民主评议", appraisalLabels[p.Appraisal]}, kv{"岗位认证检查", gateLabels[p.CertificationGate]})
	return pv
}

func (s *server) workflowPage(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	var pg workflowPage
	for _, d := range workflow.Profiles() {
		pg.Profiles = append(pg.Profiles, profileViewOf(d))
	}
	s.render(w, r, p, http.StatusOK, "workflow", "流程说明", []crumb{{Label: "流程说明", Href: "/workflow"}, {Label: "审核审批流程"}}, pg)
	return nil
}

// workflowSVG serves a profile's diagram, /workflow/seed.svg, with the
// state named by ?state= highlighted. The SVG is built from the
// definition itself, so the picture cannot drift from what the engine runs.
func (s *server) workflowSVG(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".svg")
	if !ok {
		return errs.New(errs.NotFound, "", "流程图不存在")
	}
	d, ok := workflow.Profile(name)
	if !ok {
		return errs.New(errs.NotFound, "", "流程图不存在")
	}
	state := r.URL.Query().Get("state")
	if _, ok := d.State(state); !ok {
		state = ""
	}
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, max-age=300")
	_, err := w.Write(workflow.SVG(d, state))
	return err
}
