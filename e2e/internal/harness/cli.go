package harness

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

	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// CLITimeout bounds one run of the binary; generous, only to never hang.
const CLITimeout = 60 * time.Second

// CLIWorld is one fake Neon API, seeded, and the binary that talks to it.
type CLIWorld struct {
	Bin string
	Srv *neontest.Server
	Fx  *neontest.Fixture
}

// NewCLIWorld starts a seeded fake Neon API for bin to talk to.
func NewCLIWorld(t *testing.T, bin string) *CLIWorld {
	t.Helper()
	srv := neontest.New(t)
	return &CLIWorld{Bin: bin, Srv: srv, Fx: srv.Seed()}
}

// Env is a clean environment (nothing inherited that could hold a key):
// the admin's personal key and the fake's URL, plus extra assignments.
func (w *CLIWorld) Env(extra ...string) []string {
	return Env(append([]string{"NEON_API_HOST=" + w.Srv.URL(), "NEON_API_KEY=" + w.Fx.AdminToken}, extra...)...)
}

// CLIResult is what one run of the binary produced.
type CLIResult struct {
	Code           int
	Stdout, Stderr string
}

// Run executes the binary with stdin (not a terminal) and environment env.
func (w *CLIWorld) Run(t *testing.T, stdin string, env []string, args ...string) CLIResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), CLITimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.Bin, args...)
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
	return CLIResult{Code: code, Stdout: stdout.String(), Stderr: stderr.String()}
}

// WantCode fails the test now when the run did not exit with want (the
// contract's literal 0, 1 or 2), showing what it wrote.
func WantCode(t *testing.T, r CLIResult, want int) {
	t.Helper()
	testkit.WantExit(t, r.Code, want, r.Stdout, r.Stderr)
}

// WantStderr fails the test when stderr lacks any of parts.
func WantStderr(t *testing.T, r CLIResult, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.Stderr, p) {
			t.Errorf("stderr lacks %q:\n%s", p, r.Stderr)
		}
	}
}

// OneToken returns stdout as one token (the table-mode answer of create
// and rotate), failing when it is anything else.
func OneToken(t *testing.T, stdout string) string {
	t.Helper()
	tok := strings.TrimSpace(stdout)
	if !strings.HasPrefix(tok, "napi_") || strings.ContainsAny(tok, " \n") {
		t.Fatalf("stdout is not one token: %q", stdout)
	}
	return tok
}

// PTY is the binary running on a pseudo-terminal, as a person sees it.
type PTY struct {
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
func (w *CLIWorld) StartPTY(t *testing.T, env []string, args ...string) *PTY {
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
	cmd := exec.Command(w.Bin, args...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting on a pty: %v", err)
	}
	p := &PTY{t: t, cmd: cmd, tty: tty, slave: slave, mode0: mode0, read: make(chan struct{}), done: make(chan struct{})}
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

// WaitModeChange waits until the program has changed the terminal's mode,
// as term.ReadPassword does when it turns echo off: typing after that is
// not shown.
func (p *PTY) WaitModeChange() {
	p.t.Helper()
	deadline := time.Now().Add(CLITimeout)
	for time.Now().Before(deadline) {
		p.slaveMu.Lock()
		if p.slave == nil {
			p.slaveMu.Unlock()
			p.t.Fatalf("neonkeys exited (%d) without changing the terminal's mode; it showed:\n%s", p.code, p.Output())
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
	p.t.Fatalf("the terminal's mode never changed; it showed:\n%s", p.Output())
}

// Output is everything the terminal showed so far.
func (p *PTY) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// WaitFor waits until the terminal has shown want count times in all.
func (p *PTY) WaitFor(want string, count int) {
	p.t.Helper()
	deadline := time.Now().Add(CLITimeout)
	for strings.Count(p.Output(), want) < count {
		if time.Now().After(deadline) {
			p.t.Fatalf("the terminal never showed %q %d times; it showed:\n%s", want, count, p.Output())
		}
		select {
		case <-p.done:
			if strings.Count(p.Output(), want) < count {
				<-p.read
				if strings.Count(p.Output(), want) >= count {
					return
				}
				p.t.Fatalf("neonkeys exited (%d) before showing %q; it showed:\n%s", p.code, want, p.Output())
			}
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TypeText writes keystrokes to the terminal.
func (p *PTY) TypeText(s string) {
	p.t.Helper()
	if _, err := p.tty.Write([]byte(s)); err != nil {
		p.t.Fatalf("typing: %v", err)
	}
}

// ExitCode waits for the process to end and returns its exit code.
func (p *PTY) ExitCode() int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(CLITimeout):
		p.t.Fatalf("neonkeys did not exit; the terminal showed:\n%s", p.Output())
	}
	select {
	case <-p.read:
	case <-time.After(5 * time.Second):
	}
	return p.code
}
