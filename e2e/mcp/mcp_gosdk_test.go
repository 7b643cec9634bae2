package mcp

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/internal/testkit"
)

func mcpMutations() []harness.Mutation {
	return []harness.Mutation{
		{Tool: "create_project_scoped_key", Mutations: 1, Args: func(w *harness.MCPWorld) map[string]any {
			return map[string]any{"project_id": w.Fx.OrgProject.ID, "key_name": "e2e-deploy"}
		}, Asks: func(w *harness.MCPWorld) []string {
			return []string{`"e2e-deploy"`, "project " + w.Fx.OrgProject.ID + " in organization " + w.Fx.Org.ID}
		}},
		{Tool: "revoke_api_key", Mutations: 1, Args: func(w *harness.MCPWorld) map[string]any {
			return map[string]any{"key_id": w.SpareID}
		}, Asks: func(w *harness.MCPWorld) []string {
			return []string{fmt.Sprintf(`key %d "scratch" (personal)`, w.SpareID)}
		}},
		{Tool: "rotate_api_key", Mutations: 2, Args: func(w *harness.MCPWorld) map[string]any {
			return map[string]any{"key_id": w.SpareID}
		}, Asks: func(w *harness.MCPWorld) []string {
			return []string{fmt.Sprintf(`key %d "scratch" (personal)`, w.SpareID), `"scratch-rotated-`}
		}},
	}
}

func mcpWith(args map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for key, val := range args {
		out[key] = val
	}
	return out
}

func TestMCPGoSDKToolsAndSchemas(t *testing.T) {
	t.Parallel()
	w := harness.NewMCPWorld(t)
	s := harness.StartGo(t, w, nil)
	tools := s.Tools(t)

	type hints struct{ readOnly, destructive, idempotent bool }
	want := map[string]hints{
		"list_api_keys":             {readOnly: true},
		"list_projects":             {readOnly: true},
		"create_project_scoped_key": {},
		"revoke_api_key":            {destructive: true, idempotent: true},
		"rotate_api_key":            {destructive: true},
	}
	for name, h := range want {
		t.Run(name, func(t *testing.T) {
			tool := tools[name]
			if tool == nil {
				t.Fatalf("tools/list lacks %s; got %v", name, harness.Keys(tools))
			}
			if d := tool.Description; len(d) < 20 || !strings.Contains(d, " ") || !strings.ContainsAny(d, ".") {
				t.Errorf("description %q is not a full sentence", d)
			}
			in := mcpSchema(t, tool.InputSchema)
			if in["type"] != "object" {
				t.Errorf("inputSchema type = %v, want object", in["type"])
			}
			if in["additionalProperties"] != false {
				t.Errorf("inputSchema additionalProperties = %v, want false", in["additionalProperties"])
			}
			out := mcpSchema(t, tool.OutputSchema)
			if out["type"] != "object" {
				t.Errorf("outputSchema type = %v, want object (declared)", out["type"])
			}
			a := tool.Annotations
			if a == nil {
				t.Fatal("no annotations")
			}
			if a.ReadOnlyHint != h.readOnly {
				t.Errorf("readOnlyHint = %v, want %v", a.ReadOnlyHint, h.readOnly)
			}
			if a.DestructiveHint == nil || a.OpenWorldHint == nil {
				t.Fatalf("destructiveHint and openWorldHint must be set explicitly: %+v", a)
			}
			if !h.readOnly {
				if *a.DestructiveHint != h.destructive {
					t.Errorf("destructiveHint = %v, want %v", *a.DestructiveHint, h.destructive)
				}
				if a.IdempotentHint != h.idempotent {
					t.Errorf("idempotentHint = %v, want %v", a.IdempotentHint, h.idempotent)
				}
				props, _ := in["properties"].(map[string]any)
				if c, _ := props["confirm"].(map[string]any); c["type"] != "boolean" {
					t.Errorf("confirm is %v, want a boolean property", props["confirm"])
				}
			}
			if name == "revoke_api_key" || name == "rotate_api_key" {
				props, _ := in["properties"].(map[string]any)
				if k, _ := props["key_id"].(map[string]any); k["type"] != "integer" {
					t.Errorf("key_id is %v, want type integer", props["key_id"])
				}
			}
		})
	}
}

