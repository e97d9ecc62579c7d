package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/casework"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/region"
	"dibao/internal/workflow"
)

// caseHeader is the top of the case page.
type caseHeader struct {
	ID            int64
	Version       int64
	HouseholdID   int64
	Number        string
	HeadName      string
	Village       string
	Profile       string
	ProfileTitle  string
	State         string
	StateLabel    string
	StateTone     string
	Actor         string // whose work the case waits for
	Closed        bool
	Opened        string
	DueLabel      string
	Due           string
	DueWait       bool // a period to sit out (publicity), not a limit to beat
	DueOverdue    bool
	TotalDue      string
	TotalDays     int
	TotalElapsed  int
	TotalRunning  bool
	TotalOverdue  bool
	Extended      bool
	ExtensionNote string
	RelativeFlag  bool
	RelativeNote  string
	Amount        string
	Category      string
	StartMonth    string
}

// optionCard is one action the user may take (or sees greyed out).
type optionCard struct {
	CaseID      int64
	Action      string // the form's target: /cases/{id}/act/{transition}, /reviews/{id}/act/{transition}
	ID          string
	Label       string
	Target      string
	Activity    bool
	Enabled     bool
	Reason      string
	Warning     string
	Style       string // btn-primary, btn-warn or btn-ghost
	Fields      []fieldView
	NeedsReason bool
	ReasonValue string
	ReasonErr   string
	Docs        []string
	Summary     []string
	Key         string
	Version     int64
	Failed      bool
}

// fieldView is one input of an action form, generated from a workflow
// field: name is the field's name, id is f-{transition}-{field}.
type fieldView struct {
	Name     string
	Label    string
	Kind     string // text, textarea, date, bool, select, number, money, staff-list
	ID       string
	Required bool
	Value    string
	Max      string
	Hint     string
	Options  []workflow.Choice
	Staff    []staffChoice
	Err      string
}

type staffChoice struct {
	ID      int64
	Name    string
	Where   string
	Checked bool
	Recused bool
}

type materialRow struct {
	Code   string
	Label  string
	Status string
	Note   string
	Err    string
	Shown  string
	Tone   string
}

type materialsView struct {
	Editable bool
	Recorded bool
	Rows     []materialRow
	Summary  []string
	Problems int
}

type fileView struct {
	Name     string
	Material string
	Type     string
	Size     string
	Checksum string
	Uploaded string
	Href     string
}

type uploadView struct {
	Allowed   bool
	Material  string
	Err       map[string]string
	Summary   []string
	Materials []household.Enum
	MaxMB     int
}

type memberRowView struct {
	Name       string
	Relation   string
	IDMasked   string
	Age        int
	Labour     string
	Health     string
	Disability string
	CoResident bool
}

type relativeView struct {
	Member   string
	Relative string
	Relation string
	Source   string
}

type casePage struct {
	H          caseHeader
	Notice     string
	Primary    []optionCard
	Secondary  []optionCard
	MoreLabel  string
	MoreOpen   bool
	NoActions  string
	Materials  materialsView
	Files      []fileView
	Upload     uploadView
	Address    string
	Urban      string
	Members    []memberRowView
	Relatives  []relativeView
	Benefit    benefitView
	Frozen     *benefitView
	Versions   []kv
	Visits     []visitView
	Records    []recordView
	Objections []objectionView
	Publicity  string
	Timeline   []eventView
	Documents  []docLink
	Diagram    string
	Base       string // where the page's forms post: /cases/{id}, or /sandbox/cases/{id}
	Sandbox    bool   // a sandbox case (practical assessment): banner, no household or upload links
	Library    bool   // a closed case shown to a trainer: the 加入案例库 button (issue 7)
}

// caseFailure is a failed POST on the case page: which form, what the user
// typed and the error, so the page re-renders with the messages beside the
// fields and the input kept.
type caseFailure struct {
	Form       string // act, materials, upload
	Transition string
	Values     url.Values
	Err        error
}

// newKey returns a random idempotency key for one rendering of an action
// form: submitting the same form twice acts once.
func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// shortText are text fields answered in a line rather than a paragraph.
var shortText = map[string]bool{"place": true, "objector": true, "recipient": true, "interviewees": true,
	"participants": true, "effective_month": true}

