// Package e2e builds the neonkeys binary and drives it as a user and a real
// MCP client would: every test talks to the compiled program over its
// stdin/stdout/stderr, against the fake Neon API in neonapi/neontest.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// binary builds the program under test once per test run.
type binary struct {
	dir  string // temp dir holding the binary; removed by TestMain
	once sync.Once
	path string
	err  error
}

// raceBuild is true when the tests run with -race (race_test.go): the
// binary under test is then built with -race too, so a data race in the
// program itself fails the end-to-end tests.
var raceBuild bool

// buildArgs are the go build arguments of the binary under test.
func buildArgs(out string, race bool) []string {
	args := []string{"build", "-o", out}
	if race {
		args = append(args, "-race")
	}
	return append(args, ".")
}

// testBinary is the one binary of this test run, and plainBinary the one
// built without -race whatever the test flags (for promises about the
// binary users run, such as its memory). They are package state on
// purpose: TestMain owns their lifetime and every test shares the builds.
var testBinary, plainBinary binary

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "neonkeys-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: temp dir: %v\n", err)
		os.Exit(1)
	}
	testBinary.dir = dir
	plainBinary.dir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// buildNeonkeys returns the path of a freshly built neonkeys binary (with
// -race when the tests run with it); the first caller builds it (go build of
// the module root), later ones reuse it.
func buildNeonkeys(tb testing.TB) string {
	tb.Helper()
	return testBinary.build(tb, "neonkeys", raceBuild)
}

// buildPlainNeonkeys returns a neonkeys binary built without -race, for
// promises about the program users run: a race-built binary keeps shadow
// memory for every byte of heap and runs many times slower.
func buildPlainNeonkeys(tb testing.TB) string {
	tb.Helper()
	if !raceBuild {
		return buildNeonkeys(tb)
	}
	return plainBinary.build(tb, "neonkeys-plain", false)
}

func (b *binary) build(tb testing.TB, name string, race bool) string {
	tb.Helper()
	b.once.Do(func() {
		out := filepath.Join(b.dir, name)
		root, err := filepath.Abs("..")
		if err != nil {
			b.err = err
			return
		}
		cmd := exec.Command("go", buildArgs(out, race)...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		b.path = out
	})
	if b.err != nil {
		tb.Fatalf("building neonkeys: %v", b.err)
	}
	return b.path
}
