// Package web serves the HTML pages: login, dashboard, household registry,
// audit log and accounts. Handlers are thin (parse → call a service →
// render); templates are embedded and parsed once at start-up.
package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"dibao/internal/app"
	"dibao/internal/archive"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/piiscan"
	"dibao/internal/reqid"
)

//go:embed templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// SessionCookie is the name of the cookie carrying the web session token.
const SessionCookie = "dibao_session"

const flashCookie = "dibao_flash"

// SystemName is the product name shown in the sidebar and titles.
const SystemName = "最低生活保障业务与培训管理系统"

// cst is China Standard Time; every time on a page is shown in +08:00.
var cst = time.FixedZone("CST", 8*3600)

// pages lists every page template: each templates/*.html except the shared
// layout and partials, parsed together with them into its own set.
var pages = func() []string {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	var out []string
	for _, n := range names {
		n = strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if n != "layout" && n != "partials" {
			out = append(out, n)
		}
	}
	return out
}()

type server struct {
	a     *app.App
	tmpl  map[string]*template.Template
	asset string // cache-busting suffix for static URLs
}

// New parses every template and returns the handler for the pages and
// /static/. The outer server adds request ids, CSRF protection, health
// probes and the API.
func New(a *app.App) (http.Handler, error) {
	s, err := newServer(a)
	if err != nil {
		return nil, err
	}
	return s.routes()
}

func newServer(a *app.App) (*server, error) {
	s := &server{a: a, tmpl: map[string]*template.Template{}, asset: assetVersion(a.Version)}
	for _, name := range pages {
		t, err := template.New(name+".html").Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/partials.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: parse template %s: %w", name, err)
		}
		s.tmpl[name] = t
	}
	return s, nil
}

