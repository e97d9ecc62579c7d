package web

import (
	"net/http"
	"strconv"
	"strings"

	"dibao/internal/authz"
	"dibao/internal/deid"
	"dibao/internal/errs"
	"dibao/internal/library"
	"dibao/internal/money"
	"dibao/internal/store"
)

// The case library (issue 7 item 3, SPEC §3.3): de-identified closed cases
// for case seminars and practical scenarios.

func init() {
	flashMessages["library_drafted"] = "已自动脱敏生成案例草稿，须由另一位讲师或培训管理员审核后发布"
	flashMessages["library_reviewed"] = "审核结果已保存"
	flashMessages["library_tagged"] = "主题已保存"
	flashMessages["library_linked"] = "已关联到案例研讨场次"
}

func (s *server) libraryRoutes(mux *http.ServeMux) {
	mux.Handle("GET /library", s.auth(s.libraryList))
	mux.Handle("POST /library", s.auth(s.libraryDraft))
	mux.Handle("GET /library/{id}", s.auth(s.libraryDetail))
	mux.Handle("POST /library/{id}/review", s.auth(s.libraryReview))
	mux.Handle("POST /library/{id}/tags", s.auth(s.libraryTags))
	mux.Handle("POST /library/{id}/seminar", s.auth(s.librarySeminar))
	mux.Handle("GET /library/{id}/scenario.json", s.auth(s.libraryScenario))
}

func (s *server) librarySvc() *library.Service { return &library.Service{DB: s.a.DB} }

var libraryStatus = map[string]string{"draft": "待审核", "published": "已发布", "rejected": "已退回"}

type libraryRow struct {
	ID      int64
	Title   string
	Status  string
	Topics  string
	Created string
	By      string
}

type libraryListPage struct {
	Rows    []libraryRow
	Curator bool
	Topic   string
	Status  string
	Number  string
	Err     string
}

func (s *server) libraryListRender(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, pg libraryListPage) error {
	pg.Curator = library.MayCurate(p)
	list, err := s.librarySvc().List(r.Context(), p, store.LibraryFilter{Topic: pg.Topic, Status: pg.Status})
	if err != nil {
		if e := errs.As(err); e != nil && e.Code == errs.Invalid {
			pg.Err, pg.Status = e.Message, ""
			list, err = s.librarySvc().List(r.Context(), p, store.LibraryFilter{Topic: pg.Topic})
		}
		if err != nil {
			return err
		}
	}
	for _, lc := range list {
		pg.Rows = append(pg.Rows, libraryRow{ID: lc.ID, Title: lc.Title, Status: libraryStatus[lc.Status],
			Topics: strings.Join(lc.Topics, "、"), Created: localTime(lc.CreatedAt), By: lc.CreatedBy})
	}
	s.render(w, r, p, status, "library_list", "案例库", []crumb{{Label: "案例库"}}, pg)
	return nil
}

func (s *server) libraryList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q := r.URL.Query()
	return s.libraryListRender(w, r, p, http.StatusOK, libraryListPage{Topic: strings.TrimSpace(q.Get("topic")), Status: q.Get("status")})
}

// libraryDraft turns a closed case, given by its number, into a draft.
func (s *server) libraryDraft(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	number := strings.TrimSpace(r.PostFormValue("number"))
	fail := func(err error) error {
		e := errs.As(err)
		if e == nil || e.Code == errs.Internal {
			return err
		}
		return s.libraryListRender(w, r, p, statusOf(err, false), libraryListPage{Number: number, Err: e.Message})
	}
	if !library.MayCurate(p) {
		return errs.New(errs.Forbidden, "", "只有培训讲师或培训管理员可以维护案例库")
	}
	if number == "" {
		return fail(errs.Invalidf("number", "请填写已办结案件的案件编号"))
	}
	id, err := s.a.DB.CaseIDByNumber(r.Context(), p.Scope(), number)
	if err != nil {
		return fail(err)
	}
	e, err := s.librarySvc().Draft(r.Context(), p, id)
	if err != nil {
		return fail(err)
	}
	s.redirect(w, r, "/library/"+strconv.FormatInt(e.ID, 10), "library_drafted")
	return nil
}

type libraryMoneyRow struct {
	Kind, Who, Description, Amount, Extra string
}

type libraryStepView struct {
	Day                          int
	Transition, From, To, Reason string
	Data                         string
}

