package cli

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// runWatched runs the command line as if stderr were a terminal a person
// watches (env.progress), with stdin not one.
func runWatched(t *testing.T, environ map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := env{
		io:       IO{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr},
		getenv:   func(k string) string { return environ[k] },
		progress: true,
	}
	code := run(t.Context(), e, args)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// TestProgressStepsAndRetries: watched, a revoke and a rotate say each step
// in order, and each retry with its cause and its place; unwatched, none.
func TestProgressStepsAndRetries(t *testing.T) {
	tests := []struct {
		name  string
		args  func(id string) []string
		steps func(id string) []string
	}{
		{"rotate", func(id string) []string { return []string{"rotate", id, "--yes"} },
			func(id string) []string {
				return []string{"Looking up key " + id + "…", "Creating the replacement…", "Revoking the old key " + id + "…"}
			}},
		{"revoke", func(id string) []string { return []string{"revoke", id, "--yes"} },
			func(id string) []string {
				return []string{"Looking up key " + id + "…", "Revoking key " + id + "…"}
			}},
	}
	for _, tt := range tests {
		for _, watched := range []bool{true, false} {
			t.Run(tt.name+"/watched="+strconv.FormatBool(watched), func(t *testing.T) {
				srv, fx, env := fakeEnv(t)
				id := strconv.FormatInt(fx.OrgKeyID, 10)
				srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/organizations/", Status: http.StatusServiceUnavailable, Count: 2})
				var r result
				if watched {
					r = runWatched(t, env, tt.args(id)...)
				} else {
					r = runCLI(t, runOpts{env: env}, tt.args(id)...)
				}
				wantCode(t, r, 0)
				lines := append(tt.steps(id), "Neon answered 503; retrying in ", ", 1 of 3", ", 2 of 3")
				last := -1
				for i, want := range lines {
					at := strings.Index(r.stderr, want)
					if watched != (at >= 0) {
						t.Errorf("stderr shows %q: %v, want %v:\n%s", want, at >= 0, watched, r.stderr)
					}
					if watched && i < len(tt.steps(id)) {
						if at < last {
							t.Errorf("step %q out of order:\n%s", want, r.stderr)
						}
						last = at
					}
				}
			})
		}
	}
}
