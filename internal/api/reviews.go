package api

// reviewRoutes lists the review operations (documented in openapi/reviews.json).
func (s *server) reviewRoutes() []Route { return nil }
