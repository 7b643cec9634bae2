// Package cli runs the built neonkeys command line as a person and a script
// would: on pipes and on a pseudo-terminal, with signals, against the fake
// Neon API (e2e/internal/harness builds and drives the binary).
package cli

import (
	"os"
	"testing"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
