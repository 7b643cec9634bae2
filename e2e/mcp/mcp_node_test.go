package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/internal/testkit"
)

// mcpNodeSummary is what e2e/node/client.mjs prints.
type mcpNodeSummary struct {
	ProtocolVersion string   `json:"protocol_version"`
	Tools           []string `json:"tools"`
	List            struct {
		IsError bool     `json:"is_error"`
		Total   int      `json:"total"`
		Names   []string `json:"names"`
	} `json:"list"`
	// Calls by step: create, revoke, rotate (with confirm: true) and
	// create_preview, revoke_preview, rotate_preview (without).
	Calls map[string]struct {
		IsError bool     `json:"is_error"`
		Text    string   `json:"text"`
		Tokens  []string `json:"tokens"`
	} `json:"calls"`
	ElicitationsBeforeConfirm int      `json:"elicitations_before_confirm"`
	Elicitations              []string `json:"elicitations"`
	ServerRequests            []string `json:"server_requests"` // methods the server asked the client
	StderrTokens              int      `json:"stderr_tokens"`   // napi_ tokens on the server's stderr
}

// mcpNodeSDKVersion is the @modelcontextprotocol/sdk the lock file pins.
const mcpNodeSDKVersion = "1.32.2"

// mcpNodeClient returns the path of client.mjs when its dependencies are
// installed. CI must run it; elsewhere a missing install skips the test.
func mcpNodeClient(t *testing.T) (node, script string) {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "node"))
	if err != nil {
		t.Fatal(err)
	}
	skipOrFail := func(why string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s; CI must run the Node MCP client test (.ci/run runs npm ci in e2e/node)", why)
		}
		t.Skipf("%s; run `npm ci --prefix e2e/node` to include the Node MCP client test", why)
	}
	pkg, err := os.ReadFile(filepath.Join(dir, "node_modules", "@modelcontextprotocol", "sdk", "package.json"))
	if err != nil {
		skipOrFail("e2e/node/node_modules/@modelcontextprotocol/sdk is not installed")
	}
	var installed struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(pkg, &installed); err != nil || installed.Version != mcpNodeSDKVersion {
		// Not a skip: the test would silently try another client than the pinned one.
		t.Fatalf("e2e/node has @modelcontextprotocol/sdk %q installed, want %s: run `npm ci --prefix e2e/node`",
			installed.Version, mcpNodeSDKVersion)
	}
	node, err = exec.LookPath("node")
	if err != nil {
		skipOrFail("node is not on PATH")
	}
	return node, filepath.Join(dir, "client.mjs")
}

