package mcp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

func TestMCPRawToolsList(t *testing.T) {
	t.Parallel()
	w := harness.NewMCPWorld(t)
	s := harness.StartRawReady(t, w, harness.RawOptions{})
	var res struct {
		Tools []map[string]json.RawMessage `json:"tools"`
	}
	if err := s.CallInto("tools/list", map[string]any{}, &res); err != nil {
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
	s.AssertStdoutIsJSONRPC(t)
}

// mcpPreviewText is how the guard starts the preview it answers instead of
// mutating.
const mcpPreviewText = "confirm is not true. This would "

// TestMCPRawConfirmVariants: only the JSON boolean true confirms; every
// look-alike is refused before any request reaches the API, and before the
// human is asked: a client that would accept any question changes nothing.
func TestMCPRawConfirmVariants(t *testing.T) {
	t.Parallel()
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
	clients := []struct {
		name   string
		opts   harness.RawOptions
		modern bool // 2026-07-28 requests declaring elicitation, no handshake
	}{
		{name: "legacy without elicitation"},
		{name: "legacy eliciting, accepts all", opts: harness.RawOptions{Elicit: "accept"}},
		{name: "modern eliciting", modern: true},
	}
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := harness.NewMCPWorld(t)
			var s *harness.RawSession
			if c.modern {
				s = harness.StartRaw(t, w, c.opts)
			} else {
				s = harness.StartRawReady(t, w, c.opts)
			}
			for _, m := range mcpMutations() {
				for _, v := range variants {
					t.Run(m.Tool+"/"+v.name, func(t *testing.T) {
						args := m.Args(w)
						if !v.omit {
							args = mcpWith(args, "confirm", v.confirm)
						}
						res := s.Call(t, harness.Call{Tool: m.Tool, Args: args, Modern: c.modern})
						if !res.IsError || res.ResultType == "input_required" {
							t.Errorf("confirm %s was accepted (resultType %q): %s", v.name, res.ResultType, res.Text())
						}
						// Every look-alike gets the same preview as a missing confirm
						// (not a schema error), so the model learns what would happen.
						if text := res.Text(); !strings.Contains(text, mcpPreviewText) {
							t.Errorf("confirm %s: %q, want the preview (%q…)", v.name, text, mcpPreviewText)
						}
						w.AssertMutations(t, 0)
					})
				}
			}
			if n := len(s.Elicited()); n != 0 {
				t.Errorf("the human was asked %d time(s) about calls that lacked confirm: true", n)
			}
			if !w.Srv.TokenValid(w.SpareToken) {
				t.Error("the spare key was revoked")
			}
			s.AssertStdoutIsJSONRPC(t)
		})
	}
}

// TestMCPRawBadInput: bad requests get clear errors, change nothing and
// leave the server answering.
func TestMCPRawBadInput(t *testing.T) {
	t.Parallel()
	w := harness.NewMCPWorld(t)
	s := harness.StartRawReady(t, w, harness.RawOptions{})

	t.Run("unknown tool", func(t *testing.T) {
		var res json.RawMessage
		err := s.CallInto("tools/call", map[string]any{"name": "drop_database", "arguments": map[string]any{}}, &res)
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
			res := s.CallTool(t, "revoke_api_key", map[string]any{"key_id": id, "confirm": true})
			if !res.IsError || !strings.Contains(res.Text(), "key_id") {
				t.Errorf("key_id %#v: isError=%v %q, want an error naming key_id", id, res.IsError, res.Text())
			}
		}
	})
	t.Run("unknown argument", func(t *testing.T) {
		res := s.CallTool(t, "revoke_api_key", map[string]any{"key_id": w.SpareID, "confirm": true, "force": true})
		if !res.IsError {
			t.Errorf("an unknown argument was accepted: %s", res.Text())
		}
	})
	t.Run("1 MB key_name", func(t *testing.T) {
		huge := strings.Repeat("k", 1<<20)
		res := s.CallTool(t, "create_project_scoped_key", map[string]any{
			"project_id": w.Fx.OrgProject.ID, "key_name": huge, "confirm": true,
		})
		if !res.IsError {
			t.Fatalf("a 1 MB key_name was accepted")
		}
		if strings.Contains(res.Text(), strings.Repeat("k", 1000)) {
			t.Errorf("the error echoes the 1 MB value back: %s", harness.Tail(res.Text()))
		}
	})
	t.Run("65-character key_name", func(t *testing.T) {
		res := s.CallTool(t, "create_project_scoped_key", map[string]any{
			"project_id": w.Fx.OrgProject.ID, "key_name": strings.Repeat("n", 65), "confirm": true,
		})
		if !res.IsError {
			t.Errorf("a 65-character key_name was accepted")
		}
	})
	t.Run("malformed JSON line", func(t *testing.T) {
		before := len(s.StdoutLines())
		s.WriteRaw(t, []byte(`{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{`+"\n"))
		// The reply to the broken line is written before the next request is read.
		if names := s.ToolNames(t); !slices.Contains(names, "list_api_keys") {
			t.Fatalf("after a malformed line tools/list answered %v", names)
		}
		var parseErrs int
		for _, line := range s.StdoutLines()[before:] {
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
		res := s.CallTool(t, "list_api_keys", map[string]any{})
		if res.IsError {
			t.Fatalf("list_api_keys after bad input: %s", res.Text())
		}
	})
	w.AssertMutations(t, 0)
	s.AssertStdoutIsJSONRPC(t)
}

