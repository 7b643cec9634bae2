package server_test

import (
	"testing"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// fixtureKeyID returns the id of the fixture's live key named name, so that
// a "nothing was mutated" check aims at a key that exists: a revoke of an id
// the fake never issued could not mutate anything, whatever the server did.
func fixtureKeyID(t *testing.T, fake *neontest.Server, name string) int64 {
	t.Helper()
	for _, k := range fake.LiveKeys() {
		if k.Name == name {
			return k.ID
		}
	}
	t.Fatalf("the fixture has no live key %q", name)
	return 0
}

// keyRevoked reports whether the fake holds key id as revoked.
func keyRevoked(fake *neontest.Server, id int64) bool {
	k, ok := fake.Key(id)
	return ok && k.Revoked
}
