package keys

import "time"

// SetOrgWalkTimeout shortens the bound on a search among organizations, so
// a test can reach it without waiting minutes.
func SetOrgWalkTimeout(s *Service, d time.Duration) { s.orgWalkTimeout = d }

// MaxOrgsSearched is the bound on organizations searched, for tests.
const MaxOrgsSearched = maxOrgsSearched
