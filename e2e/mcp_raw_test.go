package e2e

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
		opts   mcpRawOptions
		modern bool // 2026-07-28 requests declaring elicitation, no handshake
	}{
		{name: "legacy without elicitation"},
		{name: "legacy eliciting, accepts all", opts: mcpRawOptions{elicit: "accept"}},
		{name: "modern eliciting", modern: true},
	}
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := mcpNewWorld(t)
			var s *mcpRawSession
			if c.modern {
				s = mcpStartRaw(t, w, c.opts)
			} else {
				s = mcpStartRawReady(t, w, c.opts)
			}
			for _, m := range mcpMutations() {
				for _, v := range variants {
					t.Run(m.tool+"/"+v.name, func(t *testing.T) {
						args := m.args(w)
						if !v.omit {
							args = mcpWith(args, "confirm", v.confirm)
						}
						res := s.call(t, mcpCall{tool: m.tool, args: args, modern: c.modern})
						if !res.IsError || res.ResultType == "input_required" {
							t.Errorf("confirm %s was accepted (resultType %q): %s", v.name, res.ResultType, res.text())
						}
						// Every look-alike gets the same preview as a missing confirm
						// (not a schema error), so the model learns what would happen.
						if text := res.text(); !strings.Contains(text, mcpPreviewText) {
							t.Errorf("confirm %s: %q, want the preview (%q…)", v.name, text, mcpPreviewText)
						}
						w.assertMutations(t, 0)
					})
				}
			}
			if n := len(s.elicited()); n != 0 {
				t.Errorf("the human was asked %d time(s) about calls that lacked confirm: true", n)
			}
			if !w.srv.TokenValid(w.spareToken) {
				t.Error("the spare key was revoked")
			}
			s.assertStdoutIsJSONRPC(t)
		})
	}
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

// mcpEra is one protocol era a raw session speaks.
type mcpEra struct {
	name   string
	modern bool // 2026-07-28 _meta on each request; else the legacy handshake
}

var mcpEras = []mcpEra{{name: "modern", modern: true}, {name: "legacy"}}

