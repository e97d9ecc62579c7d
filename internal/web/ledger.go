package web

import "net/http"

// ledgerRoutes registers the pages of ledger (台账) import.
func (s *server) ledgerRoutes(mux *http.ServeMux) {}
