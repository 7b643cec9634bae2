package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAuditFixture audits the tiny module in testdata/fixture: one mutation
// its test catches, one it misses, one that no longer applies and one that
// does not compile. Neither of the last two may count as caught.
func TestAuditFixture(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test on a fixture module")
	}
	root, err := filepath.Abs("testdata/fixture")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{list: filepath.Join(root, "mutations.yaml"), root: root, timeout: 2 * time.Minute, baseline: true}
	ms, err := loadMutations(cfg.list)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	results, err := audit(context.Background(), cfg, ms, &log)
	if err != nil {
		t.Fatalf("audit: %v\n%s", err, log.String())
	}
	want := map[string]Outcome{"add-subtracts": Caught, "double-triples": Survived, "gone": Broken, "no-compile": Broken}
	if len(results) != len(want) {
		t.Fatalf("%d results, want %d", len(results), len(want))
	}
	for _, r := range results {
		if r.Outcome != want[r.Mutation.ID] {
			t.Errorf("%s: %s (%s), want %s", r.Mutation.ID, r.Outcome, r.Detail, want[r.Mutation.ID])
		}
	}
	if r := results[0]; len(r.Failed) != 1 || r.Failed[0] != "fixture.TestAdd" {
		t.Errorf("add-subtracts caught by %q, want [fixture.TestAdd]", r.Failed)
	}

	var report bytes.Buffer
	printReport(&report, results)
	for _, s := range []string{"caught: 1/4, survived: 1, broken: 2", "SURVIVED double-triples"} {
		if !strings.Contains(report.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, report.String())
		}
	}
}

// TestRunExitCodes checks the exit status a script relies on: 0 only when
// every selected mutation is caught.
func TestRunExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test on a fixture module")
	}
	root, err := filepath.Abs("testdata/fixture")
	if err != nil {
		t.Fatal(err)
	}
	base := []string{"-root", root, "-list", filepath.Join(root, "mutations.yaml"), "-baseline=false"}
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"-run", "add-subtracts"}, 0},
		{[]string{"-run", "double-triples"}, 1},
		{[]string{"-run", "gone"}, 1},
		{[]string{"-run", "no-such-id"}, 2},
		{[]string{"-n", "-run", "add-subtracts,double-triples"}, 0},
		{[]string{"-n", "-run", "no-compile"}, 1},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if got := run(context.Background(), append(base, tt.args...), &stdout, &stderr); got != tt.want {
			t.Errorf("run %q = %d, want %d\n%s%s", tt.args, got, tt.want, stdout.String(), stderr.String())
		}
	}
}

// TestLoadMutationsRefusesTypos: an unknown field or a missing one is an
// error, never a mutation silently left out.
func TestLoadMutationsRefusesTypos(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]string{
		"unknown field": "- {id: a, file: f.go, from: x, to: y, packages: [./], desc: d, pakages: [./]}\n",
		"no packages":   "- {id: a, file: f.go, from: x, to: y, desc: d}\n",
		"same text":     "- {id: a, file: f.go, from: x, to: x, packages: [./], desc: d}\n",
		"duplicate id":  "- {id: a, file: f.go, from: x, to: y, packages: [./], desc: d}\n- {id: a, file: f.go, from: x, to: z, packages: [./], desc: d}\n",
	}
	for name, text := range tests {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
		if err := writeFile(path, text); err != nil {
			t.Fatal(err)
		}
		if _, err := loadMutations(path); err == nil {
			t.Errorf("%s: loaded without error", name)
		}
	}
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o600) }

// TestApplySpacing: gofmt realigning a block must not break an entry, but
// the snippet must still be found exactly once.
func TestApplySpacing(t *testing.T) {
	dir := t.TempDir()
	src := "const (\n\tA    = 1\n\tLong = 2\n)\n"
	if err := writeFile(filepath.Join(dir, "c.go"), src); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		from, want string
		ok         bool
	}{
		{"Long = 2", "const (\n\tA    = 1\n\tLong = 3\n)\n", true},
		{"A = 1", "const (\n\tA = 9\n\tLong = 2\n)\n", true},
		{"B = 1", "", false},
		{"=", "", false}, // twice
	}
	for _, tt := range tests {
		to := strings.Replace(strings.Replace(tt.from, "2", "3", 1), "1", "9", 1)
		got, err := apply(dir, Mutation{File: "c.go", From: tt.from, To: to})
		if (err == nil) != tt.ok || (tt.ok && string(got) != tt.want) {
			t.Errorf("apply %q = %q, %v; want %q, ok %v", tt.from, got, err, tt.want, tt.ok)
		}
	}
}

// TestWithoutBaselineFailures: a test that fails unmutated cannot catch a
// mutation; another test failing still does.
func TestWithoutBaselineFailures(t *testing.T) {
	failing := map[string]bool{"e2e.TestFlaky/sub": true}
	tests := []struct {
		failed []string
		caught bool
	}{
		{[]string{"e2e.TestFlaky/sub"}, false},
		{[]string{"e2e.TestFlaky"}, false},
		{[]string{"e2e.TestFlaky/sub", "cli.TestExit"}, true},
		{[]string{"cli.TestExit"}, true},
	}
	for _, tt := range tests {
		tr := testRun{err: errors.New("exit status 1"), failed: tt.failed, packageFailed: true}.without(failing)
		if got := tr.err != nil; got != tt.caught {
			t.Errorf("failed %q: caught %v, want %v", tt.failed, got, tt.caught)
		}
	}
}

// TestSnapshot: -rev audits a copy of the committed tree, with the module
// root's siblings reachable as from the working tree.
func TestSnapshot(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts the repository")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir, cleanup, err := snapshot(t.Context(), root, "HEAD")
	if err != nil {
		t.Skipf("no git history here: %v", err)
	}
	defer cleanup()
	if _, err := os.Stat(filepath.Join(dir, "internal", "mutate", "mutations.yaml")); err != nil {
		t.Errorf("the snapshot lacks the committed mutation list: %v", err)
	}
	siblings, _ := os.ReadDir(filepath.Dir(root))
	for _, s := range siblings {
		if _, err := os.Stat(filepath.Join(filepath.Dir(dir), s.Name())); err != nil {
			t.Errorf("sibling %s not reachable from the snapshot: %v", s.Name(), err)
		}
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	cleanup()
	if _, err := os.Stat(dir); err == nil {
		t.Error("cleanup left the snapshot behind")
	}
}
