package remote

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// conformanceDir holds the pinned official MCP conformance suite
// (package.json, package-lock.json); npm ci there installs it and the
// Node 22 it needs.
const conformanceDir = "conformance"

// TestConformance runs the official MCP conformance suite's server
// scenarios that apply to a server with these tools against the binary in
// remote mode. It sends no Authorization header, as a client that has not
// been given a key yet. Skipped when the suite is not installed
// (cd e2e/remote/conformance && npm ci).
func TestConformance(t *testing.T) {
	bin, _ := filepath.Abs(filepath.Join(conformanceDir, "node_modules", ".bin", "conformance"))
	node, _ := filepath.Abs(filepath.Join(conformanceDir, "node_modules", "node", "bin"))
	if _, err := os.Stat(bin); err != nil {
		skipOutsideCI(t, "the conformance suite is not installed: cd e2e/remote/conformance && npm ci")
	}
	fake := neontest.New(t)
	fake.Seed()
	in := start(t, fake, nil)
	// The suite checks DNS rebinding protection on a localhost URL.
	url := strings.Replace(in.url, "127.0.0.1", "localhost", 1)
	for _, scenario := range []string{"server-initialize", "ping", "tools-list", "prompts-list", "logging-set-level", "dns-rebinding-protection"} {
		t.Run(scenario, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "server", "--url", url, "--scenario", scenario)
			cmd.Dir = conformanceDir
			cmd.Env = append(os.Environ(), "PATH="+node+string(os.PathListSeparator)+os.Getenv("PATH"), "NO_COLOR=1")
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), " 0 failed") || strings.Contains(string(out), "FAILURE") {
				t.Fatalf("conformance %s: %v\n%s", scenario, err, out)
			}
		})
	}
}

// skipOutsideCI skips a test whose npm packages are not installed, except
// in CI, where .ci/run installs them and the test must run.
func skipOutsideCI(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s; CI must run it (.ci/run runs npm ci in e2e/remote/conformance)", why)
	}
	t.Skip(why)
}
