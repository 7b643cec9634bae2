package remote_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// goneAfterBuffer is a response writer whose writes land in a buffer (as
// net/http's do, 4 KiB of them) while the client is already gone: only the
// flush to the connection fails.
type goneAfterBuffer struct {
	header http.Header
	buf    bytes.Buffer
}

func (g *goneAfterBuffer) Header() http.Header         { return g.header }
func (g *goneAfterBuffer) WriteHeader(int)             {}
func (g *goneAfterBuffer) Write(p []byte) (int, error) { return g.buf.Write(p) }
func (g *goneAfterBuffer) FlushError() error           { return errors.New("write tcp: broken pipe") }

// TestBufferedButUnflushedTokenIsWithdrawn: an answer carrying a token is
// flushed before its delivery is settled. Written into the connection's
// buffer, it has not reached a client that hung up: the new key is revoked
// again and the old key keeps working.
func TestBufferedButUnflushedTokenIsWithdrawn(t *testing.T) {
	e := newEnv(t)
	h, _ := e.start(e.config())
	w := &goneAfterBuffer{header: http.Header{}}
	h.ServeHTTP(w, confirmedRotate(e))
	if !strings.Contains(w.buf.String(), "ci-rotated-") {
		t.Fatalf("the answer does not name the new key: %s", w.buf.String())
	}
	wantRotationUndone(t, e)
}
