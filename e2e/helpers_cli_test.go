package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/term"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// cliTimeout bounds one run of the binary; generous, only to never hang.
const cliTimeout = 60 * time.Second

// cliWorld is one fake Neon API, seeded, and the binary that talks to it.
type cliWorld struct {
	bin string
	srv *neontest.Server
	fx  *neontest.Fixture
}

func cliNewWorld(t *testing.T, bin string) *cliWorld {
	t.Helper()
	srv := neontest.New(t)
	return &cliWorld{bin: bin, srv: srv, fx: srv.Seed()}
}

// env is a clean environment (nothing inherited that could hold a key):
// the admin's personal key and the fake's URL, plus extra assignments.
func (w *cliWorld) env(extra ...string) []string {
	base := []string{"PATH=" + os.Getenv("PATH"), "NEON_API_HOST=" + w.srv.URL(), "NEON_API_KEY=" + w.fx.AdminToken}
	return append(base, extra...)
}

// cliResult is what one run of the binary produced.
type cliResult struct {
	code           int
	stdout, stderr string
}

// run executes the binary with stdin (not a terminal) and environment env.
func (w *cliWorld) run(t *testing.T, stdin string, env []string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.bin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("running neonkeys %v: %v", args, err)
	}
	return cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func cliWantCode(t *testing.T, r cliResult, want int) {
	t.Helper()
	if r.code != want {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, want, r.stdout, r.stderr)
	}
}

func cliWantStderr(t *testing.T, r cliResult, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.stderr, p) {
			t.Errorf("stderr lacks %q:\n%s", p, r.stderr)
		}
	}
}

// cliCount counts the fake's requests with this method.
func cliCount(srv *neontest.Server, method string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == method {
			n++
		}
	}
	return n
}

// cliToken returns stdout as one token (the table-mode answer of create
// and rotate), failing when it is anything else.
func cliToken(t *testing.T, stdout string) string {
	t.Helper()
	tok := strings.TrimSpace(stdout)
	if !strings.HasPrefix(tok, "napi_") || strings.ContainsAny(tok, " \n") {
		t.Fatalf("stdout is not one token: %q", stdout)
	}
	return tok
}

// cliNoSecret fails when s holds any of the secrets.
func cliNoSecret(t *testing.T, where, s string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			t.Errorf("%s holds a secret (%s…)", where, sec[:9])
		}
	}
}

// cliPTY is the binary running on a pseudo-terminal, as a person sees it.
type cliPTY struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File // the terminal's keyboard and screen (the pty master)
	mu   sync.Mutex
	out  bytes.Buffer
	read chan struct{} // closed when the reader ends
	done chan struct{} // closed when the process ended
	code int

	// The program's side of the terminal, held open until it exits so
	// the test can see it change the terminal's mode (echo off).
	slaveMu sync.Mutex
	slave   *os.File
	mode0   *term.State // the mode before the program started
}

// cliStartPTY starts the binary with stdin, stdout and stderr on a new pty
// that is its controlling terminal (so Ctrl-C sends it SIGINT).
func (w *cliWorld) cliStartPTY(t *testing.T, env []string, args ...string) *cliPTY {
	t.Helper()
	tty, slave, err := pty.Open()
	if err != nil {
		t.Fatalf("opening a pty: %v", err)
	}
	if err := pty.Setsize(tty, &pty.Winsize{Rows: 40, Cols: 200}); err != nil {
		t.Fatalf("sizing the pty: %v", err)
	}
	mode0, err := term.GetState(int(slave.Fd()))
	if err != nil {
		t.Fatalf("reading the pty's mode: %v", err)
	}
	cmd := exec.Command(w.bin, args...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting on a pty: %v", err)
	}
	p := &cliPTY{t: t, cmd: cmd, tty: tty, slave: slave, mode0: mode0, read: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.read)
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return // EIO once the process and our slave end are gone
			}
		}
	}()
	go func() {
		defer close(p.done)
		err := cmd.Wait()
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			p.code = exitErr.ExitCode()
		}
		p.slaveMu.Lock()
		p.slave.Close()
		p.slave = nil
		p.slaveMu.Unlock()
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		tty.Close()
	})
	return p
}

// waitModeChange waits until the program has changed the terminal's mode,
// as term.ReadPassword does when it turns echo off: typing after that is
// not shown.
func (p *cliPTY) waitModeChange() {
	p.t.Helper()
	deadline := time.Now().Add(cliTimeout)
	for time.Now().Before(deadline) {
		p.slaveMu.Lock()
		if p.slave == nil {
			p.slaveMu.Unlock()
			p.t.Fatalf("neonkeys exited (%d) without changing the terminal's mode; it showed:\n%s", p.code, p.output())
		}
		mode, err := term.GetState(int(p.slave.Fd()))
		p.slaveMu.Unlock()
		if err != nil {
			p.t.Fatalf("reading the pty's mode: %v", err)
		}
		if !reflect.DeepEqual(mode, p.mode0) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.t.Fatalf("the terminal's mode never changed; it showed:\n%s", p.output())
}

// output is everything the terminal showed so far.
func (p *cliPTY) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// waitFor waits until the terminal has shown want count times in all.
func (p *cliPTY) waitFor(want string, count int) {
	p.t.Helper()
	deadline := time.Now().Add(cliTimeout)
	for strings.Count(p.output(), want) < count {
		if time.Now().After(deadline) {
			p.t.Fatalf("the terminal never showed %q %d times; it showed:\n%s", want, count, p.output())
		}
		select {
		case <-p.done:
			if strings.Count(p.output(), want) < count {
				<-p.read
				if strings.Count(p.output(), want) >= count {
					return
				}
				p.t.Fatalf("neonkeys exited (%d) before showing %q; it showed:\n%s", p.code, want, p.output())
			}
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// typeText writes keystrokes to the terminal.
func (p *cliPTY) typeText(s string) {
	p.t.Helper()
	if _, err := p.tty.Write([]byte(s)); err != nil {
		p.t.Fatalf("typing: %v", err)
	}
}

// exitCode waits for the process to end and returns its exit code.
func (p *cliPTY) exitCode() int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(cliTimeout):
		p.t.Fatalf("neonkeys did not exit; the terminal showed:\n%s", p.output())
	}
	select {
	case <-p.read:
	case <-time.After(5 * time.Second):
	}
	return p.code
}
