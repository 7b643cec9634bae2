package remote_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/remote"
)

// brokenConn is a response writer whose connection is gone: every write
// fails, as when the client hung up while the call ran.
type brokenConn struct{ header http.Header }

func (b *brokenConn) Header() http.Header       { return b.header }
func (b *brokenConn) WriteHeader(int)           {}
func (b *brokenConn) Write([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

// TestUndeliveredTokenIsWithdrawn: when the answer carrying a rotation's
// new token cannot be written, nobody holds that token: the new key is
// revoked again and the old key keeps working.
func TestUndeliveredTokenIsWithdrawn(t *testing.T) {
	t.Run("request's key", func(t *testing.T) { undelivered(t, false) })
	t.Run("server credential", func(t *testing.T) { undelivered(t, true) })
}

func undelivered(t *testing.T, serverCredential bool) {
	e := newEnv(t)
	h, _ := e.start(e.config(func(c *remote.Config) {
		if serverCredential {
			api, err := neonapi.New(neonapi.Options{Token: e.fx.AdminToken, BaseURL: e.fake.URL(), HTTPClient: e.fake.Client(), Redactor: e.red})
			if err != nil {
				t.Fatal(err)
			}
			c.ServerCredential, c.Server.Keys = true, keys.New(api, nil)
		}
	}))
	h.ServeHTTP(&brokenConn{header: http.Header{}}, confirmedRotate(e))
	wantRotationUndone(t, e)
}

// confirmedRotate is a confirmed rotate_api_key of the organization key,
// as a client without elicitation sends it.
func confirmedRotate(e *env) *http.Request {
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"rotate_api_key","arguments":{"key_id":%d,"org_id":%q,"confirm":true}}}`,
		e.fx.OrgKeyID, e.fx.Org.ID)
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1"+remote.Path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	req.Header.Set("Authorization", "Bearer "+e.fx.AdminToken)
	return req
}

// wantRotationUndone checks that a rotation whose answer never reached the
// client minted one replacement, withdrew it, and kept the old key.
func wantRotationUndone(t *testing.T, e *env) {
	t.Helper()
	if old, _ := e.fake.Key(e.fx.OrgKeyID); old.Revoked {
		t.Fatal("the old key was revoked although the new token never reached the client")
	}
	minted := 0
	for _, k := range e.fake.Keys() {
		if strings.HasPrefix(k.Name, "ci-rotated-") {
			if !k.Revoked {
				t.Fatalf("the new key %d %q is live although its token was never delivered", k.ID, k.Name)
			}
			minted++
		}
	}
	if minted != 1 {
		t.Fatalf("%d replacement keys were minted, want 1 (then withdrawn)", minted)
	}
}