// TestMCPRawCredentialNeverEchoed: an API error body quoting the
// Authorization header must not carry the credential to stdout or stderr.
func TestMCPRawCredentialNeverEchoed(t *testing.T) {
	t.Parallel()
	w := harness.NewMCPWorld(t)
	s := harness.StartRawReady(t, w, harness.RawOptions{})
	w.Srv.Inject(
		neontest.Fault{Method: "GET", Path: "/api_keys", EchoAuthorization: true},
		neontest.Fault{Method: "GET", Path: "/projects", EchoAuthorization: true, Status: 400},
		neontest.Fault{Method: "DELETE", EchoAuthorization: true, Status: 403, Count: 4},
	)
	res := s.CallTool(t, "list_api_keys", map[string]any{})
	if !res.IsError {
		t.Errorf("list_api_keys over a 500 succeeded: %s", res.Text())
	}
	res = s.CallTool(t, "create_project_scoped_key", map[string]any{"project_id": w.Fx.OrgProject.ID, "key_name": "x", "confirm": true})
	if !res.IsError {
		t.Errorf("create over a failing project lookup succeeded: %s", res.Text())
	}
	res = s.CallTool(t, "revoke_api_key", map[string]any{"key_id": w.SpareID, "confirm": true})
	if !res.IsError {
		t.Errorf("revoke over a 403 succeeded: %s", res.Text())
	}
	// One more round trip so everything the failures logged has been written.
	_ = s.ToolNames(t)
	echoed := 0
	for _, r := range w.Srv.Requests() {
		if strings.Contains(string(r.ResponseBody), w.Fx.AdminToken) {
			echoed++
		}
	}
	if echoed == 0 {
		t.Fatal("the fault did not echo the credential: the test proves nothing")
	}
	for stream, b := range map[string]string{"stdout": s.Stdout.String(), "stderr": s.Stderr.String()} {
		if strings.Contains(b, w.Fx.AdminToken) {
			t.Errorf("the credential appears on %s", stream)
		}
		if strings.Contains(b, w.Fx.AdminToken[:20]) {
			t.Errorf("a prefix of the credential appears on %s", stream)
		}
	}
	s.AssertStdoutIsJSONRPC(t)
}

