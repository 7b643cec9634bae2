// Package clideliver runs the built neonkeys binary through rotations that
// deliver the new token to destinations (a fake GitHub, a .env file, a
// program reading stdin), as a person or a CI job would, and through each
// way such a rotation can fail: what the keys, the destinations, the rescue
// file, the exit code and every line of output are afterwards.
package clideliver

import (
	"os"
	"testing"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