// mcpStartEra starts a raw session for era whose client declares
// elicitation and answers every question with action: a modern one needs no
// handshake, a legacy one initializes.
func mcpStartEra(t *testing.T, w *mcpWorld, era mcpEra, action string, args ...string) *mcpRawSession {
	t.Helper()
	if era.modern {
		return mcpStartRaw(t, w, mcpRawOptions{args: args, elicit: action})
	}
	return mcpStartRawReady(t, w, mcpRawOptions{args: args, elicit: action})
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
	revokeSpare := func(w *mcpWorld) map[string]any { return map[string]any{"key_id": w.spareID, "confirm": true} }
	create := func(w *mcpWorld) map[string]any {
		return map[string]any{"project_id": w.fx.OrgProject.ID, "key_name": "e2e-sealed", "confirm": true}
	}
	type use func(mcpCall) mcpRawResult
	tests := []struct {
		name string
		args []string // neonkeys mcp flags
		// attack plays the client and returns the answer that must be a refusal.
		attack    func(t *testing.T, w *mcpWorld, s *mcpRawSession, use use) mcpRawResult
		reason    *regexp.Regexp // what the refusal must say
		mutations int            // POST/DELETE requests the fake may see in all
	}{
		{
			name: "forged state with accept",
			attack: func(t *testing.T, w *mcpWorld, _ *mcpRawSession, use use) mcpRawResult {
				forged := make([]byte, 96)
				_, _ = rand.Read(forged)
				return use(mcpCall{tool: "revoke_api_key", args: revokeSpare(w), state: base64.RawURLEncoding.EncodeToString(forged), answer: "accept"})
			},
			reason: regexp.MustCompile(`invalid`),
		},
		{
			name: "tampered state with accept",
			attack: func(t *testing.T, w *mcpWorld, s *mcpRawSession, use use) mcpRawResult {
				_, state := s.issueState(t, "revoke_api_key", revokeSpare(w))
				return use(mcpCall{tool: "revoke_api_key", args: revokeSpare(w), state: mcpTamper(t, state), answer: "accept"})
			},
			reason: regexp.MustCompile(`invalid`),
		},
		{
			name: "accept without any state",
			attack: func(t *testing.T, w *mcpWorld, _ *mcpRawSession, use use) mcpRawResult {
				return use(mcpCall{tool: "revoke_api_key", args: revokeSpare(w), answer: "accept"})
			},
			reason: regexp.MustCompile(`invalid`),
		},
		{
			name: "valid state without an answer",
			attack: func(t *testing.T, w *mcpWorld, s *mcpRawSession, use use) mcpRawResult {
				_, state := s.issueState(t, "revoke_api_key", revokeSpare(w))
				return use(mcpCall{tool: "revoke_api_key", args: revokeSpare(w), state: state})
			},
			reason: regexp.MustCompile(`answer is missing`),
		},
		{
			name: "replayed with accept after a decline",
			attack: func(t *testing.T, w *mcpWorld, s *mcpRawSession, use use) mcpRawResult {
				_, state := s.issueState(t, "revoke_api_key", revokeSpare(w))
				first := use(mcpCall{tool: "revoke_api_key", args: revokeSpare(w), state: state, answer: "decline"})
				if !first.IsError || !strings.Contains(first.text(), "declined") {
					t.Errorf("the decline itself: isError=%v %q, want a refusal saying the user declined", first.IsError, first.text())
				}
				return use(mcpCall{tool: "revoke_api_key", args: revokeSpare(w), state: state, answer: "accept"})
			},
			reason: regexp.MustCompile(`already used`),
		},
		{
			name: "replayed after an accepted create",
			attack: func(t *testing.T, w *mcpWorld, s *mcpRawSession, use use) mcpRawResult {
				_, state := s.issueState(t, "create_project_scoped_key", create(w))
				first := use(mcpCall{tool: "create_project_scoped_key", args: create(w), state: state, answer: "accept"})
				if first.IsError {
					t.Fatalf("the first, approved use of the state failed: %s", first.text())
				}
				w.assertMutations(t, 1)
				return use(mcpCall{tool: "create_project_scoped_key", args: create(w), state: state, answer: "accept"})
			},
			reason:    regexp.MustCompile(`already used`),
			mutations: 1, // the approved create; the replay must not mint a second key
		},
		{
			name: "expired",
			args: []string{"--confirm-ttl", "1s"},
			attack: func(t *testing.T, w *mcpWorld, s *mcpRawSession, use use) mcpRawResult {
				_, state := s.issueState(t, "revoke_api_key", revokeSpare(w))
				time.Sleep(1500 * time.Millisecond) // past the 1 s the state was sealed for
				return use(mcpCall{tool: "revoke_api_key", args: revokeSpare(w), state: state, answer: "accept"})
			},
			reason: regexp.MustCompile(`expired`),
		},
		{
			name: "issued for key A, used for key B",
			attack: func(t *testing.T, w *mcpWorld, s *mcpRawSession, use use) mcpRawResult {
				tokB, idB := w.srv.AddPersonalKey(w.fx.Admin.ID, "scratch-b")
				t.Cleanup(func() {
					if !w.srv.TokenValid(tokB) {
						t.Errorf("key B (%d) was revoked with a state issued for key A", idB)
					}
				})
				_, state := s.issueState(t, "revoke_api_key", revokeSpare(w))
				return use(mcpCall{tool: "revoke_api_key", args: map[string]any{"key_id": idB, "confirm": true}, state: state, answer: "accept"})
			},
			reason: regexp.MustCompile(`different call`),
		},
		{
			name: "issued for revoke, used for rotate",
			attack: func(t *testing.T, w *mcpWorld, s *mcpRawSession, use use) mcpRawResult {
				_, state := s.issueState(t, "revoke_api_key", revokeSpare(w))
				return use(mcpCall{tool: "rotate_api_key", args: revokeSpare(w), state: state, answer: "accept"})
			},
			reason: regexp.MustCompile(`invalid|different call`),
		},
	}
	for _, era := range mcpEras {
		for _, tc := range tests {
			t.Run(era.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				w := mcpNewWorld(t)
				// The legacy client accepts whatever it is asked, so only the
				// server's own checks stand between a forged answer and a mutation.
				s := mcpStartEra(t, w, era, "accept", tc.args...)
				res := tc.attack(t, w, s, func(c mcpCall) mcpRawResult {
					c.modern = era.modern
					return s.call(t, c)
				})
				if !res.IsError || res.ResultType == "input_required" {
					t.Errorf("the attack was not refused: isError=%v resultType=%q: %s", res.IsError, res.ResultType, res.text())
				}
				if !tc.reason.MatchString(res.text()) {
					t.Errorf("refusal %q does not say %q", res.text(), tc.reason)
				}
				w.assertMutations(t, tc.mutations)
				if !w.srv.TokenValid(w.spareToken) {
					t.Error("the spare key was revoked")
				}
				if minted := w.mintedTokens(res.text() + string(res.StructuredContent)); len(minted) > 0 {
					t.Errorf("the refusal delivered %d token(s)", len(minted))
				}
				// A refused state must not turn into a fresh question either:
				// the legacy client would accept anything it is asked.
				if n := len(s.elicited()); n != 0 {
					t.Errorf("the server sent elicitation/create %d time(s) while refusing a state", n)
				}
				s.assertStdoutIsJSONRPC(t)
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
	orgScope := func(w *mcpWorld) string { return "(organization " + w.fx.Org.ID + ")" }
	projectScope := func(w *mcpWorld) string {
		return "project " + w.fx.OrgProject.ID + " in organization " + w.fx.Org.ID
	}
	keyRef := func(id int64, name string) string { return fmt.Sprintf("key %d %q", id, name) }
	tests := []struct {
		name string
		tool string
		args func(w *mcpWorld) map[string]any // with confirm: true
		want func(w *mcpWorld) []string       // all in the question
		// after checks the fake once the human accepted; question is what they saw.
		after func(t *testing.T, w *mcpWorld, question string)
	}{
		{
			name: "revoke personal key",
			tool: "revoke_api_key",
			args: func(w *mcpWorld) map[string]any { return map[string]any{"key_id": w.spareID, "confirm": true} },
			want: func(w *mcpWorld) []string { return []string{keyRef(w.spareID, "scratch"), "(personal)"} },
			after: func(t *testing.T, w *mcpWorld, _ string) {
				mcpAssertRevoked(t, w, w.spareID, "/api_keys/"+strconv.FormatInt(w.spareID, 10))
			},
		},
		{
			name: "revoke organization key",
			tool: "revoke_api_key",
			args: func(w *mcpWorld) map[string]any {
				return map[string]any{"key_id": w.fx.OrgKeyID, "org_id": w.fx.Org.ID, "confirm": true}
			},
			want: func(w *mcpWorld) []string { return []string{keyRef(w.fx.OrgKeyID, "ci"), orgScope(w)} },
			after: func(t *testing.T, w *mcpWorld, _ string) {
				mcpAssertRevoked(t, w, w.fx.OrgKeyID, "/organizations/"+w.fx.Org.ID+"/api_keys/"+strconv.FormatInt(w.fx.OrgKeyID, 10))
			},
		},
		{
			name: "rotate project-scoped key",
			tool: "rotate_api_key",
			args: func(w *mcpWorld) map[string]any { return map[string]any{"key_id": w.fx.ProjectKeyID, "confirm": true} },
			want: func(w *mcpWorld) []string {
				return []string{keyRef(w.fx.ProjectKeyID, "shop-deploy"), projectScope(w), `"shop-deploy-rotated-`}
			},
			after: func(t *testing.T, w *mcpWorld, question string) {
				// The old key is revoked only once the answer was written.
				mcpWaitFor(t, "the old key's revoke", func() bool { return len(w.srv.Mutations()) >= 2 })
				w.assertMutations(t, 2)
				old, _ := w.srv.Key(w.fx.ProjectKeyID)
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
				if repl[0].OrgID != w.fx.Org.ID || repl[0].ProjectID != w.fx.OrgProject.ID {
					t.Errorf("the replacement is scoped to org %q project %q, want the old key's scope", repl[0].OrgID, repl[0].ProjectID)
				}
			},
		},
		{
			name: "create project-scoped key",
			tool: "create_project_scoped_key",
			args: func(w *mcpWorld) map[string]any {
				return map[string]any{"project_id": w.fx.OrgProject.ID, "key_name": "e2e-named", "confirm": true}
			},
			want: func(w *mcpWorld) []string { return []string{`"e2e-named"`, projectScope(w)} },
			after: func(t *testing.T, w *mcpWorld, _ string) {
				w.assertMutations(t, 1)
				created := mcpNewKeys(w)
				if len(created) != 1 || created[0].Name != "e2e-named" || created[0].ProjectID != w.fx.OrgProject.ID {
					t.Errorf("the fake holds new keys %+v, want one %q scoped to %s", created, "e2e-named", w.fx.OrgProject.ID)
				}
			},
		},
	}
	for _, era := range mcpEras {
		for _, tc := range tests {
			t.Run(era.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				w := mcpNewWorld(t)
				s := mcpStartEra(t, w, era, "accept")
				question, res := s.confirmed(t, era.modern, tc.tool, tc.args(w))
				for _, want := range tc.want(w) {
					if !strings.Contains(question, want) {
						t.Errorf("the question does not say %q: %q", want, question)
					}
				}
				if mcpAnyToken.MatchString(question) {
					t.Errorf("the question shows a token: %q", mcpRedactTokens(question))
				}
				if res.IsError {
					t.Fatalf("%s after accept: %s", tc.tool, res.text())
				}
				tc.after(t, w, question)
				if !w.srv.TokenValid(w.fx.AdminToken) {
					t.Error("the server's own credential was revoked")
				}
				s.assertStdoutIsJSONRPC(t)
			})
		}
	}
}

// mcpAssertRevoked checks the only mutation was DELETE path and that key id
// no longer authenticates.
func mcpAssertRevoked(t *testing.T, w *mcpWorld, id int64, path string) {
	t.Helper()
	muts := w.assertMutations(t, 1)
	if muts[0].Method != "DELETE" || muts[0].Path != path {
		t.Errorf("the fake saw %s %s, want DELETE %s", muts[0].Method, muts[0].Path, path)
	}
	if k, _ := w.srv.Key(id); !k.Revoked {
		t.Errorf("key %d is still live", id)
	}
}

// mcpNewKeys are the live keys the test created: ids the fixture did not hold.
func mcpNewKeys(w *mcpWorld) []neontest.KeyInfo {
	planted := []int64{w.fx.AdminKeyID, w.fx.MemberKeyID, w.fx.OrgKeyID, w.fx.ProjectKeyID, w.spareID}
	var out []neontest.KeyInfo
	for _, k := range w.srv.LiveKeys() {
		if !slices.Contains(planted, k.ID) {
			out = append(out, k)
		}
	}
	return out
}
