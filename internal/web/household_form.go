package web

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/mask"
)

// householdForm is the household form exactly as submitted, so that a
// re-rendered form shows what the user typed and nothing else.
type householdForm struct {
	Region      string
	Address     string
	Urban       string
	Phone       string
	PhoneClear  bool
	BankName    string
	BankAccount string
	BankClear   bool
	Notes       string
	Version     string
	Members     []memberForm
}

// memberForm is one member row as submitted.
type memberForm struct {
	ID               string
	Name             string
	Relation         string
	IDNumber         string
	DisabilityGrade  string
	DisabilityDetail string
	Labour           string
	Health           string
	HealthDetail     string
	CoResident       string
}

func (m memberForm) blank() bool {
	return strings.TrimSpace(m.ID+m.Name+m.IDNumber+m.DisabilityDetail+m.HealthDetail) == ""
}

// maxRows bounds the member rows read from a form; the service reports
// households larger than household.MaxMembers.
const maxRows = household.MaxMembers + 5

func readForm(r *http.Request) householdForm {
	v := r.PostForm
	f := householdForm{
		Region: v.Get("region_code"), Address: v.Get("address"), Urban: v.Get("urban"),
		Phone: v.Get("phone"), PhoneClear: v.Get("phone_clear") != "",
		BankName: v.Get("bank_name"), BankAccount: v.Get("bank_account"), BankClear: v.Get("bank_account_clear") != "",
		Notes: v.Get("notes"), Version: v.Get("version"),
	}
	names := []string{"member_id", "member_name", "member_relation", "member_id_number", "member_disability_grade",
		"member_disability_detail", "member_labour", "member_health", "member_health_detail", "member_co_resident"}
	n := 0
	for _, k := range names {
		n = max(n, len(v[k]))
	}
	n = min(n, maxRows)
	at := func(k string, i int) string {
		if i < len(v[k]) {
			return v[k][i]
		}
		return ""
	}
	for i := range n {
		f.Members = append(f.Members, memberForm{
			ID: at("member_id", i), Name: at("member_name", i), Relation: at("member_relation", i),
			IDNumber: at("member_id_number", i), DisabilityGrade: at("member_disability_grade", i),
			DisabilityDetail: at("member_disability_detail", i), Labour: at("member_labour", i),
			Health: at("member_health", i), HealthDetail: at("member_health_detail", i),
			CoResident: at("member_co_resident", i),
		})
	}
	return f
}

// dropBlankRows removes member rows left completely empty (an added row the
// clerk did not use); the head's row always stays.
func (f *householdForm) dropBlankRows() {
	out := f.Members[:0]
	for i, m := range f.Members {
		if i == 0 || !m.blank() {
			out = append(out, m)
		}
	}
	f.Members = out
}

func (f householdForm) draft() household.Draft {
	d := household.Draft{Region: f.Region, Address: f.Address, Urban: f.Urban, Phone: f.Phone, PhoneClear: f.PhoneClear,
		BankName: f.BankName, BankAccount: f.BankAccount, BankClear: f.BankClear, Notes: f.Notes}
	for _, m := range f.Members {
		d.Members = append(d.Members, household.MemberDraft{ID: m.ID, Name: m.Name, Relation: m.Relation,
			IDNumber: m.IDNumber, DisabilityGrade: m.DisabilityGrade, DisabilityDetail: m.DisabilityDetail,
			Labour: m.Labour, Health: m.Health, HealthDetail: m.HealthDetail, CoResident: m.CoResident})
	}
	return d
}

// formFromHousehold prefills the edit form. Sensitive values stay empty
// (see household.FillUnchanged); their masked forms become placeholders.
func formFromHousehold(h household.Household) householdForm {
	f := householdForm{Region: string(h.Region), Address: h.Address, Urban: urbanCode(h.Urban), BankName: h.BankName,
		Notes: h.Notes, Version: strconv.FormatInt(h.Version, 10)}
	for _, m := range h.Members {
		co := "0"
		if m.CoResident {
			co = "1"
		}
		f.Members = append(f.Members, memberForm{ID: strconv.FormatInt(m.ID, 10), Name: m.Name,
			Relation: string(m.Relation), DisabilityGrade: strconv.Itoa(m.DisabilityGrade), Labour: string(m.Labour),
			Health: string(m.Health), CoResident: co})
	}
	return f
}

func urbanCode(u bool) string {
	if u {
		return "urban"
	}
	return "rural"
}

// memberRow is one member card of the form.
type memberRow struct {
	memberForm
	Key                   string // index used in element ids
	Num                   int    // 1-based, for headings
	Head                  bool
	IDPlaceholder         string
	DisabilityPlaceholder string
	HealthPlaceholder     string
	Err                   map[string]string
}

