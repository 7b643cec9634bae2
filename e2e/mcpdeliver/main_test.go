// Package mcpdeliver drives the built neonkeys binary as an MCP client (the
// Go SDK's) would, for rotations whose new token goes to destinations: a
// fake GitHub, a .env file, a program, and neonkeys' own key file.
package mcpdeliver

import (
	"os"
	"testing"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
)

// TestMain builds the binary once, through the shared harness (race-built
// under -race, like every other e2e package).
func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
