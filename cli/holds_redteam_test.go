package cli

import (
	"fmt"
	"strings"
	"testing"
)

// TestToWarnsWhenADestinationHoldsAnotherKey: --to may name a destination
// whose holds: is another key; the delivery replaces that key's token
// there and leaves it live and held by nothing. Before the confirmation,
// create and rotate must say so (the MCP previews do too).
func TestToWarnsWhenADestinationHoldsAnotherKey(t *testing.T) {
	w := newDestWorld(t)
	w.writeConfig(w.threeDestinations())
	t.Chdir(w.home)
	_, otherID := w.srv.AddPersonalKey(w.fx.Admin.ID, "analytics")
	const want = "WARNING: shop-env holds the key shop-deploy"
	for name, args := range map[string][]string{
		"create": {"create", "--name", "scratch", "--project-id", w.fx.OrgProject.ID, "--to", "shop-env"},
		"rotate": {"rotate", fmt.Sprint(otherID), "--to", "shop-env"},
	} {
		r := w.run(args...)
		if !strings.Contains(r.stderr, want) {
			t.Errorf("%s: stderr lacks %q:\n%s", name, want, r.stderr)
		}
	}
	if r := w.run("rotate", fmt.Sprint(w.fx.ProjectKeyID), "--to", "shop-env"); strings.Contains(r.stderr, "holds the key shop-deploy") {
		t.Errorf("warned when rotating the key it holds:\n%s", r.stderr)
	}
}
