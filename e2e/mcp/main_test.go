// Package mcp drives the built `neonkeys mcp` with real MCP clients (the
// official Go SDK, a raw JSON-RPC connection, the TypeScript SDK in
// e2e/node) over its stdin and stdout, against the fake Neon API.
package mcp

import (
	"os"
	"testing"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