// caseDay is today's civil date as the case service sees it.
func (s *server) caseDay() time.Time { return calendar.DayOf(s.a.Cases.Now()) }

func (s *server) loadCasePage(ctx context.Context, p authz.Principal, id int64, f *caseFailure) (casePage, error) {
	return loadCasePageOver(ctx, s.a.Cases, p, id, f)
}

// loadCasePageOver builds the case page over a case service: the real one,
// or one over the sandbox store.
func loadCasePageOver(ctx context.Context, svc *casework.Service, p authz.Principal, id int64, f *caseFailure) (casePage, error) {
	v, err := svc.Get(ctx, p, id)
	if err != nil {
		return casePage{}, err
	}
	staff, err := svc.Staff(ctx, p, id)
	if err != nil {
		return casePage{}, err
	}
	names, err := svc.DB.RegionNames(ctx)
	if err != nil {
		return casePage{}, err
	}
	return buildCasePage(v, staff, names, p, calendar.DayOf(svc.Now()), f), nil
}

func buildCasePage(v casework.View, staff []casework.StaffMember, names map[region.Code]string, p authz.Principal,
	today time.Time, f *caseFailure) casePage {
	c := v.Case
	people := staffNames{}
	for _, m := range staff {
		people[m.ID] = m.Name
	}
	pg := casePage{Diagram: "/workflow/" + url.PathEscape(c.Profile) + ".svg?state=" + url.QueryEscape(c.State),
		Base: "/cases/" + strconv.FormatInt(c.ID, 10)}
	pg.Library = c.Closed && (p.Has(authz.Trainer) || p.Has(authz.TrainingAdmin))
	h := caseHeader{ID: c.ID, Version: c.Version, HouseholdID: c.HouseholdID, Number: c.Number, HeadName: c.HeadName,
		Village: villageName(names, c.Region), Profile: c.Profile, ProfileTitle: v.Definition.Title, State: c.State,
		StateLabel: stateLabel(v.Definition, c.State), StateTone: stateTone(c.State), Closed: c.Closed,
		Opened: localTime(c.CreatedAt), Extended: c.Extended, ExtensionNote: c.ExtensionNote,
		RelativeFlag: c.RelativeFlag, RelativeNote: c.RelativeNote, Category: c.Category, StartMonth: c.StartMonth}
	if h.HeadName == "" {
		h.HeadName = v.Household.HeadName()
	}
	if v.State.Actor != "" && !c.Closed {
		h.Actor = v.State.Actor.Label()
	}
	if c.Amount > 0 {
		h.Amount = c.Amount.Yuan()
	}
	if cur := v.Schedule.Current; cur != nil {
		h.DueLabel, h.Due, h.DueWait = cur.Rule.Label, workflow.FormatDate(cur.Due), cur.Rule.Wait
		h.DueOverdue = cur.Overdue(today)
	}
	if tot := v.Schedule.Total; tot != nil {
		h.TotalDue, h.TotalDays, h.TotalElapsed, h.TotalRunning = workflow.FormatDate(tot.Due), tot.Days, tot.Elapsed, tot.Running
		h.TotalOverdue = tot.Overdue(today)
		h.Extended = h.Extended || tot.Extended
	}
	pg.H = h

	// Actions.
	var failFields map[string]string
	var failAll []string
	if f != nil {
		failFields, failAll = fieldErrors(f.Err)
	}
	cardFound := false
	for _, o := range v.Options {
		var cf *caseFailure
		if f != nil && f.Form == "act" && f.Transition == o.Transition.ID {
			cf, cardFound = f, true
		}
		card := optionCardOf(o, v, staff, today, cf, failFields, failAll)
		if slices.Contains(o.Transition.From, workflow.AnyOpen) {
			pg.Secondary = append(pg.Secondary, card)
			pg.MoreOpen = pg.MoreOpen || cf != nil
		} else {
			pg.Primary = append(pg.Primary, card)
		}
	}
	var more []string
	for _, c := range pg.Secondary {
		more = append(more, c.Label)
	}
	pg.MoreLabel = strings.Join(more, "、")
	if f != nil && (errs.CodeOf(f.Err) == errs.Conflict || (f.Form == "act" && !cardFound)) {
		pg.Notice = strings.Join(failAll, "；")
	}
	if len(v.Options) == 0 {
		switch {
		case c.Closed:
			pg.NoActions = "本案已办结（" + h.StateLabel + "），无需再办理。"
		case h.Actor != "":
			pg.NoActions = "本案当前环节为“" + h.StateLabel + "”，由" + h.Actor + "办理，您暂无可办理的操作。"
		default:
			pg.NoActions = "您暂无可办理的操作。"
		}
	}

	// Materials and scans.
	pg.Materials = materialsOf(v, p, f)
	for _, x := range v.Files {
		sum := x.Checksum
		if len(sum) > 12 {
			sum = sum[:12] + "…"
		}
		pg.Files = append(pg.Files, fileView{Name: x.Name, Material: materialLabel(x.Material), Type: typeLabel(x.ContentType),
			Size: sizeLabel(x.Size), Checksum: sum, Uploaded: localTime(x.UploadedAt), Href: "/files/" + url.PathEscape(x.Token)})
	}
	pg.Upload = uploadView{Allowed: !c.Closed && (p.Has(authz.VillageClerk) || p.Has(authz.TownshipOfficer)),
		Materials: append(slices.Clone(casework.Materials), household.Enum{Code: "other", Label: "其他材料"}),
		MaxMB:     uploadMaxMB, Err: map[string]string{}}
	if f != nil && f.Form == "upload" {
		pg.Upload.Err, pg.Upload.Summary = failFields, failAll
		pg.Upload.Material = f.Values.Get("material")
	}

	// Household and benefit.
	hh := v.Household
	pg.Address, pg.Urban = hh.Address, urbanLabel(hh.Urban)
	for _, m := range hh.Members {
		pg.Members = append(pg.Members, memberRowView{Name: m.Name, Relation: m.Relation.Label(), IDMasked: m.IDNumber.Mask(),
			Age: m.IDNumber.Age(today), Labour: m.Labour.Label(), Health: m.Health.Label(),
			Disability: disabilityLabel(m.DisabilityGrade), CoResident: m.CoResident})
	}
	for _, r := range v.Relatives {
		src := "申请人申报"
		if r.Source == "matched" {
			src = "系统比对"
		}
		pg.Relatives = append(pg.Relatives, relativeView{Member: r.MemberName, Relative: r.Relative, Relation: r.Relation, Source: src})
	}
	pg.Benefit = benefitOf(v.Benefit)
	if v.Frozen != nil {
		fb := benefitOf(*v.Frozen)
		pg.Frozen = &fb
	}
	for _, k := range sortedKeys(v.Versions) {
		pg.Versions = append(pg.Versions, kv{k, v.Versions[k]})
	}

	// Investigation and publicity.
	pg.Visits = visitsOf(v, people)
	pg.Records = recordsOf(v, people)
	pg.Objections = objectionsOf(v)
	if c.PublicityStart != "" {
		pg.Publicity = chineseDate(c.PublicityStart) + " 至 " + chineseDate(c.PublicityEnd)
	}

	// Timeline and documents.
	pg.Timeline = timeline(v, people)
	for _, d := range v.Documents {
		pg.Documents = append(pg.Documents, docLink{Number: d.Number, Title: docTitle(d.Kind), Href: docHref(c.ID, d.Number)})
	}
	return pg
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func optionCardOf(o workflow.Option, v casework.View, staff []casework.StaffMember, today time.Time, f *caseFailure,
	failFields map[string]string, failAll []string) optionCard {
	t := o.Transition
	card := workflowCard(o, v.Definition, "/cases/"+strconv.FormatInt(v.Case.ID, 10)+"/act/"+t.ID, v.Case.Version, today,
		f, failFields, failAll)
	card.CaseID = v.Case.ID
	recused := map[int64]bool{}
	for _, r := range v.Relatives {
		if r.UserID != 0 {
			recused[r.UserID] = true
		}
	}
	for i, fd := range t.Records {
		fv := &card.Fields[i]
		switch fd.Kind {
		case workflow.KindNumber:
			// The objection to settle is picked from the open ones rather
			// than typed as a number.
			if fd.Name == "objection_no" {
				fv.Kind = "select"
				fv.Options = nil
				for i, x := range v.Objections {
					if x.Status == "open" {
						fv.Options = append(fv.Options, workflow.Choice{Value: strconv.Itoa(i + 1),
							Label: "第 " + strconv.Itoa(i+1) + " 条（" + x.ReceivedOn + "）" + clip(x.Content, 24)})
					}
				}
			}
		case workflow.KindStaffList:
			var checked []string
			if f != nil {
				checked = f.Values[fd.Name]
			}
			// Township staff first: they make the visits; county staff
			// may join. A county home visit is made by county staff.
			ordered := slices.Clone(staff)
			slices.SortStableFunc(ordered, func(a, b casework.StaffMember) int {
				return boolCmp(a.County(), b.County())
			})
			for _, m := range ordered {
				if !m.Active || (t.ID == "county_home_visit" && !m.County()) {
					continue
				}
				id := strconv.FormatInt(m.ID, 10)
				fv.Staff = append(fv.Staff, staffChoice{ID: m.ID, Name: m.Name, Where: rolesLabel(m.Roles),
					Checked: slices.Contains(checked, id), Recused: recused[m.ID]})
			}
			if fd.MinParam != "" {
				if n, ok := v.Params.Int(fd.MinParam); ok && n > 0 {
					fv.Hint = "至少 " + strconv.Itoa(n) + " 名不同的工作人员"
				}
			}
		}
	}
	return card
}

// workflowCard is the action card of a workflow option on any workflow
// page (a case, a review task, a change report): header, button style,
// documents, the failed submission's values and errors (f is non-nil only
// for the card that was submitted), and one field per recorded value —
// text as a textarea unless shortText names it, dates up to today. Pages
// add what is theirs (a case's staff lists and objections) to the fields.
func workflowCard(o workflow.Option, def workflow.Definition, action string, version int64, today time.Time,
	f *caseFailure, failFields map[string]string, failAll []string) optionCard {
	t := o.Transition
	card := optionCard{Action: action, ID: t.ID, Label: t.Label, Activity: t.IsActivity(), Enabled: o.Enabled,
		Reason: o.Reason, Warning: o.Warning, NeedsReason: t.RequiresReason, Key: newKey(), Version: version, Failed: f != nil}
	if card.Activity {
		card.Target = "办理事项，记录后状态不变"
	} else {
		card.Target = "办理后：" + stateLabel(def, t.To)
	}
	switch {
	case t.RequiresReason && !card.Activity:
		card.Style = "btn-warn"
	case card.Activity:
		card.Style = "btn-ghost"
	default:
		card.Style = "btn-primary"
	}
	for _, d := range t.Documents {
		card.Docs = append(card.Docs, docTitle(d))
	}
	if f != nil {
		card.Summary = failAll
		card.ReasonValue = f.Values.Get("reason")
		card.ReasonErr = failFields["reason"]
	}
	for _, fd := range t.Records {
		fv := fieldView{Name: fd.Name, Label: fd.Label, Kind: string(fd.Kind), ID: "f-" + t.ID + "-" + fd.Name,
			Required: fd.Required, Options: fd.Options}
		if f != nil {
			fv.Value = f.Values.Get(fd.Name)
			fv.Err = failFields[fd.Name]
		}
		switch fd.Kind {
		case workflow.KindText:
			if !shortText[fd.Name] {
				fv.Kind = "textarea"
			}
		case workflow.KindDate:
			fv.Max = today.Format(time.DateOnly)
			if f == nil {
				fv.Value = fv.Max
			}
		}
		card.Fields = append(card.Fields, fv)
	}
	return card
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func rolesLabel(roles []authz.Role) string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = r.Label()
	}
	return strings.Join(out, "、")
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// materialStatus labels the checklist states.
var materialStatus = map[string][2]string{"ok": {"齐全", "green"}, "missing": {"缺少", "red"}, "wrong": {"有误", "amber"}}

func materialsOf(v casework.View, p authz.Principal, f *caseFailure) materialsView {
	mv := materialsView{Editable: casework.CanEditMaterials(p, v.Case.State), Recorded: len(v.Materials) > 0}
	var fields map[string]string
	if f != nil && f.Form == "materials" {
		fields, mv.Summary = fieldErrors(f.Err)
	}
	for _, m := range casework.Materials {
		row := materialRow{Code: m.Code, Label: m.Label}
		for _, x := range v.Materials {
			if x.Code == m.Code {
				row.Status, row.Note = x.Status, x.Note
			}
		}
		if fields != nil {
			row.Status, row.Note = f.Values.Get("status_"+m.Code), f.Values.Get("note_"+m.Code)
			row.Err = fields["materials."+m.Code]
		}
		if st, ok := materialStatus[row.Status]; ok {
			row.Shown, row.Tone = st[0], st[1]
		} else {
			row.Shown, row.Tone = "未核对", "grey"
		}
		if row.Status == "missing" || row.Status == "wrong" {
			mv.Problems++
		}
		mv.Rows = append(mv.Rows, row)
	}
	return mv
}

func materialLabel(code string) string {
	if code == "other" {
		return "其他材料"
	}
	return household.LabelOf(casework.Materials, code)
}

func typeLabel(ct string) string {
	switch ct {
	case "application/pdf":
		return "PDF"
	case "image/jpeg":
		return "JPEG 图片"
	case "image/png":
		return "PNG 图片"
	}
	return ct
}

func sizeLabel(n int) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KB"
	}
	return strconv.Itoa(n) + " 字节"
}

