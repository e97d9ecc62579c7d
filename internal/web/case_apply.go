package web

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"dibao/internal/authz"
	"dibao/internal/casework"
	"dibao/internal/errs"
	"dibao/internal/store"
)

// relationChoices are the close relations (近亲属) the intake asks about.
var relationChoices = []string{"配偶", "父母", "子女", "兄弟姐妹", "祖父母、外祖父母", "孙子女、外孙子女", "其他近亲属"}

// relativeRows is how many declaration rows the form offers at least.
const relativeRows = 3

type relativeRow struct {
	Index    int
	Member   string
	Relative string
	Relation string
	UserID   string
	Err      string
}

type applyPage struct {
	HouseholdID int64
	HeadName    string
	Village     string
	Urban       string
	Members     []memberRowView
	OpenCase    *store.Case // an application already under way
	Answer      string      // none, some or ""
	AnswerErr   string
	Rows        []relativeRow
	MemberNames []string
	Relations   []string
	Staff       []staffChoice
	Summary     []string
	Notice      string
}

func (s *server) applyPage(ctx context.Context, p authz.Principal, hid int64) (applyPage, error) {
	if !p.Has(authz.VillageClerk) {
		return applyPage{}, errs.New(errs.Forbidden, "", "只有村（社区）经办人可以登记低保申请")
	}
	h, err := s.a.Registry.Get(ctx, p, hid)
	if err != nil {
		return applyPage{}, err
	}
	names, err := s.a.DB.RegionNames(ctx)
	if err != nil {
		return applyPage{}, err
	}
	ap := applyPage{HouseholdID: h.ID, HeadName: h.HeadName(), Village: villageName(names, h.Region),
		Urban: urbanLabel(h.Urban), Relations: relationChoices}
	today := s.caseDay()
	for _, m := range h.Members {
		ap.Members = append(ap.Members, memberRowView{Name: m.Name, Relation: m.Relation.Label(), IDMasked: m.IDNumber.Mask(),
			Age: m.IDNumber.Age(today), Labour: m.Labour.Label(), Health: m.Health.Label(),
			Disability: disabilityLabel(m.DisabilityGrade), CoResident: m.CoResident})
		ap.MemberNames = append(ap.MemberNames, m.Name)
	}
	open, err := s.a.Cases.List(ctx, p, store.CaseFilter{HouseholdID: h.ID, Open: "open", Limit: 1})
	if err != nil {
		return applyPage{}, err
	}
	if len(open) > 0 {
		ap.OpenCase = &open[0]
	}
	staff, err := s.a.Cases.DeclarableStaff(ctx, p, h.ID)
	if err != nil {
		return applyPage{}, err
	}
	for _, m := range staff {
		ap.Staff = append(ap.Staff, staffChoice{ID: m.ID, Name: m.Name, Where: villageName(names, m.Region) + " · " + rolesLabel(m.Roles)})
	}
	return ap, nil
}

func (s *server) renderApply(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, ap applyPage) {
	for len(ap.Rows) < relativeRows {
		ap.Rows = append(ap.Rows, relativeRow{})
	}
	for i := range ap.Rows {
		ap.Rows[i].Index = i
	}
	s.render(w, r, p, status, "case_apply", "发起低保申请："+ap.HeadName,
		[]crumb{{Label: "家庭档案", Href: "/households"}, {Label: ap.HeadName, Href: "/households/" + strconv.FormatInt(ap.HouseholdID, 10)},
			{Label: "发起低保申请"}}, ap)
}

func (s *server) caseApplyForm(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	hid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ap, err := s.applyPage(r.Context(), p, hid)
	if err != nil {
		return err
	}
	s.renderApply(w, r, p, http.StatusOK, ap)
	return nil
}

var relativeField = regexp.MustCompile(`^relatives\[(\d+)\]$`)

func (s *server) caseApply(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	hid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	answer := r.PostFormValue("relatives")
	decl := casework.Declaration{None: answer == "none"}
	// Rows are kept as typed for a re-render; blank ones are not declared.
	var rows []relativeRow
	var declaredRow []int // declaration index → form row
	v := r.PostForm
	n := min(max(len(v["rel_member"]), len(v["rel_relative"]), len(v["rel_relation"]), len(v["rel_user"])), 20)
	at := func(k string, i int) string {
		if i < len(v[k]) {
			return strings.TrimSpace(v[k][i])
		}
		return ""
	}
	for i := range n {
		row := relativeRow{Member: at("rel_member", i), Relative: at("rel_relative", i), Relation: at("rel_relation", i),
			UserID: at("rel_user", i)}
		rows = append(rows, row)
		if answer != "some" || row.Member+row.Relative+row.Relation+row.UserID == "" {
			continue
		}
		uid, _ := strconv.ParseInt(row.UserID, 10, 64)
		decl.Relatives = append(decl.Relatives, casework.Declared{MemberName: row.Member, Relative: row.Relative,
			Relation: row.Relation, UserID: uid})
		declaredRow = append(declaredRow, len(rows)-1)
	}
	var c store.Case
	if answer != "none" && answer != "some" {
		err = errs.Invalidf("relatives", "请询问并登记申请家庭与经办人员、村（社区）干部的近亲属关系（无则选择“无近亲属”）")
	} else {
		c, err = s.a.Cases.Open(r.Context(), p, hid, decl)
	}
	if err != nil {
		if !pageFailure(err) {
			return err
		}
		ap, perr := s.applyPage(r.Context(), p, hid)
		if perr != nil {
			return perr
		}
		ap.Answer, ap.Rows = answer, rows
		fields, all := fieldErrors(err)
		ap.Summary = all
		for f, msg := range fields {
			if m := relativeField.FindStringSubmatch(f); m != nil {
				if i, _ := strconv.Atoi(m[1]); i < len(declaredRow) {
					ap.Rows[declaredRow[i]].Err = msg
				}
			} else if f == "relatives" {
				ap.AnswerErr = msg
			}
		}
		if errs.CodeOf(err) == errs.Conflict {
			ap.Notice = errs.As(err).Message
		}
		s.renderApply(w, r, p, statusOf(err, true), ap)
		return nil
	}
	s.redirect(w, r, "/cases/"+strconv.FormatInt(c.ID, 10), "case_opened")
	return nil
}
