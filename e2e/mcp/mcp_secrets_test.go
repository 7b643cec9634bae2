package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// TestMCPSecretsDirRotate: with --secrets-dir a rotation's new token goes
// to a 0600 file; stdout and stderr never carry it, only its path and
// fingerprint.
func TestMCPSecretsDirRotate(t *testing.T) {
	t.Parallel()
	w := harness.NewMCPWorld(t)
	dir := t.TempDir()
	s := harness.StartRawReady(t, w, harness.RawOptions{Args: []string{"--secrets-dir", dir}})

	res := s.CallTool(t, "rotate_api_key", map[string]any{"key_id": w.SpareID, "confirm": true})
	if res.IsError {
		t.Fatalf("rotate: %s", res.Text())
	}
	_ = s.CallTool(t, "list_api_keys", map[string]any{})

	path, tok := mcpOnlyTokenFile(t, dir)
	if !testkit.TokenPattern.MatchString(tok) || !w.Srv.TokenValid(tok) {
		t.Fatalf("the token file does not hold a valid new token")
	}
	if w.Srv.TokenValid(w.SpareToken) {
		t.Error("the old key is still valid after the rotation")
	}

	answer := res.Text() + string(res.StructuredContent)
	if !strings.Contains(answer, filepath.Base(path)) {
		t.Errorf("the answer does not name the token file %s: %s", path, answer)
	}
	if fp := harness.ContractFingerprint(t, tok); !strings.Contains(answer, fp) {
		t.Errorf("the answer lacks the fingerprint %s: %s", fp, answer)
	}
	out, errOut := s.Stdout.String(), s.Stderr.String()
	for _, secretText := range []string{tok, w.Fx.AdminToken, w.SpareToken} {
		if strings.Contains(out, secretText) || strings.Contains(errOut, secretText) {
			t.Errorf("a token (…%s) reached stdout or stderr", secretText[len(secretText)-4:])
		}
	}
	if minted := w.MintedTokens(out + errOut); len(minted) > 0 {
		t.Errorf("%d token(s) reached stdout or stderr", len(minted))
	}
	w.AssertMutations(t, 2)
	s.AssertStdoutIsJSONRPC(t)
}