type libraryDetailPage struct {
	E          library.Entry
	Status     string
	Topics     string
	Amount     string
	Members    []deid.Member
	Incomes    []libraryMoneyRow
	Properties []libraryMoneyRow
	Steps      []libraryStepView
	Curator    bool
	CanReview  bool
	Seminars   []string
	Err        string
}

func (s *server) libraryDetailRender(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, id int64, msg string) error {
	e, err := s.librarySvc().Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	pg := libraryDetailPage{E: e, Status: libraryStatus[e.Status], Topics: strings.Join(e.Topics, "，"),
		Amount: money.Fen(e.Case.AmountFen).Yuan(), Members: e.Case.Members, Curator: library.MayCurate(p), Err: msg}
	pg.CanReview = pg.Curator && e.Status == "draft" && e.CreatedBy != p.Username
	sems, err := s.a.DB.LibrarySeminars(r.Context(), id)
	if err != nil {
		return err
	}
	for _, x := range sems {
		pg.Seminars = append(pg.Seminars, "场次"+strconv.FormatInt(x.SessionID, 10)+"「"+x.Title+"」"+localTime(x.StartsAt))
	}
	for _, in := range e.Case.Incomes {
		pg.Incomes = append(pg.Incomes, libraryMoneyRow{Kind: in.Kind, Who: in.Member, Description: in.Description,
			Amount: money.Fen(in.AmountFen).Yuan(), Extra: strconv.Itoa(in.Months) + "个月"})
	}
	for _, pr := range e.Case.Properties {
		extra := "数量 " + strconv.Itoa(pr.Quantity)
		if pr.Exempt {
			extra += "（豁免）"
		}
		pg.Properties = append(pg.Properties, libraryMoneyRow{Kind: pr.Kind, Description: pr.Description,
			Amount: money.Fen(pr.ValueFen).Yuan(), Extra: extra})
	}
	for _, st := range e.Case.Steps {
		data := st.Data
		if data == "{}" {
			data = ""
		}
		pg.Steps = append(pg.Steps, libraryStepView{Day: st.Day, Transition: st.Transition, From: st.From, To: st.To,
			Reason: st.Reason, Data: data})
	}
	s.render(w, r, p, status, "library_case", e.Title, []crumb{{Label: "案例库", Href: "/library"}, {Label: e.Title}}, pg)
	return nil
}

func (s *server) libraryDetail(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.libraryDetailRender(w, r, p, http.StatusOK, id, "")
}

// libraryPost runs a form action of the detail page: bad input re-renders
// the page with the message, success redirects with a flash.
func (s *server) libraryPost(w http.ResponseWriter, r *http.Request, p authz.Principal, flash string,
	do func(id int64) error) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := do(id); err != nil {
		e := errs.As(err)
		if e == nil || e.Code == errs.Internal || e.Code == errs.NotFound {
			return err
		}
		return s.libraryDetailRender(w, r, p, statusOf(err, false), id, e.Message)
	}
	s.redirect(w, r, "/library/"+strconv.FormatInt(id, 10), flash)
	return nil
}

func (s *server) libraryReview(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.libraryPost(w, r, p, "library_reviewed", func(id int64) error {
		var approve bool
		switch r.PostFormValue("decision") {
		case "publish":
			approve = true
		case "reject":
		default:
			return errs.Invalidf("decision", "请选择发布或退回")
		}
		return s.librarySvc().Review(r.Context(), p, id, approve, r.PostFormValue("note"))
	})
}

func (s *server) libraryTags(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.libraryPost(w, r, p, "library_tagged", func(id int64) error {
		topics, err := library.ParseTopics(r.PostFormValue("topics"))
		if err != nil {
			return err
		}
		return s.librarySvc().Tag(r.Context(), p, id, topics)
	})
}

func (s *server) librarySeminar(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.libraryPost(w, r, p, "library_linked", func(id int64) error {
		sid, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("session")), 10, 64)
		if err != nil || sid <= 0 {
			return errs.Invalidf("session", "请填写案例研讨场次的编号")
		}
		err = s.librarySvc().LinkSeminar(r.Context(), p, sid, id)
		if e := errs.As(err); e != nil && e.Code == errs.NotFound {
			return errs.Invalidf("session", "%s", e.Message)
		}
		return err
	})
}

func (s *server) libraryScenario(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	raw, err := s.librarySvc().ExportScenario(r.Context(), p, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="library-`+strconv.FormatInt(id, 10)+`-scenario.json"`)
	_, err = w.Write(raw)
	return err
}
