package web

import "net/http"

// countyRoutes registers the pages of the county dashboard.
func (s *server) countyRoutes(mux *http.ServeMux) {}
