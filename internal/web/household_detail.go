package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/mask"
	"dibao/internal/money"
	"dibao/internal/registry"
)

type memberView struct {
	ID               int64
	Name             string
	Relation         string
	IDMasked         string
	IDFull           string // only right after an audited reveal of this member
	Sex              string
	Age              int
	Disability       string
	HasDisabilityTxt bool
	DisabilityFull   string // only right after an audited reveal
	Labour           string
	Health           string
	HasHealthTxt     bool
	HealthFull       string // only right after an audited reveal
	CoResident       bool
}

type incomeView struct {
	ID          int64
	Kind        string
	Member      string
	Description string
	Amount      string
	Cost        string
	Months      int
	Monthly     string
}

type propertyView struct {
	ID          int64
	Kind        string
	Description string
	Value       string
	Quantity    int
	Exempt      bool
}

// itemForm is the add-income or add-property form with its input and errors.
type itemForm struct {
	V       map[string]string
	Err     map[string]string
	Summary []string
}

// Get returns the submitted value of field k (templates use it).
func (f itemForm) Get(k string) string { return f.V[k] }

type detailPage struct {
	ID            int64
	Version       int64
	HeadName      string
	Village       string
	Address       string
	Urban         string
	PhoneMasked   string
	PhoneFull     string
	BankName      string
	BankMasked    string
	BankFull      string
	Notes         string
	Created       string
	Updated       string
	Members       []memberView
	Incomes       []incomeView
	IncomeTotal   string
	Properties    []propertyView
	CanEdit       bool
	CanReveal     bool
	CanAudit      bool
	Revealed      bool // a value was just revealed: show the audit note
	Notice        string
	MemberChoices []household.Enum
	IncomeKinds   []household.Enum
	PropertyKinds []household.Enum
	Income        itemForm
	Property      itemForm
}

// revealResult is a value revealed for this render only.
type revealResult struct {
	Field    string
	MemberID int64
	Value    string
}

func disabilityLabel(g int) string {
	for _, e := range grades {
		if e.Code == strconv.Itoa(g) {
			if g == 1 {
				return "一级"
			}
			return e.Label
		}
	}
	return strconv.Itoa(g)
}

// monthly is the net monthly average of an income item, rounded half up to
// the fen, for display.
func monthly(in household.Income) money.Fen {
	if in.Months <= 0 {
		return 0
	}
	net := in.Amount - in.Cost
	m := money.Fen(in.Months)
	return (net*2 + m) / (2 * m)
}