func (s *server) routes() (http.Handler, error) {
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	mux.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			s.notFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	}))

	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.loginSubmit)
	mux.Handle("POST /logout", s.auth(s.logout))
	s.authRoutes(mux)

	mux.Handle("GET /{$}", s.auth(s.dashboard))
	mux.Handle("GET /households", s.auth(s.householdList))
	mux.Handle("POST /households/search", s.auth(s.householdSearch))
	mux.Handle("GET /households/new", s.auth(s.householdNew))
	mux.Handle("POST /households", s.auth(s.householdCreate))
	mux.Handle("GET /households/{id}", s.auth(s.householdDetail))
	mux.Handle("GET /households/{id}/edit", s.auth(s.householdEdit))
	mux.Handle("POST /households/{id}", s.auth(s.householdUpdate))
	mux.Handle("POST /households/{id}/reveal", s.auth(s.reveal))
	mux.Handle("POST /households/{id}/income", s.auth(s.incomeAdd))
	mux.Handle("POST /households/{id}/income/{item}/delete", s.auth(s.incomeDelete))
	mux.Handle("POST /households/{id}/property", s.auth(s.propertyAdd))
	mux.Handle("POST /households/{id}/property/{item}/delete", s.auth(s.propertyDelete))
	mux.Handle("GET /households/{id}/apply", s.auth(s.caseApplyForm))
	mux.Handle("POST /households/{id}/apply", s.auth(s.caseApply))
	mux.Handle("GET /cases", s.auth(s.caseList))
	mux.Handle("GET /cases/{id}", s.auth(s.caseDetail))
	mux.Handle("POST /cases/{id}/act/{transition}", s.auth(s.caseAct))
	mux.Handle("POST /cases/{id}/materials", s.auth(s.caseMaterials))
	mux.Handle("POST /cases/{id}/files", s.auth(s.caseUpload))
	mux.Handle("GET /cases/{id}/documents/{number}", s.auth(s.caseDocument))
	mux.Handle("GET /files/{token}", s.auth(s.fileDownload))
	mux.Handle("GET /workflow", s.auth(s.workflowPage))
	mux.Handle("GET /workflow/{file}", s.auth(s.workflowSVG))
	mux.Handle("GET /policy", s.auth(s.policyList))
	mux.Handle("GET /policy/{name}", s.auth(s.policyDetail))
	mux.Handle("POST /policy/{name}", s.auth(s.policySet))
	mux.Handle("GET /audit", s.auth(s.auditList))
	mux.Handle("GET /users", s.auth(s.userList))
	mux.Handle("GET /users/new", s.auth(s.userNew))
	mux.Handle("POST /users", s.auth(s.userCreate))
	mux.Handle("GET /users/{id}", s.auth(s.userDetail))
	mux.Handle("POST /users/{id}/roles", s.auth(s.userRoles))
	mux.Handle("POST /users/{id}/unlock", s.auth(s.userUnlock()))
	mux.Handle("POST /users/{id}/activate", s.auth(s.userActivate()))
	mux.Handle("POST /users/{id}/deactivate", s.auth(s.userDeactivate()))
	mux.Handle("POST /users/{id}/password", s.auth(s.userPassword))
	mux.Handle("GET /training", s.auth(s.trainingDashboard))
	mux.Handle("POST /training/enroll", s.auth(s.trainingEnroll))
	mux.Handle("GET /training/plans", s.auth(s.trainingPlanList))
	mux.Handle("GET /training/plans/new", s.auth(s.trainingPlanNew))
	mux.Handle("POST /training/plans/new", s.auth(s.trainingPlanCreate))
	mux.Handle("GET /training/sessions", s.auth(s.trainingSessionList))
	mux.Handle("GET /training/sessions/new", s.auth(s.trainingSessionNew))
	mux.Handle("POST /training/sessions/new", s.auth(s.trainingSessionCreate))
	mux.Handle("GET /training/sessions/{id}", s.auth(s.trainingSessionDetail))
	mux.Handle("GET /training/sessions/{id}/code", s.auth(s.trainingSessionCode))
	mux.Handle("POST /training/sessions/{id}/manual", s.auth(s.trainingManualCheckIn))
	mux.Handle("POST /training/sessions/{id}/feedback", s.auth(s.trainingFeedback))
	mux.Handle("GET /training/my", s.auth(s.trainingMy))
	mux.Handle("POST /training/checkin", s.auth(s.trainingCheckIn))
	mux.Handle("GET /training/trainers", s.auth(s.trainingTrainers))
	mux.Handle("POST /training/trainers", s.auth(s.trainingTrainerSelect))
	mux.Handle("POST /training/trainers/{id}/development", s.auth(s.trainingTrainerDevelopment))
	mux.Handle("POST /training/experts", s.auth(s.trainingExpertCreate))
	mux.Handle("POST /training/experts/{id}/invitations", s.auth(s.trainingExpertInvite))
	mux.Handle("GET /learning", s.auth(s.learningList))
	mux.Handle("GET /learning/new", s.auth(s.learningNew))
	mux.Handle("POST /learning/new", s.auth(s.learningCreate))
	mux.Handle("GET /learning/{id}", s.auth(s.learningItem))
	mux.Handle("GET /learning/{id}/content", s.auth(s.learningContent))
	mux.Handle("POST /learning/{id}/heartbeat", s.auth(s.learningHeartbeat))
	mux.Handle("POST /learning/{id}/ack", s.auth(s.learningAck))
	// Recipients over time (issue 4): each feature registers its own pages.
	s.recipientRoutes(mux)
	s.reviewRoutes(mux)
	s.rosterRoutes(mux)
	s.standardRoutes(mux)
	s.ledgerRoutes(mux)
	s.countyRoutes(mux)
	s.reportRoutes(mux)
	s.examRoutes(mux)
	s.sandboxRoutes(mux)
	s.certRoutes(mux)
	s.libraryRoutes(mux)
	s.archiveRoutes(mux)
	mux.HandleFunc("/", s.notFound)
	return mux, nil
}

func assetVersion(v string) string {
	if v == "" || v == "dev" {
		return fmt.Sprint(time.Now().Unix())
	}
	return url.QueryEscape(v)
}

