package api

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"dibao/internal/attach"
	"dibao/internal/authz"
	"dibao/internal/casework"
	"dibao/internal/errs"
	"dibao/internal/store"
	"dibao/internal/upload"
	"dibao/internal/workflow"
)

func caseJSON(c store.Case, def workflow.Definition) map[string]any {
	label := c.State
	if st, ok := def.State(c.State); ok {
		label = st.Label
	}
	return map[string]any{"id": c.ID, "number": c.Number, "household_id": c.HouseholdID, "region_code": c.Region,
		"head_name": c.HeadName, "profile": c.Profile, "state": c.State, "state_label": label, "version": c.Version,
		"relative_flag": c.RelativeFlag, "due_date": c.DueDate, "total_due": c.TotalDue, "extended": c.Extended,
		"publicity_start": c.PublicityStart, "publicity_end": c.PublicityEnd, "amount": c.Amount.String(),
		"category": c.Category, "start_month": c.StartMonth, "closed": c.Closed, "updated_at": c.UpdatedAt}
}

func profileOf(c store.Case) workflow.Definition {
	d, _ := workflow.Profile(c.Profile)
	return d
}

func (s *server) listCases(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q := r.URL.Query()
	f := store.CaseFilter{Open: q.Get("open")}
	if st := q.Get("state"); st != "" {
		f.States = strings.Split(st, ",")
	}
	cs, err := s.a.Cases.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(cs))
	for i, c := range cs {
		items[i] = caseJSON(c, profileOf(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (s *server) queue(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q, err := s.a.Cases.Queue(r.Context(), p)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(q))
	for i, it := range q {
		m := caseJSON(it.Case, profileOf(it.Case))
		m["overdue"], m["due_soon"] = it.Overdue, it.DueSoon
		items[i] = m
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

type openReq struct {
	HouseholdID int64 `json:"household_id"`
	Relatives   struct {
		None  bool `json:"none"`
		Items []struct {
			MemberName string `json:"member_name"`
			Relative   string `json:"relative"`
			Relation   string `json:"relation"`
			UserID     int64  `json:"user_id"`
		} `json:"items"`
	} `json:"relatives"`
}

func (s *server) openCase(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	var req openReq
	if err := decode(r, &req); err != nil {
		return err
	}
	decl := casework.Declaration{None: req.Relatives.None}
	for _, it := range req.Relatives.Items {
		decl.Relatives = append(decl.Relatives, casework.Declared{MemberName: it.MemberName, Relative: it.Relative,
			Relation: it.Relation, UserID: it.UserID})
	}
	c, err := s.a.Cases.Open(r.Context(), p, req.HouseholdID, decl)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/cases/"+strconv.FormatInt(c.ID, 10))
	writeJSON(w, http.StatusCreated, caseJSON(c, profileOf(c)))
	return nil
}

func (s *server) getCase(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := s.a.Cases.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	out := caseJSON(v.Case, v.Definition)
	out["actions"] = optionsJSON(v.Options)
	var events []map[string]any
	for _, e := range v.Events {
		events = append(events, map[string]any{"seq": e.Seq, "transition": e.Transition, "from": e.From, "to": e.To,
			"actor": e.Actor, "actor_name": e.ActorName, "at": e.At, "reason": e.Reason, "documents": e.Documents})
	}
	out["events"] = events
	var documents []map[string]any
	for _, d := range v.Documents {
		documents = append(documents, map[string]any{"kind": d.Kind, "number": d.Number, "issued_at": d.IssuedAt,
			"url": "/api/v1/cases/" + strconv.FormatInt(v.Case.ID, 10) + "/documents/" + d.Number})
	}
	out["documents"] = documents
	var files []map[string]any
	for _, f := range v.Files {
		files = append(files, map[string]any{"material": f.Material, "name": f.Name, "content_type": f.ContentType,
			"size": f.Size, "checksum": f.Checksum, "url": "/api/v1/files/" + f.Token})
	}
	out["files"] = files
	var lines []map[string]any
	for _, l := range v.Benefit.Lines {
		lines = append(lines, map[string]any{"label": l.Label, "formula": l.Formula, "amount": l.Amount.String()})
	}
	reasons := make([]string, len(v.Benefit.Reasons))
	for i, x := range v.Benefit.Reasons {
		reasons[i] = x.Text
	}
	out["benefit"] = map[string]any{"outcome": v.Benefit.Outcome, "eligible": v.Benefit.Eligible, "amount": v.Benefit.Amount.String(),
		"per_capita": v.Benefit.PerCapita.String(), "standard": v.Benefit.Standard.String(), "members": v.Benefit.Members,
		"reasons": reasons, "lines": lines, "versions": v.Benefit.Versions}
	out["policy_versions"] = v.Versions
	writeJSON(w, http.StatusOK, out)
	return nil
}

type materialsReq struct {
	Version int64 `json:"version"`
	Items   []struct {
		Code   string `json:"code"`
		Status string `json:"status"`
		Note   string `json:"note"`
	} `json:"items"`
}

func (s *server) setMaterials(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return setMaterialsOn(w, r, s.a.Cases, p, id)
}

// setMaterialsOn sets a case's checklist through cs: the real case service
// or the sandbox's (the same API shape under /sandbox/cases/).
func setMaterialsOn(w http.ResponseWriter, r *http.Request, cs *casework.Service, p authz.Principal, id int64) error {
	var req materialsReq
	if err := decode(r, &req); err != nil {
		return err
	}
	items := make([]casework.MaterialInput, len(req.Items))
	for i, it := range req.Items {
		items[i] = casework.MaterialInput{Code: it.Code, Status: it.Status, Note: it.Note}
	}
	c, err := cs.SetMaterials(r.Context(), p, id, req.Version, items)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, caseJSON(c, profileOf(c)))
	return nil
}

type actReq struct {
	Version int64               `json:"version"`
	Values  map[string][]string `json:"values"`
	Reason  string              `json:"reason"`
}

func (s *server) act(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return actOn(w, r, s.a.Cases, p, id)
}

// actOn performs a case transition through cs (the real case service or
// the sandbox's), honouring Idempotency-Key.
func actOn(w http.ResponseWriter, r *http.Request, cs *casework.Service, p authz.Principal, id int64) error {
	var req actReq
	if err := decode(r, &req); err != nil {
		return err
	}
	out, err := cs.Act(r.Context(), p, casework.Action{CaseID: id, Version: req.Version,
		Transition: r.PathValue("transition"), Input: workflow.Input{Values: req.Values, Reason: req.Reason},
		IdempotencyKey: r.Header.Get("Idempotency-Key")})
	if err != nil {
		return err
	}
	res := caseJSON(out.Case, profileOf(out.Case))
	var docs []map[string]any
	for _, d := range out.Documents {
		docs = append(docs, map[string]any{"kind": d.Kind, "number": d.Number})
	}
	body := map[string]any{"case": res, "event_seq": out.Event.Seq, "documents": docs, "warning": out.Warning,
		"replayed": out.Replayed}
	if out.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (s *server) uploadFile(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, upload.MaxSize+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		return errs.Invalidf("file", "上传内容无效或文件过大：单个文件不能超过 %d MB", upload.MaxSize>>20)
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return errs.Invalidf("file", "请选择要上传的文件")
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, upload.MaxSize+1))
	if err != nil {
		return errs.Invalidf("file", "读取上传文件失败")
	}
	f, err := s.a.Cases.Upload(r.Context(), p, id, r.FormValue("material"), hdr.Filename, data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"material": f.Material, "name": f.Name, "content_type": f.ContentType,
		"size": f.Size, "checksum": f.Checksum, "url": "/api/v1/files/" + f.Token})
	return nil
}

func (s *server) downloadFile(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	f, err := s.a.Cases.File(r.Context(), p, r.PathValue("token"))
	if err != nil {
		return err
	}
	return attach.Send(w, f.ContentType, f.Name, "", f.Data)
}

func (s *server) document(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	html, err := s.a.Cases.Document(r.Context(), p, id, r.PathValue("number"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(html)
	return err
}

func (s *server) workflows(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	var out []map[string]any
	for _, d := range workflow.Profiles() {
		var states, transitions []map[string]any
		for _, st := range d.States {
			states = append(states, map[string]any{"id": st.ID, "label": st.Label, "terminal": st.Terminal, "actor": st.Actor})
		}
		for _, t := range d.Transitions {
			transitions = append(transitions, map[string]any{"id": t.ID, "label": t.Label, "from": t.From, "to": t.To,
				"roles": t.Roles, "level": int(t.Level), "guards": t.Guards, "documents": t.Documents})
		}
		out = append(out, map[string]any{"name": d.Name, "title": d.Title, "initial": d.Initial, "states": states,
			"transitions": transitions})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

// optionsJSON lists the transitions a user may take now, with the reason a
// disabled one is disabled and the fields it records.
func optionsJSON(options []workflow.Option) []map[string]any {
	var opts []map[string]any
	for _, o := range options {
		fields := make([]map[string]any, len(o.Transition.Records))
		for i, f := range o.Transition.Records {
			fields[i] = map[string]any{"name": f.Name, "label": f.Label, "kind": f.Kind, "required": f.Required, "options": f.Options}
		}
		opts = append(opts, map[string]any{"transition": o.Transition.ID, "label": o.Transition.Label, "enabled": o.Enabled,
			"reason": o.Reason, "warning": o.Warning, "fields": fields, "requires_reason": o.Transition.RequiresReason})
	}
	return opts
}
