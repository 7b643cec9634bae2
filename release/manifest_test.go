package release

import (
	"slices"
	"strings"
	"testing"
)

// TestManifestAsksForWhatTheServerNeeds: the key is asked for as a
// sensitive required value and reaches the server through its environment
// only; read-only and the secrets folder become the flags of neonkeys mcp;
// each platform's bundle starts its own binary.
func TestManifestAsksForWhatTheServerNeeds(t *testing.T) {
	s := Surface{Tools: []Tool{{Name: "list_api_keys"}}}
	tests := []struct {
		p        Platform
		entry    string
		platform string
	}{
		{Platform{"linux", "amd64"}, "server/neonkeys", "linux"},
		{Platform{"darwin", "arm64"}, "server/neonkeys", "darwin"},
		{Platform{"windows", "amd64"}, "server/neonkeys.exe", "win32"},
	}
	for _, tt := range tests {
		t.Run(tt.p.String(), func(t *testing.T) {
			m := NewManifest("1.2.3", tt.p, s)
			if m.Server.Type != "binary" || m.Server.EntryPoint != tt.entry || m.Server.MCPConfig.Command != "${__dirname}/"+tt.entry {
				t.Errorf("server %+v, want the binary %s", m.Server, tt.entry)
			}
			if !slices.Equal(m.Compatibility.Platforms, []string{tt.platform}) {
				t.Errorf("platforms %v, want [%s]", m.Compatibility.Platforms, tt.platform)
			}
			key := m.UserConfig[ConfigAPIKey]
			if key.Type != "string" || !key.Sensitive || !key.Required {
				t.Errorf("the API key option %+v, want a sensitive required string", key)
			}
			if got := m.Server.MCPConfig.Env["NEON_API_KEY"]; got != "${user_config.neon_api_key}" {
				t.Errorf("NEON_API_KEY = %q, want the user's key", got)
			}
			for _, a := range m.Server.MCPConfig.Args {
				if strings.Contains(a, ConfigAPIKey) {
					t.Errorf("argument %q carries the key: any local user's ps would show it", a)
				}
			}
			wantArgs := []string{"mcp", "--read-only=${user_config.read_only}", "--secrets-dir=${user_config.secrets_dir}"}
			if !slices.Equal(m.Server.MCPConfig.Args, wantArgs) {
				t.Errorf("args %q, want %q", m.Server.MCPConfig.Args, wantArgs)
			}
			if ro := m.UserConfig[ConfigReadOnly]; ro.Type != "boolean" || ro.Default != false {
				t.Errorf("read-only option %+v, want a boolean, off by default", ro)
			}
			// Left empty, a client would pass the placeholder itself as the
			// folder and the server would not start (see userConfig).
			if dir := m.UserConfig[ConfigSecretsDir]; dir.Type != "directory" || !dir.Required {
				t.Errorf("secrets folder option %+v, want a required directory", dir)
			}
			if len(m.Description) > MaxDescription {
				t.Errorf("description of %d characters", len(m.Description))
			}
		})
	}
}
