package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"dibao/internal/access"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/people"
	"dibao/internal/region"
)

// roleOption is one role checkbox (or select option).
type roleOption struct {
	Code    string
	Label   string
	Checked bool
}

// roleGroupView is a fieldset of role checkboxes.
type roleGroupView struct {
	Label     string
	Exclusive bool // the three administrators: at most one per account
	Roles     []roleOption
}

// postOption is one post checkbox.
type postOption struct {
	Name    string
	Checked bool
}

// regionOption is one region in the account's region select, indented by
// level so the hierarchy reads in a plain select.
type regionOption struct {
	Code     string
	Label    string
	Selected bool
}

func roleGroups(selected []string) []roleGroupView {
	out := make([]roleGroupView, 0, len(people.RoleGroups))
	for _, g := range people.RoleGroups {
		gv := roleGroupView{Label: g.Label, Exclusive: slices.Contains(g.Roles, authz.SecurityAdmin)}
		for _, r := range g.Roles {
			gv.Roles = append(gv.Roles, roleOption{Code: string(r), Label: r.Label(), Checked: slices.Contains(selected, string(r))})
		}
		out = append(out, gv)
	}
	return out
}

func roleCodes(roles []authz.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}

// fieldErrors splits a service error into per-field messages and the
// summary shown above a form.
func fieldErrors(err error) (map[string]string, []string) {
	fields := map[string]string{}
	var summary []string
	var list errs.List
	if !errors.As(err, &list) {
		list = errs.List{errs.As(err)}
	}
	for _, e := range list {
		if _, dup := fields[e.Field]; !dup && e.Field != "" {
			fields[e.Field] = e.Message
		}
		summary = append(summary, e.Message)
	}
	return fields, summary
}

// ---- new account ----

// userForm is the new-account form as submitted, passwords excepted: they
// are never echoed back into a page.
type userForm struct {
	Username    string
	DisplayName string
	Region      string
	HireDate    string
	Roles       []string
	Posts       []string
}

func readUserForm(r *http.Request) userForm {
	v := r.PostForm
	return userForm{Username: v.Get("username"), DisplayName: v.Get("display_name"), Region: v.Get("region_code"),
		HireDate: v.Get("hire_date"), Roles: v["roles"], Posts: v["posts"]}
}

func (f userForm) draft(password string) people.Draft {
	return people.Draft{Username: f.Username, DisplayName: f.DisplayName, Region: f.Region, Roles: f.Roles,
		Posts: strings.Join(f.Posts, ","), HireDate: f.HireDate, Password: password}
}

type userFormPage struct {
	F          userForm
	Err        map[string]string
	Summary    []string
	Regions    []regionOption
	RoleGroups []roleGroupView
	Posts      []postOption
	Today      string
}

func (s *server) userFormPage(r *http.Request, p authz.Principal, f userForm, ferr error) (userFormPage, error) {
	fp := userFormPage{F: f, Err: map[string]string{}, RoleGroups: roleGroups(f.Roles),
		Today: s.a.DB.Now().In(cst).Format(time.DateOnly)}
	rs, err := s.a.DB.Regions(r.Context(), p.Scope())
	if err != nil {
		return fp, err
	}
	for _, rg := range rs {
		indent := strings.Repeat("　", max(int(rg.Level)-1, 0))
		fp.Regions = append(fp.Regions, regionOption{Code: string(rg.Code), Label: indent + rg.Name,
			Selected: string(rg.Code) == strings.TrimSpace(f.Region)})
	}
	for _, name := range people.Posts {
		fp.Posts = append(fp.Posts, postOption{Name: name, Checked: slices.Contains(f.Posts, name)})
	}
	if ferr != nil {
		fp.Err, fp.Summary = fieldErrors(ferr)
	}
	return fp, nil
}

func (s *server) renderUserForm(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, f userForm,
	ferr error) error {
	fp, err := s.userFormPage(r, p, f, ferr)
	if err != nil {
		return err
	}
	s.render(w, r, p, status, "user_form", "新建账号", []crumb{{Label: "用户管理", Href: "/users"}, {Label: "新建账号"}}, fp)
	return nil
}

func (s *server) userNew(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := p.Require(authz.UserManage); err != nil {
		return err
	}
	f := userForm{HireDate: s.a.DB.Now().In(cst).Format(time.DateOnly)}
	if p.Region.Level() == region.County {
		f.Region = string(p.Region)
	}
	return s.renderUserForm(w, r, p, http.StatusOK, f, nil)
}

func (s *server) userCreate(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := p.Require(authz.UserManage); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := readUserForm(r)
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("password_confirm") {
		return s.renderUserForm(w, r, p, http.StatusUnprocessableEntity, f,
			errs.Invalidf("password_confirm", "两次输入的密码不一致"))
	}
	u, err := s.accounts().Create(r.Context(), p, f.draft(pw))
	if err != nil {
		if formFailure(err) {
			return s.renderUserForm(w, r, p, statusOf(err, true), f, err)
		}
		return err
	}
	s.redirect(w, r, "/users/"+strconv.FormatInt(u.ID, 10), "user_created")
	return nil
}

// ---- account detail and its actions ----

type userDetailPage struct {
	ID           int64
	Version      int64
	Username     string
	DisplayName  string
	Region       string
	Posts        string
	HireDate     string
	Roles        string
	Active       bool
	Locked       bool
	LockedUntil  string
	FailedLogins int
	Sessions     int
	TOTP         bool // a second factor is enrolled
	TOTPRequired bool // the roles require one
	Self         bool
	CanManage    bool
	CanAudit     bool
	RoleGroups   []roleGroupView
	Notice       string
	RolesErr     string
	PasswordErr  map[string]string
}

