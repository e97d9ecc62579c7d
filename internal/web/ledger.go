package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"

	"dibao/internal/attach"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/ledger"
	"dibao/internal/ledgerimport"
	"dibao/internal/region"
	"dibao/internal/sheet"
)

// ledgerRoutes registers the pages of ledger (台账) import.
func (s *server) ledgerRoutes(mux *http.ServeMux) {
	mux.Handle("GET /ledger", s.auth(s.ledgerIndex))
	mux.Handle("GET /ledger/template.xlsx", s.auth(s.ledgerTemplate))
	mux.Handle("POST /ledger", s.auth(s.ledgerUpload))
	mux.Handle("GET /ledger/{id}", s.auth(s.ledgerBatch))
	mux.Handle("POST /ledger/{id}/confirm", s.auth(s.ledgerConfirm))
	mux.Handle("POST /ledger/{id}/cancel", s.auth(s.ledgerCancel))
}

// ledgerPreviewRows is how many valid rows the check page previews.
const ledgerPreviewRows = 20

type ledgerIndexPage struct {
	Batches    []ledgerimport.Batch
	Error      string
	MaxMB      int
	Columns    []ledger.Column // up to member 2
	LastMember int
}

type ledgerBatchPage struct {
	B        ledgerimport.Batch
	Preview  []ledgerimport.PreviewRow
	Villages map[region.Code]string
	Bad      int
}

var ledgerCrumb = crumb{"台账导入", "/ledger"}

func (s *server) renderLedgerIndex(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, msg string) error {
	bs, err := s.a.Ledger.List(r.Context(), p)
	if err != nil {
		return err
	}
	s.render(w, r, p, status, "ledger_index", "台账导入", []crumb{ledgerCrumb},
		ledgerIndexPage{Batches: bs, Error: msg, MaxMB: sheet.MaxUpload >> 20,
			Columns: ledgerColumns(), LastMember: 1 + ledger.MaxExtra})
	return nil
}

// ledgerIndex is GET /ledger: template, upload form and past imports.
func (s *server) ledgerIndex(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.renderLedgerIndex(w, r, p, http.StatusOK, "")
}

// ledgerTemplate is GET /ledger/template.xlsx.
func (s *server) ledgerTemplate(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if !countyOffice(p) {
		return errs.New(errs.Forbidden, "", "只有县级民政部门的管理员或审批人员可以导入台账")
	}
	var buf bytes.Buffer
	if err := ledgerimport.Template(&buf); err != nil {
		return err
	}
	return attach.Send(w, sheet.ContentType, ledgerimport.TemplateName, "ledger-template.xlsx", buf.Bytes())
}

// ledgerUpload is POST /ledger: check an uploaded workbook; a file that
// cannot be checked shows its message on the page and stores nothing.
func (s *server) ledgerUpload(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	r.Body = http.MaxBytesReader(w, r.Body, sheet.MaxUpload+1<<20)
	err := r.ParseMultipartForm(1 << 20)
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	var b ledgerimport.Batch
	if err == nil {
		b, err = s.ledgerCheck(r, p)
	} else {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = errs.Invalidf("file", "文件过大：不能超过 %d MB", sheet.MaxUpload>>20)
		} else {
			err = errs.Invalidf("file", "上传内容无效，请重新选择文件后上传")
		}
	}
	if err != nil {
		if errs.CodeOf(err) != errs.Invalid {
			return err
		}
		return s.renderLedgerIndex(w, r, p, statusOf(err, true), errs.As(err).Message)
	}
	s.redirect(w, r, "/ledger/"+strconv.FormatInt(b.ID, 10), "")
	return nil
}

func (s *server) ledgerCheck(r *http.Request, p authz.Principal) (ledgerimport.Batch, error) {
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return ledgerimport.Batch{}, errs.Invalidf("file", "请选择要上传的台账文件（.xlsx）")
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, sheet.MaxUpload+1))
	if err != nil {
		return ledgerimport.Batch{}, errs.Invalidf("file", "读取上传文件失败，请重试")
	}
	if len(data) > sheet.MaxUpload {
		return ledgerimport.Batch{}, errs.Invalidf("file", "文件过大：不能超过 %d MB", sheet.MaxUpload>>20)
	}
	return s.a.Ledger.Check(r.Context(), p, hdr.Filename, data)
}

func ledgerID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.New(errs.NotFound, "", "导入批次不存在")
	}
	return id, nil
}

// ledgerBatch is GET /ledger/{id}: the check report, or the result.
func (s *server) ledgerBatch(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := ledgerID(r)
	if err != nil {
		return err
	}
	b, err := s.a.Ledger.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	page := ledgerBatchPage{B: b, Bad: b.Rows - b.Valid}
	if b.Status == ledgerimport.StatusChecked && b.Valid > 0 {
		if page.Preview, err = s.a.Ledger.Preview(r.Context(), p, id, ledgerPreviewRows); err != nil {
			return err
		}
	}
	regs, err := s.a.DB.Regions(r.Context(), region.ScopeOf(b.County))
	if err != nil {
		return err
	}
	page.Villages = make(map[region.Code]string, len(regs))
	for _, g := range regs {
		page.Villages[g.Code] = g.Name
	}
	s.render(w, r, p, http.StatusOK, "ledger_batch", "导入批次 "+strconv.FormatInt(id, 10),
		[]crumb{ledgerCrumb, {"批次 " + strconv.FormatInt(id, 10), ""}}, page)
	return nil
}

// ledgerConfirm is POST /ledger/{id}/confirm.
func (s *server) ledgerConfirm(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := ledgerID(r)
	if err != nil {
		return err
	}
	if _, err := s.a.Ledger.Confirm(r.Context(), p, id); err != nil {
		return err
	}
	s.redirect(w, r, "/ledger/"+strconv.FormatInt(id, 10), "")
	return nil
}

// ledgerCancel is POST /ledger/{id}/cancel.
func (s *server) ledgerCancel(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := ledgerID(r)
	if err != nil {
		return err
	}
	if _, err := s.a.Ledger.Cancel(r.Context(), p, id); err != nil {
		return err
	}
	s.redirect(w, r, "/ledger/"+strconv.FormatInt(id, 10), "")
	return nil
}

// ledgerColumns are the template's columns up to the second member's.
func ledgerColumns() []ledger.Column {
	var out []ledger.Column
	for _, c := range ledger.Columns() {
		out = append(out, c)
		if c.Title == ledger.MemberRelation(2) {
			break
		}
	}
	return out
}
