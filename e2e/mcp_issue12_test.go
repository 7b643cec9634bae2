package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// Issue 12, items 2, 3 and 4, through the built server and a real MCP
// client: list_projects finds an organization's project without org_id,
// an organization key acts on its organization, and revoking the server's
// own key warns in the preview.
func TestMCPIssue12(t *testing.T) {
	t.Run("list_projects searches every organization", func(t *testing.T) {
		w := mcpNewWorld(t)
		s := mcpStartGo(t, w, nil)
		res := s.call(t, "list_projects", map[string]any{"search": "shop"})
		text := mcpText(res)
		want := fmt.Sprintf("%s \"shop\" (organization %s)", w.fx.OrgProject.ID, w.fx.Org.ID)
		if res.IsError || !strings.Contains(text, want) {
			t.Fatalf("list_projects {search: shop} lacks %q:\n%s", want, text)
		}
	})
	t.Run("organization key lists its organization's keys", func(t *testing.T) {
		w := mcpNewWorld(t)
		w.cred = []string{"NEON_API_KEY=" + w.fx.OrgKeyToken}
		s := mcpStartGo(t, w, nil)
		res := s.call(t, "list_api_keys", map[string]any{})
		if text := mcpText(res); res.IsError || !strings.Contains(text, "in organization "+w.fx.Org.ID) || !strings.Contains(text, "shop-deploy") {
			t.Fatalf("list_api_keys with an organization key:\n%s", text)
		}
	})
	t.Run("revoking its own key warns in the preview", func(t *testing.T) {
		w := mcpNewWorld(t)
		s := mcpStartGo(t, w, nil)
		res := s.call(t, "revoke_api_key", map[string]any{"key_id": w.fx.AdminKeyID})
		if text := mcpText(res); !res.IsError || !strings.Contains(text, "WARNING: this looks like the key neonkeys is using") {
			t.Fatalf("revoke preview of the server's own key:\n%s", text)
		}
		w.assertMutations(t, 0)
	})
}
