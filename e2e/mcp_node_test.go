package e2e

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
)

// mcpNodeSummary is what e2e/node/client.mjs prints.
type mcpNodeSummary struct {
	Tools []string `json:"tools"`
	List  struct {
		IsError bool     `json:"is_error"`
		Total   int      `json:"total"`
		Names   []string `json:"names"`
	} `json:"list"`
	Create struct {
		IsError bool     `json:"is_error"`
		Text    string   `json:"text"`
		Tokens  []string `json:"tokens"`
	} `json:"create"`
	RevokeWithoutConfirm struct {
		IsError bool   `json:"is_error"`
		Text    string `json:"text"`
	} `json:"revoke_without_confirm"`
	Elicitations   []string `json:"elicitations"`
	StderrHasToken bool     `json:"stderr_has_token"`
}

// mcpNodeClient returns the path of client.mjs when its dependencies are
// installed. CI must run it; elsewhere a missing install skips the test.
func mcpNodeClient(t *testing.T) (node, script string) {
	t.Helper()
	dir, err := filepath.Abs("node")
	if err != nil {
		t.Fatal(err)
	}
	skipOrFail := func(why string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s; CI must run the Node MCP client test (.ci/run runs npm ci in e2e/node)", why)
		}
		t.Skipf("%s; run `npm ci --prefix e2e/node` to include the Node MCP client test", why)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@modelcontextprotocol", "sdk")); err != nil {
		skipOrFail("e2e/node/node_modules/@modelcontextprotocol/sdk is not installed")
	}
	node, err = exec.LookPath("node")
	if err != nil {
		skipOrFail("node is not on PATH")
	}
	return node, filepath.Join(dir, "client.mjs")
}

// TestMCPNodeClient drives the server with the TypeScript SDK (legacy
// protocol, elicitation/create bridged by the server) and checks the fake
// saw exactly what the human allowed.
func TestMCPNodeClient(t *testing.T) {
	t.Parallel()
	node, script := mcpNodeClient(t)
	for _, action := range []string{"accept", "decline"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			w := mcpNewWorld(t)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, script)
			cmd.Env = []string{
				"PATH=" + os.Getenv("PATH"),
				"HOME=" + t.TempDir(),
				"NEONKEYS_BIN=" + w.bin,
				"NEON_API_KEY=" + w.fx.AdminToken,
				"NEON_API_HOST=" + w.srv.URL(),
				"E2E_ELICIT=" + action,
				"E2E_PROJECT_ID=" + w.fx.OrgProject.ID,
				"E2E_REVOKE_KEY_ID=" + strconv.FormatInt(w.spareID, 10),
				"E2E_KEY_NAME=node-e2e",
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("node client.mjs: %v\nstderr:\n%s", err, stderr.String())
			}
			var got mcpNodeSummary
			if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
				t.Fatalf("client summary %q: %v\nstderr:\n%s", stdout.String(), err, stderr.String())
			}

			for _, want := range []string{"list_api_keys", "create_project_scoped_key", "revoke_api_key", "rotate_api_key"} {
				if !slices.Contains(got.Tools, want) {
					t.Errorf("tools/list lacks %s: %v", want, got.Tools)
				}
			}
			if got.List.IsError || got.List.Total != 2 || !slices.Equal(got.List.Names, []string{"laptop", "scratch"}) {
				t.Errorf("list_api_keys: %+v", got.List)
			}
			if len(got.Elicitations) != 1 {
				t.Errorf("the user was asked %d times, want once (for the create): %q", len(got.Elicitations), got.Elicitations)
			}
			for _, m := range got.Elicitations {
				if mcpTokenPattern.MatchString(m) {
					t.Errorf("an elicitation message shows a token: %q", m)
				}
			}
			if !got.RevokeWithoutConfirm.IsError || !strings.Contains(got.RevokeWithoutConfirm.Text, "confirm") {
				t.Errorf("revoke without confirm: %+v", got.RevokeWithoutConfirm)
			}
			if !w.srv.TokenValid(w.spareToken) {
				t.Error("revoke without confirm revoked the key")
			}
			if got.StderrHasToken {
				t.Error("a token reached the server's stderr")
			}

			muts := w.srv.Mutations()
			if action == "decline" {
				if !got.Create.IsError || len(got.Create.Tokens) != 0 {
					t.Errorf("create after decline: %+v", got.Create)
				}
				w.assertMutations(t, 0)
				return
			}
			if got.Create.IsError {
				t.Fatalf("create after accept failed: %s", got.Create.Text)
			}
			w.assertMutations(t, 1)
			if muts[0].Method != "POST" || muts[0].Path != "/organizations/"+w.fx.Org.ID+"/api_keys" {
				t.Errorf("create sent %s %s", muts[0].Method, muts[0].Path)
			}
			minted := w.mintedTokens(strings.Join(got.Create.Tokens, " "))
			if len(minted) != 1 || !w.srv.TokenValid(minted[0]) {
				t.Errorf("create answer delivered %d new tokens, want one valid token", len(minted))
			}
		})
	}
}
