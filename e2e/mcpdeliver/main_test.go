// Package mcpdeliver drives the built neonkeys binary as an MCP client (the
// Go SDK's) would, for rotations whose new token goes to destinations: a
// fake GitHub, a .env file, a program, and neonkeys' own key file.
package mcpdeliver

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binPath is the binary under test, built once by TestMain. Package state
// on purpose: TestMain owns its lifetime and every test shares the build.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "neonkeys-mcpdeliver-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "mcpdeliver: temp dir: %v\n", err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "neonkeys")
	cmd := exec.Command("go", "build", "-o", binPath, ".")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "mcpdeliver: go build: %v\n%s", err, out)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
