package api

import (
	"net/http"
	"strconv"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/library"
	"dibao/internal/store"
)

// libraryRoutes lists the case library operations (issue 7 item 3,
// documented in openapi/library.json).
func (s *server) libraryRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/library", Handler: s.libraryList},
		{Method: "POST", Path: "/library", Handler: s.libraryDraft},
		{Method: "GET", Path: "/library/{id}", Handler: s.libraryGet},
		{Method: "POST", Path: "/library/{id}/review", Handler: s.libraryReview},
		{Method: "POST", Path: "/library/{id}/tags", Handler: s.libraryTags},
		{Method: "GET", Path: "/library/{id}/scenario", Handler: s.libraryScenario},
	}
}

func (s *server) library() *library.Service { return &library.Service{DB: s.a.DB} }

func libraryJSON(lc store.LibraryCase) map[string]any {
	topics := lc.Topics
	if topics == nil {
		topics = []string{}
	}
	out := map[string]any{"id": lc.ID, "title": lc.Title, "status": lc.Status, "topics": topics,
		"created_by": lc.CreatedBy, "created_at": lc.CreatedAt, "review_note": lc.ReviewNote, "reviewed_by": lc.ReviewedBy}
	if !lc.ReviewedAt.IsZero() {
		out["reviewed_at"] = lc.ReviewedAt
	}
	return out
}

func (s *server) libraryList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q := r.URL.Query()
	f := store.LibraryFilter{Status: q.Get("status"), Topic: q.Get("topic")}
	if v := q.Get("session"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return errs.Invalidf("session", "场次编号不正确")
		}
		f.Session = id
	}
	list, err := s.library().List(r.Context(), p, f)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(list))
	for i, lc := range list {
		items[i] = libraryJSON(lc)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

type libraryDraftReq struct {
	CaseID int64 `json:"case_id"`
}

func (s *server) libraryDraft(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	var req libraryDraftReq
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.CaseID <= 0 {
		return errs.Invalidf("case_id", "请提供已办结案件的编号 case_id")
	}
	e, err := s.library().Draft(r.Context(), p, req.CaseID)
	if err != nil {
		return err
	}
	out := libraryJSON(e.LibraryCase)
	out["case"] = e.Case
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *server) libraryGet(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, err := s.library().Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	out := libraryJSON(e.LibraryCase)
	out["case"] = e.Case
	writeJSON(w, http.StatusOK, out)
	return nil
}

type libraryReviewReq struct {
	Approve *bool  `json:"approve"`
	Note    string `json:"note"`
}

func (s *server) libraryReview(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req libraryReviewReq
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Approve == nil {
		return errs.Invalidf("approve", "请说明是否通过 approve（true 发布，false 退回）")
	}
	if err := s.library().Review(r.Context(), p, id, *req.Approve, req.Note); err != nil {
		return err
	}
	return s.libraryGet(w, r, p)
}

type libraryTagsReq struct {
	Topics []string `json:"topics"`
}

func (s *server) libraryTags(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req libraryTagsReq
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.library().Tag(r.Context(), p, id, req.Topics); err != nil {
		return err
	}
	return s.libraryGet(w, r, p)
}

func (s *server) libraryScenario(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	raw, err := s.library().ExportScenario(r.Context(), p, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(raw)
	return err
}
