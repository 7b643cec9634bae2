package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Outcome is what became of one mutation.
type Outcome string

const (
	Caught   Outcome = "caught"   // a test failed
	Survived Outcome = "survived" // every test passed: a gap
	Broken   Outcome = "broken"   // it no longer applies or does not compile: fix the list
	Applies  Outcome = "applies"  // -n: it applies and compiles (not run)
)

// Result is the audit of one mutation.
type Result struct {
	Mutation Mutation
	Outcome  Outcome
	Detail   string   // why broken, or how it was caught
	Failed   []string // the tests that failed
	Took     time.Duration
}

// audit plants each mutation in turn and runs its tests.
func audit(ctx context.Context, cfg config, ms []Mutation, log io.Writer) ([]Result, error) {
	tmp, err := os.MkdirTemp("", "mutation-audit-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	// A tree that does not compile as it is would make every mutation look
	// broken (others may be editing it): say so once instead.
	if out, err := goCmd(ctx, cfg.root, os.Environ(), "build", "-o", os.DevNull, "./..."); err != nil {
		return nil, fmt.Errorf("the module does not compile unmutated: %s", compileError(out))
	}
	var failing map[string]bool
	if cfg.baseline && !cfg.dryRun {
		if failing, err = checkBaseline(ctx, cfg, ms, log); err != nil {
			return nil, err
		}
	}
	results := make([]Result, 0, len(ms))
	for i, m := range ms {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("interrupted after %d of %d mutations: %w", i, len(ms), err)
		}
		start := time.Now()
		r := auditOne(ctx, cfg, m, filepath.Join(tmp, fmt.Sprintf("m%03d", i)), failing, log)
		r.Took = time.Since(start).Round(100 * time.Millisecond)
		fmt.Fprintf(log, "[%d/%d] %-32s %-8s %s\n", i+1, len(ms), m.ID, r.Outcome, r.Took)
		results = append(results, r)
	}
	return results, nil
}

// checkBaseline runs the tests unmutated, each package once (its -run
// filters joined), and returns the tests that fail already: they cannot
// count as catching a mutation. It fails only when the tests do not build.
func checkBaseline(ctx context.Context, cfg config, ms []Mutation, log io.Writer) (map[string]bool, error) {
	filters := map[string][]string{} // package -> its filters; "" means all tests
	var pkgs []string
	for _, m := range ms {
		for _, p := range m.Packages {
			if _, seen := filters[p]; !seen {
				pkgs = append(pkgs, p)
			}
			if f := m.Run[p]; !slices.Contains(filters[p], f) {
				filters[p] = append(filters[p], f)
			}
		}
	}
	var groups []testGroup
	for _, p := range pkgs {
		run := ""
		if !slices.Contains(filters[p], "") {
			run = "(" + strings.Join(filters[p], ")|(") + ")"
		}
		i := slices.IndexFunc(groups, func(g testGroup) bool { return g.run == run })
		if i < 0 {
			groups = append(groups, testGroup{run: run})
			i = len(groups) - 1
		}
		groups[i].pkgs = append(groups[i].pkgs, p)
	}
	failing := map[string]bool{}
	for _, g := range groups {
		fmt.Fprintf(log, "baseline: go test -run %q %s\n", g.run, strings.Join(g.pkgs, " "))
		tr := goTest(ctx, cfg, os.Environ(), g.pkgs, g.run)
		if tr.buildFailed {
			return nil, fmt.Errorf("baseline: the tests of %s do not build:\n%s", strings.Join(g.pkgs, " "), tail(tr.output, 20))
		}
		if tr.err != nil && len(tr.failed) == 0 {
			return nil, fmt.Errorf("baseline: go test %s failed outside any test:\n%s", strings.Join(g.pkgs, " "), tail(tr.output, 20))
		}
		for _, f := range tr.failed {
			fmt.Fprintf(log, "baseline: %s fails unmutated: it will not count as a catch\n", f)
			failing[f] = true
		}
	}
	return failing, nil
}

// auditOne plants m through an overlay in dir and runs its tests.
// failing holds the tests that fail unmutated: their failure is no catch.
func auditOne(ctx context.Context, cfg config, m Mutation, dir string, failing map[string]bool, log io.Writer) Result {
	res := Result{Mutation: m}
	env, err := overlayEnv(cfg.root, m, dir)
	if err != nil {
		res.Outcome, res.Detail = Broken, err.Error()
		return res
	}
	if out, err := goBuild(ctx, cfg.root, env, m, dir); err != nil {
		res.Outcome, res.Detail = Broken, "does not compile: "+compileError(out)
		return res
	}
	if cfg.dryRun {
		res.Outcome = Applies
		return res
	}
	var tr testRun
	for _, g := range m.groups() {
		tr = tr.merge(goTest(ctx, cfg, env, g.pkgs, g.run).without(failing))
		if tr.err != nil && !cfg.allGroups {
			break // caught (or broken): the later, narrower runs add nothing
		}
	}
	if cfg.verbose {
		fmt.Fprintf(log, "--- %s\n%s\n", m.ID, tr.output)
	}
	res.Failed = tr.failed
	switch {
	case tr.buildFailed:
		res.Outcome, res.Detail = Broken, "the tests do not compile: "+tail(tr.output, 3)
	case tr.err == nil:
		res.Outcome = Survived
	case len(tr.failed) > 0 || tr.packageFailed:
		res.Outcome = Caught
		if tr.timedOut {
			res.Detail = "a test hung until the timeout"
		}
	default:
		res.Outcome, res.Detail = Broken, fmt.Sprintf("go test failed without a failing test: %v: %s", tr.err, tail(tr.output, 3))
	}
	return res
}