// TestMCPRawTokenInOneResponse: a created token crosses stdout once, in the
// create answer, and never reaches stderr.
func TestMCPRawTokenInOneResponse(t *testing.T) {
	t.Parallel()
	w := harness.NewMCPWorld(t)
	s := harness.StartRawReady(t, w, harness.RawOptions{})
	res := s.CallTool(t, "create_project_scoped_key", map[string]any{
		"project_id": w.Fx.OrgProject.ID, "key_name": "e2e-once", "confirm": true,
	})
	if res.IsError {
		t.Fatalf("create: %s", res.Text())
	}
	minted := w.MintedTokens(res.Text() + string(res.StructuredContent))
	if len(minted) != 1 {
		t.Fatalf("create answer holds %d new tokens, want 1", len(minted))
	}
	tok := minted[0]
	if !w.Srv.TokenValid(tok) {
		t.Fatal("the delivered token is not valid at the API")
	}
	// Later calls that touch the new key must not show its token again.
	_ = s.CallTool(t, "list_api_keys", map[string]any{"org_id": w.Fx.Org.ID})
	_ = s.CallTool(t, "create_project_scoped_key", map[string]any{"project_id": w.Fx.OrgProject.ID, "key_name": "e2e-once"})
	_ = s.ToolNames(t)

	if n := harness.CountLines(s.StdoutLines(), tok); n != 1 {
		t.Errorf("the new token is on %d stdout lines, want exactly 1", n)
	}
	if strings.Contains(s.Stderr.String(), tok) {
		t.Error("the new token appears on stderr")
	}
	if strings.Contains(s.Stdout.String()+s.Stderr.String(), w.Fx.AdminToken) {
		t.Error("the credential appears in the output")
	}
	s.AssertStdoutIsJSONRPC(t)
}

// TestMCPRawElicitationLegacy: a legacy client with elicitation gets an
// elicitation/create request; decline changes nothing, accept revokes once.
func TestMCPRawElicitationLegacy(t *testing.T) {
	t.Parallel()
	for _, action := range []string{"accept", "decline", "cancel"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			w := harness.NewMCPWorld(t)
			s := harness.StartRawReady(t, w, harness.RawOptions{Elicit: action})
			res := s.CallTool(t, "revoke_api_key", map[string]any{"key_id": w.SpareID, "confirm": true})
			if got := len(s.Elicited()); got != 1 {
				t.Fatalf("elicitation/create sent %d times, want 1", got)
			}
			want := 0
			if action == "accept" {
				want = 1
			}
			if res.IsError == (action == "accept") {
				t.Errorf("%s: isError=%v: %s", action, res.IsError, res.Text())
			}
			w.AssertMutations(t, want)
			if w.Srv.TokenValid(w.SpareToken) != (action != "accept") {
				t.Errorf("%s: spare key valid = %v", action, w.Srv.TokenValid(w.SpareToken))
			}
			s.AssertStdoutIsJSONRPC(t)
		})
	}
}

// TestMCPRawStdinCloseExits: a client going away (stdin EOF) ends the server.
func TestMCPRawStdinCloseExits(t *testing.T) {
	t.Parallel()
	w := harness.NewMCPWorld(t)
	s := harness.StartRawReady(t, w, harness.RawOptions{})
	_ = s.ToolNames(t)
	if err := s.Stdin.Close(); err != nil {
		t.Fatal(err)
	}
	timer := time.NewTimer(2 * time.Second)
	defer timer.Stop()
	select {
	case <-s.Exited:
	case <-timer.C:
		t.Fatal("neonkeys mcp still runs 2 s after its stdin closed")
	}
	if code := s.Cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after a clean end of input, want 0; stderr:\n%s", code, s.Stderr)
	}
	s.AssertStdoutIsJSONRPC(t)
}

