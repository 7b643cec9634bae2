package tools_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/server"
)

// go test ./tools/ -run TestGolden -update rewrites the golden files of
// structuredContent; review the diff. (UPDATE_TOOLSNAPS rewrites the
// tools/list snapshots.)
var update = testkit.UpdateFlag()

// goldenClock is the fake's and the server's fixed clock
// (testkit.GoldenClock, which the CLI's golden files share).
var goldenClock = testkit.GoldenClock

// newGoldenEnv is newEnv on the fixed clock, with the org key used once.
func newGoldenEnv(t *testing.T, o ...envOption) *env {
	t.Helper()
	e := newEnvOn(t, envSetup{fakeNow: testkit.GoldenNow, keysNow: testkit.GoldenNow}, o...)
	testkit.SetGoldenUse(e.fake, e.fx)
	return e
}

// stableJSON is v as indented JSON, with what differs from run to run
// (random fixture ids, tokens, temporary folders) named instead.
func stableJSON(t *testing.T, v any, fx *neontest.Fixture, dir string) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return testkit.Stable(string(b)+"\n", fx, dir)
}

// checkGolden compares got with testdir/name.golden (or rewrites it).
func checkGolden(t *testing.T, testdir, name, got string) {
	t.Helper()
	testkit.CheckGolden(t, filepath.Join(testdir, name+".golden"), got, *update, "go test ./tools/ -run TestGolden -update")
}

// TestGoldenStructuredContent pins each tool's structuredContent: the
// names and shapes of keys/view.go, the same as the CLI's JSON
// (cli.TestOneVocabulary compares them).
func TestGoldenStructuredContent(t *testing.T) {
	e := newGoldenEnv(t)
	c := e.client()
	fx := e.fx
	tests := []struct{ golden, tool, args string }{
		{"list_api_keys", "list_api_keys", fmt.Sprintf(`{"org_id":%q}`, fx.Org.ID)},
		{"list_projects", "list_projects", fmt.Sprintf(`{"org_id":%q}`, fx.Org.ID)},
		{"whoami", "whoami", `{}`},
		{"create_project_scoped_key", "create_project_scoped_key", fmt.Sprintf(`{"project_id":%q,"key_name":"shop-ci","confirm":true}`, fx.OrgProject.ID)},
		{"rotate_api_key", "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"new_key_name":"ci-2","confirm":true}`, fx.OrgKeyID)},
		{"revoke_api_key", "revoke_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, fx.ProjectKeyID)},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			res := e.call(c, tt.tool, tt.args)
			if res.IsError {
				t.Fatalf("%s: %s", tt.tool, text(res))
			}
			validateOutput(t, e, tt.tool, res)
			checkGolden(t, "testdata", tt.golden, stableJSON(t, res.StructuredContent, fx, ""))
		})
	}
}

// TestSecretsDirAnswersAbsolutePaths: with a relative --secrets-dir, the
// answer names the token file by its absolute path, which a client whose
// working folder nobody knows can still find.
func TestSecretsDirAnswersAbsolutePaths(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sec"), 0o700); err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	e := newGoldenEnv(t, withOpts(func(o *server.Options) { o.SecretsDir = "sec" }))
	c := e.client()
	res := e.call(c, "create_project_scoped_key", fmt.Sprintf(`{"project_id":%q,"key_name":"shop-ci","confirm":true}`, e.fx.OrgProject.ID))
	if res.IsError {
		t.Fatal(text(res))
	}
	validateOutput(t, e, "create_project_scoped_key", res)
	// The directory as the OS names it (on macOS /var is /private/var).
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := stableJSON(t, res.StructuredContent, e.fx, real)
	got = strings.ReplaceAll(got, dir, "<dir>")
	checkGolden(t, filepath.Join(wd, "testdata"), "create_project_scoped_key_secrets_dir", got)
	file, _ := structuredMap(t, res)["token_file"].(string)
	if !filepath.IsAbs(file) || !strings.Contains(text(res), file) {
		t.Fatalf("token_file %q, text %q: want one absolute path in both", file, text(res))
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("the token file is not where the answer says: %v", err)
	}
}
