package tools_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/internal/testkit"
)

// destGoldenDir holds the golden files of the tools with destinations
// configured: their tools/list entries (deliver_to's enum, keep_old) and
// their answers.
const destGoldenDir = "testdata/destinations"

// TestDestinationSnapshots pins, with the three destinations of destEnv,
// the tools/list entries that change with a config, and the
// structuredContent of a rotation delivered to them and of
// list_destinations. UPDATE_TOOLSNAPS=1 or -update rewrites them.
func TestDestinationSnapshots(t *testing.T) {
	e := newDestEnvOn(t, newGoldenEnv, threeDestinations)
	served := wireTools(t, e.env)
	for _, name := range []string{"rotate_api_key", "create_project_scoped_key", "list_destinations"} {
		got, _ := json.MarshalIndent(served[name], "", "  ")
		checkDestGolden(t, name+".json", strings.ReplaceAll(string(got)+"\n", e.dir, "<dir>"))
	}
	c := e.client()
	for _, tt := range []struct{ golden, tool, args string }{
		{"list_destinations", "list_destinations", `{"check":true}`},
		{"rotate_api_key", "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.keyID)},
	} {
		res := e.call(c, tt.tool, tt.args)
		if res.IsError {
			t.Fatalf("%s: %s", tt.tool, text(res))
		}
		validateOutput(t, e.env, tt.tool, res)
		checkDestGolden(t, tt.golden+".golden", stableJSON(t, res.StructuredContent, e.fx, e.dir))
	}
}

func checkDestGolden(t *testing.T, name, got string) {
	t.Helper()
	testkit.CheckGolden(t, filepath.Join(destGoldenDir, name), got, *update || updateSnaps, "go test ./tools/ -run TestDestinationSnapshots -update")
}
