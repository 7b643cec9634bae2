// Package security runs the built `neonkeys mcp` and command line under
// hostile clients and a lying API on real OS pipes: huge lines, floods,
// clients that stop reading or vanish, argument variants that must not
// mutate, answers that must not reach a lost stdout.
package security

import (
	"os"
	"testing"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
