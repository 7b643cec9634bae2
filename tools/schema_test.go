package tools_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// UPDATE_TOOLSNAPS=1 go test ./tools/ rewrites the snapshots; review the diff.
var updateSnaps = os.Getenv("UPDATE_TOOLSNAPS") != ""

func mcpListToolsRequest() mcp.ListToolsRequest { return mcp.ListToolsRequest{} }

func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// wireTools returns each tool as tools/list sends it.
func wireTools(t *testing.T, e *env) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for name, st := range e.mcp.ListTools() {
		b, err := json.Marshal(st.Tool)
		if err != nil {
			t.Fatalf("%s: tools/list would fail: %v", name, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		out[name] = m
	}
	return out
}

// TestToolSnapshots keeps each tool's tools/list entry as a golden file, so
// any change to a name, description, schema or hint is reviewed.
func TestToolSnapshots(t *testing.T) {
	e := newEnv(t)
	for name, tool := range wireTools(t, e) {
		got, _ := json.MarshalIndent(tool, "", "  ")
		got = append(got, '\n')
		path := filepath.Join("testdata", name+".json")
		if updateSnaps {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: no snapshot (run UPDATE_TOOLSNAPS=1 go test ./tools/ and review it): %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: tools/list entry changed; review and run UPDATE_TOOLSNAPS=1 go test ./tools/\ngot:\n%s", name, got)
		}
	}
	// A snapshot of a tool that no longer exists is a removal nobody reviewed.
	served := wireTools(t, e)
	snaps, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, p := range snaps {
		if name := strings.TrimSuffix(filepath.Base(p), ".json"); served[name] == nil {
			t.Errorf("%s: a snapshot of a tool the server no longer serves; delete it if the removal is meant", p)
		}
	}
}

// TestToolMetadata checks what clients rely on: every hint set explicitly
// and right, root type object, additionalProperties false, no top-level
// combinators, a description on every property, a real tool description.
func TestToolMetadata(t *testing.T) {
	want := map[string][4]bool{ // readOnly, destructive, idempotent, openWorld
		"list_api_keys":             {true, false, true, false},
		"list_projects":             {true, false, true, false},
		"whoami":                    {true, false, true, false},
		"audit_api_keys":            {true, false, true, false},
		"list_destinations":         {true, false, true, false},
		"create_project_scoped_key": {false, false, false, false},
		"revoke_api_key":            {false, true, true, false},
		"rotate_api_key":            {false, true, false, false},
	}
	e := newEnv(t)
	tools := wireTools(t, e)
	if len(tools) != len(want) {
		t.Fatalf("%d tools, want %d", len(tools), len(want))
	}
	for name, tool := range tools {
		ann, _ := tool["annotations"].(map[string]any)
		for i, h := range []string{"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"} {
			v, set := ann[h].(bool)
			if !set || v != want[name][i] {
				t.Errorf("%s: %s = %v (set %v), want %v", name, h, ann[h], set, want[name][i])
			}
		}
		desc, _ := tool["description"].(string)
		if len(strings.Fields(desc)) < 8 || !strings.HasSuffix(strings.TrimSpace(desc), ".") {
			t.Errorf("%s: description is not a full sentence: %q", name, desc)
		}
		for _, field := range []string{"inputSchema", "outputSchema"} {
			s, _ := tool[field].(map[string]any)
			checkSchema(t, name+"."+field, s)
		}
		in := tool["inputSchema"].(map[string]any)
		props, _ := in["properties"].(map[string]any)
		if c, ok := props["confirm"].(map[string]any); ok && c["type"] != "boolean" {
			t.Errorf("%s: confirm is %v, want boolean", name, c["type"])
		}
		if k, ok := props["key_id"].(map[string]any); ok && (k["type"] != "integer" || k["minimum"] != float64(1)) {
			t.Errorf("%s: key_id is %v, want integer >= 1", name, k)
		}
		if k, ok := props["key_name"].(map[string]any); ok && k["maxLength"] != float64(64) {
			t.Errorf("%s: key_name maxLength %v, want 64", name, k["maxLength"])
		}
	}
}

func checkSchema(t *testing.T, where string, s map[string]any) {
	t.Helper()
	if s == nil {
		t.Errorf("%s: missing", where)
		return
	}
	if s["type"] != "object" {
		t.Errorf("%s: root type %v, want object", where, s["type"])
	}
	if s["additionalProperties"] != false {
		t.Errorf("%s: additionalProperties %v, want false", where, s["additionalProperties"])
	}
	for _, k := range []string{"oneOf", "anyOf", "allOf", "$ref", "$defs", "$schema"} {
		if _, ok := s[k]; ok {
			t.Errorf("%s: has top-level %s", where, k)
		}
	}
	props, _ := s["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p, _ := props[n].(map[string]any)
		if d, _ := p["description"].(string); d == "" {
			t.Errorf("%s: property %s has no description", where, n)
		}
		if p["type"] == "object" {
			checkSchema(t, where+"."+n, p)
		}
		if items, _ := p["items"].(map[string]any); items != nil && items["type"] == "object" {
			checkSchema(t, where+"."+n+"[]", items)
		}
	}
}

// validateOutput checks structuredContent against the tool's outputSchema,
// as the TypeScript SDK and go-sdk clients do.
func validateOutput(t *testing.T, e *env, tool string, res *mcp.CallToolResult) {
	t.Helper()
	st := e.mcp.GetTool(tool)
	if st == nil {
		t.Fatalf("no tool %s", tool)
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(st.Tool.RawOutputSchema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("out.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("out.json")
	if err != nil {
		t.Fatalf("%s: outputSchema does not compile: %v", tool, err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(dump(res.StructuredContent)))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("%s: structuredContent does not match outputSchema: %v\n%s", tool, err, dump(res.StructuredContent))
	}
}
