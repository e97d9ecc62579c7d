package web

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"dibao/internal/attach"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/upload"
)

// uploadMaxMB is the per-file limit shown beside the upload form.
const uploadMaxMB = upload.MaxSize >> 20

// caseUpload stores one scanned material. The body is bounded before it
// is parsed: the file limit plus room for the other form fields.
func (s *server) caseUpload(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, upload.MaxSize+1<<20)
	err = r.ParseMultipartForm(1 << 20)
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	if err == nil {
		err = s.uploadFile(r, p, id)
	} else {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = errs.Invalidf("file", "文件过大：单个文件不能超过 %d MB", uploadMaxMB)
		} else {
			err = errs.Invalidf("file", "上传内容无效，请重新选择文件后上传")
		}
	}
	if err != nil {
		if !pageFailure(err) {
			return err
		}
		return s.renderCase(w, r, p, id, statusOf(err, true), &caseFailure{Form: "upload", Values: r.PostForm, Err: err})
	}
	s.redirect(w, r, "/cases/"+strconv.FormatInt(id, 10)+"#files", "file_uploaded")
	return nil
}

func (s *server) uploadFile(r *http.Request, p authz.Principal, id int64) error {
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return errs.Invalidf("file", "请选择要上传的文件")
	}
	defer file.Close()
	// One byte over the limit is enough for the service to say "too big".
	data, err := io.ReadAll(io.LimitReader(file, upload.MaxSize+1))
	if err != nil {
		return errs.Invalidf("file", "读取上传文件失败，请重试")
	}
	_, err = s.a.Cases.Upload(r.Context(), p, id, r.PostFormValue("material"), hdr.Filename, data)
	return err
}

// fileDownload serves a scan by its unguessable token, always as an
// attachment with the type checked at upload, never sniffed or cached.
func (s *server) fileDownload(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	f, err := s.a.Cases.File(r.Context(), p, r.PathValue("token"))
	if err != nil {
		return err
	}
	ct := f.ContentType
	if _, ok := upload.Sniff(f.Data); !ok || (ct != string(upload.PDF) && ct != string(upload.JPEG) && ct != string(upload.PNG)) {
		ct = "application/octet-stream"
	}
	return attach.Send(w, ct, f.Name, "", f.Data)
}

// caseDocument serves an issued document as printable HTML (it opens in a
// new tab; the page has its own A4 print styles).
func (s *server) caseDocument(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	html, err := s.a.Cases.Document(r.Context(), p, id, r.PathValue("number"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	_, err = w.Write(html)
	return err
}
