package web

import "net/http"

// reviewRoutes registers the pages of periodic reviews, change reports and spot checks.
func (s *server) reviewRoutes(mux *http.ServeMux) {}
