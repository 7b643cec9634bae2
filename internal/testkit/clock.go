package testkit

import (
	"time"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// GoldenClock is the fixed time of the golden files of cli and tools: the
// fake's created_at and last_used_at, and the names of rotated keys, stay
// the same from run to run.
var GoldenClock = time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)

// GoldenNow is a clock stopped at GoldenClock (neontest.WithClock, keys.New).
func GoldenNow() time.Time { return GoldenClock }

// SetGoldenUse marks the fixture's organization key used an hour before
// GoldenClock from a fixed address: the last use the golden files show.
func SetGoldenUse(srv *neontest.Server, fx *neontest.Fixture) {
	srv.SetKeyLastUsed(fx.OrgKeyID, GoldenClock.Add(-time.Hour), "203.0.113.9")
}
