package mcp

import (
	"fmt"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
)

// Issue 12, items 2, 3 and 4, through the built server and a real MCP
// client: list_projects finds an organization's project without org_id,
// an organization key acts on its organization, and revoking the server's
// own key warns in the preview.
func TestMCPIssue12(t *testing.T) {
	t.Run("list_projects searches every organization", func(t *testing.T) {
		w := harness.NewMCPWorld(t)
		s := harness.StartGo(t, w, nil)
		res := s.Call(t, "list_projects", map[string]any{"search": "shop"})
		text := harness.TextOf(res)
		want := fmt.Sprintf("%s \"shop\" (organization %s)", w.Fx.OrgProject.ID, w.Fx.Org.ID)
		if res.IsError || !strings.Contains(text, want) {
			t.Fatalf("list_projects {search: shop} lacks %q:\n%s", want, text)
		}
	})
	t.Run("organization key lists its organization's keys", func(t *testing.T) {
		w := harness.NewMCPWorld(t)
		w.Cred = []string{"NEON_API_KEY=" + w.Fx.OrgKeyToken}
		s := harness.StartGo(t, w, nil)
		res := s.Call(t, "list_api_keys", map[string]any{})
		if text := harness.TextOf(res); res.IsError || !strings.Contains(text, "in organization "+w.Fx.Org.ID) || !strings.Contains(text, "shop-deploy") {
			t.Fatalf("list_api_keys with an organization key:\n%s", text)
		}
	})
	t.Run("revoking its own key warns in the preview", func(t *testing.T) {
		w := harness.NewMCPWorld(t)
		s := harness.StartGo(t, w, nil)
		res := s.Call(t, "revoke_api_key", map[string]any{"key_id": w.Fx.AdminKeyID})
		if text := harness.TextOf(res); !res.IsError || !strings.Contains(text, "WARNING: this looks like the key neonkeys is using") {
			t.Fatalf("revoke preview of the server's own key:\n%s", text)
		}
		w.AssertMutations(t, 0)
	})
}
