// Package harness drives the built neonkeys binary as a user and a real MCP
// client would, for the end-to-end test packages under e2e/: it builds the
// binary once per test package, runs it on pipes and pseudo-terminals
// against the fake Neon API in neonapi/neontest, and speaks MCP to it with
// the official Go SDK and a raw JSON-RPC connection.
package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// binary builds the program under test once per test package.
type binary struct {
	dir  string // temp dir holding the binary; removed by Main
	once sync.Once
	path string
	err  error
}

// testBinary is the one binary of this test package, and plainBinary the
// one built without -race whatever the test flags. They are package state on
// purpose: Main owns their lifetime and every test of the package shares
// the builds.
var testBinary, plainBinary binary

// Main runs a test package's tests (call it from TestMain) and removes the
// binaries they built; it returns the exit code for os.Exit.
func Main(m *testing.M) int {
	dir, err := os.MkdirTemp("", "neonkeys-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: temp dir: %v\n", err)
		return 1
	}
	testBinary.dir = dir
	plainBinary.dir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	return code
}

// Binary returns the path of a freshly built neonkeys binary, built with
// -race when the tests run with it (RaceBuild), so that a data race in the
// program itself fails the end-to-end tests; the first caller builds it,
// later ones reuse it.
func Binary(tb testing.TB) string {
	tb.Helper()
	return testBinary.build(tb, "neonkeys", RaceBuild)
}

// PlainBinary returns a neonkeys binary built without -race, for promises
// about the program users run (its memory, its exit time) and for matrices
// of hundreds of runs that check output bytes, not concurrency: a race-built
// binary keeps shadow memory for every byte of heap and runs many times
// slower.
func PlainBinary(tb testing.TB) string {
	tb.Helper()
	if !RaceBuild {
		return Binary(tb)
	}
	return plainBinary.build(tb, "neonkeys-plain", false)
}

// buildArgs are the go build arguments of the binary under test.
func buildArgs(out string, race bool) []string {
	args := []string{"build", "-o", out}
	if race {
		args = append(args, "-race")
	}
	return append(args, ".")
}

func (b *binary) build(tb testing.TB, name string, race bool) string {
	tb.Helper()
	b.once.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			b.err = err
			return
		}
		out := filepath.Join(b.dir, name)
		cmd := exec.Command("go", buildArgs(out, race)...)
		cmd.Dir = root
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build: %w\n%s", err, msg)
			return
		}
		b.path = out
	})
	if b.err != nil {
		tb.Fatalf("building neonkeys: %v", b.err)
	}
	return b.path
}

// moduleRoot is the directory of this module's go.mod, wherever under it the
// test package runs.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := string(bytes.TrimSpace(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("go env GOMOD: not inside the module")
	}
	return filepath.Dir(gomod), nil
}

// Env is a clean environment for the binary (nothing inherited that could
// hold a key or change its behaviour): PATH, then vars. It also turns off
// the race runtime's one-second sleep at exit (GORACE atexit_sleep_ms),
// which a -race binary otherwise adds to every run; it changes nothing for
// a plain build.
func Env(vars ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "GORACE=atexit_sleep_ms=0"}, vars...)
}
