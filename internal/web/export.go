package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"dibao/internal/attach"
	"dibao/internal/auditlog"
	"dibao/internal/authz"
	"dibao/internal/casework"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/region"
	"dibao/internal/sheet"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// Excel export of the list pages (issue 4): each list has an 导出Excel link
// carrying exactly its filter; the export is built completely, audited as
// an export with its row count, and only then sent. Sensitive fields are
// masked as on the page.

// exportRoutes registers the exports of the existing list pages.
func (s *server) exportRoutes(mux *http.ServeMux) {
	mux.Handle("GET /households/export", s.auth(s.householdExport))
	mux.Handle("GET /cases/export", s.auth(s.caseExport))
	mux.Handle("GET /audit/export", s.auth(s.auditExport))
}

// exportFile names an export after what it holds and the day it was made.
func (s *server) exportFile(what string) string {
	return what + "-" + s.a.DB.Now().In(cst).Format("20060102") + ".xlsx"
}

// sendXLSX builds the sheet, records the export (action, with the sheet
// name, filter and row count) in the audit log, then sends the workbook as
// an attachment that no cache keeps. Nothing is sent if the audit fails.
func (s *server) sendXLSX(w http.ResponseWriter, r *http.Request, p authz.Principal, filename, action, filter string,
	cols []sheet.Column, next func() ([]any, bool)) error {
	return s.sendSheet(w, r, p, filename, action, filter, cols, next, nil)
}

// sendSheet is sendXLSX for a row source that can fail part-way: check
// (if not nil) reports such a failure once the rows are written, and then
// nothing is audited or sent.
func (s *server) sendSheet(w http.ResponseWriter, r *http.Request, p authz.Principal, filename, action, filter string,
	cols []sheet.Column, next func() ([]any, bool), check func() error) error {
	var buf bytes.Buffer
	name := strings.TrimSuffix(filename, ".xlsx")
	if i := strings.LastIndex(name, "-"); i > 0 {
		name = name[:i]
	}
	n, err := sheet.Write(&buf, name, cols, next)
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(); err != nil {
			return err
		}
	}
	detail := fmt.Sprintf("导出%s：%d行", name, n)
	if filter != "" {
		detail += "；筛选条件：" + filter
	}
	err = s.a.DB.InTx(r.Context(), p, func(tx *store.Tx) error {
		return tx.Audit(r.Context(), store.Entry{Action: action, Object: "export:" + name, Detail: detail})
	})
	if err != nil {
		return err
	}
	_ = attach.Send(w, sheet.ContentType, filename, "", buf.Bytes())
	return nil
}

// describe lists the non-empty filter values as "label=value" for the audit.
func describe(pairs ...string) string {
	var out []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			out = append(out, pairs[i]+"="+pairs[i+1])
		}
	}
	return strings.Join(out, "，")
}

// ExportHref is the export link of the household list's filter. A search
// by ID number is never exported: the number would travel in the URL.
func (lf listFilter) ExportHref() string {
	if lf.IDShown != "" || lf.IDError != "" {
		return ""
	}
	q := lf.query(1)
	return "/households/export" + strings.TrimPrefix(q, "/households")
}

func (s *server) householdExport(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	lf, f := filterFrom(r.URL.Query())
	if lf.Error != "" {
		return errs.Invalidf("region_code", "%s", lf.Error)
	}
	names, err := s.a.DB.RegionNames(r.Context())
	if err != nil {
		return err
	}
	// The store pages households at most 200 at a time: walk every page.
	f.PageSize = 200
	var all []store.HouseholdRow
	for f.Page = 1; ; f.Page++ {
		rows, total, err := s.a.Registry.List(r.Context(), p, f)
		if err != nil {
			return err
		}
		all = append(all, rows...)
		if len(rows) == 0 || len(all) >= total || len(all) >= sheet.MaxRows {
			break
		}
	}
	cols := []sheet.Column{{Title: "档案编号", Width: 10}, {Title: "户主", Width: 10}, {Title: "身份证号（脱敏）", Width: 22},
		{Title: "人口", Width: 6}, {Title: "村（社区）", Width: 26}, {Title: "城乡", Width: 6}, {Title: "更新时间", Width: 18}}
	return s.sendXLSX(w, r, p, s.exportFile("家庭档案"), "households.export",
		describe("村（社区）", lf.Region, "户主姓名", lf.Name, "城乡", lf.Urban), cols,
		sheet.Rows(all, func(x store.HouseholdRow) []any {
			return []any{x.ID, x.HeadName, x.HeadID.Mask(), x.Size, villageName(names, x.Region), urbanLabel(x.Urban),
				localTime(x.UpdatedAt)}
		}))
}

// caseExportLimit bounds a case export (the store's largest page).
const caseExportLimit = 1000

// ExportHref is the export link of the case list's filter.
func (pg casesPage) ExportHref() string {
	v := url.Values{}
	if pg.State != "" {
		v.Set("state", pg.State)
	}
	if pg.Open != "" {
		v.Set("open", pg.Open)
	}
	if len(v) == 0 {
		return "/cases/export"
	}
	return "/cases/export?" + v.Encode()
}