// handlerFunc is a page handler for an authenticated caller. A returned
// error is rendered by renderError.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p authz.Principal) error

type principalKey struct{}

// ensureRequestID makes sure the context carries a request id: the outer
// server sets one, tests that mount the pages alone do not.
func ensureRequestID(r *http.Request) *http.Request {
	if reqid.From(r.Context()) != "" {
		return r
	}
	return r.WithContext(reqid.With(r.Context(), reqid.New()))
}

// principal resolves the session cookie; ok is false for anonymous callers.
func (s *server) principal(r *http.Request) (authz.Principal, bool) {
	p, err := s.session(r)
	return p, err == nil
}

// errNoSession: the request carries no session cookie.
var errNoSession = errs.New(errs.Unauthorized, "", "请先登录")

// session is principal with the reason when there is none.
func (s *server) session(r *http.Request) (authz.Principal, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return authz.Principal{}, errNoSession
	}
	p, err := s.a.Access.Authenticate(r.Context(), c.Value, "web")
	if err != nil {
		if errs.CodeOf(err) == errs.Internal {
			s.a.Log.Error("web: authenticate", "request_id", reqid.From(r.Context()), "err", err)
		}
		return authz.Principal{}, err
	}
	p.RequestID = reqid.From(r.Context())
	return p, nil
}

// storageDown reports an error that is the database's state, not the
// session's: the signed-in user sees the message, not the login page.
func storageDown(err error) bool {
	c := errs.CodeOf(err)
	return c == errs.Unavailable || c == errs.StorageFull
}

// auth wraps a page that needs a logged-in user: anonymous callers are sent
// to the login page with the page they wanted as next.
func (s *server) auth(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = ensureRequestID(r)
		w.Header().Set("Cache-Control", "no-store")
		p, err := s.session(r)
		if err != nil && storageDown(err) {
			s.renderError(w, r, authz.Principal{}, err)
			return
		}
		if err != nil {
			if wantsJSON(r) {
				writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "登录已失效，请重新登录"})
				return
			}
			if cookieValue(r, SessionCookie) != "" { // timed out, or ended elsewhere: say so
				clearSession(w, s.a.TLS)
				setFlash(w, "session_expired", s.a.TLS)
			}
			s.toLogin(w, r)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		if err := h(w, r, p); err != nil {
			s.renderError(w, r, p, err)
		}
	})
}

func (s *server) toLogin(w http.ResponseWriter, r *http.Request) {
	target := "/login"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// safeNext returns next if it is a path on this site, else "/": an open
// redirect after login would make a convincing phishing link.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	if u.Path == "/login" || u.Path == "/logout" || strings.HasPrefix(u.Path, "/login/") {
		return "/"
	}
	return next
}

// statusOf is the one place a domain error becomes an HTTP status for a
// page. form is true when the page re-renders a form with the user's input,
// which answers 422 for invalid input rather than 400.
func statusOf(err error, form bool) int {
	switch errs.CodeOf(err) {
	case errs.Invalid:
		if form {
			return http.StatusUnprocessableEntity
		}
		return http.StatusBadRequest
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.Conflict:
		return http.StatusConflict
	case errs.Unauthorized:
		return http.StatusUnauthorized
	case errs.Unavailable, errs.StorageFull:
		return errs.HTTPStatus(err)
	}
	return http.StatusInternalServerError
}

type errorPage struct {
	Status    int
	Heading   string
	Message   string
	RequestID string
}

