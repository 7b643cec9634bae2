package destination

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/destination/githubtest"
	"github.com/neonkeys/neonkeys/secret"
)

const (
	testToken   = "napi_newtoken0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
	githubCred  = "ghp_testcredential0123456789abcdef"
	neonCredEnv = "napi_oldcredential0123456789abcdefghijklmnopqrstuvwxyz0123456"
)

// testEnv is an environment with the fake GitHub and every secret variable
// set, so a test notices one that leaks to a child.
func testEnv(t testing.TB, gh *githubtest.Server) Env {
	t.Helper()
	vars := map[string]string{
		"PATH":                  os.Getenv("PATH"),
		"HOME":                  t.TempDir(),
		"LANG":                  "C.UTF-8",
		"NEON_API_KEY":          neonCredEnv,
		"NEON_API_KEY_FILE":     "/run/secrets/neon",
		"GH_TOKEN":              githubCred,
		"GITHUB_TOKEN":          githubCred + "x",
		"VAULT_TOKEN":           "hvs.vaulttoken0123456789",
		"AWS_SECRET_ACCESS_KEY": "awssecret0123456789abcdef",
	}
	if gh != nil {
		vars["GITHUB_API_URL"] = gh.URL
	}
	return Env{
		Getenv:   func(k string) string { return vars[k] },
		Redactor: secret.NewRedactor(neonCredEnv),
	}
}

// parse parses a config written for a test, in a temporary folder.
func parse(t testing.TB, yaml string) (*Config, error) {
	t.Helper()
	dir := t.TempDir()
	return Parse([]byte(yaml), filepath.Join(dir, "config.yaml"), "/home/ann")
}

// mustOpen parses yaml and opens all its destinations in the config's order
// of names given.
func mustOpen(t testing.TB, env Env, yaml string, names ...string) []Destination {
	t.Helper()
	cfg, err := parse(t, yaml)
	if err != nil {
		t.Fatal(err)
	}
	specs, err := cfg.Lookup(names...)
	if err != nil {
		t.Fatal(err)
	}
	dests, err := Open(specs, env)
	if err != nil {
		t.Fatal(err)
	}
	return dests
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// noToken fails when any text holds the token or a long piece of it.
func noToken(t *testing.T, what string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, testToken) || strings.Contains(s, testToken[5:25]) {
			t.Errorf("%s holds the token: %q", what, s)
		}
	}
}
