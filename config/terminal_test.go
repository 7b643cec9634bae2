//go:build unix

package config

import (
	"context"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/term"
)

// openTerminal returns a pseudo-terminal: ptmx is the keyboard and screen,
// tty the program's stdin.
func openTerminal(t *testing.T) (ptmx, tty *os.File) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no pseudo-terminal in CI: %v", err) // CI must run these, not skip them
		}
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() {
		ptmx.Close()
		tty.Close()
	})
	return ptmx, tty
}

// waitModeChange waits until the terminal's mode differs from before: the
// reader has turned echo off, so typing now shows nothing.
func waitModeChange(t *testing.T, tty *os.File, before *term.State) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		now, err := term.GetState(int(tty.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(now, before) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the terminal's echo was never turned off")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type loaded struct {
	cred CredentialSource
	err  error
}

func TestLoadCredentialFromTerminal(t *testing.T) {
	ptmx, tty := openTerminal(t)
	before, err := term.GetState(int(tty.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	screen := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(ptmx) // ends with EIO once tty is closed
		screen <- string(b)
	}()
	var prompt strings.Builder
	done := make(chan loaded, 1)
	go func() {
		cred, err := LoadCredential(t.Context(), env(nil), tty, "-", &prompt)
		done <- loaded{cred, err}
	}()
	waitModeChange(t, tty, before)
	if _, err := ptmx.Write([]byte(testKey + "\n")); err != nil {
		t.Fatal(err)
	}
	var got loaded
	select {
	case got = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the key was not read")
	}
	if got.err != nil || got.cred.Token != testKey || got.cred.From != "stdin" {
		t.Fatalf("got %+v, %v", got.cred, got.err)
	}
	if prompt.String() != KeyPrompt+"\n" {
		t.Errorf("prompt = %q, want %q", prompt.String(), KeyPrompt+"\n")
	}
	if after, _ := term.GetState(int(tty.Fd())); !reflect.DeepEqual(after, before) {
		t.Error("the terminal's mode was not restored")
	}
	// Nothing typed came back to the screen.
	tty.Close()
	select {
	case s := <-screen:
		if strings.Contains(s, "napi_") {
			t.Errorf("the key was echoed: %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the screen did not close")
	}
}

// TestLoadCredentialTerminalInterrupted: Ctrl-C (ctx ends) while the key is
// typed gives up with ErrInterrupted and turns echo back on.
func TestLoadCredentialTerminalInterrupted(t *testing.T) {
	_, tty := openTerminal(t)
	before, err := term.GetState(int(tty.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan loaded, 1)
	go func() {
		cred, err := LoadCredential(ctx, env(nil), tty, "-", nil)
		done <- loaded{cred, err}
	}()
	waitModeChange(t, tty, before)
	cancel()
	select {
	case got := <-done:
		if !errors.Is(got.err, ErrInterrupted) {
			t.Fatalf("err = %v, want ErrInterrupted", got.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the prompt did not end on cancel")
	}
	if after, _ := term.GetState(int(tty.Fd())); !reflect.DeepEqual(after, before) {
		t.Error("echo was not turned back on")
	}
}