// overlayEnv writes the mutated file and its overlay into dir and returns the
// environment that plants it. GOFLAGS, unlike a -overlay flag, reaches the go
// commands the tests start themselves.
func overlayEnv(root string, m Mutation, dir string) ([]string, error) {
	src, err := apply(root, m)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	mutant := filepath.Join(dir, filepath.Base(m.File))
	if err := os.WriteFile(mutant, src, 0o600); err != nil {
		return nil, fmt.Errorf("writing the mutant: %w", err)
	}
	target, err := filepath.Abs(filepath.Join(root, m.File))
	if err != nil {
		return nil, err
	}
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {target: mutant}})
	if err != nil {
		return nil, err
	}
	overlayPath := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlayPath, overlay, 0o600); err != nil {
		return nil, fmt.Errorf("writing the overlay: %w", err)
	}
	return withGOFLAGS(os.Environ(), "-overlay="+overlayPath), nil
}

// withGOFLAGS appends flag to GOFLAGS in env, keeping the flags already set.
func withGOFLAGS(env []string, flag string) []string {
	out := make([]string, 0, len(env)+1)
	prev := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GOFLAGS="); ok {
			prev = v + " "
			continue
		}
		out = append(out, kv)
	}
	return append(out, "GOFLAGS="+prev+flag)
}

// goBuild compiles the package of the mutated file (and the rest of the
// module that imports it is left to go test).
func goBuild(ctx context.Context, root string, env []string, m Mutation, dir string) (string, error) {
	pkg := "./" + filepath.ToSlash(filepath.Dir(m.File))
	return goCmd(ctx, root, env, "build", "-o", filepath.Join(dir, "build.out"), pkg)
}

// goCmd runs the go command in root and returns its combined output.
func goCmd(ctx context.Context, root string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Env = root, env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// testRun is what one go test -json run showed.
type testRun struct {
	err           error    // go test's exit status
	failed        []string // "pkg.TestName", in order
	packageFailed bool     // a package failed outside any test (TestMain, a panic)
	buildFailed   bool
	timedOut      bool
	output        string
}

// merge adds the outcome of another go test run of the same mutation.
func (tr testRun) merge(o testRun) testRun {
	if tr.err == nil {
		tr.err = o.err
	}
	tr.failed = append(tr.failed, o.failed...)
	tr.packageFailed = tr.packageFailed || o.packageFailed
	tr.buildFailed = tr.buildFailed || o.buildFailed
	tr.timedOut = tr.timedOut || o.timedOut
	tr.output += o.output
	return tr
}

// without drops the failures of tests that fail unmutated too; a run whose
// only failures were those counts as passed.
func (tr testRun) without(failing map[string]bool) testRun {
	if len(failing) == 0 || tr.err == nil || tr.buildFailed || tr.timedOut {
		return tr
	}
	kept := slices.DeleteFunc(slices.Clone(tr.failed), func(f string) bool {
		for known := range failing {
			if f == known || strings.HasPrefix(f, known+"/") || strings.HasPrefix(known, f+"/") {
				return true
			}
		}
		return false
	})
	if len(kept) == 0 && len(kept) < len(tr.failed) {
		tr.err, tr.packageFailed = nil, false
	}
	tr.failed = kept
	return tr
}

// event is the part of a go test -json event the audit reads.
type event struct {
	Action      string
	Package     string
	ImportPath  string
	Test        string
	Output      string
	FailedBuild string
}

func goTest(ctx context.Context, cfg config, env []string, pkgs []string, run string) testRun {
	args := []string{"test", "-json", "-count=1", "-timeout", cfg.timeout.String()}
	if cfg.race {
		args = append(args, "-race")
	}
	if run != "" {
		args = append(args, "-run", run)
	}
	args = append(args, pkgs...)
	// A watchdog beyond go test's own timeout, for a hang outside any test.
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout+2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Env = cfg.root, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	tr := testRun{err: cmd.Run()}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		tr.timedOut = true
	}
	var text strings.Builder
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev event
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			text.WriteString(sc.Text() + "\n")
			continue
		}
		text.WriteString(ev.Output)
		switch {
		case ev.Action == "build-fail" || ev.FailedBuild != "":
			tr.buildFailed = true
		case ev.Action == "fail" && ev.Test != "":
			tr.failed = addFailed(tr.failed, shortPkg(ev.Package)+"."+ev.Test)
		case ev.Action == "fail":
			tr.packageFailed = true
		}
		if strings.Contains(ev.Output, "panic: test timed out") {
			tr.timedOut = true
		}
	}
	text.Write(stderr.Bytes())
	tr.output = text.String()
	return tr
}

// addFailed records a failed test; a parent whose subtest is already listed
// adds nothing (a subtest's failure fails its parent too).
func addFailed(failed []string, name string) []string {
	for _, f := range failed {
		if strings.HasPrefix(f, name+"/") {
			return failed
		}
	}
	return append(failed, name)
}

// shortPkg drops the module path: tools, not github.com/…/tools.
func shortPkg(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// tail returns the last n non-empty lines of s.
func tail(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// moduleRoot is the folder of the current module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module: run from the neonkeys module or pass -root")
	}
	return filepath.Dir(gomod), nil
}

// compileError is the first compiler message of go build's output (the line
// after "# package").
func compileError(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return l
		}
	}
	return strings.TrimSpace(out)
}
