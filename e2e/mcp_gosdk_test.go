package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The go-sdk client negotiates the 2026-07-28 protocol (multi-round-trip
// elicitation), the raw client in mcp_raw_test.go the legacy 2025-11-25 one.

// mcpMutation is one mutating tool call against the world's fixture.
type mcpMutation struct {
	tool      string
	args      func(w *mcpWorld) map[string]any // without confirm
	mutations int                              // POST/DELETE requests when it runs
	asks      func(w *mcpWorld) []string       // what the question to the human must say
}

func mcpMutations() []mcpMutation {
	return []mcpMutation{
		{tool: "create_project_scoped_key", mutations: 1, args: func(w *mcpWorld) map[string]any {
			return map[string]any{"project_id": w.fx.OrgProject.ID, "key_name": "e2e-deploy"}
		}, asks: func(w *mcpWorld) []string {
			return []string{`"e2e-deploy"`, "project " + w.fx.OrgProject.ID + " in organization " + w.fx.Org.ID}
		}},
		{tool: "revoke_api_key", mutations: 1, args: func(w *mcpWorld) map[string]any {
			return map[string]any{"key_id": w.spareID}
		}, asks: func(w *mcpWorld) []string {
			return []string{fmt.Sprintf(`key %d "scratch" (personal)`, w.spareID)}
		}},
		{tool: "rotate_api_key", mutations: 2, args: func(w *mcpWorld) map[string]any {
			return map[string]any{"key_id": w.spareID}
		}, asks: func(w *mcpWorld) []string {
			return []string{fmt.Sprintf(`key %d "scratch" (personal)`, w.spareID), `"scratch-rotated-`}
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

// assertMutated checks the effect a mutating call had on the fake.
func (w *mcpWorld) assertMutated(t *testing.T, m mcpMutation, res *mcp.CallToolResult) {
	t.Helper()
	if res.IsError {
		t.Fatalf("%s with consent failed: %s", m.tool, mcpText(res))
	}
	// A rotation revokes the old key only once its answer was written.
	mcpWaitFor(t, m.tool+"'s mutations", func() bool { return len(w.srv.Mutations()) >= m.mutations })
	w.assertMutations(t, m.mutations)
	switch m.tool {
	case "create_project_scoped_key", "rotate_api_key":
		minted := w.mintedTokens(mcpAll(t, res))
		if len(minted) != 1 {
			t.Fatalf("%s answer holds %d new tokens, want 1: %s", m.tool, len(minted), mcpText(res))
		}
		if !w.srv.TokenValid(minted[0]) {
			t.Errorf("%s delivered a token the API does not accept", m.tool)
		}
	}
	switch m.tool {
	case "create_project_scoped_key":
		var created struct {
			ID        int64  `json:"id"`
			Key       string `json:"key"`
			ProjectID string `json:"project_id"`
			Scope     string `json:"scope"`
		}
		mcpDecode(t, res.StructuredContent, &created)
		info, ok := w.srv.Key(created.ID)
		if !ok || info.ProjectID != w.fx.OrgProject.ID || created.ProjectID != w.fx.OrgProject.ID || created.Scope != "project" {
			t.Errorf("created key %d project_id=%q scope=%q (fake: %+v), want a key scoped to project %s",
				created.ID, created.ProjectID, created.Scope, info, w.fx.OrgProject.ID)
		}
		if !w.srv.TokenValid(created.Key) {
			t.Errorf("structuredContent.key is not the new token")
		}
		muts := w.srv.Mutations()
		if muts[0].Path != "/organizations/"+w.fx.Org.ID+"/api_keys" {
			t.Errorf("create went to %s %s, want the project's organization", muts[0].Method, muts[0].Path)
		}
		var body map[string]any
		if err := json.Unmarshal(muts[0].Body, &body); err != nil || body["project_id"] != w.fx.OrgProject.ID {
			t.Errorf("create body %s does not scope the key to project %s", muts[0].Body, w.fx.OrgProject.ID)
		}
	case "revoke_api_key", "rotate_api_key":
		if w.srv.TokenValid(w.spareToken) {
			t.Errorf("%s left the old key valid", m.tool)
		}
	}
	if !w.srv.TokenValid(w.fx.AdminToken) {
		t.Errorf("%s broke the server's own credential", m.tool)
	}
}

func TestMCPGoSDKToolsAndSchemas(t *testing.T) {
	t.Parallel()
	w := mcpNewWorld(t)
	s := mcpStartGo(t, w, nil)
	tools := s.tools(t)

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
				t.Fatalf("tools/list lacks %s; got %v", name, mcpKeys(tools))
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

func mcpKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func mcpSchema(t *testing.T, s any) map[string]any {
	t.Helper()
	var out map[string]any
	mcpDecode(t, s, &out)
	return out
}

func TestMCPGoSDKListAPIKeys(t *testing.T) {
	t.Parallel()
	w := mcpNewWorld(t)
	s := mcpStartGo(t, w, nil)

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
		{"organization", map[string]any{"org_id": w.fx.Org.ID}, []string{"ci", "shop-deploy"}},
		{"project filter", map[string]any{"project_id": w.fx.OrgProject.ID}, []string{"shop-deploy"}},
		{"name filter", map[string]any{"name_contains": "SCR"}, []string{"scratch"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := s.call(t, "list_api_keys", tc.args)
			if res.IsError {
				t.Fatalf("list_api_keys %v: %s", tc.args, mcpText(res))
			}
			var got listed
			mcpDecode(t, res.StructuredContent, &got)
			var names []string
			for _, k := range got.Keys {
				names = append(names, k.Name)
				if k.ID == 0 || k.CreatedAt == "" || k.Scope == "" {
					t.Errorf("key %+v lacks id, created_at or scope", k)
				}
				if k.Name == "shop-deploy" && (k.ProjectID != w.fx.OrgProject.ID || k.Scope != "project") {
					t.Errorf("project-scoped key shows as %+v", k)
				}
			}
			slices.Sort(names)
			if !slices.Equal(names, tc.names) || got.Total != len(tc.names) || got.Returned != len(tc.names) || got.Truncated {
				t.Errorf("got %v total=%d returned=%d truncated=%v, want %v", names, got.Total, got.Returned, got.Truncated, tc.names)
			}
			if mcpText(res) == "" {
				t.Error("no text summary beside structuredContent")
			}
			if toks := mcpTokenPattern.FindAllString(mcpAll(t, res), -1); len(toks) > 0 {
				t.Errorf("list answer shows tokens: %v", toks)
			}
		})
	}
	w.assertMutations(t, 0)
}

// TestMCPGoSDKConfirmGate: a client without elicitation support must still
// pass confirm: true; anything less previews and changes nothing.
func TestMCPGoSDKConfirmGate(t *testing.T) {
	t.Parallel()
	for _, m := range mcpMutations() {
		t.Run(m.tool, func(t *testing.T) {
			t.Parallel()
			w := mcpNewWorld(t)
			s := mcpStartGo(t, w, nil)
			for _, confirm := range []any{nil, false, "true", 1} {
				args := m.args(w)
				if confirm != nil {
					args = mcpWith(args, "confirm", confirm)
				}
				res := s.call(t, m.tool, args)
				if !res.IsError {
					t.Fatalf("%s with confirm=%#v succeeded: %s", m.tool, confirm, mcpText(res))
				}
				if text := mcpText(res); !strings.Contains(text, "confirm") {
					t.Errorf("confirm=%#v: refusal does not say how to confirm: %s", confirm, text)
				}
				w.assertMutations(t, 0)
			}
			if m.tool == "revoke_api_key" {
				res := s.call(t, m.tool, m.args(w))
				if text := mcpText(res); !strings.Contains(text, "scratch") {
					t.Errorf("revoke preview does not name the key: %s", text)
				}
			}
			res := s.call(t, m.tool, mcpWith(m.args(w), "confirm", true))
			w.assertMutated(t, m, res)
		})
	}
}

// TestMCPGoSDKElicitation: with an elicitation-capable client the human is
// asked too; only accept mutates, once.
func TestMCPGoSDKElicitation(t *testing.T) {
	t.Parallel()
	for _, m := range mcpMutations() {
		for _, action := range []string{"accept", "decline", "cancel"} {
			t.Run(m.tool+"/"+action, func(t *testing.T) {
				t.Parallel()
				w := mcpNewWorld(t)
				rec := &mcpElicitRecorder{action: action}
				s := mcpStartGo(t, w, &mcp.ClientOptions{ElicitationHandler: rec.handle})

				// Without confirm the guard refuses before asking anyone.
				res := s.call(t, m.tool, m.args(w))
				if !res.IsError {
					t.Fatalf("without confirm: %s", mcpText(res))
				}
				w.assertMutations(t, 0)

				res = s.call(t, m.tool, mcpWith(m.args(w), "confirm", true))
				msgs := rec.seen()
				if len(msgs) != 1 {
					t.Fatalf("the user was asked %d times, want once: %q", len(msgs), msgs)
				}
				if mcpTokenPattern.MatchString(msgs[0]) {
					t.Errorf("elicitation message shows a token: %q", msgs[0])
				}
				for _, want := range m.asks(w) {
					if !strings.Contains(msgs[0], want) {
						t.Errorf("the question %q does not say %q", msgs[0], want)
					}
				}
				if action == "accept" {
					w.assertMutated(t, m, res)
					return
				}
				if !res.IsError {
					t.Errorf("%s after %s answered without error: %s", m.tool, action, mcpText(res))
				}
				w.assertMutations(t, 0)
				if !w.srv.TokenValid(w.spareToken) {
					t.Errorf("the spare key was revoked after %s", action)
				}
				if minted := w.mintedTokens(mcpAll(t, res)); len(minted) > 0 {
					t.Errorf("a token was delivered after %s", action)
				}
			})
		}
	}
}

// TestMCPGoSDKNoElicit: --no-elicit never asks; confirm alone suffices.
func TestMCPGoSDKNoElicit(t *testing.T) {
	t.Parallel()
	w := mcpNewWorld(t)
	rec := &mcpElicitRecorder{action: "decline"}
	s := mcpStartGo(t, w, &mcp.ClientOptions{ElicitationHandler: rec.handle}, "--no-elicit")
	m := mcpMutations()[1] // revoke
	res := s.call(t, m.tool, m.args(w))
	if !res.IsError {
		t.Fatalf("without confirm: %s", mcpText(res))
	}
	w.assertMutations(t, 0)
	res = s.call(t, m.tool, mcpWith(m.args(w), "confirm", true))
	w.assertMutated(t, m, res)
	if msgs := rec.seen(); len(msgs) != 0 {
		t.Errorf("--no-elicit still asked the user: %q", msgs)
	}
}

// TestMCPGoSDKReadOnly: --read-only serves only tools that change nothing.
func TestMCPGoSDKReadOnly(t *testing.T) {
	t.Parallel()
	w := mcpNewWorld(t)
	s := mcpStartGo(t, w, nil, "--read-only")
	tools := s.tools(t)
	for name, tool := range tools {
		if tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
			t.Errorf("--read-only serves %s, which is not read-only", name)
		}
	}
	if tools["list_api_keys"] == nil {
		t.Errorf("--read-only lacks list_api_keys: %v", mcpKeys(tools))
	}
	for _, m := range mcpMutations() {
		res, err := s.callErr(m.tool, mcpWith(m.args(w), "confirm", true))
		if err == nil && !res.IsError {
			t.Errorf("--read-only ran %s: %s", m.tool, mcpText(res))
		}
	}
	w.assertMutations(t, 0)
}
