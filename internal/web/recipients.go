package web

import "net/http"

// recipientRoutes registers the pages of the recipient register and its timeline.
func (s *server) recipientRoutes(mux *http.ServeMux) {}
