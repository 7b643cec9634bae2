// Package testkit holds the helpers the test packages of this module share:
// a goroutine-safe buffer, the shape of a Neon token, assertions that no
// secret leaked, and exit-code checks against the contract's numbers. Only
// tests import it.
package testkit

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// SyncBuffer is a bytes.Buffer safe for one goroutine writing (a child's
// stderr, a server's log) while another reads.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Bytes returns a copy of everything written so far.
func (b *SyncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// TokenPattern matches a Neon token as the fake API mints them.
var TokenPattern = regexp.MustCompile(`napi_[a-z0-9]{16,}`)

// AnyToken is the redactor's idea of a Neon token (any case): no output of
// a session that writes tokens to files may hold one.
var AnyToken = regexp.MustCompile(`napi_[A-Za-z0-9]{16,}`)

// RedactTokens hides tokens in failure messages: a leak is reported without
// repeating it in the test log.
func RedactTokens(s string) string {
	return AnyToken.ReplaceAllStringFunc(s, func(tok string) string { return "napi_…" + tok[len(tok)-4:] })
}

// NoSecrets fails the test when s, the text at where, holds any of the
// secrets (empty ones are skipped). The text is shown with the secrets
// masked, so the log does not repeat them.
func NoSecrets(t testing.TB, where, s string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			t.Errorf("%s holds a secret (%s…):\n%s", where, sec[:min(9, len(sec))], mask(s, secrets))
		}
	}
}

// mask replaces each non-empty secret in s with a marker.
func mask(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "<secret "+sec[:min(9, len(sec))]+"…>")
		}
	}
	return s
}

// Exit codes of the product contract, written out literally so that tests
// judge a run by the contract rather than by the product's own constants.
const (
	ExitOK      = 0 // done
	ExitFailure = 1 // the API or the network failed
	ExitUsage   = 2 // usage error or refused confirmation
)

// WantExit fails the test now when the exit code is not want, showing what
// the run wrote.
func WantExit(t testing.TB, code, want int, stdout, stderr string) {
	t.Helper()
	if code != want {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
	}
}

// CountRequests counts the fake API's requests with this method.
func CountRequests(srv *neontest.Server, method string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == method {
			n++
		}
	}
	return n
}

// LiveNamed returns the fake API's live keys named name.
func LiveNamed(srv *neontest.Server, name string) []neontest.KeyInfo {
	var out []neontest.KeyInfo
	for _, k := range srv.LiveKeys() {
		if k.Name == name {
			out = append(out, k)
		}
	}
	return out
}