func (s *server) detailPage(ctx context.Context, p authz.Principal, id int64, rv *revealResult) (detailPage, error) {
	h, err := s.a.Registry.Get(ctx, p, id)
	if err != nil {
		return detailPage{}, err
	}
	names, err := s.a.DB.RegionNames(ctx)
	if err != nil {
		return detailPage{}, err
	}
	now := s.a.DB.Now()
	d := detailPage{ID: h.ID, Version: h.Version, HeadName: h.HeadName(), Village: villageName(names, h.Region),
		Address: h.Address, Urban: urbanLabel(h.Urban), PhoneMasked: mask.Phone(h.Phone), BankName: h.BankName,
		BankMasked: mask.Bank(h.BankAccount), Notes: h.Notes, Created: localTime(h.CreatedAt),
		Updated: localTime(h.UpdatedAt), CanEdit: p.Can(authz.HouseholdEdit), CanReveal: p.Can(authz.SensitiveReveal),
		CanAudit: p.Can(authz.AuditView), IncomeKinds: household.IncomeKinds, PropertyKinds: household.PropertyKinds,
		Income:   itemForm{V: map[string]string{}, Err: map[string]string{}},
		Property: itemForm{V: map[string]string{}, Err: map[string]string{}}}
	memberName := map[int64]string{0: "全户"}
	d.MemberChoices = []household.Enum{{Code: "0", Label: "全户（不区分成员）"}}
	for _, m := range h.Members {
		mv := memberView{ID: m.ID, Name: m.Name, Relation: m.Relation.Label(), IDMasked: m.IDNumber.Mask(),
			Sex: m.IDNumber.Sex().Label(), Age: m.IDNumber.Age(now), Disability: disabilityLabel(m.DisabilityGrade),
			HasDisabilityTxt: m.DisabilityDetail != "", Labour: m.Labour.Label(), Health: m.Health.Label(),
			HasHealthTxt: m.HealthDetail != "", CoResident: m.CoResident}
		if rv != nil && rv.MemberID == m.ID {
			switch rv.Field {
			case registry.FieldMemberID:
				mv.IDFull = rv.Value
			case registry.FieldMemberHealth:
				mv.HealthFull = rv.Value
			case registry.FieldMemberDisability:
				mv.DisabilityFull = rv.Value
			}
		}
		d.Members = append(d.Members, mv)
		memberName[m.ID] = m.Name
		d.MemberChoices = append(d.MemberChoices, household.Enum{Code: strconv.FormatInt(m.ID, 10), Label: m.Name})
	}
	if rv != nil {
		d.Revealed = true
		switch rv.Field {
		case registry.FieldPhone:
			d.PhoneFull = rv.Value
		case registry.FieldBank:
			d.BankFull = rv.Value
		}
	}
	var total money.Fen
	for _, in := range h.Incomes {
		mo := monthly(in)
		total += mo
		d.Incomes = append(d.Incomes, incomeView{ID: in.ID, Kind: in.Kind.Label(), Member: memberName[in.MemberID],
			Description: in.Description, Amount: in.Amount.Yuan(), Cost: in.Cost.Yuan(), Months: in.Months,
			Monthly: mo.Yuan()})
	}
	d.IncomeTotal = total.Yuan()
	for _, pr := range h.Properties {
		d.Properties = append(d.Properties, propertyView{ID: pr.ID, Kind: pr.Kind.Label(), Description: pr.Description,
			Value: pr.Value.Yuan(), Quantity: pr.Quantity, Exempt: pr.Exempt})
	}
	return d, nil
}

func (s *server) renderDetail(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, d detailPage) {
	s.render(w, r, p, status, "household", "家庭详情："+d.HeadName,
		[]crumb{{Label: "家庭档案", Href: "/households"}, {Label: d.HeadName}}, d)
}

func (s *server) householdDetail(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.detailPage(r.Context(), p, id, nil)
	if err != nil {
		return err
	}
	s.renderDetail(w, r, p, http.StatusOK, d)
	return nil
}

// wantsJSON reports whether the caller is the page's own fetch script.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// reveal shows one sensitive value in full. The service writes the audit
// record before returning it; the value is rendered into this response
// only, never into a URL, cookie or redirect.
func (s *server) reveal(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	field := r.PostFormValue("field")
	// member_id is absent (0) for the household's own phone and bank account.
	memberID, _ := strconv.ParseInt(r.PostFormValue("member_id"), 10, 64)
	value, err := s.a.Registry.Reveal(r.Context(), p, id, field, memberID)
	if wantsJSON(r) {
		if err != nil {
			st := statusOf(err, false)
			if st == http.StatusInternalServerError {
				s.a.Log.Error("web: reveal", "request_id", reqIDOf(r), "err", err)
			}
			writeJSON(w, st, map[string]string{"error": errs.As(err).Message})
			return nil
		}
		writeJSON(w, http.StatusOK, map[string]string{"value": value, "note": "已记录查看日志"})
		return nil
	}
	if err != nil {
		return err
	}
	d, err := s.detailPage(r.Context(), p, id, &revealResult{Field: field, MemberID: memberID, Value: value})
	if err != nil {
		return err
	}
	s.renderDetail(w, r, p, http.StatusOK, d)
	return nil
}

