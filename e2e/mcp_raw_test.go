package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// These tests speak JSON-RPC over the child's pipes with sourcegraph/jsonrpc2
// and the legacy handshake (initialize, protocol 2025-11-25), holding every
// byte the child writes.

func mcpStartRawReady(t *testing.T, w *mcpWorld, opts mcpRawOptions) *mcpRawSession {
	t.Helper()
	s := mcpStartRaw(t, w, opts)
	s.initialize(t, opts.elicit != "")
	return s
}

func TestMCPRawToolsList(t *testing.T) {
	t.Parallel()
	w := mcpNewWorld(t)
	s := mcpStartRawReady(t, w, mcpRawOptions{})
	var res struct {
		Tools []map[string]json.RawMessage `json:"tools"`
	}
	if err := s.callInto("tools/list", map[string]any{}, &res); err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	var names []string
	for _, tool := range res.Tools {
		var name string
		_ = json.Unmarshal(tool["name"], &name)
		names = append(names, name)
		// All four hints explicit: clients assume the worst for a missing one.
		var ann map[string]json.RawMessage
		if err := json.Unmarshal(tool["annotations"], &ann); err != nil {
			t.Errorf("%s: annotations %s: %v", name, tool["annotations"], err)
			continue
		}
		for _, h := range []string{"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"} {
			if _, ok := ann[h]; !ok {
				t.Errorf("%s: annotation %s is not set explicitly", name, h)
			}
		}
		if len(tool["outputSchema"]) == 0 {
			t.Errorf("%s declares no outputSchema", name)
		}
	}
	for _, want := range []string{"list_api_keys", "list_projects", "create_project_scoped_key", "revoke_api_key", "rotate_api_key"} {
		if !slices.Contains(names, want) {
			t.Errorf("tools/list lacks %s: %v", want, names)
		}
	}
	s.assertStdoutIsJSONRPC(t)
}

// TestMCPRawConfirmVariants: only the JSON boolean true confirms; every
// look-alike is refused before any request reaches the API.
func TestMCPRawConfirmVariants(t *testing.T) {
	t.Parallel()
	w := mcpNewWorld(t)
	s := mcpStartRawReady(t, w, mcpRawOptions{})
	variants := []struct {
		name    string
		confirm any
		omit    bool
	}{
		{name: "missing", omit: true},
		{name: "false", confirm: false},
		{name: `"true"`, confirm: "true"},
		{name: "1", confirm: 1},
		{name: "null", confirm: nil},
		{name: `{}`, confirm: map[string]any{}},
		{name: "[true]", confirm: []any{true}},
	}
	for _, m := range mcpMutations() {
		for _, v := range variants {
			t.Run(m.tool+"/"+v.name, func(t *testing.T) {
				args := m.args(w)
				if !v.omit {
					args = mcpWith(args, "confirm", v.confirm)
				}
				res := s.callTool(t, m.tool, args)
				if !res.IsError {
					t.Errorf("confirm %s was accepted: %s", v.name, res.text())
				}
				w.assertMutations(t, 0)
			})
		}
	}
	if !w.srv.TokenValid(w.spareToken) {
		t.Error("the spare key was revoked")
	}
	s.assertStdoutIsJSONRPC(t)
}

// TestMCPRawBadInput: bad requests get clear errors, change nothing and
// leave the server answering.
func TestMCPRawBadInput(t *testing.T) {
	t.Parallel()
	w := mcpNewWorld(t)
	s := mcpStartRawReady(t, w, mcpRawOptions{})

	t.Run("unknown tool", func(t *testing.T) {
		var res json.RawMessage
		err := s.callInto("tools/call", map[string]any{"name": "drop_database", "arguments": map[string]any{}}, &res)
		var rpcErr *jsonrpc2.Error
		if !errors.As(err, &rpcErr) {
			t.Fatalf("unknown tool answered %s (err %v), want a JSON-RPC error", res, err)
		}
		if !strings.Contains(rpcErr.Message, "drop_database") {
			t.Errorf("error %q does not name the tool", rpcErr.Message)
		}
	})
	t.Run("key_id not an integer", func(t *testing.T) {
		for _, id := range []any{"abc", 1.5, -3, "1000001"} {
			res := s.callTool(t, "revoke_api_key", map[string]any{"key_id": id, "confirm": true})
			if !res.IsError || !strings.Contains(res.text(), "key_id") {
				t.Errorf("key_id %#v: isError=%v %q, want an error naming key_id", id, res.IsError, res.text())
			}
		}
	})
	t.Run("unknown argument", func(t *testing.T) {
		res := s.callTool(t, "revoke_api_key", map[string]any{"key_id": w.spareID, "confirm": true, "force": true})
		if !res.IsError {
			t.Errorf("an unknown argument was accepted: %s", res.text())
		}
	})
	t.Run("1 MB key_name", func(t *testing.T) {
		huge := strings.Repeat("k", 1<<20)
		res := s.callTool(t, "create_project_scoped_key", map[string]any{
			"project_id": w.fx.OrgProject.ID, "key_name": huge, "confirm": true,
		})
		if !res.IsError {
			t.Fatalf("a 1 MB key_name was accepted")
		}
		if strings.Contains(res.text(), strings.Repeat("k", 1000)) {
			t.Errorf("the error echoes the 1 MB value back: %s", mcpTail(res.text()))
		}
	})
	t.Run("65-character key_name", func(t *testing.T) {
		res := s.callTool(t, "create_project_scoped_key", map[string]any{
			"project_id": w.fx.OrgProject.ID, "key_name": strings.Repeat("n", 65), "confirm": true,
		})
		if !res.IsError {
			t.Errorf("a 65-character key_name was accepted")
		}
	})
	t.Run("malformed JSON line", func(t *testing.T) {
		before := len(s.stdoutLines())
		s.writeRaw(t, []byte(`{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{`+"\n"))
		// The reply to the broken line is written before the next request is read.
		if names := s.toolNames(t); !slices.Contains(names, "list_api_keys") {
			t.Fatalf("after a malformed line tools/list answered %v", names)
		}
		var parseErrs int
		for _, line := range s.stdoutLines()[before:] {
			var msg struct {
				Error *struct {
					Code int `json:"code"`
				} `json:"error"`
			}
			if json.Unmarshal([]byte(line), &msg) == nil && msg.Error != nil && msg.Error.Code == -32700 {
				parseErrs++
			}
		}
		if parseErrs != 1 {
			t.Errorf("saw %d parse errors (-32700) for one malformed line", parseErrs)
		}
	})
	t.Run("still answers", func(t *testing.T) {
		res := s.callTool(t, "list_api_keys", map[string]any{})
		if res.IsError {
			t.Fatalf("list_api_keys after bad input: %s", res.text())
		}
	})
	w.assertMutations(t, 0)
	s.assertStdoutIsJSONRPC(t)
}

