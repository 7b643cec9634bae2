package server_test

import (
	"bufio"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/server"
)

// ioBound turns a pipe read or write, or a wait, that never completes into a
// failure instead of a hang until go test's 10 min timeout. It is no timing
// promise: under -race on a loaded machine the slowest step takes seconds.
const ioBound = 60 * time.Second

// bounded runs f, a blocking step, and fails the test if it has not
// returned within ioBound. f must not call t (it runs on its own goroutine).
func bounded(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(ioBound):
		t.Fatalf("%s: still blocked after %v", what, ioBound)
	}
}

// errBlocked ends a pipe read or write that waited ioBound.
var errBlocked = fmt.Errorf("blocked for %v: the other end never came", ioBound)

// readLine reads one line from r, which buffers pipe p. A read still
// blocked after ioBound closes p, so it fails instead of hanging (a timer,
// not a goroutine per read: some tests read thousands of lines).
func readLine(r *bufio.Reader, p *io.PipeReader) (string, error) {
	watchdog := time.AfterFunc(ioBound, func() { _ = p.CloseWithError(errBlocked) })
	line, err := r.ReadString('\n')
	if !watchdog.Stop() {
		return line, errBlocked
	}
	return line, err
}

// writeLine writes line and a newline to p, failing (p closed) instead of
// hanging when nobody reads it for ioBound.
func writeLine(p *io.PipeWriter, line string) error {
	watchdog := time.AfterFunc(ioBound, func() { _ = p.CloseWithError(errBlocked) })
	_, err := io.WriteString(p, line+"\n")
	if !watchdog.Stop() {
		return errBlocked
	}
	return err
}

// waitGroup waits for wg within ioBound.
func waitGroup(t *testing.T, wg *sync.WaitGroup) {
	t.Helper()
	bounded(t, "waiting for the test's writer", wg.Wait)
}

// awaitChan waits for ch to be closed (or to deliver) within ioBound.
func awaitChan[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(ioBound):
		t.Fatalf("%s: nothing after %v", what, ioBound)
	}
	var zero T
	return zero
}

// serialised makes opts report when mcp-go's stdio server is gone, and
// makes the test's cleanup wait for it: the stdio session is a package
// variable of mcp-go, so the next test's server must not start while this
// one's handlers still run (they would share its writer, notifications and
// capabilities). Cleanups run last-in first-out: call it before the
// cleanup that ends the session, so that one runs first.
func serialised(t *testing.T, opts *server.Options) {
	t.Helper()
	gone := make(chan struct{})
	server.SetListenDone(opts, gone)
	t.Cleanup(func() {
		select {
		case <-gone:
		case <-time.After(ioBound):
			t.Errorf("mcp-go's stdio server was still running %v after the test: the next test would share its session", ioBound)
		}
	})
}
