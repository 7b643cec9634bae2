package cli

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// progressCase is a slow rotation: the fault that makes it slow, the extra
// flags, and the lines a person at the terminal must see because of it.
type progressCase struct {
	name      string
	fault     func(w *harness.CLIWorld) neontest.Fault
	flags     []string
	wantLines func(w *harness.CLIWorld) []string
}

func progressCases() []progressCase {
	steps := func(w *harness.CLIWorld) []string {
		id := strconv.FormatInt(w.Fx.OrgKeyID, 10)
		return []string{
			"Looking up key " + id + "…",
			"Creating the replacement…",
			"Revoking the old key " + id + "…",
			"Revoked the old key " + id + ".",
		}
	}
	orgKeys := func(w *harness.CLIWorld) string { return "/organizations/" + w.Fx.Org.ID + "/api_keys" }
	return []progressCase{
		{
			name: "503 twice",
			fault: func(w *harness.CLIWorld) neontest.Fault {
				return neontest.Fault{Method: http.MethodGet, Path: orgKeys(w), Status: http.StatusServiceUnavailable, Count: 2}
			},
			wantLines: func(w *harness.CLIWorld) []string {
				return append(steps(w), "Neon answered 503; retrying in ", ", 1 of 3", ", 2 of 3")
			},
		},
		{
			name: "an answer slower than --timeout",
			fault: func(w *harness.CLIWorld) neontest.Fault {
				// Far past --timeout: the attempt always times out, however slow the machine.
				return neontest.Fault{Method: http.MethodGet, Path: orgKeys(w), Delay: time.Minute}
			},
			flags: []string{"--timeout", "1s"},
			wantLines: func(w *harness.CLIWorld) []string {
				return append(steps(w), "Neon did not answer within 1s (--timeout); retrying in ", ", 1 of 3")
			},
		},
	}
}

// TestCLIProgressOnTerminal: a slow rotate at a terminal says each step and
// each retry on stderr, instead of seconds of silence.
func TestCLIProgressOnTerminal(t *testing.T) {
	bin := harness.Binary(t)
	for _, tt := range progressCases() {
		t.Run(tt.name, func(t *testing.T) {
			w := harness.NewCLIWorld(t, bin)
			w.Srv.Inject(tt.fault(w))
			args := append([]string{"rotate", strconv.FormatInt(w.Fx.OrgKeyID, 10), "--org-id", w.Fx.Org.ID, "--yes"}, tt.flags...)
			p := w.StartPTY(t, w.Env(), args...)
			if code := p.ExitCode(); code != 0 {
				t.Fatalf("exit code %d; the terminal showed:\n%s", code, p.Output())
			}
			shown := p.Output()
			for _, want := range tt.wantLines(w) {
				if !strings.Contains(shown, want) {
					t.Errorf("the terminal never showed %q; it showed:\n%s", want, shown)
				}
			}
			// The steps come in the order they happen.
			if strings.Index(shown, "Looking up") > strings.Index(shown, "Creating the replacement") ||
				strings.Index(shown, "Creating the replacement") > strings.Index(shown, "Revoking the old key") {
				t.Errorf("steps out of order:\n%s", shown)
			}
		})
	}
}

// TestCLIProgressNotOffTerminal: the same slow rotate with stderr a pipe
// (a script, a CI log) adds no progress line to stderr.
func TestCLIProgressNotOffTerminal(t *testing.T) {
	bin := harness.Binary(t)
	for _, tt := range progressCases() {
		t.Run(tt.name, func(t *testing.T) {
			w := harness.NewCLIWorld(t, bin)
			w.Srv.Inject(tt.fault(w))
			args := append([]string{"rotate", strconv.FormatInt(w.Fx.OrgKeyID, 10), "--org-id", w.Fx.Org.ID, "--yes"}, tt.flags...)
			r := w.Run(t, "", w.Env(), args...)
			harness.WantCode(t, r, 0)
			for _, unwanted := range []string{"Looking up", "Creating the replacement", "Revoking the old key", "retrying"} {
				if strings.Contains(r.Stderr, unwanted) {
					t.Errorf("stderr (a pipe) holds the progress line %q:\n%s", unwanted, r.Stderr)
				}
			}
			harness.WantStderr(t, r, "Revoked the old key")
		})
	}
}