// detailState is what a failed action carries into the re-rendered page.
type detailState struct {
	notice       string
	roles        []string // submitted selection; nil shows the stored roles
	rolesVersion int64
	rolesErr     string
	passwordErr  map[string]string
}

func (s *server) renderUserDetail(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, id int64,
	st detailState) error {
	a, err := s.accounts().Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	names, err := s.a.DB.RegionNames(r.Context())
	if err != nil {
		return err
	}
	now := s.a.DB.Now()
	d := userDetailPage{ID: a.ID, Version: a.Version, Username: a.Username, DisplayName: a.DisplayName,
		Region: villageName(names, a.Region), Posts: strings.ReplaceAll(a.Posts, ",", "、"), HireDate: a.HireDate,
		Roles: roleLabels(authz.JoinRoles(a.Roles)), Active: a.Active, Locked: a.Locked(now), FailedLogins: a.FailedLogins,
		Sessions: a.Sessions, TOTP: a.TOTPEnabled(), TOTPRequired: access.RequiresTOTP(a.Roles), Self: a.ID == p.UserID, CanManage: p.Can(authz.UserManage),
		CanAudit: p.Can(authz.AuditView), Notice: st.notice, RolesErr: st.rolesErr, PasswordErr: st.passwordErr}
	if d.Locked {
		d.LockedUntil = localTime(a.LockedUntil)
	}
	sel := roleCodes(a.Roles)
	if st.roles != nil {
		sel = st.roles
		if st.rolesVersion > 0 {
			d.Version = st.rolesVersion
		}
	}
	d.RoleGroups = roleGroups(sel)
	if d.PasswordErr == nil {
		d.PasswordErr = map[string]string{}
	}
	title := a.DisplayName
	if title == "" {
		title = a.Username
	}
	s.render(w, r, p, status, "user", "账号："+title, []crumb{{Label: "用户管理", Href: "/users"}, {Label: title}}, d)
	return nil
}

func (s *server) userDetail(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.renderUserDetail(w, r, p, http.StatusOK, id, detailState{})
}

// userActionFailure shows a refused action on the account page, unless the
// caller may not manage accounts at all, which is an error page.
func (s *server) userActionFailure(w http.ResponseWriter, r *http.Request, p authz.Principal, id int64,
	st detailState, err error) error {
	code := errs.CodeOf(err)
	if !p.Can(authz.UserManage) || (code != errs.Invalid && code != errs.Conflict && code != errs.Forbidden) {
		return err
	}
	if st.notice == "" && st.rolesErr == "" && len(st.passwordErr) == 0 {
		st.notice = errs.As(err).Message
	}
	return s.renderUserDetail(w, r, p, statusOf(err, true), id, st)
}

// userAction runs one of the button actions (unlock, activate, deactivate).
func (s *server) userAction(act func(r *http.Request, p authz.Principal, id int64) error, flash string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
		if err := p.Require(authz.UserManage); err != nil {
			return err
		}
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := parseForm(w, r); err != nil {
			return err
		}
		if err := act(r, p, id); err != nil {
			return s.userActionFailure(w, r, p, id, detailState{}, err)
		}
		s.redirect(w, r, "/users/"+strconv.FormatInt(id, 10), flash)
		return nil
	}
}

func (s *server) userUnlock() handlerFunc {
	return s.userAction(func(r *http.Request, p authz.Principal, id int64) error {
		return s.accounts().Unlock(r.Context(), p, id)
	}, "user_unlocked")
}

func (s *server) userActivate() handlerFunc {
	return s.userAction(func(r *http.Request, p authz.Principal, id int64) error {
		return s.accounts().SetActive(r.Context(), p, id, true)
	}, "user_activated")
}

func (s *server) userDeactivate() handlerFunc {
	return s.userAction(func(r *http.Request, p authz.Principal, id int64) error {
		return s.accounts().SetActive(r.Context(), p, id, false)
	}, "user_deactivated")
}

func (s *server) userRoles(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := p.Require(authz.UserManage); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	submitted := r.PostForm["roles"]
	version, err := formVersion(r)
	if err == nil {
		err = s.accounts().SetRoles(r.Context(), p, id, version, people.ToRoles(submitted))
	}
	if err != nil {
		st := detailState{}
		switch errs.CodeOf(err) {
		case errs.Conflict:
			// Show the stored roles, not the stale selection: saving that
			// again would silently undo the other administrator's change.
			st.notice = errs.As(err).Message + "。下方已显示最新角色，请核对后重新选择。"
		case errs.Invalid:
			// Keep the selection and the version it was made at, so that
			// the administrator corrects it rather than starts again.
			if submitted == nil {
				submitted = []string{}
			}
			st.roles, st.rolesVersion, st.rolesErr = submitted, version, errs.As(err).Message
		}
		return s.userActionFailure(w, r, p, id, st, err)
	}
	s.redirect(w, r, "/users/"+strconv.FormatInt(id, 10), "user_roles")
	return nil
}

func (s *server) userPassword(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := p.Require(authz.UserManage); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	pw := r.PostFormValue("new_password")
	if pw != r.PostFormValue("new_password_confirm") {
		err = errs.Invalidf("new_password_confirm", "两次输入的密码不一致")
	} else {
		err = s.accounts().ResetPassword(r.Context(), p, id, pw)
	}
	if err != nil {
		st := detailState{passwordErr: map[string]string{}}
		if e := errs.As(err); e.Code == errs.Invalid {
			switch e.Field {
			case "password":
				st.passwordErr["new_password"] = e.Message
			case "new_password_confirm":
				st.passwordErr[e.Field] = e.Message
			}
		}
		return s.userActionFailure(w, r, p, id, st, err)
	}
	s.redirect(w, r, "/users/"+strconv.FormatInt(id, 10), "user_password")
	return nil
}
