package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"dibao/internal/archive"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/sheet"
	"dibao/internal/store"
)

// The training archive pages (issue 7 items 1, 2, 4): the catalogue with
// my requests and the request form, the custodian's queue, a record's
// content (only under a valid grant), the read log.

func (s *server) archiveSvc() *archive.Service { return &archive.Service{DB: s.a.DB} }

// archiveRoutes registers the archive pages.
func (s *server) archiveRoutes(mux *http.ServeMux) {
	mux.Handle("GET /archive", s.auth(s.archiveIndex))
	mux.Handle("POST /archive/requests", s.auth(s.archiveRequest))
	mux.Handle("GET /archive/requests", s.auth(s.archiveQueue))
	mux.Handle("POST /archive/requests/{id}/approve", s.auth(s.archiveApprove))
	mux.Handle("POST /archive/requests/{id}/refuse", s.auth(s.archiveRefuse))
	mux.Handle("GET /archive/records/{id}", s.auth(s.archiveRecord))
	mux.Handle("GET /archive/reads", s.auth(s.archiveReads))
	mux.Handle("POST /archive/records/{id}/correct", s.auth(s.archiveCorrect))
	mux.Handle("POST /archive/catalogue", s.auth(s.archiveCatalogue))
	mux.Handle("POST /archive/sweep", s.auth(s.archiveSweep))
	mux.Handle("GET /archive/export", s.auth(s.archiveExport))
}

var archiveNotices = map[string]string{
	"requested":  "查阅申请已提交，等待档案管理员审批",
	"approved":   "已批准查阅申请",
	"refused":    "已不予批准，理由已告知申请人",
	"catalogued": "档案目录已整理",
	"swept":      "到期清理已完成，删除记录已写入审计日志",
}

type archiveOption struct {
	Value, Label string
	Selected     bool
}

type archiveRow struct {
	store.ArchiveRecord
	TypeLabel string
}

// CategoryLabel is the category in Chinese.
func (r archiveRow) CategoryLabel() string { return archive.CategoryLabel(r.Type, r.Category) }

type archiveReqRow struct {
	store.ArchiveRequest
	Scope     string
	StatusTag string
	Active    bool
}

type archiveIndexPage struct {
	Notice      string
	Errors      []string
	Rows        []archiveRow
	Periods     []archiveOption
	Types       []archiveOption
	FilterType  string
	FilterPer   string
	Mine        []archiveReqRow
	Form        archiveForm
	Custodian   bool
	CanDecide   bool
	CanSeeLog   bool
	ExportQuery string
}

type archiveForm struct {
	Purpose, Record, Period, Type, Category, Days string
}

func archiveTypeOptions(sel string) []archiveOption {
	var out []archiveOption
	for _, t := range store.ArchiveTypes {
		out = append(out, archiveOption{t, archive.TypeLabel(t), t == sel})
	}
	return out
}

// archivePeriods are the last eight quarters up to now and every period in
// the catalogue, newest first.
func archivePeriods(now time.Time, rows []store.ArchiveRecord, sel string) []archiveOption {
	seen := map[string]bool{}
	var ps []string
	addP := func(p string) {
		if !seen[p] {
			seen[p] = true
			ps = append(ps, p)
		}
	}
	for i := 0; i < 8; i++ {
		addP(store.PeriodOf(now.AddDate(0, -3*i, 0)))
	}
	for _, r := range rows {
		addP(r.Period)
	}
	slices.Sort(ps)
	slices.Reverse(ps)
	out := make([]archiveOption, len(ps))
	for i, p := range ps {
		out[i] = archiveOption{p, p, p == sel}
	}
	return out
}

func (s *server) archiveReqRows(rs []store.ArchiveRequest) []archiveReqRow {
	now := s.a.DB.Now()
	out := make([]archiveReqRow, len(rs))
	for i, r := range rs {
		row := archiveReqRow{ArchiveRequest: r, Scope: archive.Scope(r)}
		switch {
		case r.Status == "pending":
			row.StatusTag = "待审批"
		case r.Status == "refused":
			row.StatusTag = "不予批准"
		case r.ExpiresAt.After(now):
			row.StatusTag, row.Active = "已批准", true
		default:
			row.StatusTag = "已过期"
		}
		out[i] = row
	}
	return out
}