// TestMCPRawCredentialNeverEchoed: an API error body quoting the
// Authorization header must not carry the credential to stdout or stderr.
func TestMCPRawCredentialNeverEchoed(t *testing.T) {
	t.Parallel()
	w := mcpNewWorld(t)
	s := mcpStartRawReady(t, w, mcpRawOptions{})
	w.srv.Inject(
		neontest.Fault{Method: "GET", Path: "/api_keys", EchoAuthorization: true},
		neontest.Fault{Method: "GET", Path: "/projects", EchoAuthorization: true, Status: 400},
		neontest.Fault{Method: "DELETE", EchoAuthorization: true, Status: 403, Count: 4},
	)
	res := s.callTool(t, "list_api_keys", map[string]any{})
	if !res.IsError {
		t.Errorf("list_api_keys over a 500 succeeded: %s", res.text())
	}
	res = s.callTool(t, "create_project_scoped_key", map[string]any{"project_id": w.fx.OrgProject.ID, "key_name": "x", "confirm": true})
	if !res.IsError {
		t.Errorf("create over a failing project lookup succeeded: %s", res.text())
	}
	res = s.callTool(t, "revoke_api_key", map[string]any{"key_id": w.spareID, "confirm": true})
	if !res.IsError {
		t.Errorf("revoke over a 403 succeeded: %s", res.text())
	}
	// One more round trip so everything the failures logged has been written.
	_ = s.toolNames(t)
	echoed := 0
	for _, r := range w.srv.Requests() {
		if strings.Contains(string(r.ResponseBody), w.fx.AdminToken) {
			echoed++
		}
	}
	if echoed == 0 {
		t.Fatal("the fault did not echo the credential: the test proves nothing")
	}
	for stream, b := range map[string]string{"stdout": s.stdout.String(), "stderr": s.stderr.String()} {
		if strings.Contains(b, w.fx.AdminToken) {
			t.Errorf("the credential appears on %s", stream)
		}
		if strings.Contains(b, w.fx.AdminToken[:20]) {
			t.Errorf("a prefix of the credential appears on %s", stream)
		}
	}
	s.assertStdoutIsJSONRPC(t)
}

// TestMCPRawTokenInOneResponse: a created token crosses stdout once, in the
// create answer, and never reaches stderr.
func TestMCPRawTokenInOneResponse(t *testing.T) {
	t.Parallel()
	w := mcpNewWorld(t)
	s := mcpStartRawReady(t, w, mcpRawOptions{})
	res := s.callTool(t, "create_project_scoped_key", map[string]any{
		"project_id": w.fx.OrgProject.ID, "key_name": "e2e-once", "confirm": true,
	})
	if res.IsError {
		t.Fatalf("create: %s", res.text())
	}
	minted := w.mintedTokens(res.text() + string(res.StructuredContent))
	if len(minted) != 1 {
		t.Fatalf("create answer holds %d new tokens, want 1", len(minted))
	}
	tok := minted[0]
	if !w.srv.TokenValid(tok) {
		t.Fatal("the delivered token is not valid at the API")
	}
	// Later calls that touch the new key must not show its token again.
	_ = s.callTool(t, "list_api_keys", map[string]any{"org_id": w.fx.Org.ID})
	_ = s.callTool(t, "create_project_scoped_key", map[string]any{"project_id": w.fx.OrgProject.ID, "key_name": "e2e-once"})
	_ = s.toolNames(t)

	if n := mcpCount(s.stdoutLines(), tok); n != 1 {
		t.Errorf("the new token is on %d stdout lines, want exactly 1", n)
	}
	if strings.Contains(s.stderr.String(), tok) {
		t.Error("the new token appears on stderr")
	}
	if strings.Contains(s.stdout.String()+s.stderr.String(), w.fx.AdminToken) {
		t.Error("the credential appears in the output")
	}
	s.assertStdoutIsJSONRPC(t)
}

