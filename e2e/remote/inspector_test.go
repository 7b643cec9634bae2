package remote

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// TestInspectorCLI: the official MCP Inspector's CLI (pinned 2.12.0 in
// conformance/), in HTTP mode with the key in a header, lists the tools and
// calls one. Skipped when not installed (cd e2e/remote/conformance && npm ci).
func TestInspectorCLI(t *testing.T) {
	bin, _ := filepath.Abs(filepath.Join(conformanceDir, "node_modules", ".bin", "mcp-inspector"))
	node, _ := filepath.Abs(filepath.Join(conformanceDir, "node_modules", "node", "bin"))
	if _, err := os.Stat(bin); err != nil {
		skipOutsideCI(t, "the MCP Inspector is not installed: cd e2e/remote/conformance && npm ci")
	}
	fake := neontest.New(t)
	fx := fake.Seed()
	in := start(t, fake, nil)
	inspect := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--cli", in.url, "--transport", "http",
			"--header", "Authorization: Bearer " + fx.AdminToken, "--format", "json"}, args...)...)
		cmd.Env = append(os.Environ(), "PATH="+node+string(os.PathListSeparator)+os.Getenv("PATH"),
			"MCP_INSPECTOR_SECRET_STORE=memory", "HOME="+t.TempDir())
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("mcp-inspector %v: %v\n%s", args, err, out)
		}
		return out
	}
	var list struct {
		Result struct {
			Tools []struct{ Name string } `json:"tools"`
		} `json:"result"`
	}
	if err := json.Unmarshal(inspect("--method", "tools/list"), &list); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range list.Result.Tools {
		names = append(names, tool.Name)
	}
	if !strings.Contains(strings.Join(names, " "), "rotate_api_key") {
		t.Fatalf("tools/list = %v", names)
	}
	if out := inspect("--method", "tools/call", "--tool-name", "list_api_keys"); !strings.Contains(string(out), `\"laptop\"`) {
		t.Fatalf("tools/call list_api_keys = %s", out)
	}
	if strings.Contains(in.stderr.String(), fx.AdminToken) {
		t.Fatal("the key reached the server's log")
	}
}
