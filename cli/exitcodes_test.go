package cli

import (
	"strconv"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// The exit codes as the contract states them, written out here rather than
// taken from ExitOK, ExitFailed and ExitUsage: a test that compares with the
// product's own constants passes whatever value they hold.
const (
	contractDone    = 0 // done
	contractFailed  = 1 // the API or the network failed
	contractRefused = 2 // usage, or a refused confirmation
)

// TestExitCodesFollowTheContract runs one command of each class and checks
// the exit status a script sees against the contract's literal values.
func TestExitCodesFollowTheContract(t *testing.T) {
	tests := []struct {
		name        string
		args        func(fx *neontest.Fixture) []string
		env         func(env map[string]string) // changes to the working environment
		faults      []neontest.Fault
		stdin       string
		interactive bool
		want        int
		mutates     bool // whether a POST or DELETE must reach the API
	}{
		{name: "list done", args: fixed("list"), want: contractDone},
		{name: "create done", args: fixed("create", "--name", "exit-code-check"), want: contractDone, mutates: true},
		{name: "revoke done", want: contractDone, mutates: true,
			args: func(fx *neontest.Fixture) []string { return []string{"revoke", id(fx.OrgKeyID), "--yes"} }},
		{name: "API error 500", args: fixed("list"), faults: []neontest.Fault{{Status: 500, Count: 100}}, want: contractFailed},
		{name: "credential rejected 401", args: fixed("list"), want: contractFailed,
			env: func(env map[string]string) { env["NEON_API_KEY"] = "napi_notakeyatall0000000000" }},
		{name: "unknown flag", args: fixed("list", "--no-such-flag"), want: contractRefused},
		{name: "unknown command", args: fixed("frobnicate"), want: contractRefused},
		{name: "missing argument", args: fixed("revoke"), want: contractRefused},
		{name: "key id not a number", args: fixed("revoke", "abc", "--yes"), want: contractRefused},
		{name: "no credential", args: fixed("list"), want: contractRefused,
			env: func(env map[string]string) { delete(env, "NEON_API_KEY") }},
		{name: "revoke without --yes off a terminal", want: contractRefused,
			args: func(fx *neontest.Fixture) []string { return []string{"revoke", id(fx.OrgKeyID)} }},
		{name: "wrong name typed at the prompt", interactive: true, stdin: "nope\nnope\nnope\n", want: contractRefused,
			args: func(fx *neontest.Fixture) []string { return []string{"revoke", id(fx.OrgKeyID)} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx, env := fakeEnv(t)
			if tt.env != nil {
				tt.env(env)
			}
			srv.Inject(tt.faults...)
			r := runCLI(t, runOpts{env: env, stdin: strings.NewReader(tt.stdin), interactive: tt.interactive}, tt.args(fx)...)
			wantCode(t, r, tt.want)
			if got := len(srv.Mutations()) > 0; got != tt.mutates {
				t.Errorf("a mutation reached the API: %v, want %v", got, tt.mutates)
			}
		})
	}
}

// TestExitConstantsMatchTheContract pins the exported constants, which
// other programs may import, to the contract's values.
func TestExitConstantsMatchTheContract(t *testing.T) {
	if ExitOK != contractDone || ExitFailed != contractFailed || ExitUsage != contractRefused {
		t.Errorf("ExitOK, ExitFailed, ExitUsage = %d, %d, %d; the contract says %d, %d, %d",
			ExitOK, ExitFailed, ExitUsage, contractDone, contractFailed, contractRefused)
	}
}

func fixed(args ...string) func(*neontest.Fixture) []string {
	return func(*neontest.Fixture) []string { return args }
}

func id(n int64) string { return strconv.FormatInt(n, 10) }
