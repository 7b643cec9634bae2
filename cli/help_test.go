package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// visibleCommands is every command a user can run, root included.
func visibleCommands(root *cobra.Command) []*cobra.Command {
	cmds := []*cobra.Command{root}
	for _, c := range root.Commands() {
		if !c.Hidden && c.Name() != "help" {
			cmds = append(cmds, visibleCommands(c)...)
		}
	}
	return cmds
}

func testRoot(t *testing.T) *cobra.Command {
	t.Helper()
	return newApp(env{io: IO{Stdin: strings.NewReader("")}}).rootCommand()
}

// TestHelpHasExamples: every command's help ends with an Examples section.
func TestHelpHasExamples(t *testing.T) {
	for _, c := range visibleCommands(testRoot(t)) {
		t.Run(c.CommandPath(), func(t *testing.T) {
			args := append(strings.Fields(c.CommandPath())[1:], "--help")
			r := runCLI(t, runOpts{}, args...)
			wantCode(t, r, 0)
			if !strings.Contains(r.stdout, "\nExamples:\n  neonkeys ") && !strings.Contains(r.stdout, "\nExamples:\n  source <(neonkeys ") {
				t.Errorf("%s --help has no Examples section:\n%s", c.CommandPath(), r.stdout)
			}
		})
	}
}

// TestExamplesParse: each example names a real command with flags it takes
// and arguments it accepts, so the examples cannot drift from the code.
func TestExamplesParse(t *testing.T) {
	for _, c := range visibleCommands(testRoot(t)) {
		for _, line := range strings.Split(c.Example, "\n") {
			args := exampleArgs(line)
			if args == nil {
				t.Errorf("%s: example %q runs no neonkeys command", c.CommandPath(), line)
				continue
			}
			root := testRoot(t) // fresh flags for each line
			cmd, rest, err := root.Find(args)
			if err != nil {
				t.Errorf("%s: example %q: %v", c.CommandPath(), line, err)
				continue
			}
			cmd.InitDefaultVersionFlag() // as Execute does
			if err := cmd.ParseFlags(rest); err != nil {
				t.Errorf("%s: example %q: %v", c.CommandPath(), line, err)
				continue
			}
			if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
				t.Errorf("%s: example %q: %v", c.CommandPath(), line, err)
			}
			if err := cmd.ValidateRequiredFlags(); err != nil {
				t.Errorf("%s: example %q: %v", c.CommandPath(), line, err)
			}
		}
	}
}

// exampleArgs is the neonkeys command line of an example line (without
// "neonkeys"), cut at a shell pipe or redirection; nil if it has none.
func exampleArgs(line string) []string {
	i := strings.Index(line, "neonkeys")
	if i < 0 {
		return nil
	}
	line = line[i:]
	if j := strings.IndexAny(line, "|>)"); j >= 0 {
		line = line[:j]
	}
	return strings.Fields(line)[1:]
}

// TestHelpLeavesOutFlagsThatDoNotApply: mcp, completion and version do not
// show the global flags they refuse; the others still show them.
func TestHelpLeavesOutFlagsThatDoNotApply(t *testing.T) {
	tests := []struct {
		cmd          string
		absent, seen []string
	}{
		{"mcp", []string{"--api-key", "--output"}, []string{"--timeout", "--read-only"}},
		{"completion", []string{"--api-key", "--output", "--timeout"}, nil},
		{"version", []string{"--api-key", "--timeout"}, []string{"--output"}},
		{"list", nil, []string{"--api-key", "--output", "--timeout", "--limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			r := runCLI(t, runOpts{}, tt.cmd, "--help")
			wantCode(t, r, 0)
			for _, flag := range tt.absent {
				if strings.Contains(r.stdout, flag) {
					t.Errorf("%s --help shows %s, which it refuses:\n%s", tt.cmd, flag, r.stdout)
				}
			}
			for _, flag := range tt.seen {
				if !strings.Contains(r.stdout, flag) {
					t.Errorf("%s --help lacks %s:\n%s", tt.cmd, flag, r.stdout)
				}
			}
		})
	}
}

// TestFlagsThatDoNotApplyAreRefused: a global flag a command has no use
// for is a usage error naming the flag, wherever it stands on the line.
func TestFlagsThatDoNotApplyAreRefused(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"mcp", "-o", "json"}, "mcp does not take -o"},
		{[]string{"-o", "json", "mcp"}, "mcp does not take -o"},
		{[]string{"mcp", "--api-key", "-"}, "mcp does not take --api-key: set NEON_API_KEY"},
		{[]string{"completion", "bash", "--api-key", "-"}, "completion does not take --api-key"},
		{[]string{"completion", "bash", "--timeout", "5s"}, "completion does not take --timeout"},
		{[]string{"completion", "bash", "-o", "json"}, "completion does not take -o"},
		{[]string{"version", "--timeout", "5s"}, "version does not take --timeout"},
		{[]string{"--api-key", "-", "version"}, "version does not take --api-key"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, runOpts{}, tt.args...)
			wantCode(t, r, 2)
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("a refused command wrote to stdout:\n%s", r.stdout)
			}
		})
	}
}
