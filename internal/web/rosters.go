package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"dibao/internal/attach"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/mask"
	"dibao/internal/money"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/sheet"
	"dibao/internal/store"
)

// The monthly payment roster pages (issue 4 item 6): the county's months
// with the build form, and one roster with its difference from last month,
// its rows, approval, the Excel and bank exports and the bank's result file.

// rosterRoutes registers the pages of monthly payment rosters.
func (s *server) rosterRoutes(mux *http.ServeMux) {
	mux.Handle("GET /rosters", s.auth(s.rosterList))
	mux.Handle("POST /rosters", s.auth(s.rosterBuild))
	mux.Handle("GET /rosters/{id}", s.auth(s.rosterDetail))
	mux.Handle("POST /rosters/{id}/approve", s.auth(s.rosterApprove))
	mux.Handle("GET /rosters/{id}/export.xlsx", s.auth(s.rosterExportXLSX))
	mux.Handle("GET /rosters/{id}/bank.csv", s.auth(s.rosterExportBank))
	mux.Handle("GET /rosters/{id}/repay.csv", s.auth(s.rosterExportRepay))
	mux.Handle("POST /rosters/{id}/bank-result", s.auth(s.rosterBankResult))
}

// rosterRowsPerPage is the number of households per page of a roster.
const rosterRowsPerPage = 50

func rosterTone(status string) string {
	if status == "approved" {
		return "green"
	}
	return "amber"
}

// ---- the list of months ----

type rosterMonthRow struct {
	ID            int64
	Month         string
	Status        string
	Tone          string
	Households    int
	Total         string
	Paid, Failed  int
	Href          string
	Approved      bool
	BuiltAt       string
	ApprovedByAt  string
	CurrentChoice bool // the month chosen in the form
}

type rosterListPage struct {
	Counties   []regionOption
	County     string
	CountyName string
	Month      string
	CanBuild   bool
	Err        map[string]string
	Summary    []string
	Months     []rosterMonthRow
}

// nextMonth is the month after today's (store clock).
func (s *server) nextMonth() string {
	t := s.a.DB.Now().In(cst)
	return roster.MonthOf(t.Year(), t.Month()).Next().String()
}

func (s *server) rosterList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q := r.URL.Query()
	return s.renderRosterList(w, r, p, http.StatusOK, q.Get("county"), q.Get("month"), nil)
}

func (s *server) rosterBuild(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	cs, month := strings.TrimSpace(r.PostFormValue("county")), strings.TrimSpace(r.PostFormValue("month"))
	county, err := region.Parse(cs)
	if err != nil {
		err = errs.Invalidf("county", "请选择县（市、区）")
	}
	var ro store.Roster
	if err == nil {
		ro, err = s.a.Payments.BuildRoster(r.Context(), p, county, month)
	}
	if err != nil {
		if !rosterPageFailure(err) {
			return err
		}
		return s.renderRosterList(w, r, p, statusOf(err, true), cs, month, err)
	}
	http.Redirect(w, r, "/rosters/"+strconv.FormatInt(ro.ID, 10)+"?built=1", http.StatusSeeOther)
	return nil
}

// rosterPageFailure reports whether err is shown on the page (bad input or
// a conflict) rather than as an error page.
func rosterPageFailure(err error) bool {
	c := errs.CodeOf(err)
	return c == errs.Invalid || c == errs.Conflict
}

