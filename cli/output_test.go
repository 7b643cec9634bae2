package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestCLIListYAMLIsTheJSONInYAML: list -o yaml, written one key at a time,
// is byte for byte the whole -o json list converted to YAML at once (what
// it was before it streamed), for names YAML must quote, an empty list and
// an organization's keys; and it reads back as the same keys.
func TestCLIListYAMLIsTheJSONInYAML(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	for _, name := range []string{"yes", "123", "null", "~", "a: b", "#x", "- y", "[z]", "{w}", `"quoted"`, "'single'",
		" lead", "trail ", "ünï €", "0x1F", "1e3", strings.Repeat("long name ", 30)} {
		srv.AddPersonalKey(fx.Admin.ID, name)
	}
	tests := []struct {
		name string
		args []string
	}{
		{"personal", []string{"list"}},
		{"organization", []string{"list", "--org-id", fx.Org.ID}},
		{"empty", []string{"list", "--name-contains", "no-such-key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asJSON := runCLI(t, runOpts{env: env}, append(tt.args, "-o", "json")...)
			asYAML := runCLI(t, runOpts{env: env}, append(tt.args, "-o", "yaml")...)
			wantCode(t, asJSON, 0)
			wantCode(t, asYAML, 0)
			var whole bytes.Buffer
			if err := jsonToYAML(&whole, []byte(asJSON.stdout)); err != nil {
				t.Fatal(err)
			}
			if asYAML.stdout != whole.String() {
				t.Fatalf("list -o yaml differs from the -o json list in YAML\ngot:\n%s\nwant:\n%s", asYAML.stdout, whole.String())
			}
			var fromJSON, fromYAML []map[string]any
			if err := json.Unmarshal([]byte(asJSON.stdout), &fromJSON); err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal([]byte(asYAML.stdout), &fromYAML); err != nil {
				t.Fatal(err)
			}
			if len(fromYAML) != len(fromJSON) {
				t.Fatalf("YAML holds %d keys, JSON %d", len(fromYAML), len(fromJSON))
			}
			for i := range fromJSON {
				if fromYAML[i]["name"] != fromJSON[i]["name"] {
					t.Errorf("key %d: YAML reads name %q, JSON %q", i, fromYAML[i]["name"], fromJSON[i]["name"])
				}
			}
		})
	}
}
