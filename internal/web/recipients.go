package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/mask"
	"dibao/internal/money"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/sheet"
	"dibao/internal/stats"
	"dibao/internal/store"
)

// recipientRoutes registers the pages of the recipient register and its timeline.
func (s *server) recipientRoutes(mux *http.ServeMux) {
	mux.Handle("GET /recipients", s.auth(s.recipientList))
	mux.Handle("GET /recipients/export", s.auth(s.recipientExport))
	mux.Handle("GET /recipients/{household}", s.auth(s.recipientDetail))
	s.exportRoutes(mux)
}

// recipientPageSize is the number of recipients per register page.
const recipientPageSize = 20

// recipientFilter is the register's filter as the user typed it.
type recipientFilter struct {
	Region   string // township or village code
	Category string
	Urban    string
	Min, Max string // yuan
	Status   string // "" (active), suspended, stopped, all
	DueBy    string // YYYY-MM-DD
	Errors   map[string]string
}

// Any reports whether any filter is set.
func (rf recipientFilter) Any() bool {
	return rf.Region != "" || rf.Category != "" || rf.Urban != "" || rf.Min != "" || rf.Max != "" || rf.Status != "" ||
		rf.DueBy != ""
}

func (rf recipientFilter) values() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"region": rf.Region, "category": rf.Category, "urban": rf.Urban,
		"min": rf.Min, "max": rf.Max, "status": rf.Status, "due_by": rf.DueBy} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}

func (rf recipientFilter) query(page int) string {
	v := rf.values()
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return "/recipients"
	}
	return "/recipients?" + v.Encode()
}

// ExportHref is the export link of exactly this filter.
func (rf recipientFilter) ExportHref() string {
	if v := rf.values(); len(v) > 0 {
		return "/recipients/export?" + v.Encode()
	}
	return "/recipients/export"
}

// registerRegion is a township (all its villages) or one village.
type registerRegion struct {
	Code, Label string
	Village     bool
}

var recipientStatuses = []struct{ Code, Label string }{
	{"", "正常发放"}, {"suspended", "暂停发放"}, {"stopped", "停保"}, {"all", "全部状态"},
}

// recipientFilterFrom reads and checks the filter; a bad value is reported
// in Errors (in Chinese) under its field and the list is not queried.
func recipientFilterFrom(q url.Values, allowed map[string]bool, cats map[string]string) (recipientFilter, store.RegisterFilter) {
	get := func(k string, n int) string {
		v := strings.TrimSpace(q.Get(k))
		if len(v) > n {
			v = v[:n]
		}
		return v
	}
	rf := recipientFilter{Region: get("region", 12), Category: get("category", 8), Urban: get("urban", 5),
		Min: get("min", 20), Max: get("max", 20), Status: get("status", 10), DueBy: get("due_by", 10), Errors: map[string]string{}}
	var f store.RegisterFilter
	if rf.Region != "" {
		if !allowed[rf.Region] {
			rf.Errors["region"] = "所选地区无效或不在您的管辖范围内"
		} else {
			f.Region = region.Code(rf.Region)
		}
	}
	if rf.Category != "" {
		if _, ok := cats[rf.Category]; !ok {
			rf.Errors["category"] = "保障类别无效"
		}
		f.Category = rf.Category
	}
	if rf.Urban != "urban" && rf.Urban != "rural" {
		rf.Urban = ""
	}
	f.Urban = rf.Urban
	switch rf.Status {
	case "active":
		rf.Status = ""
	case "", "suspended", "stopped", "all":
	default:
		rf.Errors["status"] = "状态无效"
	}
	f.Status = rf.Status
	for _, x := range []struct {
		in, field, label string
		dst              *money.Fen
	}{{rf.Min, "min", "最低月保障金", &f.MinAmount}, {rf.Max, "max", "最高月保障金", &f.MaxAmount}} {
		if x.in == "" {
			continue
		}
		v, err := money.Parse(x.in)
		if err != nil {
			rf.Errors[x.field] = x.label + "格式不正确：请填写金额（元），如 350 或 350.50"
			continue
		}
		*x.dst = v
	}
	if f.MinAmount > 0 && f.MaxAmount > 0 && f.MinAmount > f.MaxAmount {
		rf.Errors["max"] = "最高月保障金不能低于最低月保障金"
	}
	if rf.DueBy != "" {
		if _, err := time.Parse(time.DateOnly, rf.DueBy); err != nil {
			rf.Errors["due_by"] = "复核到期日期格式应为 年-月-日，如 2026-12-31"
		} else {
			f.ReviewDueBy = rf.DueBy
		}
	}
	return rf, f
}

type recipientRow struct {
	ID         int64
	Head       string // masked
	Village    string
	Category   string
	Urban      string
	Members    int
	Amount     string
	Since      string
	LastReview string
	ReviewDue  string
	DueOverdue bool
	Status     string
	StatusTone string
}

type recipientListPage struct {
	Filter     recipientFilter
	Regions    []registerRegion
	Categories []struct{ Code, Label string }
	Statuses   []struct{ Code, Label string }
	Rows       []recipientRow
	Total      int
	Page       int
	Pages      int
	Links      []pageLink
	Prev, Next string
	Invalid    bool
	Summary    []string
}