func (s *server) renderRosterList(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, cs, month string,
	ferr error) error {
	if !countyOffice(p) {
		return errs.New(errs.Forbidden, "", "只有县级业务管理员或审批人可以查看发放名册")
	}
	regs, err := s.a.DB.Regions(r.Context(), p.Scope())
	if err != nil {
		return err
	}
	pg := rosterListPage{County: cs, Month: month, CanBuild: true}
	if pg.County == "" {
		pg.County = string(p.Region.County())
	}
	if pg.Month == "" {
		pg.Month = s.nextMonth()
	}
	for _, x := range regs {
		if x.Level == region.County {
			pg.Counties = append(pg.Counties, regionOption{Code: string(x.Code), Label: x.Name, Selected: string(x.Code) == pg.County})
			if string(x.Code) == pg.County {
				pg.CountyName = x.Name
			}
		}
	}
	if ferr != nil {
		pg.Err, pg.Summary = fieldErrors(ferr)
	}
	county, perr := region.Parse(pg.County)
	if perr == nil && county.Level() == region.County && pg.CountyName != "" {
		xs, err := s.a.Payments.Rosters(r.Context(), p, county, "")
		if err != nil {
			return err
		}
		for _, x := range xs {
			row := rosterMonthRow{ID: x.ID, Month: x.Month, Status: recipients.RosterStatusLabel(x.Status), Tone: rosterTone(x.Status),
				Households: x.Rows, Total: x.Total.Yuan(), Paid: x.Paid, Failed: x.Failed, Approved: x.Status == "approved",
				Href: "/rosters/" + strconv.FormatInt(x.ID, 10), BuiltAt: localTime(x.BuiltAt), CurrentChoice: x.Month == pg.Month}
			if row.Approved {
				row.ApprovedByAt = x.ApprovedBy + " " + localTime(x.ApprovedAt)
			}
			pg.Months = append(pg.Months, row)
		}
	} else if ferr == nil {
		pg.Summary = append(pg.Summary, "所选县（市、区）无效或不在您的管辖范围内")
		status = http.StatusBadRequest
	}
	s.render(w, r, p, status, "roster_list", "发放名册", []crumb{{Label: "发放名册", Href: "/rosters"}, {Label: "月度名册"}}, pg)
	return nil
}

// ---- one roster ----

type rosterRowView struct {
	Seq      int
	Township string
	Village  string
	Head     string
	Members  int
	Urban    string
	Amount   string
	Note     string
	Status   string
	Tone     string
	Reason   string
}

type rosterChangeView struct {
	Head    string
	Village string
	Old     string
	New     string
	Delta   string
	Kind    string
}

type rosterDiffView struct {
	HasPrev                    bool
	PrevMonth                  string
	PrevHref                   string
	Added, Removed, Changed    []rosterChangeView
	Unchanged                  int
	OldTotal, NewTotal, Delta  string
	AddedN, RemovedN, ChangedN int
}

type rosterImportView struct {
	When, Who, File, Hash string
	Paid, Failed          int
}

type rosterDetailPage struct {
	ID          int64
	CountyName  string
	Month       string
	Status      string
	Tone        string
	Approved    bool
	Households  int
	Members     int
	Total       string
	BuiltAt     string
	ApprovedBy  string
	ApprovedAt  string
	Paid        int
	Failed      int
	Pending     int
	CanApprove  bool
	CanBank     bool
	CanUpload   bool
	Revealed    bool
	Notice      string
	Summary     []string
	UploadError bool
	XLSXHref    string
	BankHref    string
	RepayHref   string
	Diff        rosterDiffView
	Rows        []rosterRowView
	FailedRows  []rosterRowView
	Imports     []rosterImportView
	Page, Pages int
	Links       []pageLink
	Prev, Next  string
}

func (s *server) rosterDetail(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	notice := ""
	q := r.URL.Query()
	switch {
	case q.Get("built") != "":
		notice = "发放名册已生成。请核对与上月的差异后提交审批。"
	case q.Get("approved") != "":
		notice = "发放名册已审批锁定，可以导出银行代发文件。"
	case q.Get("imported") == "repeat":
		notice = "该回盘文件此前已导入，本次未作任何更改。"
	case q.Get("imported") != "":
		notice = "银行回盘文件已导入。"
	}
	page, _ := strconv.Atoi(q.Get("page"))
	return s.renderRoster(w, r, p, http.StatusOK, id, page, notice, nil, false)
}

