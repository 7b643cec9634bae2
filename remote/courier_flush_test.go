package remote_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/remote"
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
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"rotate_api_key","arguments":{"key_id":%d,"org_id":%q,"confirm":true}}}`,
		e.fx.OrgKeyID, e.fx.Org.ID)
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1"+remote.Path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	req.Header.Set("Authorization", "Bearer "+e.fx.AdminToken)
	w := &goneAfterBuffer{header: http.Header{}}
	h.ServeHTTP(w, req)
	if !strings.Contains(w.buf.String(), "ci-rotated-") {
		t.Fatalf("the answer does not name the new key: %s", w.buf.String())
	}
	if old, _ := e.fake.Key(e.fx.OrgKeyID); old.Revoked {
		t.Fatal("the old key was revoked although the new token never left the buffer")
	}
	minted := 0
	for _, k := range e.fake.Keys() {
		if strings.HasPrefix(k.Name, "ci-rotated-") {
			if !k.Revoked {
				t.Fatalf("the new key %d %q is live although its answer was never flushed to the client", k.ID, k.Name)
			}
			minted++
		}
	}
	if minted != 1 {
		t.Fatalf("%d replacement keys were minted, want 1 (then withdrawn)", minted)
	}
}
