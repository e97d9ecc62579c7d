package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/mask"
	"dibao/internal/money"
	"dibao/internal/policy"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/store"
)

// The standard-change pages (issue 4 item 7): /standard lists the county's
// changes and takes a new urban and rural standard; POST stores a preview
// and shows it at /standard/{id}; the county approver confirms it there,
// the page starts the run in the background and shows its progress (polled
// from static/standard.js, a meta refresh without JavaScript) until the
// summary of the applied change.

// standardRuns tracks the runs started by the pages (tests wait for them).
var standardRuns sync.WaitGroup

// standardListMax bounds the household lists of a preview page.
const standardListMax = 200

// standardRoutes registers the pages of standard changes.
func (s *server) standardRoutes(mux *http.ServeMux) {
	mux.Handle("GET /standard", s.auth(s.standardIndex))
	mux.Handle("POST /standard", s.auth(s.standardPreview))
	mux.Handle("GET /standard/{id}", s.auth(s.standardPage))
	mux.Handle("GET /standard/{id}/progress", s.auth(s.standardProgress))
	mux.Handle("POST /standard/{id}/confirm", s.auth(s.standardConfirm))
	mux.Handle("POST /standard/{id}/cancel", s.auth(s.standardCancel))
}

type standardForm struct{ County, Urban, Rural, Effective string }

type standardRow struct {
	ID                          int64
	County, CountyName          string
	Urban, Rural, Effective     string
	Status, StatusLabel         string
	Recipients, Applied         int
	Increased, Decreased, Cross int
	Delta                       string
	CreatedBy, CreatedAt        string
}

type standardIndexPage struct {
	F                 standardForm
	Counties          []regionOption
	Current           string // the standards in force in the form's county
	Err               map[string]string
	Summary           []string
	Rows              []standardRow
	CountyName        string
	CanConfirm        bool
	ConfirmDenyReason string
}

func standardCounty(p authz.Principal) region.Code {
	if p.Region == "" {
		return ""
	}
	return p.Region.County()
}

func (s *server) standardRows(ctx context.Context, p authz.Principal, county region.Code) ([]standardRow, error) {
	list, err := s.a.Payments.StandardChanges(ctx, p, county)
	if err != nil {
		return nil, err
	}
	names, err := s.a.DB.RegionNames(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]standardRow, len(list))
	for i, c := range list {
		rows[i] = standardRow{ID: c.ID, County: string(c.County), CountyName: names[c.County], Urban: c.Urban.Yuan(),
			Rural: c.Rural.Yuan(), Effective: c.EffectiveMonth, Status: c.Status, StatusLabel: recipients.StatusLabel(c.Status),
			Recipients: c.Recipients, Applied: c.Applied, Increased: c.Increased, Decreased: c.Decreased, Cross: c.Crossing,
			Delta: signedYuan(c.Delta), CreatedBy: c.CreatedBy, CreatedAt: localTime(c.CreatedAt)}
	}
	return rows, nil
}

func signedYuan(f money.Fen) string {
	if f > 0 {
		return "+" + f.Yuan()
	}
	return f.Yuan()
}

func (s *server) renderStandardIndex(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, f standardForm, ferr error) error {
	ctx := r.Context()
	county := standardCounty(p)
	if county == "" {
		return errs.New(errs.Forbidden, "", "您的账号未设置所属区划，请联系安全管理员")
	}
	rows, err := s.standardRows(ctx, p, county)
	if err != nil {
		return err
	}
	pg := standardIndexPage{F: f, Rows: rows}
	if f.County == "" {
		pg.F.County = string(county)
	}
	regs, err := s.a.DB.Regions(ctx, p.Scope())
	if err != nil {
		return err
	}
	for _, rg := range regs {
		if rg.Level == region.County {
			pg.Counties = append(pg.Counties, regionOption{Code: string(rg.Code), Label: rg.Name,
				Selected: string(rg.Code) == pg.F.County})
			if rg.Code == county {
				pg.CountyName = rg.Name
			}
		}
	}
	if sp, err := policy.Standards(ctx, s.a.DB, county, s.a.DB.Now()); err == nil {
		pg.Current = fmt.Sprintf("城市 %s 元/人·月，农村 %s 元/人·月", sp.Urban.Yuan(), sp.Rural.Yuan())
	}
	if ferr != nil {
		pg.Err, pg.Summary = fieldErrors(ferr)
	}
	s.render(w, r, p, status, "standard_index", "标准调整", []crumb{{Label: "标准调整", Href: "/standard"}}, pg)
	return nil
}

func (s *server) standardIndex(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.renderStandardIndex(w, r, p, http.StatusOK, standardForm{}, nil)
}

func (s *server) standardPreview(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := standardForm{County: r.PostFormValue("county"), Urban: r.PostFormValue("urban"), Rural: r.PostFormValue("rural"),
		Effective: r.PostFormValue("effective")}
	in, err := recipients.ParseStandardInput(f.County, f.Urban, f.Rural, f.Effective)
	if err == nil {
		var sum recipients.StandardSummary
		sum, err = s.a.Payments.PreviewStandardChange(r.Context(), p, in.County, in.Urban, in.Rural, in.EffectiveMonth)
		if err == nil {
			s.redirect(w, r, "/standard/"+strconv.FormatInt(sum.ID, 10), "")
			return nil
		}
	}
	if c := errs.CodeOf(err); c != errs.Invalid && c != errs.Conflict {
		return err
	}
	return s.renderStandardIndex(w, r, p, statusOf(err, true), f, err)
}