func (s *server) renderRoster(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, id int64, page int,
	notice string, ferr error, upload bool) error {
	ctx := r.Context()
	d, err := s.a.Payments.Detail(ctx, p, id)
	if err != nil {
		return err
	}
	diff, err := s.a.Payments.Diff(ctx, p, id)
	if err != nil {
		return err
	}
	names, err := s.a.DB.RegionNames(ctx)
	if err != nil {
		return err
	}
	reveal := p.Can(authz.SensitiveReveal)
	head := func(n string) string {
		if reveal {
			return n
		}
		return mask.Name(n)
	}
	approved := d.Status == "approved"
	pg := rosterDetailPage{ID: d.ID, CountyName: names[d.County], Month: d.Month, Status: recipients.RosterStatusLabel(d.Status),
		Tone: rosterTone(d.Status), Approved: approved, Households: d.Roster.Rows, Total: d.Total.Yuan(),
		BuiltAt: localTime(d.BuiltAt), ApprovedBy: d.ApprovedBy, ApprovedAt: localTime(d.ApprovedAt),
		Paid: d.Paid(), Failed: d.Failed(), Revealed: reveal, Notice: notice, UploadError: upload,
		CanApprove: !approved && p.Has(authz.CountyApprover),
		CanBank:    approved && p.Has(authz.CountyApprover) && p.Can(authz.SensitiveReveal),
		CanUpload:  approved && p.Has(authz.CountyApprover),
		XLSXHref:   fmt.Sprintf("/rosters/%d/export.xlsx", d.ID), BankHref: fmt.Sprintf("/rosters/%d/bank.csv", d.ID),
		RepayHref: fmt.Sprintf("/rosters/%d/repay.csv", d.ID)}
	pg.Pending = len(d.Rows) - pg.Paid - pg.Failed
	if ferr != nil {
		_, pg.Summary = fieldErrors(ferr)
	}
	view := func(i int, x store.RosterRowDetail) rosterRowView {
		v := rosterRowView{Seq: i + 1, Township: names[x.Region.Township()], Village: names[x.Region], Head: head(x.HeadName),
			Members: x.Members, Urban: recipients.UrbanLabel(x.Urban), Amount: x.Amount.Yuan(), Note: x.Note,
			Status: recipients.PayStatusLabel(d.Status, x.PayStatus), Reason: x.PayNote}
		switch x.PayStatus {
		case recipients.PayPaid:
			v.Tone = "green"
		case recipients.PayFailed:
			v.Tone = "red"
		default:
			v.Tone = "grey"
		}
		return v
	}
	for i, x := range d.Rows {
		pg.Members += x.Members
		if x.PayStatus == recipients.PayFailed {
			pg.FailedRows = append(pg.FailedRows, view(i, x))
		}
	}
	pg.Pages = (len(d.Rows) + rosterRowsPerPage - 1) / rosterRowsPerPage
	if page < 1 {
		page = 1
	}
	if pg.Pages > 0 && page > pg.Pages {
		page = pg.Pages
	}
	pg.Page = page
	lo := (page - 1) * rosterRowsPerPage
	for i := lo; i < len(d.Rows) && i < lo+rosterRowsPerPage; i++ {
		pg.Rows = append(pg.Rows, view(i, d.Rows[i]))
	}
	pg.Links, pg.Prev, pg.Next = rosterPager(d.ID, page, pg.Pages)
	for _, im := range d.Imports {
		pg.Imports = append(pg.Imports, rosterImportView{When: localTime(im.ImportedAt), Who: im.ImportedBy, File: im.FileName,
			Hash: im.SHA256[:16], Paid: im.Paid, Failed: im.Failed})
	}
	pg.Diff = diffView(diff, names, head)
	s.render(w, r, p, status, "roster_detail", d.Month+" 发放名册",
		[]crumb{{Label: "发放名册", Href: "/rosters?county=" + url.QueryEscape(string(d.County))}, {Label: d.Month}}, pg)
	return nil
}

func diffView(d recipients.RosterDiff, names map[region.Code]string, head func(string) string) rosterDiffView {
	c := d.Changes
	v := rosterDiffView{HasPrev: d.HasPrev, Unchanged: c.Unchanged, OldTotal: c.OldTotal.Yuan(), NewTotal: c.NewTotal.Yuan(),
		Delta: signed(c.Delta), AddedN: c.Added, RemovedN: c.Removed, ChangedN: c.Increased + c.Decreased}
	if d.HasPrev {
		v.PrevMonth, v.PrevHref = d.Previous.Month, "/rosters/"+strconv.FormatInt(d.Previous.ID, 10)
	}
	for _, x := range c.Items {
		cv := rosterChangeView{Head: head(d.Names[x.HouseholdID]), Village: names[x.Region.Township()] + " / " + names[x.Region],
			Old: x.Old.Yuan(), New: x.New.Yuan(), Delta: signed(x.Delta), Kind: x.Kind.Label()}
		switch x.Kind {
		case roster.Added:
			v.Added = append(v.Added, cv)
		case roster.Removed:
			v.Removed = append(v.Removed, cv)
		default:
			v.Changed = append(v.Changed, cv)
		}
	}
	return v
}