// renderError shows an error page in Chinese; an expired session goes back
// to the login page instead.
func (s *server) renderError(w http.ResponseWriter, r *http.Request, p authz.Principal, err error) {
	st := statusOf(err, false)
	if st == http.StatusUnauthorized {
		clearSession(w, s.a.TLS)
		s.toLogin(w, r)
		return
	}
	e := errs.As(err)
	ep := errorPage{Status: st, Message: e.Message, RequestID: reqid.From(r.Context())}
	switch st {
	case http.StatusNotFound:
		ep.Heading = "页面或记录不存在"
	case http.StatusForbidden:
		ep.Heading = "没有访问权限"
	case http.StatusConflict:
		ep.Heading = "操作冲突"
	case http.StatusBadRequest:
		ep.Heading = "请求有误"
	case http.StatusServiceUnavailable, http.StatusInsufficientStorage: // the message says what and what to do
		ep.Heading = "服务暂不可用"
		s.a.Log.Error("web: storage unavailable", "request_id", ep.RequestID, "path", r.URL.Path, "err", err)
	default:
		ep.Heading = "系统内部错误"
		ep.Message = "系统处理您的请求时出错，请稍后再试。如问题持续，请将下方请求编号告知系统管理员。"
		s.a.Log.Error("web: internal error", "request_id", ep.RequestID, "method", r.Method, "path", piiscan.Redact(r.URL.Path), "err", err)
	}
	s.render(w, r, p, st, "error", ep.Heading, nil, ep)
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	r = ensureRequestID(r)
	p, _ := s.principal(r)
	s.renderError(w, r, p, errs.New(errs.NotFound, "", "您访问的页面不存在，请检查地址或从左侧菜单进入。"))
}

// crumb is one step of the breadcrumb; the last one has no link.
type crumb struct{ Label, Href string }

type navItem struct {
	Key, Label, Href, Icon string
	Active                 bool
}

// userView is the signed-in user as the top bar shows them.
type userView struct {
	Name       string
	Username   string
	RoleLabels []string
	RegionName string
	Registers  bool // a village clerk: registers applications (the household page's "发起低保申请")
}

// view is what every page template receives: the layout's data plus the
// page's own under Page.
type view struct {
	Title     string
	System    string
	User      *userView
	Nav       []navItem
	Crumbs    []crumb
	Flash     string
	RequestID string
	Version   string
	Asset     string
	Demo      bool
	Page      any
}

// countyOffice reports whether p works in the county civil-affairs office on
// benefits (rosters, standards, ledgers, county statistics).
func countyOffice(p authz.Principal) bool {
	return p.Has(authz.CountyAdmin) || p.Has(authz.CountyApprover)
}

func (s *server) nav(p authz.Principal, active string) []navItem {
	items := []navItem{{Key: "dashboard", Label: "工作台", Href: "/", Icon: "▦"}}
	if p.Can(authz.HouseholdView) {
		items = append(items, navItem{Key: "households", Label: "家庭档案", Href: "/households", Icon: "⌂"})
		items = append(items, navItem{Key: "cases", Label: "低保申请", Href: "/cases", Icon: "✎"})
	}
	if p.Can(authz.HouseholdView) {
		items = append(items, navItem{Key: "recipients", Label: "保障对象", Href: "/recipients", Icon: "◉"})
		items = append(items, navItem{Key: "reviews", Label: "动态管理", Href: "/reviews", Icon: "↻"})
	}
	if countyOffice(p) {
		items = append(items, navItem{Key: "rosters", Label: "发放名册", Href: "/rosters", Icon: "¥"})
		items = append(items, navItem{Key: "standard", Label: "标准调整", Href: "/standard", Icon: "⇅"})
		items = append(items, navItem{Key: "ledger", Label: "台账导入", Href: "/ledger", Icon: "⇪"})
		items = append(items, navItem{Key: "county", Label: "统计分析", Href: "/county", Icon: "▤"})
	}
	if handlesCases(p) {
		items = append(items, navItem{Key: "workflow", Label: "流程说明", Href: "/workflow", Icon: "⇢"})
	}
	if p.Can(authz.AuditView) {
		items = append(items, navItem{Key: "audit", Label: "审计日志", Href: "/audit", Icon: "☰"})
	}
	if p.Can(authz.UserView) {
		items = append(items, navItem{Key: "users", Label: "用户管理", Href: "/users", Icon: "☺"})
	}
	if canViewPolicy(p) {
		items = append(items, navItem{Key: "policy", Label: "政策参数", Href: "/policy", Icon: "≡"})
	}
	if p.Has(authz.TrainingAdmin) {
		items = append(items, navItem{Key: "training", Label: "培训管理", Href: "/training", Icon: "✦"})
	} else if p.Has(authz.Trainer) {
		items = append(items, navItem{Key: "training_sessions", Label: "培训场次", Href: "/training/sessions", Icon: "✦"})
	}
	if p.Has(authz.TrainingAdmin) || p.Has(authz.Trainer) {
		items = append(items, navItem{Key: "library", Label: "案例库", Href: "/library", Icon: "❖"})
	}
	if p.UserID != 0 {
		items = append(items, navItem{Key: "training_my", Label: "我的培训", Href: "/training/my", Icon: "✧"})
		items = append(items, navItem{Key: "learning", Label: "在线学习", Href: "/learning", Icon: "▶"})
		items = append(items, navItem{Key: "exams", Label: "考试", Href: "/exams", Icon: "✍"})
		items = append(items, navItem{Key: "sandbox", Label: "实操沙盒", Href: "/sandbox", Icon: "⚑"})
	}
	if archive.CanView(p) {
		items = append(items, navItem{Key: "archive", Label: "培训档案", Href: "/archive", Icon: "▣"})
	}
	for i := range items {
		items[i].Active = items[i].Key == active
	}
	return items
}

