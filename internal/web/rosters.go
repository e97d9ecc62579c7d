package web

import "net/http"

// rosterRoutes registers the pages of monthly payment rosters.
func (s *server) rosterRoutes(mux *http.ServeMux) {}
