package release

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// registrySchema compiles the MCP Registry's server.json schema (draft-07)
// from ../shared; it skips without it, or fails when CI requires it.
func registrySchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(filepath.Dir(moduleRoot(t)), filepath.FromSlash(schemaRelPath))
	raw, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv(requireSchemaEnv) == "1" {
			t.Fatalf("the server.json schema check is required (%s=1): %v", requireSchemaEnv, err)
		}
		t.Skipf("skipping the server.json schema check: %v (the MCP Registry's schema belongs at ../%s)", err, schemaRelPath)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat() // "uri" and the like are checked, as the registry does
	if err := c.AddResource(SchemaURL, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaURL)
	if err != nil {
		t.Fatalf("compiling %s: %v", path, err)
	}
	return s
}

func validateServerJSON(t *testing.T, s *jsonschema.Schema, raw []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("server.json is not JSON: %v", err)
	}
	return s.Validate(inst)
}

func sampleBundles() []Bundle {
	var bs []Bundle
	for _, p := range Platforms() {
		bs = append(bs, Bundle{Platform: p, File: BundleFile("1.2.3", p), SHA256: strings.Repeat("0a", 32)})
	}
	return bs
}

// TestServerJSONMatchesRegistrySchema: the server.json the release script
// writes is one the MCP Registry accepts, and the schema check is real: a
// file broken in each way the registry refuses fails it.
func TestServerJSONMatchesRegistrySchema(t *testing.T) {
	schema := registrySchema(t)
	tests := []struct {
		name  string
		edit  func(*ServerJSON)
		valid bool
	}{
		{name: "as written", edit: func(*ServerJSON) {}, valid: true},
		{name: "description over 100 characters", edit: func(s *ServerJSON) { s.Description = strings.Repeat("x", MaxDescription+1) }},
		{name: "name without a namespace", edit: func(s *ServerJSON) { s.Name = "neonkeys" }},
		{name: "hash in upper case", edit: func(s *ServerJSON) { s.Packages[0].FileSha256 = strings.Repeat("0A", 32) }},
		{name: "hash too short", edit: func(s *ServerJSON) { s.Packages[0].FileSha256 = "0a0a" }},
		{name: "repository URL not a URL", edit: func(s *ServerJSON) { s.Repository.URL = "not a url" }},
		{name: "unknown transport", edit: func(s *ServerJSON) { s.Packages[0].Transport.Type = "pipe" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewServerJSON("1.2.3", sampleBundles())
			tt.edit(&s)
			raw, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			err = validateServerJSON(t, schema, raw)
			if tt.valid && err != nil {
				t.Errorf("the registry's schema refuses it:\n%v", err)
			}
			if !tt.valid && err == nil {
				t.Error("the registry's schema accepts it")
			}
		})
	}
}

// TestServerJSONDescribesEveryBundle: one stdio mcpb package per platform,
// each downloadable from the release of its version, with NEON_API_KEY a
// required secret.
func TestServerJSONDescribesEveryBundle(t *testing.T) {
	s := NewServerJSON("1.2.3", sampleBundles())
	if s.Name != "io.github.neonkeys/neonkeys" || s.Version != "1.2.3" || len(s.Description) > MaxDescription {
		t.Errorf("name %q, version %q, description of %d characters", s.Name, s.Version, len(s.Description))
	}
	if len(s.Packages) != len(Platforms()) {
		t.Fatalf("%d packages, want one per platform (%d)", len(s.Packages), len(Platforms()))
	}
	for i, p := range s.Packages {
		want := "https://github.com/neonkeys/neonkeys/releases/download/v1.2.3/" + BundleFile("1.2.3", Platforms()[i])
		if p.RegistryType != "mcpb" || p.Identifier != want || p.Transport.Type != "stdio" {
			t.Errorf("package %d: %s %s %s, want mcpb %s stdio", i, p.RegistryType, p.Identifier, p.Transport.Type, want)
		}
		if len(p.EnvironmentVariables) != 1 {
			t.Fatalf("package %d declares %d variables, want NEON_API_KEY", i, len(p.EnvironmentVariables))
		}
		if v := p.EnvironmentVariables[0]; v.Name != "NEON_API_KEY" || !v.IsRequired || !v.IsSecret {
			t.Errorf("package %d: %+v, want NEON_API_KEY required and secret", i, v)
		}
	}
}

// TestBuiltServerJSON: the server.json release/check.sh wrote passes the
// registry's schema, and each package's fileSha256 is its bundle's.
func TestBuiltServerJSON(t *testing.T) {
	d := builtDist(t)
	schema := registrySchema(t)
	raw, err := os.ReadFile(filepath.Join(d.Dir, "server.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := validateServerJSON(t, schema, raw); err != nil {
		t.Errorf("dist/server.json: the registry's schema refuses it:\n%v", err)
	}
	var s ServerJSON
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if s.Version != d.Version || len(s.Packages) != len(Platforms()) {
		t.Fatalf("dist/server.json: version %q with %d packages, want %q with %d", s.Version, len(s.Packages), d.Version, len(Platforms()))
	}
	for i, p := range s.Packages {
		file := BundleFile(d.Version, Platforms()[i])
		sum, err := sha256File(filepath.Join(d.Dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if p.FileSha256 != sum || p.Identifier != DownloadURL(d.Version, file) {
			t.Errorf("package %d: %s %s, want %s %s", i, p.Identifier, p.FileSha256, DownloadURL(d.Version, file), sum)
		}
	}
}
