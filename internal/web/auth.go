package web

import (
	"net/http"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/reqid"
)

// DemoPassword is the password of every demo account (demo mode only).
const DemoPassword = "dibao-demo-2026"

// demoAccounts are the accounts `dibao demo` creates, shown on the login
// page in demo mode so that trainees can try every role.
var demoAccounts = []struct {
	Username string
	Role     authz.Role
	Note     string
}{
	{"village", authz.VillageClerk, ""},
	{"township", authz.TownshipOfficer, ""},
	{"township2", authz.TownshipOfficer, "另一乡镇"},
	{"reviewer", authz.TownshipReviewer, ""},
	{"county", authz.CountyApprover, ""},
	{"countyadmin", authz.CountyAdmin, ""},
	{"trainadmin", authz.TrainingAdmin, ""},
	{"trainer", authz.Trainer, ""},
	{"custodian", authz.ArchiveCustodian, ""},
	{"auditor", authz.Auditor, ""},
	{"secadmin", authz.SecurityAdmin, ""},
	{"sysadmin", authz.SystemAdmin, ""},
}

type demoAccount struct{ Username, RoleLabel, Note string }

type loginPage struct {
	Username string
	Next     string
	Error    string
	Field    string // "username" or "password": which input the error belongs to
	Demo     []demoAccount
	Password string // demo password, shown only in demo mode
}

func (s *server) loginView(username, next string, err error) loginPage {
	lp := loginPage{Username: username, Next: next}
	if err != nil {
		e := errs.As(err)
		lp.Error, lp.Field = e.Message, e.Field
	}
	if s.a.Demo {
		lp.Password = DemoPassword
		for _, d := range demoAccounts {
			lp.Demo = append(lp.Demo, demoAccount{Username: d.Username, RoleLabel: d.Role.Label(), Note: d.Note})
		}
	}
	return lp
}

func (s *server) loginPage(w http.ResponseWriter, r *http.Request) {
	r = ensureRequestID(r)
	next := safeNext(r.URL.Query().Get("next"))
	if _, ok := s.principal(r); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.render(w, r, authz.Principal{}, http.StatusOK, "login", "登录", nil, s.loginView("", next, nil))
}

func (s *server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r = ensureRequestID(r)
	if err := parseForm(w, r); err != nil {
		s.render(w, r, authz.Principal{}, statusOf(err, true), "login", "登录", nil, s.loginView("", "/", err))
		return
	}
	username := r.PostFormValue("username")
	next := safeNext(r.PostFormValue("next"))
	token, _, err := s.a.Access.Login(r.Context(), username, r.PostFormValue("password"), "web", reqid.From(r.Context()))
	if err != nil {
		st := statusOf(err, true)
		if st == http.StatusInternalServerError {
			s.a.Log.Error("web: login", "request_id", reqid.From(r.Context()), "err", err)
		}
		if len(username) > 64 {
			username = ""
		}
		s.render(w, r, authz.Principal{}, st, "login", "登录", nil, s.loginView(username, next, err))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.a.TLS, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *server) logout(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	c, err := r.Cookie(SessionCookie)
	if err == nil {
		if err := s.a.Access.Logout(r.Context(), p, c.Value); err != nil {
			return err
		}
	}
	clearSession(w, s.a.TLS)
	s.redirect(w, r, "/login", "logged_out")
	return nil
}
