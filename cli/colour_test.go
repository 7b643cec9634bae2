package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// runOnTerminal runs the command line as if stdout were a terminal.
func runOnTerminal(t *testing.T, environ map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := env{
		io:             IO{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr},
		getenv:         func(k string) string { return environ[k] },
		stdoutTerminal: true,
	}
	code := run(t.Context(), e, args)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// TestTableColour: at a terminal the key table's header is bold and
// "never" dim, the columns still line up; with NO_COLOR, TERM=dumb, off a
// terminal, or in JSON there is no escape at all.
func TestTableColour(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	srv.SetKeyLastUsed(fx.AdminKeyID, time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), "192.0.2.1")
	srv.AddPersonalKey(fx.Admin.ID, "never") // a name "never" stays plain
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for kk, vv := range env {
			m[kk] = vv
		}
		return m
	}

	r := runOnTerminal(t, env, "list")
	wantCode(t, r, 0)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if !strings.HasPrefix(lines[0], sgrBold+"ID ") || !strings.HasSuffix(lines[0], sgrReset) {
		t.Errorf("header not bold: %q", lines[0])
	}
	if strings.Count(r.stdout, sgrDim+"never"+sgrReset) != 1 {
		t.Errorf("want one dim \"never\" (the unused key's LAST USED, not the key named never):\n%q", r.stdout)
	}
	plain := strings.NewReplacer(sgrBold, "", sgrDim, "", sgrReset, "").Replace(r.stdout)
	off := runCLI(t, runOpts{env: env}, "list")
	if plain != off.stdout {
		t.Errorf("without its escapes the coloured table differs from the plain one:\n%s\n---\n%s", plain, off.stdout)
	}

	for name, r := range map[string]result{
		"NO_COLOR":          runOnTerminal(t, with("NO_COLOR", "1"), "list"),
		"TERM=dumb":         runOnTerminal(t, with("TERM", "dumb"), "list"),
		"not a terminal":    off,
		"-o json":           runOnTerminal(t, env, "list", "-o", "json"),
		"whoami (no table)": runOnTerminal(t, env, "whoami"),
	} {
		wantCode(t, r, 0)
		if strings.Contains(r.stdout, "\x1b") {
			t.Errorf("%s: stdout holds an escape:\n%q", name, r.stdout)
		}
	}
}
