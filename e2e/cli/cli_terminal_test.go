package cli

import (
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
)

// TestCLIMCPAtTerminalExplainsItself: neonkeys mcp typed at a terminal says
// on stderr what it is and how a client starts it, instead of waiting in
// silence; Ctrl-C ends it.
func TestCLIMCPAtTerminalExplainsItself(t *testing.T) {
	w := harness.NewCLIWorld(t, harness.Binary(t))
	p := w.StartPTY(t, w.Env(), "mcp")
	p.WaitFor("Ctrl-C to stop", 1)
	shown := p.Output()
	for _, want := range []string{"neonkeys mcp is an MCP server", `"mcpServers": {"neonkeys": {"args":["mcp"],"command":"` + w.Bin + `"`} {
		if !strings.Contains(shown, want) {
			t.Errorf("the terminal never showed %q; it showed:\n%s", want, shown)
		}
	}
	p.TypeText("\x03") // Ctrl-C
	if code := p.ExitCode(); code != 0 {
		t.Errorf("exit code %d after Ctrl-C; the terminal showed:\n%s", code, p.Output())
	}
}

// TestCLIMCPOnPipeSaysNothing: started by a client (stdin a pipe), the
// server writes no notice meant for a person.
func TestCLIMCPOnPipeSaysNothing(t *testing.T) {
	w := harness.NewCLIWorld(t, harness.Binary(t))
	r := w.Run(t, "", w.Env(), "mcp") // stdin ends at once: the server stops
	if strings.Contains(r.Stderr, "is an MCP server") {
		t.Errorf("the notice for a person went to a client's stderr:\n%s", r.Stderr)
	}
}

// TestCLITableColourOnTerminal: at a terminal the key table's header is
// bold; with NO_COLOR it is plain.
func TestCLITableColourOnTerminal(t *testing.T) {
	w := harness.NewCLIWorld(t, harness.Binary(t))
	for _, tt := range []struct {
		name string
		env  []string
		bold bool
	}{
		{"colour", w.Env("TERM=xterm"), true},
		{"NO_COLOR", w.Env("TERM=xterm", "NO_COLOR=1"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := w.StartPTY(t, tt.env, "list")
			if code := p.ExitCode(); code != 0 {
				t.Fatalf("exit code %d:\n%s", code, p.Output())
			}
			shown := p.Output()
			if got := strings.Contains(shown, "\x1b[1mID"); got != tt.bold {
				t.Errorf("bold header: %v, want %v:\n%q", got, tt.bold, shown)
			}
			if !tt.bold && strings.Contains(shown, "\x1b[") {
				t.Errorf("an escape with NO_COLOR:\n%q", shown)
			}
		})
	}
}