func (s *server) renderCase(w http.ResponseWriter, r *http.Request, p authz.Principal, id int64, status int,
	f *caseFailure) error {
	pg, err := s.loadCasePage(r.Context(), p, id, f)
	if err != nil {
		return err
	}
	s.render(w, r, p, status, "case", pg.H.HeadName+" 户低保申请 "+pg.H.Number,
		[]crumb{{Label: "低保申请", Href: "/cases"}, {Label: pg.H.Number}}, pg)
	return nil
}

func (s *server) caseDetail(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.renderCase(w, r, p, id, http.StatusOK, nil)
}

// pageFailure reports whether a service error belongs beside the form
// that caused it (bad input, a refusal, a conflict) rather than on an
// error page.
func pageFailure(err error) bool {
	switch errs.CodeOf(err) {
	case errs.Invalid, errs.Conflict, errs.Forbidden:
		return true
	}
	return false
}

// formOnly are the action form's own inputs, not recorded values.
var formOnly = map[string]bool{"version": true, "idempotency_key": true, "reason": true}

// actForm is a posted workflow action form (cases, review tasks, change
// reports): the transition, the recorded values and reason, the version the
// user saw (err if missing or malformed) and the idempotency key.
type actForm struct {
	Transition string
	Input      workflow.Input
	Version    int64
	VersionErr error
	Key        string
}

