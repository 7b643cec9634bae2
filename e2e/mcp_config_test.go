package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestMCPNoCredential: without a credential the server still starts and
// lists its tools; each call says how to set one, and nothing is sent.
func TestMCPNoCredential(t *testing.T) {
	t.Parallel()
	w := mcpNewWorld(t)
	w.cred = nil
	s := mcpStartRawReady(t, w, mcpRawOptions{})
	if names := s.toolNames(t); !slices.Contains(names, "list_api_keys") {
		t.Fatalf("tools/list without a credential: %v", names)
	}
	for _, call := range []struct {
		tool string
		args map[string]any
	}{
		{"list_api_keys", map[string]any{}},
		{"revoke_api_key", map[string]any{"key_id": w.spareID, "confirm": true}},
	} {
		res := s.callTool(t, call.tool, call.args)
		if !res.IsError || !strings.Contains(res.text(), "NEON_API_KEY") {
			t.Errorf("%s without a credential: isError=%v %q, want advice naming NEON_API_KEY", call.tool, res.IsError, res.text())
		}
	}
	if n := len(w.srv.Requests()); n != 0 {
		t.Errorf("the fake API got %d requests without a credential", n)
	}
	s.assertStdoutIsJSONRPC(t)
}

// TestMCPCredentialFile: NEON_API_KEY_FILE works in mcp mode, and the file's
// content never reaches the output.
func TestMCPCredentialFile(t *testing.T) {
	t.Parallel()
	w := mcpNewWorld(t)
	path := filepath.Join(t.TempDir(), "neon.key")
	if err := os.WriteFile(path, []byte(w.fx.AdminToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.cred = []string{"NEON_API_KEY_FILE=" + path}
	s := mcpStartRawReady(t, w, mcpRawOptions{})
	res := s.callTool(t, "list_api_keys", map[string]any{})
	if res.IsError {
		t.Fatalf("list_api_keys with NEON_API_KEY_FILE: %s", res.text())
	}
	if !strings.Contains(string(res.StructuredContent), `"laptop"`) {
		t.Errorf("list_api_keys did not list the admin's keys: %s", res.StructuredContent)
	}
	if strings.Contains(s.stdout.String()+s.stderr.String(), w.fx.AdminToken) {
		t.Error("the credential from the file appears in the output")
	}
}
