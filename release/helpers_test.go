package release

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// requireReleaseEnv set to 1 (as .ci/run does after running
// release/check.sh) makes the tests of the built release fail, not skip,
// when dist/ holds no release.
const requireReleaseEnv = "NEONKEYS_REQUIRE_RELEASE"

// requireSchemaEnv set to 1 (as CI does) makes the server.json schema
// test fail, not skip, when the registry's schema is absent; the same
// switch as the OpenAPI contract tests (neonapi/neontest/openapi.go).
const requireSchemaEnv = "NEONKEYS_REQUIRE_OPENAPI"

// schemaRelPath is the MCP Registry's server.json schema, relative to the
// module root's parent.
const schemaRelPath = "shared/reference/mcp-registry/server.schema.2025-12-11.json"

// moduleRoot is the folder of go.mod above the test's working folder.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// builtDist is the release that release/check.sh left in dist/; the test
// skips when there is none, unless $NEONKEYS_REQUIRE_RELEASE=1.
func builtDist(t *testing.T) Dist {
	t.Helper()
	d, err := ReadDist(filepath.Join(moduleRoot(t), "dist"))
	if err == nil {
		return d
	}
	if os.Getenv(requireReleaseEnv) == "1" {
		t.Fatalf("the release check must have built dist/ (%s=1): %v", requireReleaseEnv, err)
	}
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("skipping: no release built (%v); run `bash release/check.sh` first", err)
	}
	t.Fatalf("dist/ holds a broken release: %v", err)
	return Dist{}
}
