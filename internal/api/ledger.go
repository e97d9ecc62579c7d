package api

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"dibao/internal/attach"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/ledgerimport"
	"dibao/internal/sheet"
)

// ledgerRoutes lists the ledger operations (documented in openapi/ledger.json).
func (s *server) ledgerRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/ledger/template.xlsx", Handler: s.ledgerTemplate},
		{Method: "GET", Path: "/ledger-imports", Handler: s.ledgerList},
		{Method: "POST", Path: "/ledger-imports", Handler: s.ledgerCheck},
		{Method: "GET", Path: "/ledger-imports/{id}", Handler: s.ledgerGet},
		{Method: "POST", Path: "/ledger-imports/{id}/confirm", Handler: s.ledgerConfirm},
		{Method: "POST", Path: "/ledger-imports/{id}/cancel", Handler: s.ledgerCancel},
	}
}

func ledgerJSON(b ledgerimport.Batch) map[string]any {
	hs := b.Households
	if hs == nil {
		hs = []int64{}
	}
	out := map[string]any{"id": b.ID, "county": b.County, "filename": b.Filename, "sha256": b.SHA256, "size": b.Size,
		"uploaded_by": b.UploadedBy, "uploaded_at": b.UploadedAt, "status": b.Status, "rows": b.Rows, "valid": b.Valid,
		"errors": b.Report.Errors, "imported": b.Imported, "skipped": b.Skipped, "households": hs}
	if !b.FinishedAt.IsZero() {
		out["finished_by"], out["finished_at"] = b.FinishedBy, b.FinishedAt
	}
	return out
}

func (s *server) ledgerTemplate(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if !p.Has(authz.CountyAdmin) && !p.Has(authz.CountyApprover) {
		return errs.New(errs.Forbidden, "", "只有县级民政部门的管理员或审批人员可以导入台账")
	}
	var buf bytes.Buffer
	if err := ledgerimport.Template(&buf); err != nil {
		return err
	}
	return attach.Send(w, sheet.ContentType, ledgerimport.TemplateName, "ledger-template.xlsx", buf.Bytes())
}

func (s *server) ledgerList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	bs, err := s.a.Ledger.List(r.Context(), p)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(bs))
	for i, b := range bs {
		items[i] = ledgerJSON(b)
		delete(items[i], "errors")
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

// ledgerCheck is a multipart upload (field file); the answer is the report.
// Nothing but the batch is stored; with an Idempotency-Key a retried upload
// answers the first batch instead of making another.
func (s *server) ledgerCheck(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	r.Body = http.MaxBytesReader(w, r.Body, sheet.MaxUpload+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.Invalidf("file", "文件过大：不能超过 %d MB", sheet.MaxUpload>>20)
		}
		return errs.Invalidf("file", "请以 multipart/form-data 上传台账文件（字段 file）")
	}
	defer r.MultipartForm.RemoveAll()
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return errs.Invalidf("file", "请选择要上传的台账文件（.xlsx）")
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, sheet.MaxUpload+1))
	if err != nil {
		return errs.Invalidf("file", "读取上传文件失败")
	}
	b, replayed, err := s.a.Ledger.CheckOnce(r.Context(), p, r.Header.Get("Idempotency-Key"), hdr.Filename, data)
	if err != nil {
		return err
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusCreated, ledgerJSON(b))
	return nil
}

func (s *server) ledgerGet(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	b, err := s.a.Ledger.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ledgerJSON(b))
	return nil
}

// ledgerConfirm is idempotent by nature: a batch imports once, and
// confirming it again answers the same result.
func (s *server) ledgerConfirm(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	b, err := s.a.Ledger.Confirm(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ledgerJSON(b))
	return nil
}

func (s *server) ledgerCancel(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	b, err := s.a.Ledger.Cancel(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ledgerJSON(b))
	return nil
}