func (s *server) archiveIndexPage(r *http.Request, p authz.Principal, form archiveForm, errList []string) (archiveIndexPage, error) {
	q := r.URL.Query()
	f := store.ArchiveFilter{Period: q.Get("period"), Type: q.Get("type")}
	if f.Period != "" && !archive.ValidPeriod(f.Period) {
		f.Period = ""
	}
	if f.Type != "" && !slices.Contains(store.ArchiveTypes, f.Type) {
		f.Type = ""
	}
	all, err := s.archiveSvc().List(r.Context(), p, store.ArchiveFilter{})
	if err != nil {
		return archiveIndexPage{}, err
	}
	mine, err := s.a.DB.ArchiveRequests(r.Context(), p.Scope(), p.UserID, "")
	if err != nil {
		return archiveIndexPage{}, err
	}
	if form.Days == "" {
		form.Days = "7"
	}
	pg := archiveIndexPage{Notice: archiveNotices[q.Get("done")], Errors: errList, Form: form,
		Periods: archivePeriods(s.a.DB.Now(), all, form.Period), Types: archiveTypeOptions(form.Type),
		FilterType: f.Type, FilterPer: f.Period, Mine: s.archiveReqRows(mine),
		Custodian: archive.IsCustodian(p), CanDecide: archive.CanDecide(p), CanSeeLog: archive.CanSeeLog(p),
		ExportQuery: r.URL.RawQuery}
	for _, rec := range all {
		if (f.Period == "" || rec.Period == f.Period) && (f.Type == "" || rec.Type == f.Type) {
			pg.Rows = append(pg.Rows, archiveRow{rec, archive.TypeLabel(rec.Type)})
		}
	}
	return pg, nil
}

// archiveIndex is GET /archive.
func (s *server) archiveIndex(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	pg, err := s.archiveIndexPage(r, p, archiveForm{Period: r.URL.Query().Get("period"), Type: r.URL.Query().Get("type")}, nil)
	if err != nil {
		return err
	}
	s.render(w, r, p, http.StatusOK, "archive_index", "培训档案", []crumb{{"培训档案", ""}}, pg)
	return nil
}

func formID(v string) (int64, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n > 0
}

// archiveRequest is POST /archive/requests: a new access request; bad
// input re-renders the form with the message and changes nothing.
func (s *server) archiveRequest(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := archiveForm{Purpose: r.PostFormValue("purpose"), Record: r.PostFormValue("record"), Period: r.PostFormValue("period"),
		Type: r.PostFormValue("type"), Category: r.PostFormValue("category"), Days: r.PostFormValue("days")}
	rec, ok := formID(f.Record)
	var err error
	if !ok {
		err = errs.Invalidf("record", "档案记录编号应为正整数")
	} else if days, aerr := strconv.Atoi(strings.TrimSpace(f.Days)); aerr != nil {
		err = errs.Invalidf("days", "申请期限应为天数（1至%d）", archive.MaxDays)
	} else {
		_, err = s.archiveSvc().Request(r.Context(), p, store.ArchiveRequest{Purpose: f.Purpose, RecordID: rec, Period: f.Period,
			Type: f.Type, Category: f.Category, Days: days})
	}
	if err == nil {
		s.redirect(w, r, "/archive?done=requested", "")
		return nil
	}
	if errs.CodeOf(err) != errs.Invalid {
		return err
	}
	pg, perr := s.archiveIndexPage(r, p, f, []string{errs.As(err).Message})
	if perr != nil {
		return perr
	}
	s.render(w, r, p, http.StatusUnprocessableEntity, "archive_index", "培训档案", []crumb{{"培训档案", ""}}, pg)
	return nil
}

type archiveQueuePage struct {
	Notice  string
	Errors  []string
	Pending []archiveReqRow
	Decided []archiveReqRow
	MaxDays int
}

func (s *server) renderQueue(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, errList []string) error {
	if !archive.CanDecide(p) {
		return errs.New(errs.Forbidden, "", "只有档案管理员或县级业务管理员可以审批查阅申请")
	}
	all, err := s.a.DB.ArchiveRequests(r.Context(), p.Scope(), 0, "")
	if err != nil {
		return err
	}
	pg := archiveQueuePage{Notice: archiveNotices[r.URL.Query().Get("done")], Errors: errList, MaxDays: archive.MaxDays}
	for _, row := range s.archiveReqRows(all) {
		if row.Status == "pending" {
			pg.Pending = append(pg.Pending, row)
		} else {
			pg.Decided = append(pg.Decided, row)
		}
	}
	s.render(w, r, p, status, "archive_requests", "查阅申请审批", []crumb{{"培训档案", "/archive"}, {"查阅申请审批", ""}}, pg)
	return nil
}

// archiveQueue is GET /archive/requests: the custodian's queue.
func (s *server) archiveQueue(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.renderQueue(w, r, p, http.StatusOK, nil)
}

func (s *server) archiveDecision(w http.ResponseWriter, r *http.Request, p authz.Principal,
	do func(id int64) error, done string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := do(id); err != nil {
		if errs.CodeOf(err) == errs.Invalid {
			return s.renderQueue(w, r, p, http.StatusUnprocessableEntity, []string{errs.As(err).Message})
		}
		return err
	}
	s.redirect(w, r, "/archive/requests?done="+done, "")
	return nil
}

// archiveApprove is POST /archive/requests/{id}/approve (field days).
func (s *server) archiveApprove(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.archiveDecision(w, r, p, func(id int64) error {
		days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("days")))
		if err != nil {
			return errs.Invalidf("days", "批准期限应为天数（1至%d）", archive.MaxDays)
		}
		return s.archiveSvc().Approve(r.Context(), p, id, days)
	}, "approved")
}

// archiveRefuse is POST /archive/requests/{id}/refuse (field reason).
func (s *server) archiveRefuse(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.archiveDecision(w, r, p, func(id int64) error {
		return s.archiveSvc().Refuse(r.Context(), p, id, r.PostFormValue("reason"))
	}, "refused")
}