// signed shows a difference with its sign: +120.00, −80.00, 0.00.
func signed(f money.Fen) string {
	switch {
	case f > 0:
		return "+" + f.Yuan()
	case f < 0:
		return "−" + (-f).Yuan()
	}
	return f.Yuan()
}

func rosterPager(id int64, page, pages int) (links []pageLink, prev, next string) {
	if pages <= 1 {
		return nil, "", ""
	}
	href := func(i int) string { return fmt.Sprintf("/rosters/%d?page=%d#rows", id, i) }
	last := 0
	for i := 1; i <= pages; i++ {
		if i != 1 && i != pages && (i < page-2 || i > page+2) {
			continue
		}
		if last != 0 && i != last+1 {
			links = append(links, pageLink{Label: "…", Gap: true})
		}
		links = append(links, pageLink{Label: strconv.Itoa(i), Href: href(i), Current: i == page})
		last = i
	}
	if page > 1 {
		prev = href(page - 1)
	}
	if page < pages {
		next = href(page + 1)
	}
	return links, prev, next
}

func (s *server) rosterApprove(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.a.Payments.ApproveRoster(r.Context(), p, id); err != nil {
		if !rosterPageFailure(err) {
			return err
		}
		return s.renderRoster(w, r, p, statusOf(err, true), id, 1, "", err, false)
	}
	http.Redirect(w, r, fmt.Sprintf("/rosters/%d?approved=1", id), http.StatusSeeOther)
	return nil
}

func (s *server) rosterExportXLSX(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	name, err := s.a.Payments.RosterXLSX(r.Context(), p, id, &buf)
	if err != nil {
		return err
	}
	return attach.Send(w, sheet.ContentType, name, fmt.Sprintf("roster-%d.xlsx", id), buf.Bytes())
}

func (s *server) rosterExportBank(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.rosterBankFile(w, r, p, s.a.Payments.BankCSV)
}

func (s *server) rosterExportRepay(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.rosterBankFile(w, r, p, s.a.Payments.RepaymentCSV)
}

func (s *server) rosterBankFile(w http.ResponseWriter, r *http.Request, p authz.Principal,
	export func(context.Context, authz.Principal, int64, io.Writer) (string, error)) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	name, err := export(r.Context(), p, id, &buf)
	if err != nil {
		if !rosterPageFailure(err) {
			return err
		}
		return s.renderRoster(w, r, p, statusOf(err, true), id, 1, "", err, false)
	}
	return attach.Send(w, "text/csv", name, fmt.Sprintf("roster-%d.csv", id), buf.Bytes())
}

func (s *server) rosterBankResult(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, recipients.MaxBankResult+1<<20)
	err = r.ParseMultipartForm(1 << 20)
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	var res recipients.BankImportResult
	if err == nil {
		res, err = s.importBankFile(r, p, id)
	} else {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = errs.Invalidf("file", "文件过大：银行回盘文件不能超过 %d MB", recipients.MaxBankResult>>20)
		} else {
			err = errs.Invalidf("file", "上传内容无效，请重新选择文件后上传")
		}
	}
	if err != nil {
		if !rosterPageFailure(err) {
			return err
		}
		return s.renderRoster(w, r, p, statusOf(err, true), id, 1, "", err, true)
	}
	flag := "1"
	if res.Repeated {
		flag = "repeat"
	}
	http.Redirect(w, r, fmt.Sprintf("/rosters/%d?imported=%s#payments", id, flag), http.StatusSeeOther)
	return nil
}

func (s *server) importBankFile(r *http.Request, p authz.Principal, id int64) (recipients.BankImportResult, error) {
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return recipients.BankImportResult{}, errs.Invalidf("file", "请选择银行回盘文件")
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, recipients.MaxBankResult+1))
	if err != nil {
		return recipients.BankImportResult{}, errs.Invalidf("file", "读取上传文件失败，请重试")
	}
	return s.a.Payments.ImportBankResult(r.Context(), p, id, hdr.Filename, data)
}
