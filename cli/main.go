// Package cli is the neonkeys command line: cobra commands over the keys
// core, with one process-wide redactor between every text and the terminal.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/neonkeys/neonkeys/secret"
)

// Exit codes, the whole contract. The rule: 2 when neonkeys refuses the
// request as given, before anything changed: a malformed or contradictory
// command line, a missing credential, a refused confirmation (Ctrl-C at a
// prompt included), or a request Neon cannot serve that a read-only lookup
// reveals before any mutation (keys scoped to a personal project, in list
// and create alike; a --project-id of another organization than --org-id).
// 1 when the API or the network failed, including Neon's 404 for an id
// that does not exist (the request was well formed; Neon said no), and a
// Ctrl-C or SIGTERM during an API call: the call did not complete, and for
// a create Neon may have acted (keys then revokes what the create made),
// so "refused, nothing happened" would not be true.
const (
	ExitOK     = 0
	ExitFailed = 1 // the API or the network failed
	ExitUsage  = 2 // refused as given: usage, credential, confirmation, a request Neon cannot serve
)

// IO is where the command reads and writes: the process's standard streams
// in production, buffers in tests.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Main runs the neonkeys command line with args (without the program name)
// and returns the process exit code.
func Main(ctx context.Context, io IO, args []string, getenv func(string) string) int {
	return run(ctx, env{io: io, getenv: getenv, interactive: isInteractive(io),
		progress: isTerminal(io.Stderr), stdoutTerminal: isTerminal(io.Stdout)}, args)
}

// env is everything a command needs from its surroundings. interactive and
// progress are decided once, in Main, so tests can set them with buffers.
type env struct {
	io          IO
	getenv      func(string) string
	interactive bool
	// progress: stderr is a terminal, so a person may be watching it: say
	// each step and each retry of slow work (progress.go).
	progress bool
	// stdoutTerminal: stdout is a terminal, so the key table may be
	// coloured (colour.go).
	stdoutTerminal bool
}

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// isInteractive reports whether a person can answer a prompt: stdin and
// stderr (where the prompt goes) are both terminals.
func isInteractive(io IO) bool {
	in, ok := io.Stdin.(*os.File)
	if !ok {
		return false
	}
	errFile, ok := io.Stderr.(*os.File)
	if !ok {
		return false
	}
	return term.IsTerminal(int(in.Fd())) && term.IsTerminal(int(errFile.Fd()))
}

// run builds the command tree and executes it. Every line to stdout and
// stderr is cleaned and redacted (cleanWriter), except a new token, which
// is printed once to the raw stdout.
func run(ctx context.Context, e env, args []string) int {
	a := newApp(e)
	root := a.rootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if flushErr := a.stdout.Flush(); err == nil && flushErr != nil {
		err = failErr("writing the output: %v", flushErr)
	}
	if err == nil {
		return ExitOK
	}
	var ex *exitError
	if errors.As(err, &ex) {
		if ex.msg != "" {
			a.say("neonkeys: %s", ex.msg)
		}
		return ex.code
	}
	// Anything else comes from cobra: an unknown flag or command, a missing
	// argument. Say it and where help is.
	cmdPath := "neonkeys"
	if c, _, findErr := root.Find(args); findErr == nil && c != nil {
		cmdPath = c.CommandPath()
	}
	a.say("neonkeys: %s", strings.TrimSpace(err.Error()))
	a.say("Run '%s --help' for usage.", cmdPath)
	return ExitUsage
}

// newApp returns the state of one run, with its one redactor behind both
// output streams.
func newApp(e env) *app {
	red := secret.NewRedactor()
	if e.getenv == nil {
		e.getenv = func(string) string { return "" }
	}
	colour := newTableColour(e.io.Stdout, wantColour(e))
	return &app{
		env:       e,
		red:       red,
		colour:    colour,
		stdout:    newCleanWriter(red, colour, true),
		stderr:    newCleanWriter(red, e.io.Stderr, false),
		rawStdout: e.io.Stdout,
	}
}

// exitError ends a command with a code and one or two sentences (already
// plain; they still pass the redactor on the way out).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageErr(format string, args ...any) error {
	return &exitError{code: ExitUsage, msg: fmt.Sprintf(format, args...)}
}

func failErr(format string, args ...any) error {
	return &exitError{code: ExitFailed, msg: fmt.Sprintf(format, args...)}
}
