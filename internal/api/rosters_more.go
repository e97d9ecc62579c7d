package api

// rosterRoutes lists the roster operations (documented in openapi/rosters_more.json).
func (s *server) rosterRoutes() []Route { return nil }
