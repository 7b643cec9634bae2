// Package leak runs every command and tool of the built binary through the
// API's failure modes and a hostile API (the leak, fault and hostile-API
// matrices), checking the raw bytes it writes: the credential never, a
// minted token only in its one answer, no escapes, bounded memory.
package leak

import (
	"os"
	"testing"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