type archiveRecordPage struct {
	Record    archiveRow
	Refused   string
	Opened    *archive.Opened
	Custodian bool
	Errors    []string
}

// archiveRecord is GET /archive/records/{id}: the content under a valid
// grant (the read is logged), else a refusal with a link to request.
func (s *server) archiveRecord(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	o, err := s.archiveSvc().Open(r.Context(), p, id)
	pg := archiveRecordPage{Record: archiveRow{o.Record, archive.TypeLabel(o.Record.Type)}, Custodian: archive.IsCustodian(p)}
	status := http.StatusOK
	switch {
	case errors.Is(err, archive.ErrNoGrant):
		pg.Refused, status = errs.As(err).Message, http.StatusForbidden
	case err != nil:
		return err
	default:
		pg.Opened = &o
	}
	s.render(w, r, p, status, "archive_record", o.Record.Title, []crumb{{"培训档案", "/archive"}, {o.Record.Title, ""}}, pg)
	return nil
}

type archiveReadsPage struct {
	Reads []store.ArchiveRead
}

// archiveReads is GET /archive/reads: the read log for the custodian and auditors.
func (s *server) archiveReads(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if !archive.CanSeeLog(p) {
		return errs.New(errs.Forbidden, "", "只有档案管理员和审计管理员可以查看查阅日志")
	}
	reads, err := s.a.DB.ArchiveReads(r.Context(), p.Scope(), 500)
	if err != nil {
		return err
	}
	s.render(w, r, p, http.StatusOK, "archive_reads", "档案查阅日志", []crumb{{"培训档案", "/archive"}, {"查阅日志", ""}},
		archiveReadsPage{Reads: reads})
	return nil
}

// archiveCatalogue is POST /archive/catalogue: the sync button.
func (s *server) archiveCatalogue(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if _, err := s.archiveSvc().Catalogue(r.Context(), p); err != nil {
		return err
	}
	s.redirect(w, r, "/archive?done=catalogued", "")
	return nil
}

// archiveSweep is POST /archive/sweep: the retention sweep.
func (s *server) archiveSweep(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if _, err := s.archiveSvc().Sweep(r.Context(), p, p.Region.County()); err != nil {
		return err
	}
	s.redirect(w, r, "/archive?done=swept", "")
	return nil
}

// archiveExport is GET /archive/export: the catalogue as Excel (audited).
func (s *server) archiveExport(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if !archive.IsCustodian(p) {
		return errs.New(errs.Forbidden, "", "只有档案管理员可以导出档案目录")
	}
	q := r.URL.Query()
	f := store.ArchiveFilter{Period: q.Get("period"), Type: q.Get("type")}
	rows, err := s.archiveSvc().List(r.Context(), p, f)
	if err != nil {
		return err
	}
	return s.sendXLSX(w, r, p, s.exportFile("培训档案目录"), "archive.export", describe("期间", f.Period, "类别", f.Type),
		sheet.Cols("档案编号", "类别", "分类", "期间", "题名", "版本", "编目时间"),
		sheet.Rows(rows, func(a store.ArchiveRecord) []any {
			return []any{a.ID, archive.TypeLabel(a.Type), archive.CategoryLabel(a.Type, a.Category), a.Period, a.Title, fmt.Sprintf("第%d版", a.Version), localTime(a.CreatedAt)}
		}))
}

// archiveCorrect is POST /archive/records/{id}/correct: the custodian's
// correction (fields field-<i>, cells cell-<row>-<col>, reason note) saved
// as the record's next version; the source and earlier versions stay.
func (s *server) archiveCorrect(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	svc := s.archiveSvc()
	c, err := svc.Current(r.Context(), p, id)
	if err != nil {
		return err
	}
	for i := range c.Fields {
		if v, ok := r.PostForm["field-"+strconv.Itoa(i)]; ok {
			c.Fields[i].Value = strings.TrimSpace(v[0])
		}
	}
	for i, row := range c.Rows {
		for j := range row {
			if v, ok := r.PostForm[fmt.Sprintf("cell-%d-%d", i, j)]; ok {
				row[j] = strings.TrimSpace(v[0])
			}
		}
	}
	if _, err := svc.Correct(r.Context(), p, id, c, r.PostFormValue("note")); err != nil {
		if errs.CodeOf(err) != errs.Invalid {
			return err
		}
		o, oerr := svc.Open(r.Context(), p, id)
		if oerr != nil {
			return oerr
		}
		pg := archiveRecordPage{Record: archiveRow{o.Record, archive.TypeLabel(o.Record.Type)}, Opened: &o, Custodian: true,
			Errors: []string{errs.As(err).Message}}
		s.render(w, r, p, http.StatusUnprocessableEntity, "archive_record", o.Record.Title,
			[]crumb{{"培训档案", "/archive"}, {o.Record.Title, ""}}, pg)
		return nil
	}
	s.redirect(w, r, "/archive/records/"+strconv.FormatInt(id, 10), "")
	return nil
}
