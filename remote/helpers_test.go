package remote_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/remote"
	"github.com/neonkeys/neonkeys/secret"
	"github.com/neonkeys/neonkeys/server"
)

// syncBuffer is a goroutine-safe log.
type syncBuffer = testkit.SyncBuffer

// env is the fake Neon API and the settings of remote servers in front of it.
type env struct {
	t      testing.TB
	fake   *neontest.Server
	fx     *neontest.Fixture
	red    *secret.Redactor
	log    *syncBuffer // the server log
	access *syncBuffer // the access log
}

func newEnv(t testing.TB, opts ...neontest.Option) *env {
	t.Helper()
	fake := neontest.New(t, opts...)
	return &env{t: t, fake: fake, fx: fake.Seed(), red: secret.NewRedactor(), log: &syncBuffer{}, access: &syncBuffer{}}
}

// config is a remote server's configuration against the fake; edit may
// change it.
func (e *env) config(edit ...func(*remote.Config)) remote.Config {
	cfg := remote.Config{
		Server: server.Options{Version: "test", Redactor: e.red, Log: e.log, NoElicit: true},
		API: neonapi.Options{BaseURL: e.fake.URL(), HTTPClient: e.fake.Client(),
			Retry: &neonapi.RetryPolicy{}},
		AccessLog: e.access,
	}
	for _, f := range edit {
		f(&cfg)
	}
	return cfg
}

// start serves cfg from an httptest server and returns its /mcp URL.
func (e *env) start(cfg remote.Config) (*remote.Handler, string) {
	e.t.Helper()
	h, err := remote.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	e.t.Cleanup(ts.Close)
	return h, ts.URL + remote.Path
}

// connect returns an initialized MCP client of url sending headers.
func (e *env) connect(url string, headers map[string]string, opts ...client.ClientOption) *client.Client {
	e.t.Helper()
	c, err := client.NewStreamableHttpClient(url, transport.WithHTTPHeaders(headers))
	if err != nil {
		e.t.Fatal(err)
	}
	if len(opts) > 0 {
		c = client.NewClient(c.GetTransport(), opts...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		e.t.Fatal(err)
	}
	if _, err := c.Initialize(ctx, mcp.InitializeRequest{}); err != nil {
		e.t.Fatalf("initialize: %v", err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

// bearer is the Authorization header of token.
func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// call calls a tool with raw JSON arguments and fails on a protocol error.
func (e *env) call(c *client.Client, tool, args string) *mcp.CallToolResult {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var a any
	if err := json.Unmarshal([]byte(args), &a); err != nil {
		e.t.Fatalf("bad test arguments %s: %v", args, err)
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = tool
	req.Params.Arguments = a
	res, err := c.CallTool(ctx, req)
	if err != nil {
		e.t.Fatalf("CallTool(%s, %s): protocol error %v", tool, args, err)
	}
	return res
}

// text joins a result's text contents.
func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// post sends one raw JSON-RPC message to url with headers and returns the
// status and body.
func post(t *testing.T, url, body string, headers map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// eras are the two protocol eras a client may speak.
//
//lint:ignore SA1019 the legacy era (initialize handshake) is still served to clients that speak it, so it is tested.
var eras = map[string][]client.ClientOption{"modern": nil, "legacy": {client.WithLegacyProtocolOnly()}}

// revokedSoon reports whether key id is revoked at the fake, waiting for
// it: a rotation revokes the old key only once its answer was written, so
// the client may read the answer a moment before.
func (e *env) revokedSoon(id int64) bool {
	deadline := time.Now().Add(10 * time.Second) // generous under -race on a loaded machine
	for {
		if k, _ := e.fake.Key(id); k.Revoked {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}
