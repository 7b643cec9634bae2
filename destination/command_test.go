package destination

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// recorder writes a shell script that records its stdin, argv and
// environment in dir, then runs extra (shell lines) and exits.
func recorder(t testing.TB, dir, extra string) string {
	t.Helper()
	path := filepath.Join(dir, "record.sh")
	script := "#!/bin/sh\nout=\"$1\"\ncat > \"$out/stdin\"\nprintf '%s\\n' \"$0\" \"$@\" > \"$out/argv\"\nenv > \"$out/env\"\n" + extra + "\n"
	writeFile(t, path, script, 0o755)
	return path
}

func commandConfig(argv []string, more string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = fmt.Sprintf("%q", a)
	}
	return fmt.Sprintf("destinations:\n  cmd:\n    command: {argv: [%s]%s}\n", strings.Join(q, ", "), more)
}

func TestCommandGetsTheTokenOnStdinOnly(t *testing.T) {
	dir := t.TempDir()
	prog := recorder(t, dir, "echo stored")
	env := testEnv(t, nil)
	d := mustOpen(t, env, commandConfig([]string{prog, dir, "neon_api_key=-"}, ", env: [VAULT_TOKEN]"), "cmd")[0]
	if err := d.Preflight(t.Context()); err != nil {
		t.Fatal(err)
	}
	detail, err := d.Deliver(t.Context(), testToken)
	if err != nil {
		t.Fatal(err)
	}
	if detail != "the program exited 0: stored" {
		t.Errorf("detail %q", detail)
	}
	if got := readFile(t, filepath.Join(dir, "stdin")); got != testToken {
		t.Errorf("stdin %q, want exactly the token", got)
	}
	argv := readFile(t, filepath.Join(dir, "argv"))
	if argv != prog+"\n"+dir+"\nneon_api_key=-\n" {
		t.Errorf("argv %q", argv)
	}
	childEnv := readFile(t, filepath.Join(dir, "env"))
	noToken(t, "argv", argv)
	noToken(t, "the environment", childEnv)
	for _, leak := range []string{"NEON_API_KEY", "GH_TOKEN", "GITHUB_TOKEN", "AWS_SECRET", neonCredEnv, githubCred} {
		if strings.Contains(childEnv, leak) {
			t.Errorf("the child's environment holds %s:\n%s", leak, childEnv)
		}
	}
	for _, want := range []string{"PATH=", "HOME=", "LANG=C.UTF-8", "VAULT_TOKEN=hvs."} {
		if !strings.Contains(childEnv, want) {
			t.Errorf("the child's environment lacks %s:\n%s", want, childEnv)
		}
	}
}

func TestCommandFindsBareNamesInPATH(t *testing.T) {
	dir := t.TempDir()
	recorder(t, dir, "")
	env := testEnv(t, nil)
	getenv := env.Getenv
	env.Getenv = func(k string) string {
		if k == "PATH" {
			return dir + ":" + getenv("PATH")
		}
		return getenv(k)
	}
	d := mustOpen(t, env, commandConfig([]string{"record.sh", dir}, ""), "cmd")[0]
	if _, err := d.Deliver(t.Context(), testToken); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "stdin")); got != testToken {
		t.Errorf("stdin %q: the program found in PATH did not run", got)
	}
}

func TestCommandPreflight(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "plain")
	writeFile(t, notExec, "#!/bin/sh\n", 0o644)
	cases := []struct {
		prog, want string
	}{
		{"no-such-program-neonkeys", "is not in PATH"},
		{filepath.Join(dir, "missing"), "does not exist"},
		{notExec, "is not executable"},
		{dir, "is not a program"},
	}
	for _, c := range cases {
		d := mustOpen(t, testEnv(t, nil), commandConfig([]string{c.prog}, ""), "cmd")[0]
		if err := d.Preflight(t.Context()); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.prog, err, c.want)
		}
	}
}

// A program that fails and echoes its stdin to stderr: the error says it
// failed and shows its output, with the token masked.
func TestCommandFailureIsRedacted(t *testing.T) {
	dir := t.TempDir()
	prog := recorder(t, dir, "echo \"refused value $(cat \"$out/stdin\")\" >&2\nexit 1")
	d := mustOpen(t, testEnv(t, nil), commandConfig([]string{prog, dir}, ""), "cmd")[0]
	_, err := d.Deliver(t.Context(), testToken)
	if err == nil || errors.Is(err, ErrMayBeWritten) {
		t.Fatalf("got %v, want a certain failure", err)
	}
	if !strings.Contains(err.Error(), "exited with status 1: refused value [REDACTED]") {
		t.Errorf("error %q", err)
	}
	noToken(t, "the error", err.Error())
}

func TestCommandTimeoutMayHaveWritten(t *testing.T) {
	dir := t.TempDir()
	// The grandchild sleep holds the output pipe: the whole group is killed.
	prog := recorder(t, dir, "sleep 600 & sleep 600")
	d := mustOpen(t, testEnv(t, nil), commandConfig([]string{prog, dir}, ", timeout: 200ms"), "cmd")[0]
	_, err := d.Deliver(t.Context(), testToken)
	if !errors.Is(err, ErrMayBeWritten) || !strings.Contains(err.Error(), "did not finish within 200ms") {
		t.Fatalf("got %v", err)
	}
}

func TestCommandInterrupted(t *testing.T) {
	dir := t.TempDir()
	prog := recorder(t, dir, "touch \"$out/started\"; sleep 600")
	d := mustOpen(t, testEnv(t, nil), commandConfig([]string{prog, dir}, ""), "cmd")[0]
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := d.Deliver(ctx, testToken)
		done <- err
	}()
	for {
		if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("ended before it started: %v", err)
		case <-time.After(5 * time.Millisecond): // poll for the file
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, ErrMayBeWritten) || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("got %v", err)
	}
}

func TestChildEnvDropsValuesHoldingSecrets(t *testing.T) {
	env := testEnv(t, nil)
	vars := map[string]string{"PATH": "/bin", "HOME": "/h", "MY_URL": "https://x?key=" + neonCredEnv, "TZ": "UTC",
		"GH_TOKEN": "unregistered-gh-token", "NEON_API_KEY_FILE": "/run/neon.key"}
	// Credentials stay out even when a caller lists them.
	extra := []string{"MY_URL", "GH_TOKEN", "NEON_API_KEY_FILE"}
	got := strings.Join(childEnv(func(k string) string { return vars[k] }, extra, env.Redactor), " ")
	if got != "PATH=/bin HOME=/h TZ=UTC" {
		t.Fatalf("got %q", got)
	}
}