// readActForm parses an action form; an error is a form the server cannot
// read at all.
func readActForm(w http.ResponseWriter, r *http.Request) (actForm, error) {
	if err := parseForm(w, r); err != nil {
		return actForm{}, err
	}
	f := actForm{Transition: r.PathValue("transition"), Key: strings.TrimSpace(r.PostFormValue("idempotency_key")),
		Input: workflow.Input{Values: map[string][]string{}, Reason: r.PostFormValue("reason")}}
	for k, vs := range r.PostForm {
		if !formOnly[k] {
			f.Input.Values[k] = vs
		}
	}
	f.Version, f.VersionErr = formVersion(r)
	return f, nil
}

// actOnce runs a workflow action for a form. A double submission of the
// same form waits for the first and then sees a newer version; the
// idempotency record then tells whether that version is its own twin's
// (replayed), which is success, not a conflict.
func actOnce[T any](f actForm, act func() (T, error), replayed func(T) bool) (T, error) {
	var out T
	if f.VersionErr != nil {
		return out, f.VersionErr
	}
	out, err := act()
	if err != nil && f.Key != "" && errs.CodeOf(err) == errs.Conflict {
		if again, err2 := act(); err2 == nil && replayed(again) {
			return again, nil
		}
	}
	return out, err
}

func (s *server) caseAct(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := readActForm(w, r)
	if err != nil {
		return err
	}
	tid := f.Transition
	a := casework.Action{CaseID: id, Version: f.Version, Transition: tid, Input: f.Input, IdempotencyKey: f.Key}
	out, err := actOnce(f, func() (casework.Outcome, error) { return s.a.Cases.Act(r.Context(), p, a) },
		func(o casework.Outcome) bool { return o.Replayed })
	if err != nil {
		if !pageFailure(err) {
			return err
		}
		return s.renderCase(w, r, p, id, statusOf(err, true),
			&caseFailure{Form: "act", Transition: tid, Values: r.PostForm, Err: err})
	}
	s.redirect(w, r, "/cases/"+strconv.FormatInt(id, 10)+"#actions", actFlashCode(tid, out))
	return nil
}

