package api

// standardRoutes lists the standard operations (documented in openapi/standard.json).
func (s *server) standardRoutes() []Route { return nil }