// render executes a page template into a buffer first, so that a template
// error becomes a clean 500 instead of half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, name, title string,
	crumbs []crumb, page any) {
	v := view{Title: title, System: SystemName, Crumbs: crumbs, RequestID: reqid.From(r.Context()),
		Version: s.a.Version, Asset: s.asset, Demo: s.a.Demo, Page: page}
	if p.UserID != 0 || p.Username != "" {
		v.User = s.userView(r.Context(), p)
		active := ""
		if len(crumbs) > 0 {
			active = navKey(crumbs[0].Href)
		}
		if name == "dashboard" {
			active = "dashboard"
		}
		v.Nav = s.nav(p, active)
	}
	v.Flash = takeFlash(w, r, s.a.TLS)
	var buf bytes.Buffer
	t := s.tmpl[name]
	if t == nil {
		s.a.Log.Error("web: unknown template", "name", name)
		http.Error(w, "系统内部错误", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.a.Log.Error("web: render", "template", name, "request_id", v.RequestID, "err", err)
		http.Error(w, "系统内部错误（请求编号 "+v.RequestID+"）", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

func navKey(href string) string {
	switch {
	case strings.HasPrefix(href, "/households"):
		return "households"
	case strings.HasPrefix(href, "/cases"):
		return "cases"
	case strings.HasPrefix(href, "/reviews"):
		return "reviews"
	case strings.HasPrefix(href, "/workflow"):
		return "workflow"
	case strings.HasPrefix(href, "/audit"):
		return "audit"
	case strings.HasPrefix(href, "/recipients"), strings.HasPrefix(href, "/county"):
		return strings.Split(href, "/")[1]
	case strings.HasPrefix(href, "/users"):
		return "users"
	case strings.HasPrefix(href, "/policy"):
		return "policy"
	case strings.HasPrefix(href, "/rosters"):
		return "rosters"
	case strings.HasPrefix(href, "/learning"):
		return "learning"
	case strings.HasPrefix(href, "/exams"):
		return "exams"
	case strings.HasPrefix(href, "/training/my"):
		return "training_my"
	case strings.HasPrefix(href, "/training/sessions"):
		return "training_sessions"
	case strings.HasPrefix(href, "/training"):
		return "training"
	}
	for _, k := range []string{"recipients", "reviews", "rosters", "standard", "ledger", "county", "sandbox"} {
		if href == "/"+k || strings.HasPrefix(href, "/"+k+"/") {
			return k
		}
	}
	return "dashboard"
}

func (s *server) userView(ctx context.Context, p authz.Principal) *userView {
	u := &userView{Name: p.DisplayName, Username: p.Username, Registers: p.Has(authz.VillageClerk)}
	if u.Name == "" {
		u.Name = p.Username
	}
	for _, r := range p.Roles {
		u.RoleLabels = append(u.RoleLabels, r.Label())
	}
	if p.Region != "" {
		if reg, err := s.a.DB.Region(ctx, p.Region); err == nil {
			u.RegionName = reg.Name
		}
	}
	return u
}

// Flash messages travel as a short code in a cookie across the redirect
// after a successful POST; the code, never free text, so nothing sensitive
// or injectable rides in it.
var flashMessages = map[string]string{
	"saved":            "已保存",
	"created":          "已保存，家庭档案已建立",
	"income_added":     "已保存，收入已添加",
	"income_deleted":   "收入记录已删除",
	"property_added":   "已保存，财产已添加",
	"property_deleted": "财产记录已删除",
	"logged_out":       "您已安全退出",
	"policy_set":       "已登记新版本，自生效日起适用；已作出的决定不受影响",
	"user_created":     "账号已创建。请将初始密码当面或通过安全渠道告知本人",
	"user_roles":       "角色已保存；该账号原有登录已全部注销，重新登录后按新角色授权",
	"user_unlocked":    "账号已解锁",
	"user_activated":   "账号已启用",
	"user_deactivated": "账号已停用，其登录已全部注销",
	"user_password":    "密码已重置，该账号原有登录已全部注销。请将新密码当面或通过安全渠道告知本人",
	"case_opened":      "低保申请已登记。请核对申请材料、上传扫描件，然后提交受理审查",
	"materials_saved":  "材料核对结果已保存",
	"file_uploaded":    "扫描件已上传",
	"learn_uploaded":   "学习资料已上传",
	"learn_done":       "已确认读完，学时已按规定计入",
	"enrolled":         "自动报名规则已运行",
	"plan_created":     "培训计划已创建，运行自动报名后对象人员即可看到",
	"session_created":  "培训场次已安排。培训开始前30分钟起，本页显示签到码",
	"manual_checkin":   "已手工签到，学时已计入",
	"checked_in":       "签到成功，学时已计入",
	"feedback_saved":   "感谢您的评价",
}

func setFlash(w http.ResponseWriter, code string, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: code, Path: "/", MaxAge: 60, HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode})
}

func takeFlash(w http.ResponseWriter, r *http.Request, secure bool) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode})
	if msg, ok := flashMessages[c.Value]; ok {
		return msg
	}
	return actFlash(c.Value)
}