// TestMCPRawCancelHungCall: notifications/cancelled for a call stuck on a
// hung API cancels its HTTP request, and the server keeps answering.
func TestMCPRawCancelHungCall(t *testing.T) {
	t.Parallel()
	w := harness.NewMCPWorld(t)
	// Wrap the fake to see when the hung request ends: only the server
	// cancelling it (or the test ending) ends a Hang fault.
	hungEnded := make(chan struct{})
	var endOnce sync.Once
	wrap := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.Srv.Handler().ServeHTTP(rw, r)
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/api_keys") && r.Context().Err() != nil {
			endOnce.Do(func() { close(hungEnded) })
		}
	}))
	t.Cleanup(func() {
		w.Srv.Close() // ends any hang first: wrap.Close waits for its handlers
		wrap.Close()
	})
	w.APIURL = wrap.URL + neontest.BasePath
	s := harness.StartRawReady(t, w, harness.RawOptions{})
	w.Srv.Inject(neontest.Fault{Method: "GET", Path: "/api_keys", Hang: true})

	const id = 4242
	ctx, cancel := context.WithTimeout(context.Background(), harness.CallTimeout)
	defer cancel()
	waiter, err := s.Conn.DispatchCall(ctx, "tools/call",
		map[string]any{"name": "list_api_keys", "arguments": map[string]any{}},
		jsonrpc2.PickID(jsonrpc2.ID{Num: id}))
	if err != nil {
		t.Fatal(err)
	}
	harness.WaitFor(t, "the hung GET /api_keys to reach the fake", func() bool {
		for _, r := range w.Srv.Requests() {
			if r.Method == "GET" && r.Path == "/api_keys" {
				return true
			}
		}
		return false
	})
	if err := s.Conn.Notify(ctx, "notifications/cancelled", map[string]any{"requestId": id, "reason": "user pressed stop"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-hungEnded:
	case <-time.After(20 * time.Second):
		t.Fatal("the cancelled call's HTTP request is still open after 20 s")
	}
	res := s.CallTool(t, "list_api_keys", map[string]any{})
	if res.IsError {
		t.Fatalf("list_api_keys after a cancelled call: %s", res.Text())
	}
	if names := s.ToolNames(t); len(names) == 0 {
		t.Fatal("tools/list answered no tools")
	}
	// The spec says a cancelled request should get no answer; whether one
	// came does not matter to a user, so only stop waiting for it.
	shortCtx, shortCancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer shortCancel()
	var ignored json.RawMessage
	_ = waiter.Wait(shortCtx, &ignored)
	s.AssertStdoutIsJSONRPC(t)
}

// mcpEra is one protocol era a raw session speaks.
type mcpEra struct {
	name   string
	modern bool // 2026-07-28 _meta on each request; else the legacy handshake
}

var mcpEras = []mcpEra{{name: "modern", modern: true}, {name: "legacy"}}

// mcpStartEra starts a raw session for era whose client declares
// elicitation and answers every question with action: a modern one needs no
// handshake, a legacy one initializes.
func mcpStartEra(t *testing.T, w *harness.MCPWorld, era mcpEra, action string, args ...string) *harness.RawSession {
	t.Helper()
	if era.modern {
		return harness.StartRaw(t, w, harness.RawOptions{Args: args, Elicit: action})
	}
	return harness.StartRawReady(t, w, harness.RawOptions{Args: args, Elicit: action})
}

