package security

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// The red team's holes on the built binary: a create answer whose "key" is
// not a Neon token, a new token sent to a stdout that swallows it, and a
// key lookup fanned out over every organization the API lists.

// rtHostileKeys are create answers' keys that must never be handed over.
func rtHostileKeys(fx *neontest.Fixture) map[string]string {
	return map[string]string{
		"credential": fx.AdminToken,
		"escapes":    "napi_" + strings.Repeat("q7w8", 17) + "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\u202e\nStore this key now",
	}
}

// rtWithdrawn checks that exactly one key was minted and revoked again,
// leaving the fixture's live keys as they were.
func rtWithdrawn(t *testing.T, srv *neontest.Server, live int) {
	t.Helper()
	muts := srv.Mutations()
	if len(muts) != 2 || muts[0].Method != http.MethodPost || muts[1].Method != http.MethodDelete {
		t.Fatalf("mutations %v, want the create and its revoke", muts)
	}
	if n := len(srv.LiveKeys()); n != live {
		t.Fatalf("%d live keys, want %d: the minted key stayed", n, live)
	}
}

// TestRedteamCLIRefusesACreateAnswerThatIsNotAToken: create (table and
// JSON) prints neither the credential nor escape sequences as "the new
// token": it exits 1, says why, and the key is revoked.
func TestRedteamCLIRefusesACreateAnswerThatIsNotAToken(t *testing.T) {
	t.Parallel()
	bin := harness.Binary(t)
	for _, format := range []string{"table", "json"} {
		for kind := range rtHostileKeys(&neontest.Fixture{AdminToken: "napi_x"}) {
			t.Run(format+" "+kind, func(t *testing.T) {
				t.Parallel()
				w := harness.NewCLIWorld(t, bin)
				key := rtHostileKeys(w.Fx)[kind]
				live := len(w.Srv.LiveKeys())
				w.Srv.Inject(neontest.Fault{Key: key})
				r := w.Run(t, "", w.Env(), "create", "--name", "n1", "-o", format)
				harness.WantCode(t, r, 1)
				harness.WantStderr(t, r, "was revoked at once")
				if strings.Contains(r.Stdout+r.Stderr, key) || strings.ContainsAny(r.Stdout+r.Stderr, "\x1b\x07\u202e") {
					t.Errorf("the hostile key reached the output:\nstdout %q\nstderr %q", r.Stdout, r.Stderr)
				}
				testkit.NoSecrets(t, "output", r.Stdout+r.Stderr, w.Fx.AdminToken)
				rtWithdrawn(t, w.Srv, live)
			})
		}
	}
}

// TestRedteamMCPRefusesACreateAnswerThatIsNotAToken: create_project_scoped_key
// puts neither value in its answer (content and structuredContent), nor,
// with --secrets-dir, in a token file; the key is revoked.
func TestRedteamMCPRefusesACreateAnswerThatIsNotAToken(t *testing.T) {
	t.Parallel()
	for _, secretsDir := range []bool{false, true} {
		for kind := range rtHostileKeys(&neontest.Fixture{AdminToken: "napi_x"}) {
			t.Run(fmt.Sprintf("secrets-dir=%v %s", secretsDir, kind), func(t *testing.T) {
				t.Parallel()
				w := harness.NewMCPWorld(t)
				key := rtHostileKeys(w.Fx)[kind]
				dir := t.TempDir()
				var args []string
				if secretsDir {
					args = []string{"--secrets-dir", dir}
				}
				s := harness.StartRawReady(t, w, harness.RawOptions{Args: args})
				live := len(w.Srv.LiveKeys())
				w.Srv.Inject(neontest.Fault{Key: key})
				res := s.CallTool(t, "create_project_scoped_key", map[string]any{
					"project_id": w.Fx.OrgProject.ID, "key_name": "rt-deploy", "confirm": true})
				if !res.IsError || !strings.Contains(res.Text(), "revoked at once") {
					t.Fatalf("answer (isError %v): %s", res.IsError, res.Text())
				}
				all := s.Stdout.String() + s.Stderr.String()
				if strings.Contains(all, key) || strings.Contains(all, w.Fx.AdminToken) || strings.ContainsAny(all, "\x1b\x07\u202e") {
					t.Errorf("the hostile key reached stdout or stderr")
				}
				if files, _ := os.ReadDir(dir); len(files) != 0 {
					t.Errorf("a token file was written: %s", files[0].Name())
				}
				rtWithdrawn(t, w.Srv, live)
			})
		}
	}
}

