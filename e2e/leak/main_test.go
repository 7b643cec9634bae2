// Package leak runs every command and tool of the built binary through the
// API's failure modes and a hostile API (the leak, fault and hostile-API
// matrices), checking the raw bytes it writes: the credential never, a
// minted token only in its one answer, no escapes, bounded memory.
//
// Its hundreds of runs use the plain binary (harness.PlainBinary) even under
// -race: they judge bytes written, not concurrency, a race-built binary costs
// many times the CPU, and the same code paths run race-checked in-process in
// cli, tools and server, and as a process in e2e/cli and e2e/mcp.
package leak

import (
	"os"
	"testing"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