func (s *server) caseMaterials(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	version, err := formVersion(r)
	if err == nil {
		items := make([]casework.MaterialInput, 0, len(casework.Materials))
		for _, m := range casework.Materials {
			items = append(items, casework.MaterialInput{Code: m.Code, Status: r.PostFormValue("status_" + m.Code),
				Note: r.PostFormValue("note_" + m.Code)})
		}
		_, err = s.a.Cases.SetMaterials(r.Context(), p, id, version, items)
	}
	if err != nil {
		if !pageFailure(err) {
			return err
		}
		return s.renderCase(w, r, p, id, statusOf(err, true), &caseFailure{Form: "materials", Values: r.PostForm, Err: err})
	}
	s.redirect(w, r, "/cases/"+strconv.FormatInt(id, 10)+"#materials", "materials_saved")
	return nil
}

// Flash codes of a case action carry the transition, the numbers of the
// documents issued and two flags (r: replayed, w: certification warning):
// act~accept~DB-SL-130199-2026-000001~w. Each part is checked against a
// strict pattern when read back, so the cookie cannot carry free text.
var (
	flashTransition = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)
	flashDocNumber  = regexp.MustCompile(`^DB-[A-Z]{2}-\d{6}-\d{4}-\d{6}$`)
)

func actFlashCode(tid string, out casework.Outcome) string {
	nums := make([]string, 0, len(out.Documents))
	for _, d := range out.Documents {
		nums = append(nums, d.Number)
	}
	flags := ""
	if out.Replayed {
		flags += "r"
	}
	if out.Warning != "" {
		flags += "w"
	}
	return "act~" + tid + "~" + strings.Join(nums, "+") + "~" + flags
}