// TestMCPNodeClient drives the server with the TypeScript SDK in the legacy
// era (elicitation/create bridged by the server): previews change nothing;
// with confirm: true the human is asked once per mutation, and the fake's
// request log holds exactly what they allowed. A client without elicitation
// is not asked, and confirm: true alone proceeds.
func TestMCPNodeClient(t *testing.T) {
	t.Parallel()
	node, script := mcpNodeClient(t)
	// What create, revoke and rotate send when they run, in order.
	allMutations := func(w *harness.MCPWorld) []string {
		orgKeys := "/organizations/" + w.Fx.Org.ID + "/api_keys"
		return []string{
			"POST " + orgKeys, // create, scoped to the project
			"DELETE /api_keys/" + strconv.FormatInt(w.SpareID, 10),
			"POST " + orgKeys, // rotate: the replacement first
			"DELETE " + orgKeys + "/" + strconv.FormatInt(w.Fx.ProjectKeyID, 10),
		}
	}
	tests := []struct {
		elicit string // E2E_ELICIT
		asked  bool   // the human is asked before each mutation
		done   bool   // the mutations happen
	}{
		{elicit: "accept", asked: true, done: true},
		{elicit: "decline", asked: true},
		{elicit: "cancel", asked: true},
		{elicit: "none", done: true}, // no elicitation capability: confirm: true is the gate
	}
	for _, tc := range tests {
		t.Run(tc.elicit, func(t *testing.T) {
			t.Parallel()
			w := harness.NewMCPWorld(t)
			got := mcpRunNode(t, w, node, script, tc.elicit)

			if got.ProtocolVersion != "2025-11-25" {
				t.Errorf("the Node client negotiated %q, want 2025-11-25 (the legacy era)", got.ProtocolVersion)
			}
			for _, want := range []string{"list_api_keys", "create_project_scoped_key", "revoke_api_key", "rotate_api_key"} {
				if !slices.Contains(got.Tools, want) {
					t.Errorf("tools/list lacks %s: %v", want, got.Tools)
				}
			}
			if got.List.IsError || got.List.Total != 2 || !slices.Equal(got.List.Names, []string{"laptop", "scratch"}) {
				t.Errorf("list_api_keys: %+v", got.List)
			}
			for _, step := range []string{"create_preview", "revoke_preview", "rotate_preview"} {
				c := got.Calls[step]
				if !c.IsError || !strings.Contains(c.Text, mcpPreviewText) || len(c.Tokens) != 0 {
					t.Errorf("%s: isError=%v %q, want a preview", step, c.IsError, c.Text)
				}
			}
			if got.ElicitationsBeforeConfirm != 0 {
				t.Errorf("the human was asked %d time(s) about calls without confirm", got.ElicitationsBeforeConfirm)
			}
			if got.StderrTokens != 0 {
				t.Errorf("%d token(s) reached the server's stderr", got.StderrTokens)
			}

			// The human was asked once per mutating call, about that call.
			elicitRequests := harness.CountLines(got.ServerRequests, "elicitation/create")
			if !tc.asked {
				if elicitRequests != 0 || len(got.Elicitations) != 0 {
					t.Errorf("a client without elicitation got %d elicitation/create requests", elicitRequests)
				}
			} else {
				if elicitRequests != 3 || len(got.Elicitations) != 3 {
					t.Fatalf("the human was asked %d times (%d requests), want 3: %q", len(got.Elicitations), elicitRequests, got.Elicitations)
				}
				for i, want := range [][]string{
					{`"node-e2e"`, w.Fx.OrgProject.ID},
					{strconv.FormatInt(w.SpareID, 10), `"scratch"`, "personal"},
					{strconv.FormatInt(w.Fx.ProjectKeyID, 10), `"shop-deploy"`, w.Fx.OrgProject.ID},
				} {
					msg := got.Elicitations[i]
					for _, sub := range want {
						if !strings.Contains(msg, sub) {
							t.Errorf("question %d %q does not say %q", i+1, msg, sub)
						}
					}
					if testkit.AnyToken.MatchString(msg) {
						t.Errorf("question %d shows a token", i+1)
					}
				}
			}

			var muts []string
			for _, m := range w.Srv.Mutations() {
				muts = append(muts, m.Method+" "+m.Path)
			}
			if !tc.done {
				if len(muts) != 0 {
					t.Errorf("after %s the fake saw %v, want no mutation", tc.elicit, muts)
				}
				for _, step := range []string{"create", "revoke", "rotate"} {
					if c := got.Calls[step]; !c.IsError || len(c.Tokens) != 0 {
						t.Errorf("%s after %s: isError=%v, %d tokens: %q", step, tc.elicit, c.IsError, len(c.Tokens), c.Text)
					}
				}
				if !w.Srv.TokenValid(w.SpareToken) || !w.Srv.TokenValid(w.Fx.ProjectKeyToken) {
					t.Errorf("a key was revoked after %s", tc.elicit)
				}
				return
			}
			if want := allMutations(w); !slices.Equal(muts, want) {
				t.Errorf("the fake saw %v, want exactly %v", muts, want)
			}
			for step, tokens := range map[string]int{"create": 1, "revoke": 0, "rotate": 1} {
				c := got.Calls[step]
				if c.IsError {
					t.Errorf("%s: %s", step, c.Text)
					continue
				}
				minted := w.MintedTokens(strings.Join(c.Tokens, " "))
				if len(minted) != tokens || len(c.Tokens) != tokens {
					t.Errorf("%s delivered %d new tokens, want %d", step, len(minted), tokens)
				}
				for _, tok := range minted {
					if !w.Srv.TokenValid(tok) {
						t.Errorf("%s delivered a token the API rejects", step)
					}
				}
			}
			if w.Srv.TokenValid(w.SpareToken) || w.Srv.TokenValid(w.Fx.ProjectKeyToken) {
				t.Error("a revoked or rotated key still authenticates")
			}
			if !w.Srv.TokenValid(w.Fx.AdminToken) {
				t.Error("the server's own credential was revoked")
			}
		})
	}
}

// mcpRunNode runs client.mjs against w with the human answering elicit.
func mcpRunNode(t *testing.T, w *harness.MCPWorld, node, script, elicit string) mcpNodeSummary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Env = harness.Env(
		"HOME="+t.TempDir(),
		"NEONKEYS_BIN="+w.Bin,
		"NEON_API_KEY="+w.Fx.AdminToken,
		"NEON_API_HOST="+w.Srv.URL(),
		"E2E_ELICIT="+elicit,
		"E2E_PROJECT_ID="+w.Fx.OrgProject.ID,
		"E2E_KEY_NAME=node-e2e",
		"E2E_REVOKE_KEY_ID="+strconv.FormatInt(w.SpareID, 10),
		"E2E_ROTATE_KEY_ID="+strconv.FormatInt(w.Fx.ProjectKeyID, 10),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node client.mjs: %v\nstderr:\n%s", err, testkit.RedactTokens(stderr.String()))
	}
	var got mcpNodeSummary
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("client summary %q: %v\nstderr:\n%s", testkit.RedactTokens(stdout.String()), err, testkit.RedactTokens(stderr.String()))
	}
	return got
}
