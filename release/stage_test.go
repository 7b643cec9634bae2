package release

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// What the binary built here is stamped with, as the release build stamps
// a tag, its commit and the commit's date.
const (
	testVersion = "9.9.9-test"
	testCommit  = "0123456789abcdef0123456789abcdef01234567"
	testDate    = "2026-12-02T01:54:21Z"
	// testVersionLine is how `neonkeys version` and the MCP serverInfo
	// say it.
	testVersionLine = "v" + testVersion + " (commit 0123456789ab, built " + testDate + ")"
)

// mcpbCLI is the pinned mcpb tool (npm ci --prefix release/mcpb); without
// it the test skips, except in CI.
func mcpbCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(moduleRoot(t), "release", "mcpb", "node_modules", ".bin", "mcpb")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mcpb is not installed (npm ci --prefix release/mcpb): %v", err)
		}
		t.Skipf("skipping: mcpb is not installed; run npm ci --prefix release/mcpb (%v)", err)
	}
	return bin
}

// buildStamped builds this source's binary with its version stamped in as
// .goreleaser.yaml stamps a tag. Without the release's other flags, so
// that it reuses what other builds of the tree left in the build cache.
func buildStamped(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), Host().Executable())
	const pkg = "github.com/neonkeys/neonkeys/internal/buildinfo."
	cmd := exec.Command("go", "build",
		"-ldflags", "-X "+pkg+"version=v"+testVersion+" -X "+pkg+"commit="+testCommit+" -X "+pkg+"date="+testDate,
		"-o", bin, ".")
	cmd.Dir = moduleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBundlesFromTheCurrentSource does what release/check.sh does for the
// bundles, without goreleaser (too slow to build for every CI run): the
// manifest of each platform, from this source's own tools and prompts,
// passes `mcpb validate`, and the host's, laid out as a bundle, serves
// what it lists when started as its manifest says.
func TestBundlesFromTheCurrentSource(t *testing.T) {
	mcpb := mcpbCLI(t)
	bin := buildStamped(t)
	t.Run("version", func(t *testing.T) { checkStampedVersion(t, bin) })
	s, err := Probe(context.Background(), bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range s.Prompts {
		for _, a := range p.Arguments {
			if !strings.Contains(p.Text, "${arguments."+a+"}") {
				t.Errorf("prompt %s: its text never uses argument %s:\n%s", p.Name, a, p.Text)
			}
		}
	}
	license := filepath.Join(moduleRoot(t), "LICENSE")
	staged := map[Platform]string{}
	for _, p := range Platforms() {
		dir := filepath.Join(t.TempDir(), p.String())
		if err := stageOne(dir, bin, license, NewManifest(testVersion, p, s)); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(mcpb, "validate", filepath.Join(dir, "manifest.json")).CombinedOutput(); err != nil {
			t.Errorf("mcpb validate of the %s manifest: %v\n%s", p, err, out)
		}
		staged[p] = dir
	}
	if runtime.GOOS != "linux" {
		t.Skipf("the bundles are driven on linux; this is %s", runtime.GOOS)
	}
	dir := staged[Host()]
	driveAsInstalled(t, readManifest(t, dir), dir, testVersionLine)
}

// checkStampedVersion: what the release build stamps is what `neonkeys
// version`, --version and version -o json say.
func checkStampedVersion(t *testing.T, bin string) {
	t.Helper()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if want := "neonkeys " + testVersionLine + "\n"; string(out) != want {
			t.Errorf("%v printed %q, want %q", args, out, want)
		}
	}
	out, err := exec.Command(bin, "version", "-o", "json").Output()
	if err != nil {
		t.Fatalf("version -o json: %v", err)
	}
	var v struct{ Version, Commit, Date string }
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("version -o json printed %s: %v", out, err)
	}
	if v.Version != "v"+testVersion || v.Commit != testCommit || v.Date != testDate {
		t.Errorf("version -o json: %+v", v)
	}
}
