// Package bulk runs the built neonkeys binary through bulk rotations
// (rotate --older-than) as a CI job would, and runs the shell steps of the
// scheduled workflow in examples/ against the fake Neon API and the fake
// GitHub, since GitHub Actions itself cannot run here.
package bulk

import (
	"os"
	"testing"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
