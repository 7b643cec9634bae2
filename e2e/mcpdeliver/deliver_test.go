package mcpdeliver

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/neonkeys/neonkeys/destination/githubtest"
	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// callTimeout bounds each request: generous, only there so a broken server
// fails a test instead of hanging the run.
const callTimeout = 60 * time.Second

const ghToken = "ghp_mcpdelivere2etoken000000000000000"

// notFingerprint finds "napi_" anywhere but in a fingerprint (napi_… and
// the last four characters): a transcript must hold no token at all.
var notFingerprint = regexp.MustCompile(`napi_[^…]`)

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type syncBuffer = testkit.SyncBuffer

// world is the fakes a session runs against, and the files of its
// destinations.
type world struct {
	neon     *neontest.Server
	fx       *neontest.Fixture
	gh       *githubtest.Server
	dir      string
	envFile  string
	stdinRec string
	config   string
}

func newWorld(t *testing.T, config string) *world {
	t.Helper()
	neon := neontest.New(t)
	w := &world{neon: neon, fx: neon.Seed(), gh: githubtest.New(t, ghToken), dir: t.TempDir()}
	w.envFile = filepath.Join(w.dir, ".env")
	w.stdinRec = filepath.Join(w.dir, "stdin.rec")
	if err := os.WriteFile(w.envFile, []byte("# shop\nNEON_API_KEY=napi_old\nPORT=8080\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.config = filepath.Join(w.dir, "config.yaml")
	if err := os.WriteFile(w.config, []byte(strings.ReplaceAll(config, "{dir}", w.dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// session is the Go SDK client connected to a neonkeys mcp child; the
// transcript is every message either side sent.
type session struct {
	cs         *mcp.ClientSession
	stderr     *syncBuffer
	transcript *syncBuffer
}

// start spawns neonkeys mcp with cred (the credential variables) and the
// world's fakes and config, nothing inherited but PATH.
func (w *world) start(t *testing.T, cred ...string) *session {
	t.Helper()
	cmd := exec.Command(harness.Binary(t), "mcp")
	cmd.Env = harness.Env(
		"NEON_API_HOST="+w.neon.URL(),
		"NEONKEYS_CONFIG="+w.config,
		"GITHUB_API_URL="+w.gh.URL,
		"GH_TOKEN="+ghToken,
		"HOME="+w.dir,
		"XDG_STATE_HOME="+filepath.Join(w.dir, "state"),
	)
	cmd.Env = append(cmd.Env, cred...)
	s := &session{stderr: &syncBuffer{}, transcript: &syncBuffer{}}
	cmd.Stderr = s.stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "neonkeys-mcpdeliver", Version: "0.0.1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	transport := &mcp.LoggingTransport{Transport: &mcp.CommandTransport{Command: cmd, TerminateDuration: 5 * time.Second}, Writer: s.transcript}
	cs, err := client.Connect(ctx, transport, nil)
	if err != nil {
		t.Fatalf("connect to neonkeys mcp: %v\nstderr:\n%s", err, s.stderr)
	}
	s.cs = cs
	t.Cleanup(func() {
		_ = cs.Close()
		if t.Failed() {
			t.Logf("neonkeys mcp stderr:\n%s", s.stderr)
		}
	})
	return s
}

func (s *session) call(t *testing.T, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	res, err := s.cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("tools/call %s: %v", name, err)
	}
	return res
}

func resultText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func structured(t *testing.T, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("structuredContent is not an object: %s", b)
	}
	return m
}

// assertNoToken checks that the session's transcript and the server's
// stderr hold no token: "napi_" only as a fingerprint's start.
func (s *session) assertNoToken(t *testing.T) {
	t.Helper()
	for what, text := range map[string]string{"transcript": s.transcript.String(), "stderr": s.stderr.String()} {
		if m := notFingerprint.FindString(text); m != "" {
			i := strings.Index(text, m)
			t.Fatalf("the %s holds napi_ outside a fingerprint, at byte %d", what, i)
		}
		if strings.Contains(text, ghToken) {
			t.Fatalf("the %s holds the GitHub credential", what)
		}
	}
	if !strings.Contains(s.transcript.String(), "tools/call") {
		t.Fatal("the transcript recorded no call: the check above proves nothing")
	}
}

const threeDestinations = `destinations:
  shop-ci:
    github: {repo: acme/shop, secret: NEON_API_KEY}
    holds: shop-deploy
  shop-env:
    dotenv: {path: {dir}/.env, var: NEON_API_KEY}
    holds: shop-deploy
  vault-ci:
    command: {argv: [sh, -c, "cat > {dir}/stdin.rec"]}
    holds: shop-deploy
`

// TestRotateDeliversToThreeDestinations is issue 13's "Done when" for MCP:
// rotate_api_key {key_id, deliver_to, confirm: true} through a real client
// puts the new token in the fake GitHub secret, the .env file and the
// program's stdin, revokes the old key, and the transcript holds names and
// fingerprints, never a token.
func TestRotateDeliversToThreeDestinations(t *testing.T) {
	w := newWorld(t, threeDestinations)
	oldToken, oldID := w.neon.AddPersonalKey(w.fx.Admin.ID, "shop-deploy")
	s := w.start(t, "NEON_API_KEY="+w.fx.AdminToken)

	tools, err := s.cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range tools.Tools {
		if tool.Name != "rotate_api_key" {
			continue
		}
		var in struct {
			Properties struct {
				DeliverTo struct {
					Items struct {
						Enum []string `json:"enum"`
					} `json:"items"`
				} `json:"deliver_to"`
			} `json:"properties"`
		}
		b, _ := json.Marshal(tool.InputSchema)
		_ = json.Unmarshal(b, &in)
		if got := in.Properties.DeliverTo.Items.Enum; !slices.Equal(got, []string{"shop-ci", "shop-env", "vault-ci"}) {
			t.Fatalf("deliver_to's enum = %v, want the config's names", got)
		}
	}

	res := s.call(t, "rotate_api_key", map[string]any{
		"key_id": oldID, "deliver_to": []string{"shop-ci", "shop-env", "vault-ci"}, "confirm": true,
	})
	if res.IsError {
		t.Fatalf("rotate: %s", resultText(res))
	}
	sec, ok := w.gh.RepoSecret("acme/shop", "NEON_API_KEY")
	token := sec.Value
	if !ok || !w.neon.TokenValid(token) {
		t.Fatalf("the GitHub secret does not hold a live new token (set %v)", ok)
	}
	if b, _ := os.ReadFile(w.envFile); string(b) != "# shop\nNEON_API_KEY="+token+"\nPORT=8080\n" {
		t.Error("the .env file does not hold the new token with its other lines kept")
	}
	if b, _ := os.ReadFile(w.stdinRec); strings.TrimSpace(string(b)) != token {
		t.Error("the program's stdin was not the new token")
	}
	if w.neon.TokenValid(oldToken) {
		t.Error("the old key still works")
	}
	got := structured(t, res)
	if got["status"] != "complete" || got["old_revoked"] != true {
		t.Errorf("status %v, old_revoked %v", got["status"], got["old_revoked"])
	}
	for _, name := range []string{"shop-ci", "shop-env", "vault-ci", "napi_…" + token[len(token)-4:]} {
		if !strings.Contains(resultText(res), name) {
			t.Errorf("the answer does not name %s: %s", name, resultText(res))
		}
	}
	s.assertNoToken(t)
}

// TestRotateTheKeyInUse: "rotate the key you are using" with a self
// destination. The server runs with NEON_API_KEY_FILE; the rotation
// replaces that file and the server switches to the new token, so a
// list_api_keys in the same session still works, with the old key gone.
func TestRotateTheKeyInUse(t *testing.T) {
	w := newWorld(t, `destinations:
  me:
    self: true
    holds: laptop
`)
	keyFile := filepath.Join(w.dir, "neon-key")
	if err := os.WriteFile(keyFile, []byte(w.fx.AdminToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := w.start(t, "NEON_API_KEY_FILE="+keyFile)
	res := s.call(t, "rotate_api_key", map[string]any{"key_id": w.fx.AdminKeyID, "confirm": true})
	if res.IsError || structured(t, res)["switched_credential"] != true {
		t.Fatalf("rotate: %s", resultText(res))
	}
	b, _ := os.ReadFile(keyFile)
	if newToken := strings.TrimSpace(string(b)); newToken == w.fx.AdminToken || !w.neon.TokenValid(newToken) {
		t.Fatal("the key file does not hold a live new token")
	}
	if w.neon.TokenValid(w.fx.AdminToken) {
		t.Error("the old key still works")
	}
	list := s.call(t, "list_api_keys", map[string]any{})
	if list.IsError {
		t.Fatalf("list_api_keys after rotating the key in use: %s", resultText(list))
	}
	ids := map[float64]bool{}
	for _, k := range structured(t, list)["keys"].([]any) {
		ids[k.(map[string]any)["id"].(float64)] = true
	}
	newID, _ := structured(t, res)["new_key"].(map[string]any)["id"].(float64)
	if !ids[newID] || ids[float64(w.fx.AdminKeyID)] {
		t.Errorf("list_api_keys shows %v: want the new key %v and not the old %d", ids, newID, w.fx.AdminKeyID)
	}
	s.assertNoToken(t)
}

// TestBrokenConfigStillServes: a malformed config does not stop the
// server; list_destinations says what is wrong, and a rotation is refused
// with nothing minted, since which systems hold the key is unknown.
func TestBrokenConfigStillServes(t *testing.T) {
	w := newWorld(t, "destinations:\n  shop-ci:\n    gitlab: {repo: acme/shop}\n")
	s := w.start(t, "NEON_API_KEY="+w.fx.AdminToken)
	res := s.call(t, "list_destinations", map[string]any{})
	if !res.IsError || !strings.Contains(resultText(res), "config.yaml:3") {
		t.Fatalf("list_destinations: %s", resultText(res))
	}
	rot := s.call(t, "rotate_api_key", map[string]any{"key_id": w.fx.AdminKeyID, "confirm": true})
	if !rot.IsError || len(w.neon.Mutations()) != 0 {
		t.Fatalf("rotation with a broken config: %s (mutations %d)", resultText(rot), len(w.neon.Mutations()))
	}
	if !strings.Contains(s.stderr.String(), "destinations config cannot be used") {
		t.Errorf("stderr does not say the config is unusable: %s", s.stderr)
	}
}