func formVersion(r *http.Request) (int64, error) {
	v, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil || v <= 0 {
		return 0, errs.New(errs.Invalid, "version", "表单缺少版本号，请刷新页面后重新操作")
	}
	return v, nil
}

// itemFailure re-renders the detail page with the failed item form (its
// input kept and its errors beside the fields), or reports err for an
// error page when the form cannot help.
func (s *server) itemFailure(w http.ResponseWriter, r *http.Request, p authz.Principal, id int64, which string,
	keys []string, err error) error {
	if !formFailure(err) {
		return err
	}
	d, derr := s.detailPage(r.Context(), p, id, nil)
	if derr != nil {
		return derr
	}
	f := itemForm{V: map[string]string{}, Err: map[string]string{}}
	for _, k := range keys {
		f.V[k] = r.PostFormValue(k)
	}
	if errs.CodeOf(err) == errs.Conflict {
		d.Notice = errs.As(err).Message
	} else {
		var list errs.List
		if !errors.As(err, &list) {
			list = errs.List{errs.As(err)}
		}
		for _, e := range list {
			if _, dup := f.Err[e.Field]; !dup && e.Field != "" {
				f.Err[e.Field] = e.Message
			}
			f.Summary = append(f.Summary, e.Message)
		}
	}
	switch which {
	case "income":
		d.Income = f
	case "property":
		d.Property = f
	default:
		if d.Notice == "" {
			d.Notice = errs.As(err).Message
		}
	}
	s.renderDetail(w, r, p, statusOf(err, true), d)
	return nil
}

var incomeKeys = []string{"member_id", "kind", "description", "amount", "cost", "months"}
var propertyKeys = []string{"kind", "description", "value", "quantity", "exempt"}

func (s *server) incomeAdd(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	v, err := formVersion(r)
	if err == nil {
		err = s.a.Registry.AddIncome(r.Context(), p, id, v, household.IncomeDraft{MemberID: r.PostFormValue("member_id"),
			Kind: r.PostFormValue("kind"), Description: r.PostFormValue("description"), Amount: r.PostFormValue("amount"),
			Cost: r.PostFormValue("cost"), Months: r.PostFormValue("months")})
	}
	if err != nil {
		return s.itemFailure(w, r, p, id, "income", incomeKeys, err)
	}
	s.redirect(w, r, "/households/"+strconv.FormatInt(id, 10)+"#income", "income_added")
	return nil
}

func (s *server) propertyAdd(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	v, err := formVersion(r)
	if err == nil {
		err = s.a.Registry.AddProperty(r.Context(), p, id, v, household.PropertyDraft{Kind: r.PostFormValue("kind"),
			Description: r.PostFormValue("description"), Value: r.PostFormValue("value"),
			Quantity: r.PostFormValue("quantity"), Exempt: r.PostFormValue("exempt")})
	}
	if err != nil {
		return s.itemFailure(w, r, p, id, "property", propertyKeys, err)
	}
	s.redirect(w, r, "/households/"+strconv.FormatInt(id, 10)+"#property", "property_added")
	return nil
}

func (s *server) incomeDelete(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.itemDelete(w, r, p, s.a.Registry.DeleteIncome, "#income", "income_deleted")
}

func (s *server) propertyDelete(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.itemDelete(w, r, p, s.a.Registry.DeleteProperty, "#property", "property_deleted")
}

func (s *server) itemDelete(w http.ResponseWriter, r *http.Request, p authz.Principal,
	del func(ctx context.Context, p authz.Principal, hid, version, item int64) error, anchor, flash string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	item, err := pathID(r, "item")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	v, err := formVersion(r)
	if err == nil {
		err = del(r.Context(), p, id, v, item)
	}
	if err != nil {
		return s.itemFailure(w, r, p, id, "", nil, err)
	}
	s.redirect(w, r, "/households/"+strconv.FormatInt(id, 10)+anchor, flash)
	return nil
}