func mcpSchema(t *testing.T, s any) map[string]any {
	t.Helper()
	var out map[string]any
	harness.Decode(t, s, &out)
	return out
}

func TestMCPGoSDKListAPIKeys(t *testing.T) {
	t.Parallel()
	w := harness.NewMCPWorld(t)
	s := harness.StartGo(t, w, nil)

	type key struct {
		ID        int64  `json:"id"`
		Name      string `json:"name"`
		Scope     string `json:"scope"`
		ProjectID string `json:"project_id"`
		OrgID     string `json:"org_id"`
		CreatedAt string `json:"created_at"`
	}
	type listed struct {
		Keys      []key `json:"keys"`
		Total     int   `json:"total"`
		Returned  int   `json:"returned"`
		Truncated bool  `json:"truncated"`
	}
	tests := []struct {
		name  string
		args  map[string]any
		names []string
	}{
		{"personal", map[string]any{}, []string{"laptop", "scratch"}},
		{"organization", map[string]any{"org_id": w.Fx.Org.ID}, []string{"ci", "shop-deploy"}},
		{"project filter", map[string]any{"project_id": w.Fx.OrgProject.ID}, []string{"shop-deploy"}},
		{"name filter", map[string]any{"name_contains": "SCR"}, []string{"scratch"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := s.Call(t, "list_api_keys", tc.args)
			if res.IsError {
				t.Fatalf("list_api_keys %v: %s", tc.args, harness.TextOf(res))
			}
			var got listed
			harness.Decode(t, res.StructuredContent, &got)
			var names []string
			for _, k := range got.Keys {
				names = append(names, k.Name)
				if k.ID == 0 || k.CreatedAt == "" || k.Scope == "" {
					t.Errorf("key %+v lacks id, created_at or scope", k)
				}
				if k.Name == "shop-deploy" && (k.ProjectID != w.Fx.OrgProject.ID || k.Scope != "project") {
					t.Errorf("project-scoped key shows as %+v", k)
				}
			}
			slices.Sort(names)
			if !slices.Equal(names, tc.names) || got.Total != len(tc.names) || got.Returned != len(tc.names) || got.Truncated {
				t.Errorf("got %v total=%d returned=%d truncated=%v, want %v", names, got.Total, got.Returned, got.Truncated, tc.names)
			}
			if harness.TextOf(res) == "" {
				t.Error("no text summary beside structuredContent")
			}
			if toks := testkit.TokenPattern.FindAllString(harness.AllOf(t, res), -1); len(toks) > 0 {
				t.Errorf("list answer shows tokens: %v", toks)
			}
		})
	}
	w.AssertMutations(t, 0)
}

// TestMCPGoSDKConfirmGate: a client without elicitation support must still
// pass confirm: true; anything less previews and changes nothing.
func TestMCPGoSDKConfirmGate(t *testing.T) {
	t.Parallel()
	for _, m := range mcpMutations() {
		t.Run(m.Tool, func(t *testing.T) {
			t.Parallel()
			w := harness.NewMCPWorld(t)
			s := harness.StartGo(t, w, nil)
			for _, confirm := range []any{nil, false, "true", 1} {
				args := m.Args(w)
				if confirm != nil {
					args = mcpWith(args, "confirm", confirm)
				}
				res := s.Call(t, m.Tool, args)
				if !res.IsError {
					t.Fatalf("%s with confirm=%#v succeeded: %s", m.Tool, confirm, harness.TextOf(res))
				}
				if text := harness.TextOf(res); !strings.Contains(text, "confirm") {
					t.Errorf("confirm=%#v: refusal does not say how to confirm: %s", confirm, text)
				}
				w.AssertMutations(t, 0)
			}
			if m.Tool == "revoke_api_key" {
				res := s.Call(t, m.Tool, m.Args(w))
				if text := harness.TextOf(res); !strings.Contains(text, "scratch") {
					t.Errorf("revoke preview does not name the key: %s", text)
				}
			}
			res := s.Call(t, m.Tool, mcpWith(m.Args(w), "confirm", true))
			w.AssertMutated(t, m, res)
		})
	}
}

