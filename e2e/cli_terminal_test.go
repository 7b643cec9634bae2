package e2e

import (
	"strings"
	"testing"
)

// TestCLIMCPAtTerminalExplainsItself: neonkeys mcp typed at a terminal says
// on stderr what it is and how a client starts it, instead of waiting in
// silence; Ctrl-C ends it.
func TestCLIMCPAtTerminalExplainsItself(t *testing.T) {
	w := cliNewWorld(t, buildNeonkeys(t))
	p := w.cliStartPTY(t, w.env(), "mcp")
	p.waitFor("Ctrl-C to stop", 1)
	shown := p.output()
	for _, want := range []string{"neonkeys mcp is an MCP server", `"mcpServers": {"neonkeys": {"args":["mcp"],"command":"` + w.bin + `"`} {
		if !strings.Contains(shown, want) {
			t.Errorf("the terminal never showed %q; it showed:\n%s", want, shown)
		}
	}
	p.typeText("\x03") // Ctrl-C
	if code := p.exitCode(); code != 0 {
		t.Errorf("exit code %d after Ctrl-C; the terminal showed:\n%s", code, p.output())
	}
}

// TestCLIMCPOnPipeSaysNothing: started by a client (stdin a pipe), the
// server writes no notice meant for a person.
func TestCLIMCPOnPipeSaysNothing(t *testing.T) {
	w := cliNewWorld(t, buildNeonkeys(t))
	r := w.run(t, "", w.env(), "mcp") // stdin ends at once: the server stops
	if strings.Contains(r.stderr, "is an MCP server") {
		t.Errorf("the notice for a person went to a client's stderr:\n%s", r.stderr)
	}
}

// TestCLITableColourOnTerminal: at a terminal the key table's header is
// bold; with NO_COLOR it is plain.
func TestCLITableColourOnTerminal(t *testing.T) {
	w := cliNewWorld(t, buildNeonkeys(t))
	for _, tt := range []struct {
		name string
		env  []string
		bold bool
	}{
		{"colour", w.env("TERM=xterm"), true},
		{"NO_COLOR", w.env("TERM=xterm", "NO_COLOR=1"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := w.cliStartPTY(t, tt.env, "list")
			if code := p.exitCode(); code != 0 {
				t.Fatalf("exit code %d:\n%s", code, p.output())
			}
			shown := p.output()
			if got := strings.Contains(shown, "\x1b[1mID"); got != tt.bold {
				t.Errorf("bold header: %v, want %v:\n%q", got, tt.bold, shown)
			}
			if !tt.bold && strings.Contains(shown, "\x1b[") {
				t.Errorf("an escape with NO_COLOR:\n%q", shown)
			}
		})
	}
}