type standardItemView struct {
	HouseholdID int64
	Name        string // masked
	Region      string
	Old, New    string
	Diff        string
	Outcome     string
}

type standardPageData struct {
	C           recipients.StandardSummary
	CountyName  string
	StatusLabel string
	Increases   itemTable
	Decreases   itemTable
	Crossing    itemTable
	Towns       []townRow
	Delta       string
	NewTotal    string
	CanConfirm  bool
	DenyReason  string
	Percent     int
	Error       string
}

type townRow struct {
	Code, Name                                 string
	Recipients, Increased, Decreased, Crossing int
	OldTotal, Delta                            string
}

// itemTable is one household list of the page, with its HTML id.
type itemTable struct {
	ID    string
	Items []standardItemView
	More  int // not listed
}

func itemViews(id string, items []store.StandardItem, names map[region.Code]string) itemTable {
	more := 0
	if len(items) > standardListMax {
		more = len(items) - standardListMax
		items = items[:standardListMax]
	}
	out := make([]standardItemView, len(items))
	for i, it := range items {
		out[i] = standardItemView{HouseholdID: it.HouseholdID, Name: mask.Name(it.HeadName), Region: names[it.Region],
			Old: it.OldAmount.Yuan(), New: it.NewAmount.Yuan(), Diff: signedYuan(it.NewAmount - it.OldAmount), Outcome: it.Outcome}
		if out[i].Region == "" {
			out[i].Region = string(it.Region)
		}
	}
	return itemTable{ID: id, Items: out, More: more}
}

func (s *server) renderStandardPage(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, id int64, msg string) error {
	ctx := r.Context()
	sum, err := s.a.Payments.StandardChange(ctx, p, id)
	if err != nil {
		return err
	}
	names, err := s.a.DB.RegionNames(ctx)
	if err != nil {
		return err
	}
	pg := standardPageData{C: sum, CountyName: names[sum.County], StatusLabel: recipients.StatusLabel(sum.Status),
		Delta: signedYuan(sum.Delta), NewTotal: (sum.OldTotal + sum.Delta).Yuan(), Error: msg}
	pg.Increases = itemViews("increase-table", sum.Increases, names)
	pg.Decreases = itemViews("decrease-table", sum.Decreases, names)
	pg.Crossing = itemViews("crossing-table", sum.Crossing, names)
	for _, t := range sum.Townships {
		pg.Towns = append(pg.Towns, townRow{Code: string(t.Code), Name: t.Name, Recipients: t.Recipients,
			Increased: t.Increased, Decreased: t.Decreased, Crossing: t.Crossing, OldTotal: t.OldTotal.Yuan(),
			Delta: signedYuan(t.Delta)})
	}
	if err := recipients.CanConfirmStandard(p); err != nil {
		pg.DenyReason = errs.As(err).Message
	} else {
		pg.CanConfirm = true
	}
	if sum.Recipients > 0 {
		pg.Percent = sum.Applied * 100 / sum.Recipients
	} else if sum.Status == store.StandardApplied {
		pg.Percent = 100
	}
	s.render(w, r, p, status, "standard_change", fmt.Sprintf("标准调整 #%d", sum.ID),
		[]crumb{{Label: "标准调整", Href: "/standard"}, {Label: fmt.Sprintf("#%d", sum.ID)}}, pg)
	return nil
}

func (s *server) standardPage(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.renderStandardPage(w, r, p, http.StatusOK, id, "")
}

func (s *server) standardProgress(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pr, err := s.a.Payments.StandardChangeProgress(r.Context(), p, id)
	if err != nil {
		e := errs.As(err)
		writeJSON(w, statusOf(err, false), map[string]any{"error": e.Message})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": pr.ID, "status": pr.Status, "status_label": recipients.StatusLabel(pr.Status),
		"done": pr.Done, "total": pr.Total})
	return nil
}

// startStandardRun applies a confirmed change in the background, detached
// from the request, so the page can show the progress.
func startStandardRun(a interface {
	RunStandardChange(context.Context, authz.Principal, int64, func(int, int)) (store.StandardChange, error)
}, ctx context.Context, p authz.Principal, id int64, logErr func(error)) {
	standardRuns.Add(1)
	go func() {
		defer standardRuns.Done()
		if _, err := a.RunStandardChange(context.WithoutCancel(ctx), p, id, nil); err != nil {
			logErr(err)
		}
	}()
}

func (s *server) standardConfirm(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if _, err := s.a.Payments.ConfirmStandardChange(r.Context(), p, id); err != nil {
		if c := errs.CodeOf(err); c == errs.Conflict || c == errs.Forbidden || c == errs.Invalid {
			return s.renderStandardPage(w, r, p, statusOf(err, true), id, errs.As(err).Message)
		}
		return err
	}
	startStandardRun(s.a.Payments, r.Context(), p, id, func(err error) {
		s.a.Log.Error("standard change run", "id", id, "err", err)
	})
	s.redirect(w, r, "/standard/"+strconv.FormatInt(id, 10), "")
	return nil
}

func (s *server) standardCancel(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.a.Payments.CancelStandardChange(r.Context(), p, id); err != nil {
		if c := errs.CodeOf(err); c == errs.Conflict || c == errs.Forbidden {
			return s.renderStandardPage(w, r, p, statusOf(err, true), id, errs.As(err).Message)
		}
		return err
	}
	s.redirect(w, r, "/standard/"+strconv.FormatInt(id, 10), "")
	return nil
}
