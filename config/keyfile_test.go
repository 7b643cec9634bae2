//go:build unix

package config

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hangBound is how long a credential read may take before the test calls it
// hung: the promise is "returns at once", so the bound only has to be far
// above any scheduling delay under -race on a loaded machine.
const hangBound = 10 * time.Second

// loadWithin runs LoadCredential and fails the test if it does not return
// within hangBound (the bug this guards against blocks for ever).
func loadWithin(t *testing.T, ctx context.Context, getenv Getenv, stdin io.Reader, flag string) (CredentialSource, error) {
	t.Helper()
	type result struct {
		cred CredentialSource
		err  error
	}
	done := make(chan result, 1)
	go func() {
		cred, err := LoadCredential(ctx, getenv, stdin, flag, nil)
		done <- result{cred, err}
	}()
	select {
	case r := <-done:
		return r.cred, r.err
	case <-time.After(hangBound):
		t.Fatalf("reading the credential still blocks after %v", hangBound)
		return CredentialSource{}, nil
	}
}

func mkfifo(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "key.fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	return path
}

func TestLoadCredentialRefusesAFileThatIsNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := mkfifo(t, dir)
	linkToFIFO := filepath.Join(dir, "link")
	if err := os.Symlink(fifo, linkToFIFO); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, kind string
	}{
		{"named pipe without a writer", fifo, "is a named pipe, not a regular file"},
		{"symlink to a named pipe", linkToFIFO, "is a named pipe, not a regular file"},
		{"directory", dir, "is a directory, not a regular file"},
		{"character device", os.DevNull, "is a character device, not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadWithin(t, t.Context(), env(map[string]string{EnvAPIKeyFile: tt.path}), nil, "")
			if err == nil || !strings.Contains(err.Error(), tt.path+" "+tt.kind) {
				t.Fatalf("err = %v, want one saying %q %s", err, tt.path, tt.kind)
			}
		})
	}
}

// TestOpenRegularRefusesAPipeSwappedIn: the path may become a named pipe
// between the Stat and the open; the open must not wait for a writer, and
// the check on the opened file must refuse it.
func TestOpenRegularRefusesAPipeSwappedIn(t *testing.T) {
	fifo := mkfifo(t, t.TempDir())
	done := make(chan error, 1)
	go func() {
		f, _, err := openRegular(fifo)
		if f != nil {
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "is a named pipe") {
			t.Fatalf("err = %v, want a refusal of the named pipe", err)
		}
	case <-time.After(hangBound):
		t.Fatal("opening a named pipe without a writer blocked")
	}
}

// TestLoadCredentialStdinReadIsInterruptible: `--api-key -` on a pipe that
// never sends a line must end when ctx does (Ctrl-C, SIGTERM).
func TestLoadCredentialStdinReadIsInterruptible(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = loadWithin(t, ctx, env(nil), r, "-")
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
}

// TestLoadCredentialRefusesStdinAsKeyFile: a key file that is the process's
// own stdin (NEON_API_KEY_FILE=/dev/stdin with stdin redirected from a
// file) is the MCP protocol stream, not a key.
func TestLoadCredentialRefusesStdinAsKeyFile(t *testing.T) {
	path := writeKeyFile(t, `{"jsonrpc":"2.0","id":1,"method":"initialize"}`+"\n", 0o600)
	stdin, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close() })
	_, err = loadWithin(t, t.Context(), env(map[string]string{EnvAPIKeyFile: path}), stdin, "")
	if err == nil || !strings.Contains(err.Error(), "standard input") {
		t.Fatalf("err = %v, want a refusal of stdin as the key file", err)
	}
}