// mcpTamper flips one bit in the middle of a base64url state.
func mcpTamper(t *testing.T, state string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(state)
	if err != nil {
		// Not base64url: change a character instead.
		r := []byte(state)
		r[len(r)/2] ^= 1
		return string(r)
	}
	b[len(b)/2] ^= 0x01
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestMCPRawSealedStateRefused: the requestState and inputResponses of a
// tools/call are client input, so a client can forge them in either era. A
// forged, tampered, replayed, expired or misapplied state must be refused,
// and the fake must see no mutation the human did not approve.
func TestMCPRawSealedStateRefused(t *testing.T) {
	t.Parallel()
	revokeSpare := func(w *harness.MCPWorld) map[string]any { return map[string]any{"key_id": w.SpareID, "confirm": true} }
	create := func(w *harness.MCPWorld) map[string]any {
		return map[string]any{"project_id": w.Fx.OrgProject.ID, "key_name": "e2e-sealed", "confirm": true}
	}
	type use func(harness.Call) harness.RawResult
	tests := []struct {
		name string
		args []string // neonkeys mcp flags
		// attack plays the client and returns the answer that must be a refusal.
		attack    func(t *testing.T, w *harness.MCPWorld, s *harness.RawSession, use use) harness.RawResult
		reason    *regexp.Regexp // what the refusal must say
		mutations int            // POST/DELETE requests the fake may see in all
	}{
		{
			name: "forged state with accept",
			attack: func(t *testing.T, w *harness.MCPWorld, _ *harness.RawSession, use use) harness.RawResult {
				forged := make([]byte, 96)
				_, _ = rand.Read(forged)
				return use(harness.Call{Tool: "revoke_api_key", Args: revokeSpare(w), State: base64.RawURLEncoding.EncodeToString(forged), Answer: "accept"})
			},
			reason: regexp.MustCompile(`invalid`),
		},
		{
			name: "tampered state with accept",
			attack: func(t *testing.T, w *harness.MCPWorld, s *harness.RawSession, use use) harness.RawResult {
				_, state := s.IssueState(t, "revoke_api_key", revokeSpare(w))
				return use(harness.Call{Tool: "revoke_api_key", Args: revokeSpare(w), State: mcpTamper(t, state), Answer: "accept"})
			},
			reason: regexp.MustCompile(`invalid`),
		},
		{
			name: "accept without any state",
			attack: func(t *testing.T, w *harness.MCPWorld, _ *harness.RawSession, use use) harness.RawResult {
				return use(harness.Call{Tool: "revoke_api_key", Args: revokeSpare(w), Answer: "accept"})
			},
			reason: regexp.MustCompile(`invalid`),
		},
		{
			name: "valid state without an answer",
			attack: func(t *testing.T, w *harness.MCPWorld, s *harness.RawSession, use use) harness.RawResult {
				_, state := s.IssueState(t, "revoke_api_key", revokeSpare(w))
				return use(harness.Call{Tool: "revoke_api_key", Args: revokeSpare(w), State: state})
			},
			reason: regexp.MustCompile(`answer is missing`),
		},
		{
			name: "replayed with accept after a decline",
			attack: func(t *testing.T, w *harness.MCPWorld, s *harness.RawSession, use use) harness.RawResult {
				_, state := s.IssueState(t, "revoke_api_key", revokeSpare(w))
				first := use(harness.Call{Tool: "revoke_api_key", Args: revokeSpare(w), State: state, Answer: "decline"})
				if !first.IsError || !strings.Contains(first.Text(), "declined") {
					t.Errorf("the decline itself: isError=%v %q, want a refusal saying the user declined", first.IsError, first.Text())
				}
				return use(harness.Call{Tool: "revoke_api_key", Args: revokeSpare(w), State: state, Answer: "accept"})
			},
			reason: regexp.MustCompile(`already used`),
		},
		{
			name: "replayed after an accepted create",
			attack: func(t *testing.T, w *harness.MCPWorld, s *harness.RawSession, use use) harness.RawResult {
				_, state := s.IssueState(t, "create_project_scoped_key", create(w))
				first := use(harness.Call{Tool: "create_project_scoped_key", Args: create(w), State: state, Answer: "accept"})
				if first.IsError {
					t.Fatalf("the first, approved use of the state failed: %s", first.Text())
				}
				w.AssertMutations(t, 1)
				return use(harness.Call{Tool: "create_project_scoped_key", Args: create(w), State: state, Answer: "accept"})
			},
			reason:    regexp.MustCompile(`already used`),
			mutations: 1, // the approved create; the replay must not mint a second key
		},
		{
			name: "expired",
			args: []string{"--confirm-ttl", "1s"},
			attack: func(t *testing.T, w *harness.MCPWorld, s *harness.RawSession, use use) harness.RawResult {
				_, state := s.IssueState(t, "revoke_api_key", revokeSpare(w))
				time.Sleep(1500 * time.Millisecond) // past the 1 s the state was sealed for
				return use(harness.Call{Tool: "revoke_api_key", Args: revokeSpare(w), State: state, Answer: "accept"})
			},
			reason: regexp.MustCompile(`expired`),
		},
		{
			name: "issued for key A, used for key B",
			attack: func(t *testing.T, w *harness.MCPWorld, s *harness.RawSession, use use) harness.RawResult {
				tokB, idB := w.Srv.AddPersonalKey(w.Fx.Admin.ID, "scratch-b")
				t.Cleanup(func() {
					if !w.Srv.TokenValid(tokB) {
						t.Errorf("key B (%d) was revoked with a state issued for key A", idB)
					}
				})
				_, state := s.IssueState(t, "revoke_api_key", revokeSpare(w))
				return use(harness.Call{Tool: "revoke_api_key", Args: map[string]any{"key_id": idB, "confirm": true}, State: state, Answer: "accept"})
			},
			reason: regexp.MustCompile(`different call`),
		},
		{
			name: "issued for revoke, used for rotate",
			attack: func(t *testing.T, w *harness.MCPWorld, s *harness.RawSession, use use) harness.RawResult {
				_, state := s.IssueState(t, "revoke_api_key", revokeSpare(w))
				return use(harness.Call{Tool: "rotate_api_key", Args: revokeSpare(w), State: state, Answer: "accept"})
			},
			reason: regexp.MustCompile(`invalid|different call`),
		},
	}
	for _, era := range mcpEras {
		for _, tc := range tests {
			t.Run(era.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				w := harness.NewMCPWorld(t)
				// The legacy client accepts whatever it is asked, so only the
				// server's own checks stand between a forged answer and a mutation.
				s := mcpStartEra(t, w, era, "accept", tc.args...)
				res := tc.attack(t, w, s, func(c harness.Call) harness.RawResult {
					c.Modern = era.modern
					return s.Call(t, c)
				})
				if !res.IsError || res.ResultType == "input_required" {
					t.Errorf("the attack was not refused: isError=%v resultType=%q: %s", res.IsError, res.ResultType, res.Text())
				}
				if !tc.reason.MatchString(res.Text()) {
					t.Errorf("refusal %q does not say %q", res.Text(), tc.reason)
				}
				w.AssertMutations(t, tc.mutations)
				if !w.Srv.TokenValid(w.SpareToken) {
					t.Error("the spare key was revoked")
				}
				if minted := w.MintedTokens(res.Text() + string(res.StructuredContent)); len(minted) > 0 {
					t.Errorf("the refusal delivered %d token(s)", len(minted))
				}
				// A refused state must not turn into a fresh question either:
				// the legacy client would accept anything it is asked.
				if n := len(s.Elicited()); n != 0 {
					t.Errorf("the server sent elicitation/create %d time(s) while refusing a state", n)
				}
				s.AssertStdoutIsJSONRPC(t)
			})
		}
	}
}