func (s *server) caseExport(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q := r.URL.Query()
	state, open := q.Get("state"), q.Get("open")
	if open != "open" && open != "closed" {
		open = ""
	}
	f := store.CaseFilter{Open: open, Limit: caseExportLimit}
	states := allStates()
	if state != "" {
		if household.LabelOf(states, state) == state {
			state = "" // unknown state: as the page, everything
		} else {
			f.States = []string{state}
		}
	}
	cases, err := s.a.Cases.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	if len(cases) >= caseExportLimit {
		// The store's largest page: refuse rather than export part of the list.
		return errs.Invalidf("", "符合条件的申请达到 %d 件以上，请按环节或办理状态缩小范围后再导出", caseExportLimit)
	}
	names, err := s.a.DB.RegionNames(r.Context())
	if err != nil {
		return err
	}
	defs := map[string]workflow.Definition{}
	for _, d := range workflow.Profiles() {
		defs[d.Name] = d
	}
	today := s.caseDay()
	cols := []sheet.Column{{Title: "案件编号", Width: 20}, {Title: "户主", Width: 10}, {Title: "村（社区）", Width: 26},
		{Title: "当前环节", Width: 16}, {Title: "环节期限", Width: 12}, {Title: "总期限", Width: 12}, {Title: "是否超期", Width: 8},
		{Title: "月保障金（元）", Width: 12}, {Title: "近亲属备案", Width: 10}, {Title: "更新时间", Width: 18}}
	return s.sendXLSX(w, r, p, s.exportFile("低保申请"), "cases.export",
		describe("环节", household.LabelOf(states, state), "状态", map[string]string{"open": "办理中", "closed": "已办结"}[open]), cols,
		sheet.Rows(cases, func(c store.Case) []any {
			overdue, _ := casework.Urgency(c, today)
			var amount any
			if c.Amount > 0 {
				amount = c.Amount
			}
			return []any{c.Number, c.HeadName, villageName(names, c.Region), stateLabel(defs[c.Profile], c.State), c.DueDate,
				c.TotalDue, overdue, amount, c.RelativeFlag, localTime(c.UpdatedAt)}
		}))
}

// ExportHref is the export link of the audit log's filter (every page of
// it, not only the one shown).
func (ap auditPage) ExportHref() string {
	v := url.Values{}
	for k, val := range map[string]string{"actor": ap.Actor, "action": ap.Action, "object": ap.Object} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if len(v) == 0 {
		return "/audit/export"
	}
	return "/audit/export?" + v.Encode()
}

func (s *server) auditExport(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q := r.URL.Query()
	f := store.AuditFilter{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		Object: strings.TrimSpace(q.Get("object")), Limit: 500}
	names, err := s.a.DB.RegionNames(r.Context())
	if err != nil {
		return err
	}
	cols := []sheet.Column{{Title: "序号", Width: 8}, {Title: "时间（北京时间）", Width: 18}, {Title: "操作人", Width: 12},
		{Title: "角色", Width: 16}, {Title: "地区", Width: 14}, {Title: "操作", Width: 16}, {Title: "操作代码", Width: 20},
		{Title: "对象", Width: 18}, {Title: "结果", Width: 6}, {Title: "请求编号", Width: 18}, {Title: "详情", Width: 40}}
	// Page through the log newest first, 500 at a time, as the sheet is
	// written; the audit record of this export comes after the last read.
	var page []auditRow
	i, done, rows := 0, false, 0
	fetch := func() error {
		recs, err := auditlog.List(r.Context(), s.a.DB, p, f)
		if err != nil {
			return err
		}
		page, i = page[:0], 0
		for _, x := range recs {
			row := auditRow{Seq: x.Seq, At: x.LocalTime(), Actor: x.Actor, Roles: roleLabels(x.Role),
				Region: names[region.Code(x.Region)], Action: actionLabels[x.Action], Code: x.Action, Object: x.Object,
				Result: resultLabels[x.Result], RequestID: x.RequestID, Detail: x.Detail}
			if row.Action == "" {
				row.Action = x.Action
			}
			if row.Result == "" {
				row.Result = x.Result
			}
			page = append(page, row)
		}
		if len(recs) < f.Limit {
			done = true
		} else {
			f.Before = recs[len(recs)-1].Seq
		}
		return nil
	}
	if err := fetch(); err != nil {
		return err
	}
	var ferr error
	next := func() ([]any, bool) {
		for i >= len(page) {
			if done || rows >= sheet.MaxRows {
				return nil, false
			}
			if ferr = fetch(); ferr != nil {
				return nil, false
			}
		}
		x := page[i]
		i++
		rows++
		return []any{x.Seq, x.At, x.Actor, x.Roles, x.Region, x.Action, x.Code, x.Object, x.Result, x.RequestID, x.Detail}, true
	}
	return s.sendSheet(w, r, p, s.exportFile("审计日志"), "audit.export",
		describe("操作人", f.Actor, "操作", f.Action, "对象", f.Object), cols, next, func() error { return ferr })
}

func init() {
	for k, v := range map[string]string{
		"recipients.export": "导出保障对象名册",
		"households.export": "导出家庭档案",
		"cases.export":      "导出低保申请",
		"audit.export":      "导出审计日志",
	} {
		actionLabels[k] = v
	}
}
