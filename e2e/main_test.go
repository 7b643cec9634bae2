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
func buildArgs(out string) []string {
	args := []string{"build", "-o", out}
	if raceBuild {
		args = append(args, "-race")
	}
	return append(args, ".")
}

// testBinary is the one binary of this test run. It is package state on
// purpose: TestMain owns its lifetime and every test shares the build.
var testBinary binary

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "neonkeys-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: temp dir: %v\n", err)
		os.Exit(1)
	}
	testBinary.dir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// buildNeonkeys returns the path of a freshly built neonkeys binary; the
// first caller builds it (go build of the module root), later ones reuse it.
func buildNeonkeys(tb testing.TB) string {
	tb.Helper()
	testBinary.once.Do(func() {
		name := "neonkeys"
		out := filepath.Join(testBinary.dir, name)
		root, err := filepath.Abs("..")
		if err != nil {
			testBinary.err = err
			return
		}
		cmd := exec.Command("go", buildArgs(out)...)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			testBinary.err = fmt.Errorf("go build: %v\n%s", err, b)
			return
		}
		testBinary.path = out
	})
	if testBinary.err != nil {
		tb.Fatalf("building neonkeys: %v", testBinary.err)
	}
	return testBinary.path
}
