package tools_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestPreviewWarnsWhenADestinationHoldsAnotherKey: deliver_to may name a
// destination whose holds: is another key (a model's choice, or a slip):
// the delivery replaces that key's token there, and that key is then held
// by nothing. The rotate and create previews named only the target; they
// must say which key the destination holds and that it will stop holding it.
func TestPreviewWarnsWhenADestinationHoldsAnotherKey(t *testing.T) {
	e := newDestEnv(t, threeDestinations)
	c := e.client()
	_, otherID := e.fake.AddPersonalKey(e.fx.Admin.ID, "analytics")
	for name, call := range map[string]string{
		"rotate": fmt.Sprintf(`{"key_id":%d,"deliver_to":["shop-env"]}`, otherID),
		"create": fmt.Sprintf(`{"project_id":%q,"key_name":"scratch","deliver_to":["shop-env"]}`, e.fx.OrgProject.ID),
	} {
		tool := map[string]string{"rotate": "rotate_api_key", "create": "create_project_scoped_key"}[name]
		preview := text(e.call(c, tool, call))
		if !strings.Contains(preview, "WARNING: shop-env holds the key shop-deploy") {
			t.Errorf("%s preview lacks the warning: %s", name, preview)
		}
	}
	// Rotating the key it holds needs no such warning.
	own := text(e.call(c, "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"deliver_to":["shop-env"]}`, e.keyID)))
	// A preview naming shop-env, so the check below is about a real preview.
	if !strings.Contains(own, "shop-env") || !strings.Contains(own, "confirm") {
		t.Fatalf("no preview of the rotation to shop-env: %s", own)
	}
	if strings.Contains(own, "holds the key shop-deploy") {
		t.Errorf("warned about the key being rotated: %s", own)
	}
	if n := len(e.mutations()); n != 0 {
		t.Fatalf("%d mutations from previews", n)
	}
}
