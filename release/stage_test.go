package release

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// testVersion is what the binary built here is stamped with, as the
// release build stamps a tag.
const testVersion = "9.9.9-test"

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
	cmd := exec.Command("go", "build",
		"-ldflags", "-X github.com/neonkeys/neonkeys/internal/buildinfo.version=v"+testVersion,
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
	driveAsInstalled(t, readManifest(t, dir), dir, "v"+testVersion)
}