// actFlash turns an action flash code back into its message; "" if the
// code is malformed.
func actFlash(code string) string {
	parts := strings.Split(code, "~")
	if len(parts) != 4 || parts[0] != "act" || !flashTransition.MatchString(parts[1]) {
		return ""
	}
	var t workflow.Transition
	found := false
	for _, d := range workflow.Profiles() {
		if t, found = d.Transition(parts[1]); found {
			break
		}
	}
	if !found {
		return ""
	}
	msg := "已办理：" + t.Label
	if parts[2] != "" {
		var issued []string
		for i, n := range strings.Split(parts[2], "+") {
			if !flashDocNumber.MatchString(n) {
				return ""
			}
			title := "文书"
			if i < len(t.Documents) {
				title = docTitle(t.Documents[i])
			}
			issued = append(issued, title+" "+n)
		}
		msg += "。已出具：" + strings.Join(issued, "、") + "（可在办理记录中打开打印）"
	}
	if strings.Contains(parts[3], "r") {
		msg += "。该表单此前已提交并办理，本次未重复办理"
	}
	if strings.Contains(parts[3], "w") {
		if w, _ := workflow.Certification(t, workflow.Facts{Params: workflow.Params{CertificationGate: workflow.GateWarn}}); w != "" {
			msg += "。注意：" + w
		}
	}
	return msg
}
