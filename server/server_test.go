package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
	"github.com/neonkeys/neonkeys/server"
)

// Note: mcp-go's stdio session is a package global, so these tests never run
// two stdio servers at once (no t.Parallel).

// lockedBuffer is a goroutine-safe log or stderr.
type lockedBuffer = testkit.SyncBuffer

// stdio runs ServeStdio on pipes and returns the client side.
type stdio struct {
	in     *io.PipeWriter // the server's stdin
	out    *io.PipeReader // the server's stdout
	stderr *lockedBuffer
	done   chan error
}

func serve(t *testing.T, opts server.Options) *stdio {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &stdio{in: inW, out: outR, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	opts.Log = s.stderr
	serialised(t, &opts)
	go func() {
		err := server.ServeStdio(context.Background(), opts, inR, outW)
		outW.Close()
		s.done <- err
	}()
	t.Cleanup(func() {
		inW.Close()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			t.Error("the server did not stop after stdin closed")
		}
	})
	return s
}

func (s *stdio) client(t *testing.T) *client.Client {
	t.Helper()
	c := client.NewClient(transport.NewIO(s.out, s.in, io.NopCloser(strings.NewReader(""))))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Initialize(ctx, mcp.InitializeRequest{}); err != nil {
		t.Fatal(err)
	}
	return c
}

func options(t *testing.T, baseURL string, httpClient *http.Client, token string) server.Options {
	t.Helper()
	red := secret.NewRedactor()
	api, err := neonapi.New(neonapi.Options{Token: token, BaseURL: baseURL, Redactor: red, HTTPClient: httpClient})
	if err != nil {
		t.Fatal(err)
	}
	return server.Options{Version: "test", Keys: keys.New(api, nil), Redactor: red, NoElicit: true}
}

