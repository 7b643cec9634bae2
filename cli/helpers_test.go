package cli

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// result is what one run of the command line produced.
type result struct {
	code           int
	stdout, stderr string
}

// runOpts describes one in-process run.
type runOpts struct {
	env         map[string]string
	stdin       io.Reader
	interactive bool
	ctx         context.Context
}

// runCLI runs the command line in-process against the environment in o.
func runCLI(t *testing.T, o runOpts, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	stdin := o.stdin
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	ctx := o.ctx
	if ctx == nil {
		ctx = t.Context()
	}
	e := env{
		io:          IO{Stdin: stdin, Stdout: &stdout, Stderr: &stderr},
		getenv:      func(k string) string { return o.env[k] },
		interactive: o.interactive,
	}
	code := run(ctx, e, args)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// fakeEnv starts a seeded fake Neon API and returns it with an environment
// that uses token as the credential (the admin's personal key when empty).
func fakeEnv(t *testing.T) (*neontest.Server, *neontest.Fixture, map[string]string) {
	t.Helper()
	srv := neontest.New(t)
	fx := srv.Seed()
	return srv, fx, map[string]string{"NEON_API_KEY": fx.AdminToken, "NEON_API_HOST": srv.URL()}
}

// mutations counts the POST and DELETE requests the fake received.
func mutations(srv *neontest.Server, method string) int {
	n := 0
	for _, r := range srv.Mutations() {
		if r.Method == method {
			n++
		}
	}
	return n
}

// wantCode fails the test when the exit code is not want, showing the output.
func wantCode(t *testing.T, r result, want int) {
	t.Helper()
	testkit.WantExit(t, r.code, want, r.stdout, r.stderr)
}

// noSecrets fails when any of the secrets appears in s.
func noSecrets(t *testing.T, where, s string, secrets ...string) {
	t.Helper()
	testkit.NoSecrets(t, where, s, secrets...)
}
