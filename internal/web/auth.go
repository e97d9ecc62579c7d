package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"dibao/internal/access"

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

// loginCookie carries a pending login between the password and the second
// factor. It is scoped to /login, lives five minutes, and is SameSite=Strict:
// it is only ever sent by this site's own forms.
const loginCookie = "dibao_login"

func init() {
	for k, v := range map[string]string{
		"session_expired":  "登录已超时或已在别处退出，请重新登录",
		"totp_enabled":     "双因素认证已启用。今后登录时，输入密码后还需输入手机验证器上的6位动态验证码",
		"totp_disabled":    "双因素认证已停用",
		"totp_reset":       "已重置该账号的双因素认证，其登录已全部注销；管理员账号下次登录时须重新绑定",
		"password_changed": "密码已修改，您在其他设备上的登录已全部注销",
	} {
		flashMessages[k] = v
	}
}

func (s *server) authRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /login/totp", s.totpPage)
	mux.HandleFunc("POST /login/totp", s.totpSubmit)
	mux.HandleFunc("GET /login/enrol", s.enrolPage)
	mux.HandleFunc("POST /login/enrol", s.enrolSubmit)
	mux.Handle("GET /account/security", s.auth(s.securityPage))
	mux.Handle("POST /account/2fa/start", s.auth(s.totpStart))
	mux.Handle("POST /account/2fa/confirm", s.auth(s.totpConfirm))
	mux.Handle("POST /account/2fa/disable", s.auth(s.totpDisable))
	mux.Handle("POST /account/password", s.auth(s.passwordChange))
	mux.Handle("POST /users/{id}/totp-reset", s.auth(s.userTOTPReset))
}

// sessionCookie is the web session cookie. HttpOnly keeps it from scripts;
// Secure when served over TLS; SameSite=Lax rather than Strict: the outer
// server already refuses cross-origin writes (http.CrossOriginProtection on
// Sec-Fetch-Site/Origin), Lax still withholds the cookie from every
// cross-site POST, frame and sub-request, and Strict would make a link to a
// case page from the county OA system or a message land on the login page
// (the cookie is not sent on that first navigation) and open a second
// session. The pending-login cookie, only ever sent by this site's own
// forms, is Strict.
func (s *server) sessionCookie(token string) *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.a.TLS, SameSite: http.SameSiteLaxMode}
}

func (s *server) setPending(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: token, Path: "/login", MaxAge: int(access.PendingTimeout / time.Second),
		HttpOnly: true, Secure: s.a.TLS, SameSite: http.SameSiteStrictMode})
}

func (s *server) clearPending(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/login", MaxAge: -1,
		HttpOnly: true, Secure: s.a.TLS, SameSite: http.SameSiteStrictMode})
}

func cookieValue(r *http.Request, name string) string {
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}

