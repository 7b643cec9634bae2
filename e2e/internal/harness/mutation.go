package harness

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Mutation is one mutating tool call against the world's fixture.
type Mutation struct {
	Tool      string
	Args      func(w *MCPWorld) map[string]any // without confirm
	Mutations int                              // POST/DELETE requests when it runs
	Asks      func(w *MCPWorld) []string       // what the question to the human must say
}

// AssertMutated checks the effect a mutating call had on the fake.
func (w *MCPWorld) AssertMutated(t *testing.T, m Mutation, res *mcp.CallToolResult) {
	t.Helper()
	if res.IsError {
		t.Fatalf("%s with consent failed: %s", m.Tool, TextOf(res))
	}
	// A rotation revokes the old key only once its answer was written.
	WaitFor(t, m.Tool+"'s mutations", func() bool { return len(w.Srv.Mutations()) >= m.Mutations })
	w.AssertMutations(t, m.Mutations)
	switch m.Tool {
	case "create_project_scoped_key", "rotate_api_key":
		minted := w.MintedTokens(AllOf(t, res))
		if len(minted) != 1 {
			t.Fatalf("%s answer holds %d new tokens, want 1: %s", m.Tool, len(minted), TextOf(res))
		}
		if !w.Srv.TokenValid(minted[0]) {
			t.Errorf("%s delivered a token the API does not accept", m.Tool)
		}
	}
	switch m.Tool {
	case "create_project_scoped_key":
		var created struct {
			ID        int64  `json:"id"`
			Key       string `json:"key"`
			ProjectID string `json:"project_id"`
			Scope     string `json:"scope"`
		}
		Decode(t, res.StructuredContent, &created)
		info, ok := w.Srv.Key(created.ID)
		if !ok || info.ProjectID != w.Fx.OrgProject.ID || created.ProjectID != w.Fx.OrgProject.ID || created.Scope != "project" {
			t.Errorf("created key %d project_id=%q scope=%q (fake: %+v), want a key scoped to project %s",
				created.ID, created.ProjectID, created.Scope, info, w.Fx.OrgProject.ID)
		}
		if !w.Srv.TokenValid(created.Key) {
			t.Errorf("structuredContent.key is not the new token")
		}
		muts := w.Srv.Mutations()
		if muts[0].Path != "/organizations/"+w.Fx.Org.ID+"/api_keys" {
			t.Errorf("create went to %s %s, want the project's organization", muts[0].Method, muts[0].Path)
		}
		var body map[string]any
		if err := json.Unmarshal(muts[0].Body, &body); err != nil || body["project_id"] != w.Fx.OrgProject.ID {
			t.Errorf("create body %s does not scope the key to project %s", muts[0].Body, w.Fx.OrgProject.ID)
		}
	case "revoke_api_key", "rotate_api_key":
		if w.Srv.TokenValid(w.SpareToken) {
			t.Errorf("%s left the old key valid", m.Tool)
		}
	}
	if !w.Srv.TokenValid(w.Fx.AdminToken) {
		t.Errorf("%s broke the server's own credential", m.Tool)
	}
}

// Keys returns the keys of m, sorted, for failure messages.
func Keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
