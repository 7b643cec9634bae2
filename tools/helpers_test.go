package tools_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
	"github.com/neonkeys/neonkeys/server"
)

// syncBuffer is a goroutine-safe stderr.
type syncBuffer = testkit.SyncBuffer

// env is one server under test against the fake Neon API.
type env struct {
	t      *testing.T
	fake   *neontest.Server
	fx     *neontest.Fixture
	token  string // the server's credential
	red    *secret.Redactor
	stderr *syncBuffer
	mcp    *mcpserver.MCPServer
	opts   server.Options
}

type envOption func(*server.Options)

func withOpts(f func(*server.Options)) envOption { return f }

// newEnv starts a fake Neon API seeded with the standard fixture and an MCP
// server using the admin's personal key.
func newEnv(t *testing.T, o ...envOption) *env { t.Helper(); return newEnvOn(t, envSetup{}, o...) }

// envSetup is what newEnvOn builds a server on besides its options; a nil
// field leaves the fake as it is, on the real clock.
type envSetup struct {
	// wrap: the fake's answers pass through it (a hostile API built on
	// the fake's state).
	wrap func(http.Handler) http.Handler
	// fakeNow is the fake's clock (created_at, last_used_at); keysNow the
	// key service's (rotated names).
	fakeNow, keysNow func() time.Time
}

// newEnvOn is newEnv built on s.
func newEnvOn(t *testing.T, s envSetup, o ...envOption) *env {
	t.Helper()
	var fakeOpts []neontest.Option
	if s.fakeNow != nil {
		fakeOpts = append(fakeOpts, neontest.WithClock(s.fakeNow))
	}
	fake := neontest.New(t, fakeOpts...)
	fx := fake.Seed()
	e := &env{t: t, fake: fake, fx: fx, token: fx.AdminToken, red: secret.NewRedactor(), stderr: &syncBuffer{}}
	baseURL, httpClient := fake.URL(), fake.Client()
	if s.wrap != nil {
		ts := httptest.NewServer(s.wrap(fake.Handler()))
		t.Cleanup(ts.Close)
		baseURL, httpClient = ts.URL+neontest.BasePath, ts.Client()
	}
	api, err := neonapi.New(neonapi.Options{Token: e.token, BaseURL: baseURL, Redactor: e.red, HTTPClient: httpClient,
		Retry: &neonapi.RetryPolicy{}})
	if err != nil {
		t.Fatal(err)
	}
	e.opts = server.Options{Version: "test", Keys: keys.New(api, s.keysNow), Redactor: e.red, Log: e.stderr, NoElicit: true}
	for _, f := range o {
		f(&e.opts)
	}
	e.mcp, err = server.New(e.opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// client connects an in-process client (modern era unless legacy is asked).
func (e *env) client(opts ...client.ClientOption) *client.Client {
	e.t.Helper()
	c, err := client.NewInProcessClientWithOptions(e.mcp, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		e.t.Fatal(err)
	}
	if _, err := c.Initialize(ctx, mcp.InitializeRequest{}); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

// call calls a tool with raw JSON arguments and returns the result.
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
	e.assertClean(res)
	return res
}

// assertClean checks that neither the server's credential nor any other
// known secret shows in a result, and that stderr is clean too.
func (e *env) assertClean(res *mcp.CallToolResult) {
	e.t.Helper()
	b, _ := json.Marshal(res)
	if strings.Contains(string(b), e.token) {
		e.t.Fatalf("the server's credential appears in a result: %s", b)
	}
	if strings.Contains(e.stderr.String(), e.token) {
		e.t.Fatalf("the server's credential appears on stderr")
	}
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func structuredMap(t *testing.T, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		t.Fatalf("structuredContent is not an object: %s", b)
	}
	return m
}

func (e *env) mutations() []neontest.Request { return e.fake.Mutations() }