// TestMCPConcurrentListCalls: 40 calls in flight at once all complete, and
// reach the API together rather than in rounds of the worker pool (mcp-go's
// default is 5). No clock is read: the API holds every key list until all 40
// wait at once, which a pool serving them in rounds never lets happen (its
// calls then fail by their timeout).
func TestMCPConcurrentListCalls(t *testing.T) {
	t.Parallel()
	const calls = 40
	w := harness.NewMCPWorld(t)
	g := &mcpGate{want: calls, open: make(chan struct{})}
	api := httptest.NewServer(g.hold(w.Srv.Handler()))
	t.Cleanup(api.Close)
	w.APIURL = api.URL + neontest.BasePath
	s := harness.StartGo(t, w, nil)

	var wg sync.WaitGroup
	errs := make(chan string, calls)
	for range calls {
		wg.Go(func() {
			res, err := s.CallErr("list_api_keys", map[string]any{"org_id": w.Fx.Org.ID})
			switch {
			case err != nil:
				errs <- err.Error()
			case res.IsError:
				errs <- harness.TextOf(res)
			default:
				var got struct {
					Total int `json:"total"`
				}
				b, _ := json.Marshal(res.StructuredContent)
				if err := json.Unmarshal(b, &got); err != nil || got.Total != 2 {
					errs <- fmt.Sprintf("answer %s, want total 2", b)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent list_api_keys: %s", e)
	}
	if n := g.peak(); n < calls {
		t.Errorf("at most %d of %d key lists were at the API at once: calls are queued", n, calls)
	}
	w.AssertMutations(t, 0)
}

// mcpGate holds an organization's key lists at the API until want of them
// wait together, then lets every one through.
type mcpGate struct {
	want int
	open chan struct{}

	mu      sync.Mutex
	waiting int
}

func (g *mcpGate) hold(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/api_keys") && strings.Contains(r.URL.Path, "/organizations/") {
			g.mu.Lock()
			g.waiting++
			if g.waiting == g.want {
				close(g.open)
			}
			g.mu.Unlock()
			select {
			case <-g.open:
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(rw, r)
	})
}

// peak is how many key lists waited together (want once the gate opened).
func (g *mcpGate) peak() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return min(g.waiting, g.want)
}

// TestMCPTokenNotEchoedByBadArguments: after a create, arguments that carry
// the new token or the server's credential (as a value that fails
// validation, one that reaches the API, a filter, or a property name) never
// bring them back: the token stays on the one create line, the credential
// on none, in both eras.
func TestMCPTokenNotEchoedByBadArguments(t *testing.T) {
	t.Parallel()
	for _, era := range mcpEras {
		t.Run(era.name, func(t *testing.T) {
			t.Parallel()
			w := harness.NewMCPWorld(t)
			var s *harness.RawSession
			if era.modern {
				s = harness.StartRaw(t, w, harness.RawOptions{})
			} else {
				s = harness.StartRawReady(t, w, harness.RawOptions{})
			}
			call := func(tool string, args map[string]any) harness.RawResult {
				return s.Call(t, harness.Call{Tool: tool, Args: args, Modern: era.modern, NoElicit: true})
			}
			created := call("create_project_scoped_key", map[string]any{
				"project_id": w.Fx.OrgProject.ID, "key_name": "e2e-echo", "confirm": true,
			})
			minted := w.MintedTokens(created.Text() + string(created.StructuredContent))
			if created.IsError || len(minted) != 1 {
				t.Fatalf("create: isError=%v, %d new tokens: %s", created.IsError, len(minted), created.Text())
			}
			tok, cred := minted[0], w.Fx.AdminToken

			probes := []struct {
				name string
				tool string
				args map[string]any
			}{
				{"token! as org_id", "list_api_keys", map[string]any{"org_id": tok + "!"}},
				{"token as org_id", "list_api_keys", map[string]any{"org_id": tok}},
				// Short enough to pass validation: reaches the API, whose
				// error may quote the path.
				{"token prefix as org_id", "list_api_keys", map[string]any{"org_id": tok[:64]}},
				{"token prefix as key name filter and org", "list_api_keys", map[string]any{"org_id": tok[:40], "name_contains": tok[:40]}},
				{"token as name_contains", "list_api_keys", map[string]any{"name_contains": tok}},
				{"token as project_id", "list_api_keys", map[string]any{"project_id": tok}},
				{"token as property name", "list_api_keys", map[string]any{tok: true}},
				{"credential as property name", "list_api_keys", map[string]any{cred: true}},
				{"credential! as org_id", "list_api_keys", map[string]any{"org_id": cred + "!"}},
				{"token as key_name", "create_project_scoped_key", map[string]any{"project_id": w.Fx.OrgProject.ID, "key_name": tok}},
				{"token as key_id", "revoke_api_key", map[string]any{"key_id": tok}},
				{"credential as list_projects search", "list_projects", map[string]any{"search": cred}},
			}
			for _, p := range probes {
				t.Run(p.name, func(t *testing.T) {
					errBefore := len(s.Stderr.String())
					res := call(p.tool, p.args)
					answer := res.Text() + string(res.StructuredContent)
					_ = s.ToolNames(t) // everything the call logged is on stderr by now
					logged := s.Stderr.String()[errBefore:]
					// A 24-character prefix is as identifying as the token.
					for what, secretText := range map[string]string{"the new token": tok[:24], "the credential": cred[:24]} {
						if strings.Contains(answer, secretText) {
							t.Errorf("the answer echoes %s: %s", what, harness.Tail(testkit.RedactTokens(answer)))
						}
						if strings.Contains(logged, secretText) {
							t.Errorf("stderr echoes %s: %s", what, harness.Tail(testkit.RedactTokens(logged)))
						}
					}
				})
			}
			lines := s.StdoutLines()
			if n := harness.CountLines(lines, tok); n != 1 {
				t.Errorf("the new token is on %d stdout lines, want 1 (the create answer)", n)
			}
			if n := harness.CountLines(lines, cred); n != 0 {
				t.Errorf("the credential is on %d stdout lines", n)
			}
			if errOut := s.Stderr.String(); strings.Contains(errOut, tok) || strings.Contains(errOut, cred) {
				t.Error("a token reached stderr")
			}
			w.AssertMutations(t, 1)
			s.AssertStdoutIsJSONRPC(t)
		})
	}
}

// TestMCPSecretsDirSession: a whole chat-driven rotation with --secrets-dir
// (preview, the human's yes through elicitation, rotate, list), in both
// eras. No token crosses stdout or stderr, not even in the question; the
// file holds the one token that now works at the API, and the old one fails.
func TestMCPSecretsDirSession(t *testing.T) {
	t.Parallel()
	for _, era := range mcpEras {
		t.Run(era.name, func(t *testing.T) {
			t.Parallel()
			w := harness.NewMCPWorld(t)
			dir := t.TempDir()
			s := mcpStartEra(t, w, era, "accept", "--secrets-dir", dir)
			call := func(tool string, args map[string]any) harness.RawResult {
				return s.Call(t, harness.Call{Tool: tool, Args: args, Modern: era.modern})
			}

			preview := call("rotate_api_key", map[string]any{"key_id": w.SpareID})
			if !preview.IsError || !strings.Contains(preview.Text(), mcpPreviewText) || !strings.Contains(preview.Text(), `"scratch"`) {
				t.Fatalf("rotate without confirm: isError=%v %q, want a preview naming the key", preview.IsError, preview.Text())
			}
			w.AssertMutations(t, 0)

			question, rotated := s.Confirmed(t, era.modern, "rotate_api_key", map[string]any{"key_id": w.SpareID, "confirm": true})
			if rotated.IsError {
				t.Fatalf("rotate after accept: %s", rotated.Text())
			}
			muts := w.AssertMutations(t, 2)
			if muts[0].Method != "POST" || muts[1].Method != "DELETE" {
				t.Errorf("rotation sent %s then %s, want POST (create) then DELETE (revoke)", muts[0].Method, muts[1].Method)
			}
			repl := mcpNewKeys(w)
			if len(repl) != 1 {
				t.Fatalf("the fake holds %d new keys, want the one replacement", len(repl))
			}
			newName := repl[0].Name
			if !strings.Contains(question, fmt.Sprintf("%q", newName)) {
				t.Errorf("the human approved %q, but the replacement is %q", question, newName)
			}

			listed := call("list_api_keys", map[string]any{})
			if listed.IsError || !strings.Contains(string(listed.StructuredContent), fmt.Sprintf("%q", newName)) ||
				strings.Contains(string(listed.StructuredContent), `"scratch"`) {
				t.Errorf("list after the rotation: %s, want the replacement and not the old key", listed.StructuredContent)
			}

			// The token file: alone in DIR, named after the key, 0600.
			path, tok := mcpOnlyTokenFile(t, dir)
			if got, want := filepath.Base(path), newName+".token"; got != want {
				t.Errorf("token file %q, want %q", got, want)
			}
			if !testkit.AnyToken.MatchString(tok) {
				t.Fatal("the token file does not hold a token")
			}
			answer := rotated.Text() + string(rotated.StructuredContent)
			if !strings.Contains(answer, path) && !strings.Contains(answer, filepath.Base(path)) {
				t.Errorf("the answer does not name the token file: %s", testkit.RedactTokens(answer))
			}
			if fp := harness.ContractFingerprint(t, tok); !strings.Contains(answer, fp) {
				t.Errorf("the answer lacks the fingerprint %s: %s", fp, testkit.RedactTokens(answer))
			}

			// Real HTTP: the file's token is the one that works now.
			for _, probe := range []struct {
				who   string
				token string
				want  int
			}{
				{"the token from the file", tok, http.StatusOK},
				{"the old token", w.SpareToken, http.StatusUnauthorized},
			} {
				if got := mcpGetAPIKeys(t, w, probe.token); got != probe.want {
					t.Errorf("GET /api_keys with %s: %d, want %d", probe.who, got, probe.want)
				}
			}

			// The bytes: nothing that looks like a token, on either stream.
			_ = s.ToolNames(t) // a last round trip: all logging is written
			for stream, out := range map[string][]byte{"stdout": s.Stdout.Bytes(), "stderr": s.Stderr.Bytes()} {
				for what, secretText := range map[string]string{
					"the new token": tok, "the old token": w.SpareToken, "the server credential": w.Fx.AdminToken,
				} {
					if bytes.Contains(out, []byte(secretText)) {
						t.Errorf("%s holds %s", stream, what)
					}
				}
				if m := testkit.AnyToken.FindAll(out, -1); len(m) > 0 {
					t.Errorf("%s holds %d napi_ token(s)", stream, len(m))
				}
			}
			s.AssertStdoutIsJSONRPC(t)
		})
	}
}

// mcpGetAPIKeys calls the fake's GET /api_keys with token, as any program
// holding it would, and returns the status.
func mcpGetAPIKeys(t *testing.T, w *harness.MCPWorld, token string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), harness.CallTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.Srv.URL()+"/api_keys", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := w.Srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET /api_keys: %v", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// mcpOnlyTokenFile returns the one file in a secrets dir and the token it
// holds, failing unless it is alone and has mode 0600.
func mcpOnlyTokenFile(t *testing.T, dir string) (path, token string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) != 1 {
		t.Fatalf("secrets dir holds %v (err %v), want one token file", files, err)
	}
	info, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("token file mode %04o, want 0600", perm)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return files[0], strings.TrimSpace(string(b))
}