// TestMCPGoSDKElicitation: with an elicitation-capable client the human is
// asked too; only accept mutates, once.
func TestMCPGoSDKElicitation(t *testing.T) {
	t.Parallel()
	for _, m := range mcpMutations() {
		for _, action := range []string{"accept", "decline", "cancel"} {
			t.Run(m.Tool+"/"+action, func(t *testing.T) {
				t.Parallel()
				w := harness.NewMCPWorld(t)
				rec := &harness.ElicitRecorder{Action: action}
				s := harness.StartGo(t, w, &mcp.ClientOptions{ElicitationHandler: rec.Handle})

				// Without confirm the guard refuses before asking anyone.
				res := s.Call(t, m.Tool, m.Args(w))
				if !res.IsError {
					t.Fatalf("without confirm: %s", harness.TextOf(res))
				}
				w.AssertMutations(t, 0)

				res = s.Call(t, m.Tool, mcpWith(m.Args(w), "confirm", true))
				msgs := rec.Seen()
				if len(msgs) != 1 {
					t.Fatalf("the user was asked %d times, want once: %q", len(msgs), msgs)
				}
				if testkit.TokenPattern.MatchString(msgs[0]) {
					t.Errorf("elicitation message shows a token: %q", msgs[0])
				}
				for _, want := range m.Asks(w) {
					if !strings.Contains(msgs[0], want) {
						t.Errorf("the question %q does not say %q", msgs[0], want)
					}
				}
				if action == "accept" {
					w.AssertMutated(t, m, res)
					return
				}
				if !res.IsError {
					t.Errorf("%s after %s answered without error: %s", m.Tool, action, harness.TextOf(res))
				}
				w.AssertMutations(t, 0)
				if !w.Srv.TokenValid(w.SpareToken) {
					t.Errorf("the spare key was revoked after %s", action)
				}
				if minted := w.MintedTokens(harness.AllOf(t, res)); len(minted) > 0 {
					t.Errorf("a token was delivered after %s", action)
				}
			})
		}
	}
}

// TestMCPGoSDKNoElicit: --no-elicit never asks; confirm alone suffices.
func TestMCPGoSDKNoElicit(t *testing.T) {
	t.Parallel()
	w := harness.NewMCPWorld(t)
	rec := &harness.ElicitRecorder{Action: "decline"}
	s := harness.StartGo(t, w, &mcp.ClientOptions{ElicitationHandler: rec.Handle}, "--no-elicit")
	m := mcpMutations()[1] // revoke
	res := s.Call(t, m.Tool, m.Args(w))
	if !res.IsError {
		t.Fatalf("without confirm: %s", harness.TextOf(res))
	}
	w.AssertMutations(t, 0)
	res = s.Call(t, m.Tool, mcpWith(m.Args(w), "confirm", true))
	w.AssertMutated(t, m, res)
	if msgs := rec.Seen(); len(msgs) != 0 {
		t.Errorf("--no-elicit still asked the user: %q", msgs)
	}
}

// TestMCPGoSDKReadOnly: --read-only serves only tools that change nothing.
func TestMCPGoSDKReadOnly(t *testing.T) {
	t.Parallel()
	w := harness.NewMCPWorld(t)
	s := harness.StartGo(t, w, nil, "--read-only")
	tools := s.Tools(t)
	for name, tool := range tools {
		if tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
			t.Errorf("--read-only serves %s, which is not read-only", name)
		}
	}
	if tools["list_api_keys"] == nil {
		t.Errorf("--read-only lacks list_api_keys: %v", harness.Keys(tools))
	}
	for _, m := range mcpMutations() {
		res, err := s.CallErr(m.Tool, mcpWith(m.Args(w), "confirm", true))
		if err == nil && !res.IsError {
			t.Errorf("--read-only ran %s: %s", m.Tool, harness.TextOf(res))
		}
	}
	w.AssertMutations(t, 0)
}
