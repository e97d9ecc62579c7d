package api

// countyRoutes lists the county operations (documented in openapi/county.json).
func (s *server) countyRoutes() []Route { return nil }
