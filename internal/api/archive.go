package api

import (
	"errors"
	"net/http"

	"dibao/internal/archive"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/store"
)

// The training archive over the API (issue 7 items 1, 2; documented in
// openapi/archive.json): the catalogue, access requests and their
// decisions, a record's content under a valid grant, the read log.

func (s *server) archiveRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/archive/records", Handler: s.archiveList},
		{Method: "GET", Path: "/archive/records/{id}", Handler: s.archiveOpen},
		{Method: "GET", Path: "/archive/requests", Handler: s.archiveRequests},
		{Method: "POST", Path: "/archive/requests", Handler: s.archiveRequest},
		{Method: "POST", Path: "/archive/requests/{id}/approve", Handler: s.archiveApprove},
		{Method: "POST", Path: "/archive/requests/{id}/refuse", Handler: s.archiveRefuse},
		{Method: "GET", Path: "/archive/reads", Handler: s.archiveReads},
	}
}

func (s *server) archiveSvc() *archive.Service { return &archive.Service{DB: s.a.DB} }

func archiveRecordJSON(r store.ArchiveRecord) map[string]any {
	return map[string]any{"id": r.ID, "type": r.Type, "type_label": archive.TypeLabel(r.Type), "title": r.Title,
		"period": r.Period, "category": r.Category, "category_label": archive.CategoryLabel(r.Type, r.Category),
		"version": r.Version, "created_at": r.CreatedAt}
}

func archiveRequestJSON(r store.ArchiveRequest) map[string]any {
	m := map[string]any{"id": r.ID, "username": r.Username, "purpose": r.Purpose, "record_id": r.RecordID,
		"period": r.Period, "type": r.Type, "category": r.Category, "days": r.Days, "status": r.Status,
		"scope": archive.Scope(r), "decided_by": r.DecidedBy, "reason": r.Reason, "created_at": r.CreatedAt}
	if !r.DecidedAt.IsZero() {
		m["decided_at"] = r.DecidedAt
	}
	if !r.ExpiresAt.IsZero() {
		m["expires_at"] = r.ExpiresAt
	}
	return m
}

func (s *server) archiveList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q := r.URL.Query()
	rows, err := s.archiveSvc().List(r.Context(), p, store.ArchiveFilter{Period: q.Get("period"), Type: q.Get("type"), Category: q.Get("category")})
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(rows))
	for i, x := range rows {
		items[i] = archiveRecordJSON(x)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (s *server) archiveOpen(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	o, err := s.archiveSvc().Open(r.Context(), p, id)
	if errors.Is(err, archive.ErrNoGrant) {
		return errs.New(errs.Forbidden, "", errs.As(err).Message)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"record": archiveRecordJSON(o.Record), "content": o.Content,
		"corrected": o.Corrected, "request_id": o.RequestID})
	return nil
}

func (s *server) archiveRequests(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if !archive.CanView(p) {
		return errs.New(errs.Forbidden, "", "无权查看培训档案")
	}
	user := p.UserID
	if r.URL.Query().Get("all") == "true" {
		if !archive.CanDecide(p) {
			return errs.New(errs.Forbidden, "all", "只有档案管理员或县级业务管理员可以查看全部申请")
		}
		user = 0
	}
	rs, err := s.a.DB.ArchiveRequests(r.Context(), p.Scope(), user, r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(rs))
	for i, x := range rs {
		items[i] = archiveRequestJSON(x)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

type archiveReqBody struct {
	Purpose  string `json:"purpose"`
	RecordID int64  `json:"record_id"`
	Period   string `json:"period"`
	Type     string `json:"type"`
	Category string `json:"category"`
	Days     int    `json:"days"`
}

func (s *server) archiveRequest(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	var b archiveReqBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if b.RecordID < 0 {
		return errs.Invalidf("record_id", "档案记录编号应为正整数")
	}
	id, err := s.archiveSvc().Request(r.Context(), p, store.ArchiveRequest{Purpose: b.Purpose, RecordID: b.RecordID,
		Period: b.Period, Type: b.Type, Category: b.Category, Days: b.Days})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "status": "pending"})
	return nil
}

func (s *server) archiveApprove(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b struct {
		Days int `json:"days"`
	}
	if err := decode(r, &b); err != nil {
		return err
	}
	if err := s.archiveSvc().Approve(r.Context(), p, id, b.Days); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "status": "approved"})
	return nil
}

func (s *server) archiveRefuse(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b struct {
		Reason string `json:"reason"`
	}
	if err := decode(r, &b); err != nil {
		return err
	}
	if err := s.archiveSvc().Refuse(r.Context(), p, id, b.Reason); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "status": "refused"})
	return nil
}

func (s *server) archiveReads(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if !archive.CanSeeLog(p) {
		return errs.New(errs.Forbidden, "", "只有档案管理员和审计管理员可以查看查阅日志")
	}
	reads, err := s.a.DB.ArchiveReads(r.Context(), p.Scope(), 500)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(reads))
	for i, x := range reads {
		items[i] = map[string]any{"id": x.ID, "record_id": x.RecordID, "title": x.Title, "request_id": x.RequestID,
			"username": x.Username, "read_at": x.ReadAt}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}
