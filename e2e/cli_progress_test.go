package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// progressCase is a slow rotation: the fault that makes it slow, the extra
// flags, and the lines a person at the terminal must see because of it.
type progressCase struct {
	name      string
	fault     func(w *cliWorld) neontest.Fault
	flags     []string
	wantLines func(w *cliWorld) []string
}

func progressCases() []progressCase {
	steps := func(w *cliWorld) []string {
		id := strconv.FormatInt(w.fx.OrgKeyID, 10)
		return []string{
			"Looking up key " + id + "…",
			"Creating the replacement…",
			"Revoking the old key " + id + "…",
			"Revoked the old key " + id + ".",
		}
	}
	orgKeys := func(w *cliWorld) string { return "/organizations/" + w.fx.Org.ID + "/api_keys" }
	return []progressCase{
		{
			name: "503 twice",
			fault: func(w *cliWorld) neontest.Fault {
				return neontest.Fault{Method: http.MethodGet, Path: orgKeys(w), Status: http.StatusServiceUnavailable, Count: 2}
			},
			wantLines: func(w *cliWorld) []string {
				return append(steps(w), "Neon answered 503; retrying in ", ", 1 of 3", ", 2 of 3")
			},
		},
		{
			name: "an answer slower than --timeout",
			fault: func(w *cliWorld) neontest.Fault {
				// Far past --timeout: the attempt always times out, however slow the machine.
				return neontest.Fault{Method: http.MethodGet, Path: orgKeys(w), Delay: time.Minute}
			},
			flags: []string{"--timeout", "1s"},
			wantLines: func(w *cliWorld) []string {
				return append(steps(w), "Neon did not answer within 1s (--timeout); retrying in ", ", 1 of 3")
			},
		},
	}
}

// TestCLIProgressOnTerminal: a slow rotate at a terminal says each step and
// each retry on stderr, instead of seconds of silence.
func TestCLIProgressOnTerminal(t *testing.T) {
	bin := buildNeonkeys(t)
	for _, tt := range progressCases() {
		t.Run(tt.name, func(t *testing.T) {
			w := cliNewWorld(t, bin)
			w.srv.Inject(tt.fault(w))
			args := append([]string{"rotate", strconv.FormatInt(w.fx.OrgKeyID, 10), "--org-id", w.fx.Org.ID, "--yes"}, tt.flags...)
			p := w.cliStartPTY(t, w.env(), args...)
			if code := p.exitCode(); code != 0 {
				t.Fatalf("exit code %d; the terminal showed:\n%s", code, p.output())
			}
			shown := p.output()
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
	bin := buildNeonkeys(t)
	for _, tt := range progressCases() {
		t.Run(tt.name, func(t *testing.T) {
			w := cliNewWorld(t, bin)
			w.srv.Inject(tt.fault(w))
			args := append([]string{"rotate", strconv.FormatInt(w.fx.OrgKeyID, 10), "--org-id", w.fx.Org.ID, "--yes"}, tt.flags...)
			r := w.run(t, "", w.env(), args...)
			cliWantCode(t, r, 0)
			for _, unwanted := range []string{"Looking up", "Creating the replacement", "Revoking the old key", "retrying"} {
				if strings.Contains(r.stderr, unwanted) {
					t.Errorf("stderr (a pipe) holds the progress line %q:\n%s", unwanted, r.stderr)
				}
			}
			cliWantStderr(t, r, "Revoked the old key")
		})
	}
}