func statusTone(s string) string {
	switch s {
	case "active":
		return "green"
	case "suspended":
		return "amber"
	}
	return "grey"
}

func categoryName(cats map[string]string, c string) string {
	if l := cats[c]; l != "" {
		return l
	}
	return c
}

// registerOptions lists the townships and villages within scope as filter
// choices and the set of codes a filter may name.
func (s *server) registerOptions(r *http.Request, p authz.Principal) (regionChoices, []registerRegion, map[string]bool, error) {
	rc, err := s.regionChoices(r.Context(), p)
	if err != nil {
		return rc, nil, nil, err
	}
	var opts []registerRegion
	allowed := map[string]bool{}
	for _, g := range rc.Groups {
		if len(g.Villages) == 0 {
			continue
		}
		town := region.Code(g.Villages[0].Code).Parent()
		if town.Level() == region.Township && p.Scope().Contains(town) {
			opts = append(opts, registerRegion{Code: string(town), Label: g.Township + "（全部）"})
			allowed[string(town)] = true
		}
		for _, v := range g.Villages {
			opts = append(opts, registerRegion{Code: v.Code, Label: v.Name, Village: true})
			allowed[v.Code] = true
		}
	}
	return rc, opts, allowed, nil
}

func (s *server) recipientList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := p.Require(authz.HouseholdView); err != nil {
		return err
	}
	rc, opts, allowed, err := s.registerOptions(r, p)
	if err != nil {
		return err
	}
	cats := stats.CategoryLabels()
	rf, f := recipientFilterFrom(r.URL.Query(), allowed, cats)
	pg := recipientListPage{Filter: rf, Regions: opts, Statuses: recipientStatuses}
	for _, c := range sortedKeys(cats) {
		pg.Categories = append(pg.Categories, struct{ Code, Label string }{c, cats[c]})
	}
	pg.Page, _ = strconv.Atoi(r.URL.Query().Get("page"))
	pg.Page = max(pg.Page, 1)
	status := http.StatusOK
	if len(rf.Errors) > 0 {
		pg.Invalid = true
		for _, k := range []string{"region", "category", "min", "max", "status", "due_by"} {
			if m := rf.Errors[k]; m != "" {
				pg.Summary = append(pg.Summary, m)
			}
		}
		status = http.StatusUnprocessableEntity
	} else {
		f.Limit, f.Offset = recipientPageSize, (pg.Page-1)*recipientPageSize
		rows, total, err := s.a.Payments.RegisterPage(r.Context(), p, f)
		if err != nil {
			return err
		}
		pg.Total = total
		today := calendar.DayOf(s.a.DB.Now()).Format(time.DateOnly)
		for _, e := range rows {
			pg.Rows = append(pg.Rows, recipientRowOf(e, rc.Names, cats, today))
		}
		pg.Pages = (total + recipientPageSize - 1) / recipientPageSize
		pg.Links, pg.Prev, pg.Next = pagination(rf, pg.Page, pg.Pages)
	}
	s.render(w, r, p, status, "recipient_list", "保障对象",
		[]crumb{{Label: "保障对象", Href: "/recipients"}, {Label: "保障对象名册"}}, pg)
	return nil
}

func recipientRowOf(e store.RegisterEntry, names map[region.Code]string, cats map[string]string, today string) recipientRow {
	return recipientRow{ID: e.HouseholdID, Head: mask.Name(e.HeadName), Village: villageName(names, e.Region),
		Category: categoryName(cats, e.Category), Urban: urbanLabel(e.Urban), Members: e.Members, Amount: e.Amount.Yuan(),
		Since: e.StartMonth, LastReview: e.LastReview, ReviewDue: e.ReviewDue, DueOverdue: e.ReviewDue != "" && e.ReviewDue < today,
		Status: roster.Status(e.Status).Label(), StatusTone: statusTone(e.Status)}
}