// discardOld ends the session and pending login the browser brings to a
// new login, server-side, so that no token issued before the login (one
// an attacker may have planted or read) is valid after it.
func (s *server) discardOld(r *http.Request) {
	for _, name := range []string{SessionCookie, loginCookie} {
		if v := cookieValue(r, name); v != "" {
			if _, err := s.a.Access.Discard(r.Context(), v, reqid.From(r.Context())); err != nil {
				s.a.Log.Error("web: discard old session", "request_id", reqid.From(r.Context()), "err", err)
			}
		}
	}
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

func (s *server) loginFailed(w http.ResponseWriter, r *http.Request, username, next string, err error) {
	st := statusOf(err, true)
	if st == http.StatusInternalServerError {
		s.a.Log.Error("web: login", "request_id", reqid.From(r.Context()), "err", err)
	}
	if len(username) > 64 {
		username = ""
	}
	s.render(w, r, authz.Principal{}, st, "login", "登录", nil, s.loginView(username, next, err))
}

func (s *server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r = ensureRequestID(r)
	if err := parseForm(w, r); err != nil {
		s.render(w, r, authz.Principal{}, statusOf(err, true), "login", "登录", nil, s.loginView("", "/", err))
		return
	}
	username := r.PostFormValue("username")
	next := safeNext(r.PostFormValue("next"))
	// Rotate: whatever the browser held before is ended, whatever happens next.
	s.discardOld(r)
	res, err := s.a.Access.LoginStep(r.Context(), username, r.PostFormValue("password"), reqid.From(r.Context()))
	if err != nil {
		clearSession(w, s.a.TLS)
		s.clearPending(w)
		s.loginFailed(w, r, username, next, err)
		return
	}
	switch res.Stage {
	case access.StageTOTP, access.StageEnrol:
		clearSession(w, s.a.TLS)
		s.setPending(w, res.Token)
		http.Redirect(w, r, "/login/"+res.Stage+"?next="+url.QueryEscape(next), http.StatusSeeOther)
	default:
		s.clearPending(w)
		http.SetCookie(w, s.sessionCookie(res.Token))
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

// secondPage is the code step and the enrolment page.
type secondPage struct {
	Next   string
	Error  string
	Enrol  *access.Enrolment
	Locked bool
}

func (s *server) totpPage(w http.ResponseWriter, r *http.Request) {
	r = ensureRequestID(r)
	next := safeNext(r.URL.Query().Get("next"))
	if cookieValue(r, loginCookie) == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.render(w, r, authz.Principal{}, http.StatusOK, "login_totp", "动态验证码", nil, secondPage{Next: next})
}

func (s *server) enrolPage(w http.ResponseWriter, r *http.Request) {
	r = ensureRequestID(r)
	next := safeNext(r.URL.Query().Get("next"))
	en, err := s.a.Access.PendingEnrolment(r.Context(), cookieValue(r, loginCookie), reqid.From(r.Context()))
	if err != nil {
		s.clearPending(w)
		s.loginFailed(w, r, "", next, err)
		return
	}
	s.render(w, r, authz.Principal{}, http.StatusOK, "login_enrol", "绑定动态验证码", nil, secondPage{Next: next, Enrol: &en})
}

func (s *server) totpSubmit(w http.ResponseWriter, r *http.Request) {
	s.secondSubmit(w, r, access.StageTOTP)
}

func (s *server) enrolSubmit(w http.ResponseWriter, r *http.Request) {
	s.secondSubmit(w, r, access.StageEnrol)
}

func (s *server) secondSubmit(w http.ResponseWriter, r *http.Request, stage string) {
	r = ensureRequestID(r)
	if err := parseForm(w, r); err != nil {
		s.loginFailed(w, r, "", "/", err)
		return
	}
	next := safeNext(r.PostFormValue("next"))
	pending := cookieValue(r, loginCookie)
	complete := s.a.Access.CompleteLogin
	if stage == access.StageEnrol {
		complete = s.a.Access.ConfirmEnrolment
	}
	token, _, err := complete(r.Context(), pending, r.PostFormValue("code"), reqid.From(r.Context()))
	if err != nil {
		e := errs.As(err)
		if e.Field != "totp" || e.Code == errs.Conflict {
			// Expired, locked or gone: back to the password step.
			s.clearPending(w)
			s.loginFailed(w, r, "", next, err)
			return
		}
		page := secondPage{Next: next, Error: e.Message}
		name, title := "login_totp", "动态验证码"
		if stage == access.StageEnrol {
			en, perr := s.a.Access.PendingEnrolment(r.Context(), pending, reqid.From(r.Context()))
			if perr != nil {
				s.clearPending(w)
				s.loginFailed(w, r, "", next, perr)
				return
			}
			page.Enrol, name, title = &en, "login_enrol", "绑定动态验证码"
		}
		s.render(w, r, authz.Principal{}, statusOf(err, true), name, title, nil, page)
		return
	}
	s.clearPending(w)
	http.SetCookie(w, s.sessionCookie(token))
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

// securityPage is the signed-in user's own account security: the second
// factor and the password.
type securityPage struct {
	TOTP        access.TOTPState
	TOTPErr     string
	PasswordErr map[string]string
}

func (s *server) securityPage(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.renderSecurity(w, r, p, http.StatusOK, "", nil)
}

func (s *server) renderSecurity(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, totpErr string,
	pwErr map[string]string) error {
	st, err := s.a.Access.State(r.Context(), p)
	if err != nil {
		return err
	}
	if pwErr == nil {
		pwErr = map[string]string{}
	}
	s.render(w, r, p, status, "account_security", "账号安全", []crumb{{Label: "账号安全"}},
		securityPage{TOTP: st, TOTPErr: totpErr, PasswordErr: pwErr})
	return nil
}

// securityFailed re-renders the page with the message, or ends the
// session if the failure locked the account.
func (s *server) securityFailed(w http.ResponseWriter, r *http.Request, p authz.Principal, err error, pw bool) error {
	if _, ok := s.principal(r); !ok {
		clearSession(w, s.a.TLS)
		s.render(w, r, authz.Principal{}, statusOf(err, true), "login", "登录", nil, s.loginView("", "/", err))
		return nil
	}
	e := errs.As(err)
	if e.Code == errs.Internal {
		return err
	}
	if pw {
		field := e.Field
		if field == "" || field == "password" {
			field = "new_password"
		}
		return s.renderSecurity(w, r, p, statusOf(err, true), "", map[string]string{field: e.Message})
	}
	return s.renderSecurity(w, r, p, statusOf(err, true), e.Message, nil)
}

func (s *server) totpStart(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if _, err := s.a.Access.StartEnrolment(r.Context(), p); err != nil {
		return s.securityFailed(w, r, p, err, false)
	}
	http.Redirect(w, r, "/account/security#totp", http.StatusSeeOther)
	return nil
}

func (s *server) totpConfirm(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.a.Access.ConfirmOwn(r.Context(), p, r.PostFormValue("code")); err != nil {
		return s.securityFailed(w, r, p, err, false)
	}
	s.redirect(w, r, "/account/security", "totp_enabled")
	return nil
}

func (s *server) totpDisable(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.a.Access.DisableOwn(r.Context(), p, r.PostFormValue("code")); err != nil {
		return s.securityFailed(w, r, p, err, false)
	}
	s.redirect(w, r, "/account/security", "totp_disabled")
	return nil
}

func (s *server) passwordChange(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	nw := r.PostFormValue("new_password")
	if nw != r.PostFormValue("new_password_confirm") {
		return s.renderSecurity(w, r, p, http.StatusUnprocessableEntity, "",
			map[string]string{"new_password_confirm": "两次输入的新密码不一致"})
	}
	token, err := s.a.Access.ChangePassword(r.Context(), p, r.PostFormValue("current_password"), nw)
	if err != nil {
		return s.securityFailed(w, r, p, err, true)
	}
	http.SetCookie(w, s.sessionCookie(token))
	s.redirect(w, r, "/account/security", "password_changed")
	return nil
}

func (s *server) userTOTPReset(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
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
	if err := s.a.Access.ResetTOTP(r.Context(), p, id); err != nil {
		return s.userActionFailure(w, r, p, id, detailState{}, err)
	}
	s.redirect(w, r, "/users/"+strconv.FormatInt(id, 10), "totp_reset")
	return nil
}