// TestMCPRawElicitationLegacy: a legacy client with elicitation gets an
// elicitation/create request; decline changes nothing, accept revokes once.
func TestMCPRawElicitationLegacy(t *testing.T) {
	t.Parallel()
	for _, action := range []string{"accept", "decline", "cancel"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			w := mcpNewWorld(t)
			s := mcpStartRawReady(t, w, mcpRawOptions{elicit: action})
			res := s.callTool(t, "revoke_api_key", map[string]any{"key_id": w.spareID, "confirm": true})
			if got := len(s.elicited()); got != 1 {
				t.Fatalf("elicitation/create sent %d times, want 1", got)
			}
			want := 0
			if action == "accept" {
				want = 1
			}
			if res.IsError == (action == "accept") {
				t.Errorf("%s: isError=%v: %s", action, res.IsError, res.text())
			}
			w.assertMutations(t, want)
			if w.srv.TokenValid(w.spareToken) != (action != "accept") {
				t.Errorf("%s: spare key valid = %v", action, w.srv.TokenValid(w.spareToken))
			}
			s.assertStdoutIsJSONRPC(t)
		})
	}
}

// TestMCPRawStdinCloseExits: a client going away (stdin EOF) ends the server.
func TestMCPRawStdinCloseExits(t *testing.T) {
	t.Parallel()
	w := mcpNewWorld(t)
	s := mcpStartRawReady(t, w, mcpRawOptions{})
	_ = s.toolNames(t)
	if err := s.stdin.Close(); err != nil {
		t.Fatal(err)
	}
	timer := time.NewTimer(2 * time.Second)
	defer timer.Stop()
	select {
	case <-s.exited:
	case <-timer.C:
		t.Fatal("neonkeys mcp still runs 2 s after its stdin closed")
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after a clean end of input, want 0; stderr:\n%s", code, s.stderr)
	}
	s.assertStdoutIsJSONRPC(t)
}

// TestMCPRawCancelHungCall: notifications/cancelled for a call stuck on a
// hung API cancels its HTTP request, and the server keeps answering.
func TestMCPRawCancelHungCall(t *testing.T) {
	t.Parallel()
	w := mcpNewWorld(t)
	// Wrap the fake to see when the hung request ends: only the server
	// cancelling it (or the test ending) ends a Hang fault.
	hungEnded := make(chan struct{})
	var endOnce sync.Once
	wrap := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.srv.Handler().ServeHTTP(rw, r)
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/api_keys") && r.Context().Err() != nil {
			endOnce.Do(func() { close(hungEnded) })
		}
	}))
	t.Cleanup(func() {
		w.srv.Close() // ends any hang first: wrap.Close waits for its handlers
		wrap.Close()
	})
	w.apiURL = wrap.URL + neontest.BasePath
	s := mcpStartRawReady(t, w, mcpRawOptions{})
	w.srv.Inject(neontest.Fault{Method: "GET", Path: "/api_keys", Hang: true})

	const id = 4242
	ctx, cancel := context.WithTimeout(context.Background(), mcpCallTimeout)
	defer cancel()
	waiter, err := s.conn.DispatchCall(ctx, "tools/call",
		map[string]any{"name": "list_api_keys", "arguments": map[string]any{}},
		jsonrpc2.PickID(jsonrpc2.ID{Num: id}))
	if err != nil {
		t.Fatal(err)
	}
	mcpWaitFor(t, "the hung GET /api_keys to reach the fake", func() bool {
		for _, r := range w.srv.Requests() {
			if r.Method == "GET" && r.Path == "/api_keys" {
				return true
			}
		}
		return false
	})
	if err := s.conn.Notify(ctx, "notifications/cancelled", map[string]any{"requestId": id, "reason": "user pressed stop"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-hungEnded:
	case <-time.After(20 * time.Second):
		t.Fatal("the cancelled call's HTTP request is still open after 20 s")
	}
	res := s.callTool(t, "list_api_keys", map[string]any{})
	if res.IsError {
		t.Fatalf("list_api_keys after a cancelled call: %s", res.text())
	}
	if names := s.toolNames(t); len(names) == 0 {
		t.Fatal("tools/list answered no tools")
	}
	// The spec says a cancelled request should get no answer; whether one
	// came does not matter to a user, so only stop waiting for it.
	shortCtx, shortCancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer shortCancel()
	var ignored json.RawMessage
	_ = waiter.Wait(shortCtx, &ignored)
	s.assertStdoutIsJSONRPC(t)
}

// mcpWaitFor polls cond for up to 20 s.
func mcpWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
