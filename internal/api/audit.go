package api

import (
	"net/http"
	"strconv"

	"dibao/internal/auditlog"
	"dibao/internal/authz"
	"dibao/internal/store"
)

func (s *server) auditList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q := r.URL.Query()
	f := store.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Object: q.Get("object")}
	f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	recs, err := auditlog.List(r.Context(), s.a.DB, p, f)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(recs))
	for i, x := range recs {
		items[i] = map[string]any{"seq": x.Seq, "at": x.LocalTime(), "actor": x.Actor, "role": x.Role, "region": x.Region,
			"action": x.Action, "object": x.Object, "result": x.Result, "request_id": x.RequestID, "detail": x.Detail,
			"hash": x.Hash}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}