// TestMCPElicitationNamesTheKey: the question the human answers names the
// exact key (id, name) and its scope, in both eras, and accepting it does
// exactly that to exactly that key. For a rotation it also names the
// replacement, and the key created is the one named.
func TestMCPElicitationNamesTheKey(t *testing.T) {
	t.Parallel()
	orgScope := func(w *harness.MCPWorld) string { return "(organization " + w.Fx.Org.ID + ")" }
	projectScope := func(w *harness.MCPWorld) string {
		return "project " + w.Fx.OrgProject.ID + " in organization " + w.Fx.Org.ID
	}
	keyRef := func(id int64, name string) string { return fmt.Sprintf("key %d %q", id, name) }
	tests := []struct {
		name string
		tool string
		args func(w *harness.MCPWorld) map[string]any // with confirm: true
		want func(w *harness.MCPWorld) []string       // all in the question
		// after checks the fake once the human accepted; question is what they saw.
		after func(t *testing.T, w *harness.MCPWorld, question string)
	}{
		{
			name: "revoke personal key",
			tool: "revoke_api_key",
			args: func(w *harness.MCPWorld) map[string]any { return map[string]any{"key_id": w.SpareID, "confirm": true} },
			want: func(w *harness.MCPWorld) []string { return []string{keyRef(w.SpareID, "scratch"), "(personal)"} },
			after: func(t *testing.T, w *harness.MCPWorld, _ string) {
				mcpAssertRevoked(t, w, w.SpareID, "/api_keys/"+strconv.FormatInt(w.SpareID, 10))
			},
		},
		{
			name: "revoke organization key",
			tool: "revoke_api_key",
			args: func(w *harness.MCPWorld) map[string]any {
				return map[string]any{"key_id": w.Fx.OrgKeyID, "org_id": w.Fx.Org.ID, "confirm": true}
			},
			want: func(w *harness.MCPWorld) []string { return []string{keyRef(w.Fx.OrgKeyID, "ci"), orgScope(w)} },
			after: func(t *testing.T, w *harness.MCPWorld, _ string) {
				mcpAssertRevoked(t, w, w.Fx.OrgKeyID, "/organizations/"+w.Fx.Org.ID+"/api_keys/"+strconv.FormatInt(w.Fx.OrgKeyID, 10))
			},
		},
		{
			name: "rotate project-scoped key",
			tool: "rotate_api_key",
			args: func(w *harness.MCPWorld) map[string]any {
				return map[string]any{"key_id": w.Fx.ProjectKeyID, "confirm": true}
			},
			want: func(w *harness.MCPWorld) []string {
				return []string{keyRef(w.Fx.ProjectKeyID, "shop-deploy"), projectScope(w), `"shop-deploy-rotated-`}
			},
			after: func(t *testing.T, w *harness.MCPWorld, question string) {
				// The old key is revoked only once the answer was written.
				harness.WaitFor(t, "the old key's revoke", func() bool { return len(w.Srv.Mutations()) >= 2 })
				w.AssertMutations(t, 2)
				old, _ := w.Srv.Key(w.Fx.ProjectKeyID)
				if !old.Revoked {
					t.Error("the rotated key is still live")
				}
				repl := mcpNewKeys(w)
				if len(repl) != 1 {
					t.Fatalf("the fake holds %d new keys, want the one replacement", len(repl))
				}
				if !strings.Contains(question, fmt.Sprintf("%q", repl[0].Name)) {
					t.Errorf("the replacement is named %q, but the human approved %q", repl[0].Name, question)
				}
				if repl[0].OrgID != w.Fx.Org.ID || repl[0].ProjectID != w.Fx.OrgProject.ID {
					t.Errorf("the replacement is scoped to org %q project %q, want the old key's scope", repl[0].OrgID, repl[0].ProjectID)
				}
			},
		},
		{
			name: "create project-scoped key",
			tool: "create_project_scoped_key",
			args: func(w *harness.MCPWorld) map[string]any {
				return map[string]any{"project_id": w.Fx.OrgProject.ID, "key_name": "e2e-named", "confirm": true}
			},
			want: func(w *harness.MCPWorld) []string { return []string{`"e2e-named"`, projectScope(w)} },
			after: func(t *testing.T, w *harness.MCPWorld, _ string) {
				w.AssertMutations(t, 1)
				created := mcpNewKeys(w)
				if len(created) != 1 || created[0].Name != "e2e-named" || created[0].ProjectID != w.Fx.OrgProject.ID {
					t.Errorf("the fake holds new keys %+v, want one %q scoped to %s", created, "e2e-named", w.Fx.OrgProject.ID)
				}
			},
		},
	}
	for _, era := range mcpEras {
		for _, tc := range tests {
			t.Run(era.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				w := harness.NewMCPWorld(t)
				s := mcpStartEra(t, w, era, "accept")
				question, res := s.Confirmed(t, era.modern, tc.tool, tc.args(w))
				for _, want := range tc.want(w) {
					if !strings.Contains(question, want) {
						t.Errorf("the question does not say %q: %q", want, question)
					}
				}
				if testkit.AnyToken.MatchString(question) {
					t.Errorf("the question shows a token: %q", testkit.RedactTokens(question))
				}
				if res.IsError {
					t.Fatalf("%s after accept: %s", tc.tool, res.Text())
				}
				tc.after(t, w, question)
				if !w.Srv.TokenValid(w.Fx.AdminToken) {
					t.Error("the server's own credential was revoked")
				}
				s.AssertStdoutIsJSONRPC(t)
			})
		}
	}
}

// mcpAssertRevoked checks the only mutation was DELETE path and that key id
// no longer authenticates.
func mcpAssertRevoked(t *testing.T, w *harness.MCPWorld, id int64, path string) {
	t.Helper()
	muts := w.AssertMutations(t, 1)
	if muts[0].Method != "DELETE" || muts[0].Path != path {
		t.Errorf("the fake saw %s %s, want DELETE %s", muts[0].Method, muts[0].Path, path)
	}
	if k, _ := w.Srv.Key(id); !k.Revoked {
		t.Errorf("key %d is still live", id)
	}
}

// mcpNewKeys are the live keys the test created: ids the fixture did not hold.
func mcpNewKeys(w *harness.MCPWorld) []neontest.KeyInfo {
	planted := []int64{w.Fx.AdminKeyID, w.Fx.MemberKeyID, w.Fx.OrgKeyID, w.Fx.ProjectKeyID, w.SpareID}
	var out []neontest.KeyInfo
	for _, k := range w.Srv.LiveKeys() {
		if !slices.Contains(planted, k.ID) {
			out = append(out, k)
		}
	}
	return out
}
