package web

import "net/http"

// standardRoutes registers the pages of standard changes.
func (s *server) standardRoutes(mux *http.ServeMux) {}
