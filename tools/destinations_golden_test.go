package tools_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	path := filepath.Join(destGoldenDir, name)
	if *update || updateSnaps {
		if err := os.MkdirAll(destGoldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no golden file (run go test ./tools/ -run TestDestinationSnapshots -update and review it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s changed; review, then run go test ./tools/ -run TestDestinationSnapshots -update\ngot:\n%s", path, got)
	}
}