type formPage struct {
	Edit             bool
	HouseholdID      int64
	HeadName         string
	Action           string
	F                householdForm
	Rows             []memberRow
	Template         memberRow
	Err              map[string]string
	Summary          []string
	Conflict         bool
	Regions          regionChoices
	Relations        []household.Enum
	Labours          []household.Enum
	Healths          []household.Enum
	Grades           []household.Enum
	PhonePlaceholder string
	BankPlaceholder  string
}

var grades = []household.Enum{{Code: "0", Label: "无残疾"}, {Code: "1", Label: "一级（最重）"}, {Code: "2", Label: "二级"},
	{Code: "3", Label: "三级"}, {Code: "4", Label: "四级"}}

func nonHeadRelations() []household.Enum {
	var out []household.Enum
	for _, e := range household.Relations {
		if e.Code != "head" {
			out = append(out, e)
		}
	}
	return out
}

var memberField = regexp.MustCompile(`^members\[(\d+)\]\.([a-z_]+)$`)

var memberFieldLabels = map[string]string{"name": "姓名", "relation": "与户主关系", "id_number": "身份证号",
	"disability_grade": "残疾等级", "disability_detail": "残疾情况", "labour": "劳动能力", "health": "健康状况",
	"health_detail": "病情说明", "co_resident": "是否共同生活", "id": "成员"}

// formErrors splits a service error into household-level field messages,
// per-row field messages and the summary shown at the top of the form.
func formErrors(err error, f householdForm) (top map[string]string, rows map[int]map[string]string, summary []string) {
	top, rows = map[string]string{}, map[int]map[string]string{}
	var list errs.List
	if !errors.As(err, &list) {
		list = errs.List{errs.As(err)}
	}
	for _, e := range list {
		if m := memberField.FindStringSubmatch(e.Field); m != nil {
			i, _ := strconv.Atoi(m[1])
			if rows[i] == nil {
				rows[i] = map[string]string{}
			}
			if _, dup := rows[i][m[2]]; !dup {
				rows[i][m[2]] = e.Message
			}
			who := fmt.Sprintf("第%d名成员", i+1)
			if i < len(f.Members) && strings.TrimSpace(f.Members[i].Name) != "" {
				who += "（" + strings.TrimSpace(f.Members[i].Name) + "）"
			}
			if l := memberFieldLabels[m[2]]; l != "" && !strings.Contains(e.Message, l) {
				who += l
			}
			summary = append(summary, who+"："+e.Message)
			continue
		}
		if e.Field != "" {
			if _, dup := top[e.Field]; !dup {
				top[e.Field] = e.Message
			}
		}
		summary = append(summary, e.Message)
	}
	return top, rows, summary
}

// formFailure reports whether err belongs on the form (the user can fix it
// there) rather than on an error page.
func formFailure(err error) bool {
	switch e := errs.As(err); e.Code {
	case errs.Invalid, errs.Conflict:
		return true
	case errs.Forbidden:
		return e.Field != ""
	}
	return false
}

// buildForm assembles the form page. cur is the stored household when
// editing, for the masked placeholders of values that are not echoed.
func (s *server) buildForm(r *http.Request, p authz.Principal, f householdForm, cur *household.Household,
	err error) (formPage, error) {
	rc, rerr := s.regionChoices(r.Context(), p)
	if rerr != nil {
		return formPage{}, rerr
	}
	fp := formPage{F: f, Regions: rc, Relations: nonHeadRelations(), Labours: household.Labours,
		Healths: household.Healths, Grades: grades, Action: "/households", Err: map[string]string{}}
	byID := map[string]household.Member{}
	if cur != nil {
		fp.Edit, fp.HouseholdID, fp.HeadName = true, cur.ID, cur.HeadName()
		fp.Action = "/households/" + strconv.FormatInt(cur.ID, 10)
		if cur.Phone != "" {
			fp.PhonePlaceholder = mask.Phone(cur.Phone) + "（留空不修改）"
		}
		if cur.BankAccount != "" {
			fp.BankPlaceholder = mask.Bank(cur.BankAccount) + "（留空不修改）"
		}
		for _, m := range cur.Members {
			byID[strconv.FormatInt(m.ID, 10)] = m
		}
	}
	var rowErr map[int]map[string]string
	if err != nil {
		fp.Err, rowErr, fp.Summary = formErrors(err, f)
		fp.Conflict = errs.CodeOf(err) == errs.Conflict
	}
	for i, m := range f.Members {
		row := memberRow{memberForm: m, Key: strconv.Itoa(i), Num: i + 1, Head: i == 0, Err: rowErr[i]}
		if row.Head {
			row.Relation = "head"
		}
		if old, ok := byID[strings.TrimSpace(m.ID)]; ok {
			row.IDPlaceholder = old.IDNumber.Mask() + "（留空不修改）"
			if old.DisabilityDetail != "" {
				row.DisabilityPlaceholder = "已登记，留空不修改"
			}
			if old.HealthDetail != "" {
				row.HealthPlaceholder = "已登记，留空不修改"
			}
		}
		if row.Err == nil {
			row.Err = map[string]string{}
		}
		fp.Rows = append(fp.Rows, row)
	}
	fp.Template = memberRow{memberForm: memberForm{DisabilityGrade: "0", CoResident: "1"}, Key: "__N__", Num: 0,
		Err: map[string]string{}}
	return fp, nil
}