func clearSession(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode})
}

// redirect answers a successful POST with 303 See Other and a flash.
func (s *server) redirect(w http.ResponseWriter, r *http.Request, to, flash string) {
	if flash != "" {
		setFlash(w, flash, s.a.TLS)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// maxForm bounds a form body; a household with 30 members is a few KB.
const maxForm = 256 << 10

func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.New(errs.Invalid, "", "提交的内容过大")
		}
		return errs.New(errs.Invalid, "", "提交的表单格式不正确")
	}
	return nil
}

func localTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(cst).Format("2006-01-02 15:04")
}

var funcs = template.FuncMap{
	"localTime": localTime,
	"add":       func(a, b int) int { return a + b },
	"join":      strings.Join,
	"villageSel": func(g []villageGroup, sel string) any {
		return struct {
			Groups []villageGroup
			Sel    string
		}{g, sel}
	},
	"row": func(r memberRow, p formPage) any {
		return struct {
			R memberRow
			P formPage
		}{r, p}
	},
	"reveal": func(hid int64, field string, memberID int64, id string) any {
		return struct {
			HID      int64
			Field    string
			MemberID int64
			ID       string
		}{hid, field, memberID, id}
	},
	"initial": func(s string) string {
		for _, r := range s {
			return string(r)
		}
		return "?"
	},
}

func reqIDOf(r *http.Request) string { return reqid.From(r.Context()) }