func (s *server) recipientExport(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := p.Require(authz.HouseholdView); err != nil {
		return err
	}
	rc, _, allowed, err := s.registerOptions(r, p)
	if err != nil {
		return err
	}
	cats := stats.CategoryLabels()
	rf, f := recipientFilterFrom(r.URL.Query(), allowed, cats)
	for _, k := range []string{"region", "category", "min", "max", "status", "due_by"} {
		if m := rf.Errors[k]; m != "" {
			return errs.Invalidf(k, "%s", m)
		}
	}
	var all []store.RegisterEntry
	if err := s.a.Payments.RegisterEach(r.Context(), p, f, func(e store.RegisterEntry) error {
		if len(all) >= sheet.MaxRows {
			return errs.Invalidf("", "导出行数超过 Excel 上限（%d 行），请缩小筛选范围", sheet.MaxRows)
		}
		all = append(all, e)
		return nil
	}); err != nil {
		return err
	}
	cols := []sheet.Column{{Title: "户编号", Width: 8}, {Title: "户主（脱敏）", Width: 10}, {Title: "村（社区）", Width: 26},
		{Title: "保障类别", Width: 14}, {Title: "城乡", Width: 6}, {Title: "保障人数", Width: 8}, {Title: "月保障金（元）", Width: 12},
		{Title: "起始月份", Width: 10}, {Title: "上次复核", Width: 12}, {Title: "复核到期", Width: 12}, {Title: "状态", Width: 10}}
	return s.sendXLSX(w, r, p, s.exportFile("保障对象名册"), "recipients.export",
		describe("地区", rc.Names[region.Code(rf.Region)], "类别", rf.Category, "城乡", rf.Urban, "最低金额", rf.Min,
			"最高金额", rf.Max, "状态", rf.Status, "复核到期", rf.DueBy), cols,
		sheet.Rows(all, func(e store.RegisterEntry) []any {
			return []any{e.HouseholdID, mask.Name(e.HeadName), villageName(rc.Names, e.Region), categoryName(cats, e.Category),
				urbanLabel(e.Urban), e.Members, e.Amount, e.StartMonth, e.LastReview, e.ReviewDue, roster.Status(e.Status).Label()}
		}))
}

// historyKinds labels the recipient history and gives each its tone.
var historyKinds = map[string]struct{ Label, Tone string }{
	recipients.KindEnrolled:       {"纳入保障", "green"},
	recipients.KindReview:         {"复核（待遇不变）", "blue"},
	recipients.KindIncrease:       {"增发", "green"},
	recipients.KindDecrease:       {"减发", "amber"},
	recipients.KindCategoryChange: {"类别调整", "blue"},
	recipients.KindPhaseOut:       {"渐退", "amber"},
	recipients.KindStop:           {"停发", "red"},
}

type historyView struct {
	ID        int64
	Kind      string
	Label     string
	Tone      string
	At        string
	Actor     string
	Old, New  string
	Changed   bool
	Effective string
	Reason    string
	CaseID    int64
	TaskID    int64
}

type recipientDetailPage struct {
	ID         int64
	Head       string // masked
	Village    string
	Category   string
	Urban      string
	Members    int
	Amount     string
	StartMonth string
	EndMonth   string
	Status     string
	StatusTone string
	LastReview string
	ReviewDue  string
	PhaseOut   string
	Relative   bool
	CaseID     int64
	Known      bool
	Benefit    benefitView
	Timeline   []historyView
}

func (s *server) recipientDetail(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := strconv.ParseInt(r.PathValue("household"), 10, 64)
	if err != nil || id <= 0 {
		return errs.New(errs.NotFound, "", "保障对象不存在或不在您的管辖范围内")
	}
	d, err := s.a.Payments.Recipient(r.Context(), p, id)
	if err != nil {
		return err
	}
	names, err := s.a.DB.RegionNames(r.Context())
	if err != nil {
		return err
	}
	cats := stats.CategoryLabels()
	pg := recipientDetailPage{ID: d.HouseholdID, Head: mask.Name(d.HeadName), Village: villageName(names, d.Region),
		Category: categoryName(cats, d.Category), Urban: urbanLabel(d.Urban), Members: d.Members, Amount: d.Amount.Yuan(),
		StartMonth: d.StartMonth, EndMonth: d.EndMonth, Status: roster.Status(d.Status).Label(), StatusTone: statusTone(d.Status),
		LastReview: d.LastReview, ReviewDue: d.ReviewDue, Relative: d.RelativeFlag, CaseID: d.CaseID, Known: d.Known,
		Benefit: benefitOf(d.Result)}
	if d.PhaseOutFrom != "" && d.PhaseOutMonths > 0 {
		pg.PhaseOut = d.PhaseOutFrom + " 起 " + strconv.Itoa(d.PhaseOutMonths) + " 个月"
		if d.PhaseOutTaper {
			pg.PhaseOut += "（逐月递减）"
		} else {
			pg.PhaseOut += "（全额发放）"
		}
	}
	pg.Timeline = timelineOf(d.History)
	s.render(w, r, p, http.StatusOK, "recipient_detail", pg.Head+" 户保障详情",
		[]crumb{{Label: "保障对象", Href: "/recipients"}, {Label: pg.Head + " 户"}}, pg)
	return nil
}

// timelineOf lays the history out oldest first, as it happened.
func timelineOf(hs []store.HistoryEntry) []historyView {
	out := make([]historyView, 0, len(hs))
	for _, h := range hs {
		k, ok := historyKinds[h.Kind]
		if !ok {
			k.Label, k.Tone = h.Kind, "grey"
		}
		out = append(out, historyView{ID: h.ID, Kind: h.Kind, Label: k.Label, Tone: k.Tone, At: localTime(h.At), Actor: h.Actor,
			Old: h.OldAmount.Yuan(), New: h.NewAmount.Yuan(), Changed: h.OldAmount != h.NewAmount || h.Kind == recipients.KindEnrolled,
			Effective: h.EffectiveMonth, Reason: h.Reason, CaseID: h.CaseID, TaskID: h.TaskID})
	}
	return out
}