// TestToolCallsRunConcurrently: 40 calls are in flight together, not in
// rounds of mcp-go's default 5 workers. The API holds every request until
// 40 are waiting at once (an event, not a latency the machine's load could
// stretch); a pool that queues calls never gets there, and the hold gives
// up after ioBound so that it fails instead of hanging.
func TestToolCallsRunConcurrently(t *testing.T) {
	const calls = 40
	fake := neontest.New(t)
	fx := fake.Seed()
	var inFlight, maxInFlight atomic.Int64
	all := make(chan struct{}) // closed when calls requests wait together
	var allOnce sync.Once
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		if n >= calls {
			allOnce.Do(func() { close(all) })
		}
		select {
		case <-all:
		case <-time.After(ioBound): // never all together: let every call go
			allOnce.Do(func() { close(all) })
		case <-r.Context().Done():
		}
		fake.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(counting.Close)

	s := serve(t, options(t, counting.URL+neontest.BasePath, counting.Client(), fx.AdminToken))
	c := s.client(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*ioBound) // a lost answer fails, not hangs
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan string, calls)
	for range calls {
		wg.Go(func() {
			req := mcp.CallToolRequest{}
			req.Params.Name = "list_api_keys"
			res, err := c.CallTool(ctx, req)
			if err != nil || res.IsError {
				errs <- fmt.Sprint(err, res)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	if got := maxInFlight.Load(); got < calls {
		t.Fatalf("at most %d of %d API calls were in flight together; the worker pool queues calls", got, calls)
	}
}

// TestStdioSurvivesBadInput: a malformed line, an unknown tool and invalid
// arguments each get a clear error, stdout carries only JSON-RPC lines, and
// closing stdin ends the server cleanly.
func TestStdioSurvivesBadInput(t *testing.T) {
	fake := neontest.New(t)
	fx := fake.Seed()
	fake.Inject(neontest.Fault{EchoAuthorization: true})
	opts := options(t, fake.URL(), fake.Client(), fx.AdminToken)
	s := serve(t, opts)
	lines := bufio.NewReader(s.out)
	send := func(line string) map[string]any {
		t.Helper()
		if err := writeLine(s.in, line); err != nil {
			t.Fatal(err)
		}
		got, err := readLine(lines, s.out)
		if err != nil {
			t.Fatal(err)
		}
		var msg map[string]any
		if err := json.Unmarshal([]byte(got), &msg); err != nil {
			t.Fatalf("stdout line is not JSON: %q", got)
		}
		return msg
	}
	init := send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	if init["result"] == nil {
		t.Fatalf("initialize: %v", init)
	}
	if err := writeLine(s.in, `{"jsonrpc":"2.0","method":"notifications/initialized"}`); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name, line, want string
	}{
		{"malformed", `{"jsonrpc":"2.0","id":2,"method":`, "Parse error"},
		{"unknown tool", `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"drop_db","arguments":{}}}`, "not found"},
		{"string key id", `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"revoke_api_key","arguments":{"key_id":"abc","confirm":true}}}`, "key_id"},
		{"1 MB name", `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"create_project_scoped_key","arguments":{"project_id":"` + fx.OrgProject.ID + `","key_name":"` + strings.Repeat("x", 1<<20) + `","confirm":true}}}`, "key_name"},
		{"echoed credential", `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"list_api_keys","arguments":{}}}`, "500"},
		{"still answering", `{"jsonrpc":"2.0","id":7,"method":"tools/list"}`, "revoke_api_key"},
	}
	for _, c := range checks {
		msg := send(c.line)
		b, _ := json.Marshal(msg)
		if !strings.Contains(string(b), c.want) {
			t.Errorf("%s: answer %s lacks %q", c.name, b, c.want)
		}
		if len(b) > 4000 && c.name != "still answering" {
			t.Errorf("%s: answer is %d bytes long", c.name, len(b))
		}
		if strings.Contains(string(b), fx.AdminToken) {
			t.Fatalf("%s: the credential reached stdout", c.name)
		}
	}
	if len(fake.Mutations()) != 0 {
		t.Fatal("bad input reached the API as a mutation")
	}
	// Positive control: the same create with a valid name does mint a key,
	// so the check above aims at a project where one can be created.
	control := send(fmt.Sprintf(`{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"create_project_scoped_key","arguments":{"project_id":%q,"key_name":"control","confirm":true}}}`, fx.OrgProject.ID))
	if b, _ := json.Marshal(control); len(fake.Mutations()) != 1 || control["error"] != nil || strings.Contains(string(b), `"isError":true`) {
		t.Fatalf("positive control: the valid, confirmed create did not mint a key (%d mutations): %s", len(fake.Mutations()), b)
	}
	s.in.Close()
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		if err != nil {
			t.Fatalf("ServeStdio = %v, want nil on end of input", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the server did not stop within 2 s of stdin closing")
	}
	if strings.Contains(s.stderr.String(), fx.AdminToken) {
		t.Fatal("the credential reached stderr")
	}
}

func TestReadOnlyServesOnlyReadTools(t *testing.T) {
	red := secret.NewRedactor()
	srv, err := server.New(server.Options{Redactor: red, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name, st := range srv.ListTools() {
		names = append(names, name)
		if h := st.Tool.Annotations.ReadOnlyHint; h == nil || !*h {
			t.Errorf("read-only server serves %s, not hinted read-only", name)
		}
	}
	if len(names) < 4 || srv.GetTool("revoke_api_key") != nil || srv.GetTool("create_project_scoped_key") != nil || srv.GetTool("rotate_api_key") != nil {
		t.Fatalf("read-only tools = %v", names)
	}
	c, err := client.NewInProcessClient(srv)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), ioBound) // a lost answer fails, not hangs
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Initialize(ctx, mcp.InitializeRequest{}); err != nil {
		t.Fatal(err)
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = "revoke_api_key"
	req.Params.Arguments = map[string]any{"key_id": 1, "confirm": true}
	if _, err := c.CallTool(ctx, req); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("revoke on a read-only server: %v", err)
	}
}

// TestStdioExitWaitsForAWithdrawal: a create whose answer fails verification
// revokes the new key; if the client ends its input meanwhile, the server
// must finish that revoke before it exits, or the key stays live for good.
func TestStdioExitWaitsForAWithdrawal(t *testing.T) {
	fake := neontest.New(t)
	fx := fake.Seed()
	fake.Inject(neontest.Fault{Method: http.MethodPost, OmitKey: true})
	fake.Inject(neontest.Fault{Method: http.MethodDelete, Delay: 2500 * time.Millisecond}) // longer than the exit grace
	opts := options(t, fake.URL(), fake.Client(), fx.AdminToken)
	opts.Log = &lockedBuffer{}
	serialised(t, &opts)
	inR, inW := io.Pipe()
	t.Cleanup(func() { _ = inW.Close() })
	done := make(chan error, 1)
	go func() { done <- server.ServeStdio(context.Background(), opts, inR, io.Discard) }()
	for _, line := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		fmt.Sprintf(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"create_project_scoped_key","arguments":{"project_id":%q,"key_name":"stray","confirm":true}}}`, fx.OrgProject.ID),
	} {
		if err := writeLine(inW, line); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	isDelete := func(r neontest.Request) bool { return r.Method == http.MethodDelete }
	for !slices.ContainsFunc(fake.Mutations(), isDelete) {
		if time.Now().After(deadline) {
			t.Fatal("the withdrawal never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	inW.Close() // the client leaves while the revoke is on its way
	select {
	case <-done:
	case <-time.After(40 * time.Second):
		t.Fatal("the server did not exit")
	}
	if n := len(fake.LiveKeys()); n != 4 {
		t.Fatalf("%d live keys after exit, want the fixture's 4: the minted key stayed live", n)
	}
}
