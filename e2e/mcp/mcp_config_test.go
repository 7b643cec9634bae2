package mcp

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
)

// TestMCPNoCredential: without a credential the server still starts and
// lists its tools; each call says how to set one, and nothing is sent.
func TestMCPNoCredential(t *testing.T) {
	t.Parallel()
	w := harness.NewMCPWorld(t)
	w.Cred = nil
	s := harness.StartRawReady(t, w, harness.RawOptions{})
	if names := s.ToolNames(t); !slices.Contains(names, "list_api_keys") {
		t.Fatalf("tools/list without a credential: %v", names)
	}
	for _, call := range []struct {
		tool string
		args map[string]any
	}{
		{"list_api_keys", map[string]any{}},
		{"revoke_api_key", map[string]any{"key_id": w.SpareID, "confirm": true}},
	} {
		res := s.CallTool(t, call.tool, call.args)
		if !res.IsError || !strings.Contains(res.Text(), "NEON_API_KEY") {
			t.Errorf("%s without a credential: isError=%v %q, want advice naming NEON_API_KEY", call.tool, res.IsError, res.Text())
		}
	}
	if n := len(w.Srv.Requests()); n != 0 {
		t.Errorf("the fake API got %d requests without a credential", n)
	}
	s.AssertStdoutIsJSONRPC(t)
}

// TestMCPCredentialFile: NEON_API_KEY_FILE works in mcp mode, and the file's
// content never reaches the output.
func TestMCPCredentialFile(t *testing.T) {
	t.Parallel()
	w := harness.NewMCPWorld(t)
	path := filepath.Join(t.TempDir(), "neon.key")
	if err := os.WriteFile(path, []byte(w.Fx.AdminToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.Cred = []string{"NEON_API_KEY_FILE=" + path}
	s := harness.StartRawReady(t, w, harness.RawOptions{})
	res := s.CallTool(t, "list_api_keys", map[string]any{})
	if res.IsError {
		t.Fatalf("list_api_keys with NEON_API_KEY_FILE: %s", res.Text())
	}
	if !strings.Contains(string(res.StructuredContent), `"laptop"`) {
		t.Errorf("list_api_keys did not list the admin's keys: %s", res.StructuredContent)
	}
	if strings.Contains(s.Stdout.String()+s.Stderr.String(), w.Fx.AdminToken) {
		t.Error("the credential from the file appears in the output")
	}
}
