// Package remote runs the built neonkeys binary in remote mode (neonkeys mcp
// --http) as a deployment would: instances on loopback ports against the
// fake Neon API, driven by an MCP client over Streamable HTTP, stopped with
// SIGTERM (e2e/internal/harness builds the binary).
package remote

import (
	"os"
	"testing"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