func (s *server) renderForm(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, f householdForm,
	cur *household.Household, ferr error) error {
	fp, err := s.buildForm(r, p, f, cur, ferr)
	if err != nil {
		return err
	}
	crumbs := []crumb{{Label: "家庭档案", Href: "/households"}, {Label: "新建家庭"}}
	title := "新建家庭"
	if cur != nil {
		title = "编辑家庭：" + cur.HeadName()
		crumbs = []crumb{{Label: "家庭档案", Href: "/households"},
			{Label: cur.HeadName(), Href: "/households/" + strconv.FormatInt(cur.ID, 10)}, {Label: "编辑"}}
	}
	s.render(w, r, p, status, "household_form", title, crumbs, fp)
	return nil
}

func newMember() memberForm { return memberForm{DisabilityGrade: "0", CoResident: "1"} }

// rowAction applies the no-JavaScript "add member" / "remove member"
// buttons; it reports whether the request was such an action.
func rowAction(r *http.Request, f *householdForm) bool {
	act := r.PostFormValue("_action")
	switch {
	case act == "add_member":
		if len(f.Members) < household.MaxMembers {
			f.Members = append(f.Members, newMember())
		}
		return true
	case strings.HasPrefix(act, "remove_member:"):
		i, err := strconv.Atoi(strings.TrimPrefix(act, "remove_member:"))
		if err == nil && i > 0 && i < len(f.Members) {
			f.Members = append(f.Members[:i], f.Members[i+1:]...)
		}
		return true
	}
	return false
}

func (s *server) householdNew(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := p.Require(authz.HouseholdEdit); err != nil {
		return err
	}
	f := householdForm{Members: []memberForm{newMember()}}
	rc, err := s.regionChoices(r.Context(), p)
	if err != nil {
		return err
	}
	if rc.Only != nil {
		f.Region, f.Urban = rc.Only.Code, urbanCode(rc.Only.Urban)
	}
	return s.renderForm(w, r, p, http.StatusOK, f, nil, nil)
}

func (s *server) householdCreate(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := p.Require(authz.HouseholdEdit); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := readForm(r)
	if rowAction(r, &f) {
		return s.renderForm(w, r, p, http.StatusOK, f, nil, nil)
	}
	f.dropBlankRows()
	h, err := s.a.Registry.Create(r.Context(), p, f.draft())
	if err != nil {
		if formFailure(err) {
			return s.renderForm(w, r, p, statusOf(err, true), f, nil, err)
		}
		return err
	}
	s.redirect(w, r, "/households/"+strconv.FormatInt(h.ID, 10), "created")
	return nil
}

func (s *server) householdEdit(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := p.Require(authz.HouseholdEdit); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	h, err := s.a.Registry.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	return s.renderForm(w, r, p, http.StatusOK, formFromHousehold(h), &h, nil)
}

func (s *server) householdUpdate(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := p.Require(authz.HouseholdEdit); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	cur, err := s.a.Registry.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	f := readForm(r)
	if rowAction(r, &f) {
		return s.renderForm(w, r, p, http.StatusOK, f, &cur, nil)
	}
	f.dropBlankRows()
	version, verr := strconv.ParseInt(f.Version, 10, 64)
	if verr != nil || version <= 0 {
		return s.renderForm(w, r, p, http.StatusUnprocessableEntity, f, &cur,
			errs.New(errs.Invalid, "version", "表单缺少版本号，请刷新页面后重新操作"))
	}
	if _, err := s.a.Registry.Update(r.Context(), p, id, version, f.draft()); err != nil {
		if formFailure(err) {
			// Re-render from f: the stored sensitive values never reach the page.
			return s.renderForm(w, r, p, statusOf(err, true), f, &cur, err)
		}
		return err
	}
	s.redirect(w, r, "/households/"+strconv.FormatInt(id, 10), "saved")
	return nil
}

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.New(errs.NotFound, "", "记录不存在")
	}
	return id, nil
}
