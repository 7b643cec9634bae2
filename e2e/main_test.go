// Package e2e holds the end-to-end tests not yet moved to a package of their
// face; e2e/internal/harness builds and drives the binary.
package e2e

import (
	"os"
	"testing"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
