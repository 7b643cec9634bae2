package destination

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/neonkeys/neonkeys/secret"
)

// commandDest runs a program with the token on its stdin: no shell, the
// token never in argv nor in the child's environment.
type commandDest struct {
	name string
	spec CommandSpec
	env  Env
}

func (d *commandDest) Name() string { return d.name }
func (d *commandDest) Kind() Kind   { return KindCommand }
func (d *commandDest) Target() string {
	return "the program " + quoteArgv(d.spec.Argv) + " (the token on its stdin)"
}

func quoteArgv(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\"'\\$`") {
			a = fmt.Sprintf("%q", a)
		}
		q[i] = secret.StripControl(a)
	}
	return strings.Join(q, " ")
}

func (d *commandDest) Preflight(ctx context.Context) error {
	_, err := d.program()
	return err
}

// program resolves argv[0]: a path as the config gave it (made absolute
// there), a bare name through the PATH of neonkeys' environment, as a shell
// would.
func (d *commandDest) program() (string, error) {
	prog := d.spec.Argv[0]
	if !strings.ContainsRune(prog, '/') {
		return lookPath(prog, d.env.Getenv("PATH"))
	}
	if err := checkExecutable(prog); err != nil {
		return "", err
	}
	return prog, nil
}

// lookPath finds an executable in pathList (exec.LookPath reads the
// process's PATH; this one reads the Env's, so a test or a caller decides).
func lookPath(name, pathList string) (string, error) {
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue // a relative PATH entry would depend on the working directory
		}
		p := filepath.Join(dir, name)
		if checkExecutable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("the program %s is not in PATH", secret.StripControl(name))
}

func checkExecutable(path string) error {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the program %s does not exist", path)
	case err != nil:
		return err
	case info.IsDir() || !info.Mode().IsRegular():
		return fmt.Errorf("%s is not a program (not a regular file)", path)
	case info.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("%s is not executable", path)
	}
	return nil
}

// Output kept from a program, per stream: enough for an error message.
const maxCommandOutput = 16 << 10

func (d *commandDest) Deliver(ctx context.Context, token string) (string, error) {
	d.env.Redactor.Add(token) // its output is shown: it may echo the token
	prog, err := d.program()
	if err != nil {
		return "", err
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, d.spec.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, d.spec.Argv[1:]...)
	cmd.Args[0] = d.spec.Argv[0]
	cmd.Env = childEnv(d.env.Getenv, d.spec.Env, d.env.Redactor)
	cmd.Stdin = strings.NewReader(token)
	var stdout, stderr capped
	stdout.max, stderr.max = maxCommandOutput, maxCommandOutput
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ownProcessGroup(cmd)
	// A child that leaves a grandchild holding the pipes must not hang us.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s: %w", prog, err)
	}
	err = cmd.Wait()
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState.Success() {
		// Exit 0 is a delivery; a child it left (an agent it started) kept
		// the output open, and ends with the group below.
		err = nil
	}
	// End what the program left running in its process group.
	_ = cmd.Cancel()
	out := d.output(&stdout, &stderr)
	switch {
	case parent.Err() != nil:
		return "", mayBeWritten(fmt.Errorf("interrupted while the program ran; it may have stored the token%s", withOutput(out)))
	case ctx.Err() != nil:
		return "", mayBeWritten(fmt.Errorf("the program did not finish within %s and was stopped; it may have stored the token%s", d.spec.Timeout, withOutput(out)))
	case err != nil:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return "", fmt.Errorf("the program exited with status %d%s", exit.ExitCode(), withOutput(out))
		}
		return "", mayBeWritten(fmt.Errorf("the program failed: %w%s", err, withOutput(out)))
	}
	if out == "" {
		return "the program exited 0", nil
	}
	return "the program exited 0: " + out, nil
}

func withOutput(out string) string {
	if out == "" {
		return ""
	}
	return ": " + out
}

// output is what the program printed, redacted (the token is registered),
// cleaned of control characters and squeezed onto one line.
func (d *commandDest) output(stdout, stderr *capped) string {
	var parts []string
	for _, s := range []*capped{stderr, stdout} {
		text := strings.Join(strings.Fields(secret.StripControl(d.env.Redactor.Redact(s.String()))), " ")
		if text != "" {
			parts = append(parts, text)
		}
	}
	return strings.Join(parts, " | ")
}

// capped keeps the first max bytes written to it and drops the rest, so a
// chatty program cannot fill memory.
type capped struct {
	buf bytes.Buffer
	max int
	cut bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(room, len(p))])
	}
	if c.buf.Len()+len(p) > c.max {
		c.cut = true
	}
	return len(p), nil
}

func (c *capped) String() string {
	if c.cut {
		return c.buf.String() + " …"
	}
	return c.buf.String()
}

// baseEnv is the allow-list of variables a command gets from neonkeys'
// environment: where things are (PATH, HOME, XDG folders, the session bus a
// keyring is reached through), language and time zone, CA certificates.
// An allow-list, not a deny-list: a secret under a name nobody thought of
// (VAULT_TOKEN, AWS_SECRET_ACCESS_KEY, a CI's own) never reaches a program
// unless the config lists it in env:.
var baseEnv = []string{
	"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR",
	"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR",
	"DBUS_SESSION_BUS_ADDRESS", "SSL_CERT_FILE", "SSL_CERT_DIR",
}

// childEnv builds a command's environment: baseEnv, LC_* and the names the
// config lists in env:, with their values from getenv. NEON_API_KEY,
// NEON_API_KEY_FILE, GH_TOKEN and GITHUB_TOKEN are never passed (the config
// refuses them in env: too), and a variable whose value holds a secret the
// redactor knows is dropped, whatever its name.
func childEnv(getenv func(string) string, extra []string, red *secret.Redactor) []string {
	names := slices.Clone(baseEnv)
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "LC_") {
			names = append(names, name)
		}
	}
	names = append(names, extra...)
	var env []string
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] || slices.Contains(protectedEV, name) {
			continue
		}
		seen[name] = true
		v := getenv(name)
		if v == "" || red.Contains(v) {
			continue
		}
		env = append(env, name+"="+v)
	}
	return env
}
