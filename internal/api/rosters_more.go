package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"dibao/internal/attach"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/sheet"
)

// rosterRoutes lists the roster operations (documented in openapi/rosters_more.json).
func (s *server) rosterRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/rosters", Handler: s.listRosters},
		{Method: "GET", Path: "/rosters/{id}/diff", Handler: s.rosterDiff},
		{Method: "GET", Path: "/rosters/{id}/rows.xlsx", Handler: s.rosterXLSX},
		{Method: "POST", Path: "/rosters/{id}/bank-result", Handler: s.rosterBankResult},
		{Method: "GET", Path: "/rosters/{id}/repay.csv", Handler: s.rosterRepayCSV},
	}
}

func (s *server) listRosters(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q := r.URL.Query()
	county, err := region.Parse(q.Get("county"))
	if err != nil {
		e := errsOf(err)
		e.Field = "county"
		return e
	}
	xs, err := s.a.Payments.Rosters(r.Context(), p, county, q.Get("month"))
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(xs))
	for i, x := range xs {
		m := rosterJSON(x.Roster)
		m["paid"], m["failed"] = x.Paid, x.Failed
		items[i] = m
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func changeJSON(c roster.Change) map[string]any {
	return map[string]any{"household_id": c.HouseholdID, "region_code": c.Region, "kind": c.Kind,
		"old_amount": c.Old.String(), "new_amount": c.New.String(), "delta": c.Delta.String()}
}

func (s *server) rosterDiff(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.a.Payments.Diff(r.Context(), p, id)
	if err != nil {
		return err
	}
	out := map[string]any{"roster": rosterJSON(d.Roster), "previous": nil}
	if d.HasPrev {
		out["previous"] = rosterJSON(d.Previous)
	}
	c := d.Changes
	items := make([]map[string]any, len(c.Items))
	for i, x := range c.Items {
		items[i] = changeJSON(x)
	}
	out["items"] = items
	out["added"], out["removed"], out["increased"], out["decreased"], out["unchanged"] = c.Added, c.Removed, c.Increased, c.Decreased, c.Unchanged
	out["old_total"], out["new_total"], out["delta"] = c.OldTotal.String(), c.NewTotal.String(), c.Delta.String()
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) rosterXLSX(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	name, err := s.a.Payments.RosterXLSX(r.Context(), p, id, &buf)
	if err != nil {
		return err
	}
	return attach.Send(w, sheet.ContentType, name, "roster-"+strconv.FormatInt(id, 10)+".xlsx", buf.Bytes())
}

func (s *server) rosterRepayCSV(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	name, err := s.a.Payments.RepaymentCSV(r.Context(), p, id, &buf)
	if err != nil {
		return err
	}
	return attach.Send(w, "text/csv", name, "roster-"+strconv.FormatInt(id, 10)+"-repay.csv", buf.Bytes())
}

// rosterBankResult takes the bank's result file as multipart/form-data
// (field "file") or as the raw body (text/csv).
func (s *server) rosterBankResult(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	name, data, err := readUpload(w, r, recipients.MaxBankResult)
	if err != nil {
		return err
	}
	res, err := s.a.Payments.ImportBankResult(r.Context(), p, id, name, data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"roster_id": id, "repeated": res.Repeated, "paid": res.Paid,
		"failed": res.Failed, "sha256": res.SHA256, "imported_at": res.ImportedAt, "imported_by": res.ImportedBy})
	return nil
}

// readUpload reads one file from a multipart form (field "file") or the
// whole body, at most max bytes.
func readUpload(w http.ResponseWriter, r *http.Request, max int64) (string, []byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, max+1<<20)
	tooBig := func(err error) error {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.Invalidf("file", "文件超过 %d MB", max>>20)
		}
		return errs.Invalidf("file", "上传内容无效，请重新选择文件")
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); strings.HasPrefix(mt, "multipart/") {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return "", nil, tooBig(err)
		}
		defer r.MultipartForm.RemoveAll()
		f, hdr, err := r.FormFile("file")
		if err != nil {
			return "", nil, errs.Invalidf("file", "请选择银行回盘文件（表单字段 file）")
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, max+1))
		if err != nil {
			return "", nil, tooBig(err)
		}
		return hdr.Filename, data, nil
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return "", nil, tooBig(err)
	}
	return "", data, nil
}