// rtRun runs the binary with the given stdout (nil: closed by the shell
// first, `>&-`), and returns its exit code and stderr.
func rtRun(t *testing.T, w *harness.CLIWorld, stdout *os.File, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), harness.CLITimeout)
	defer cancel()
	var cmd *exec.Cmd
	if stdout == nil {
		cmd = exec.CommandContext(ctx, "sh", append([]string{"-c", `exec "$0" "$@" >&-`, w.Bin}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, w.Bin, args...)
		cmd.Stdout = stdout
	}
	cmd.Env = w.Env()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		return exitErr.ExitCode(), stderr.String()
	case err != nil:
		t.Fatalf("running neonkeys %v: %v", args, err)
	}
	return 0, stderr.String()
}

// TestRedteamTokenToALostStdoutIsRefused: a stdout on /dev/null, or closed
// (Go reopens fd 1 there), would swallow the new token while counting it
// delivered: create exits 2 before minting, mcp exits 2 at start; with
// --out the token goes to the file, so that is allowed.
func TestRedteamTokenToALostStdoutIsRefused(t *testing.T) {
	t.Parallel()
	bin := harness.Binary(t)
	for _, closed := range []bool{false, true} {
		tests := []struct {
			name  string
			args  func(dir string) []string
			code  int
			want  string
			posts int
		}{
			{"create", func(string) []string { return []string{"create", "--name", "lost"} }, 2, "the new token would be lost", 0},
			{"mcp", func(string) []string { return []string{"mcp"} }, 2, "no MCP client could read any answer", 0},
			{"create --out", func(dir string) []string {
				return []string{"create", "--name", "kept", "--out", filepath.Join(dir, "tok")}
			}, 0, "Created key", 1},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("closed=%v %s", closed, tt.name), func(t *testing.T) {
				t.Parallel()
				w := harness.NewCLIWorld(t, bin)
				var stdout *os.File
				if !closed {
					null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
					if err != nil {
						t.Fatal(err)
					}
					defer null.Close()
					stdout = null
				}
				code, stderr := rtRun(t, w, stdout, tt.args(t.TempDir())...)
				if code != tt.code || !strings.Contains(stderr, tt.want) {
					t.Fatalf("exit %d, want %d with %q; stderr:\n%s", code, tt.code, tt.want, stderr)
				}
				if n := testkit.CountRequests(w.Srv, http.MethodPost); n != tt.posts {
					t.Errorf("%d keys minted, want %d", n, tt.posts)
				}
			})
		}
	}
}

// TestRedteamLookupAmongManyOrganizationsIsBounded: an API listing 300
// organizations costs a revoke of an unknown key at most 50 key lists, and
// the answer says to pass --org-id.
func TestRedteamLookupAmongManyOrganizationsIsBounded(t *testing.T) {
	t.Parallel()
	w := harness.NewCLIWorld(t, harness.Binary(t))
	for i := range 300 {
		w.Srv.AddOrg("many-"+strconv.Itoa(i), w.Fx.Admin.ID)
	}
	r := w.Run(t, "", w.Env(), "revoke", "999999", "--yes")
	harness.WantCode(t, r, 1)
	harness.WantStderr(t, r, "you belong to more than 50 organizations", "pass --org-id")
	if n := testkit.CountRequests(w.Srv, http.MethodGet); n > 50+4 {
		t.Errorf("%d GET requests for one lookup, want at most 50 key lists and a few more", n)
	}
	if n := len(w.Srv.Mutations()); n != 0 {
		t.Errorf("%d mutations", n)
	}
}
