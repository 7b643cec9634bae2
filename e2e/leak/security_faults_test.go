package leak

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// The fault matrix: each misbehaviour of the API, injected into the fake,
// with what the user sees and what the fake's request log proves (how many
// attempts, never a second POST, a stray key revoked).

// secFaultCase is one CLI run against one injected fault.
type secFaultCase struct {
	name    string
	faults  func(w *harness.CLIWorld) []neontest.Fault
	args    func(w *harness.CLIWorld, spare int64) []string
	code    int
	stderr  []string       // parts the message must hold
	counts  map[string]int // requests per method the fake must have seen
	check   func(*testing.T, *harness.CLIWorld, harness.CLIResult)
	timeout string // --timeout, default 20s
}

func secFault(f neontest.Fault) func(*harness.CLIWorld) []neontest.Fault {
	return func(*harness.CLIWorld) []neontest.Fault { return []neontest.Fault{f} }
}

func secArgs(args ...string) func(*harness.CLIWorld, int64) []string {
	return func(*harness.CLIWorld, int64) []string { return args }
}

// secMinGap asserts the fake saw the first two requests of method at least
// min apart: the client waited as Retry-After asked.
func secMinGap(method string, min time.Duration) func(*testing.T, *harness.CLIWorld, harness.CLIResult) {
	return func(t *testing.T, w *harness.CLIWorld, _ harness.CLIResult) {
		var at []time.Time
		for _, r := range w.Srv.Requests() {
			if r.Method == method {
				at = append(at, r.Time)
			}
		}
		if len(at) < 2 || at[1].Sub(at[0]) < min {
			t.Errorf("%s attempts at %v: want the retry at least %v after the first (Retry-After)", method, at, min)
		}
	}
}

const secForever = 1 << 20

func secFaultCases() []secFaultCase {
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	list := secArgs("list")
	create := secArgs("create", "--name", "fault-new")
	revoke := func(_ *harness.CLIWorld, spare int64) []string { return []string{"revoke", fmt.Sprint(spare), "--yes"} }
	rotate := func(_ *harness.CLIWorld, spare int64) []string { return []string{"rotate", fmt.Sprint(spare), "--yes"} }
	keyRevoked := func(t *testing.T, w *harness.CLIWorld, _ harness.CLIResult) {
		t.Helper()
		for _, k := range w.Srv.Keys() {
			if k.Name == "fault-new" && !k.Revoked {
				t.Errorf("the unverified key %d is still live", k.ID)
			}
		}
	}
	keyExists := func(t *testing.T, w *harness.CLIWorld, _ harness.CLIResult) {
		t.Helper()
		for _, k := range w.Srv.Keys() {
			if k.Name == "fault-new" {
				return
			}
		}
		t.Errorf("the fault was meant to hit after Neon stored the key, but no key was created")
	}
	// An interrupted create finds the key it made by its name and revokes it.
	keyWithdrawn := func(t *testing.T, w *harness.CLIWorld, r harness.CLIResult) {
		t.Helper()
		keyExists(t, w, r)
		keyRevoked(t, w, r)
	}
	return []secFaultCase{
		{name: "401", faults: secFault(neontest.Fault{Status: 401, Count: secForever}), args: list, code: 1,
			stderr: []string{"Neon rejected the API key (401)"}, counts: map[string]int{get + " /api_keys": 1}},
		{name: "403 create", faults: secFault(neontest.Fault{Method: post, Status: 403}), args: create, code: 1,
			stderr: []string{"this credential cannot mint keys"}, counts: map[string]int{post: 1}},
		{name: "404 revoke", faults: secFault(neontest.Fault{Method: del, Status: 404, Count: secForever}), args: revoke, code: 1,
			stderr: []string{"no such key (Neon answered 404"}, counts: map[string]int{del: 1}},
		{name: "409 create", faults: secFault(neontest.Fault{Method: post, Status: 409}), args: create, code: 1,
			stderr: []string{"a conflict (409"}, counts: map[string]int{post: 1}},
		{name: "423 retried", faults: secFault(neontest.Fault{Status: 423}), args: list, code: 0, counts: map[string]int{get + " /api_keys": 2}},
		{name: "429 Retry-After seconds", faults: secFault(neontest.Fault{Status: 429, RetryAfter: "1"}), args: list, code: 0,
			counts: map[string]int{get + " /api_keys": 2}, check: secMinGap(get, 900*time.Millisecond)},
		{name: "429 Retry-After HTTP-date", faults: func(*harness.CLIWorld) []neontest.Fault {
			return []neontest.Fault{{Status: 429, RetryAfter: time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)}}
		}, args: list, code: 0, counts: map[string]int{get + " /api_keys": 2}, check: secMinGap(get, 500*time.Millisecond)},
		{name: "429 no Retry-After", faults: secFault(neontest.Fault{Status: 429}), args: list, code: 0, counts: map[string]int{get + " /api_keys": 2}},
		{name: "429 Retry-After over the cap", faults: secFault(neontest.Fault{Status: 429, RetryAfter: "3600", Count: secForever}),
			args: list, code: 1, stderr: []string{"rate-limiting"}, counts: map[string]int{get + " /api_keys": 1}},
		{name: "429 on create", faults: secFault(neontest.Fault{Method: post, Status: 429, RetryAfter: "1", Count: secForever}),
			args: create, code: 1, stderr: []string{"rate-limiting"}, counts: map[string]int{post: 1}},
		{name: "500 not retried", faults: secFault(neontest.Fault{Status: 500, Count: secForever}), args: list, code: 1,
			stderr: []string{"Neon failed to answer (500"}, counts: map[string]int{get + " /api_keys": 1}},
		{name: "502 retried", faults: secFault(neontest.Fault{Status: 502}), args: list, code: 0, counts: map[string]int{get + " /api_keys": 2}},
		{name: "503 retried", faults: secFault(neontest.Fault{Status: 503}), args: list, code: 0, counts: map[string]int{get + " /api_keys": 2}},
		{name: "503 on create", faults: secFault(neontest.Fault{Method: post, Status: 503, Count: secForever}), args: create, code: 1,
			stderr: []string{"a key may have been created"}, counts: map[string]int{post: 1}},
		{name: "502 on create after storing", faults: secFault(neontest.Fault{Method: post, Status: 502, Processed: true, Count: secForever}),
			args: create, code: 1, stderr: []string{`a key named "fault-new" was created`, "was revoked at once"}, counts: map[string]int{post: 1, del: 1}, check: keyWithdrawn},
		{name: "503 on revoke retried", faults: secFault(neontest.Fault{Method: del, Status: 503}), args: revoke, code: 0,
			counts: map[string]int{del: 2}},
		{name: "non-JSON body", faults: secFault(neontest.Fault{Status: 200, Body: "<html>hello</html>", ContentType: "text/html"}),
			args: list, code: 1, stderr: []string{"unreadable answer"}, counts: map[string]int{get + " /api_keys": 1}},
		{name: "empty body", faults: secFault(neontest.Fault{Status: 500, EmptyBody: true, Count: secForever}), args: list, code: 1,
			stderr: []string{"Neon failed to answer (500"}},
		{name: "truncated JSON", faults: secFault(neontest.Fault{Status: 200, Body: `{"api_keys":[{"id":1,`}), args: list, code: 1,
			stderr: []string{"unreadable answer"}},
		{name: "reset mid-body retried", faults: secFault(neontest.Fault{Method: get, ResetMidBody: true}), args: list, code: 0,
			counts: map[string]int{get + " /api_keys": 2}},
		{name: "reset mid-body on create", faults: secFault(neontest.Fault{Method: post, ResetMidBody: true, Count: secForever}),
			args: create, code: 1, stderr: []string{`a key named "fault-new" was created`, "was revoked at once"}, counts: map[string]int{post: 1, del: 1}, check: keyWithdrawn},
		{name: "hung API", faults: secFault(neontest.Fault{Hang: true, Count: secForever}), args: list, code: 1, timeout: "300ms",
			stderr: []string{"did not answer in time"}, counts: map[string]int{get + " /api_keys": 4}},
		{name: "hung create", faults: secFault(neontest.Fault{Method: post, Hang: true, Processed: true, Count: secForever}),
			args: create, code: 1, timeout: "300ms", stderr: []string{`a key named "fault-new" was created`, "was revoked at once"}, counts: map[string]int{post: 1, del: 1}, check: keyWithdrawn},
		{name: "create answer lacks key", faults: secFault(neontest.Fault{Method: post, OmitKey: true}), args: create, code: 1,
			stderr: []string{"carried no token", "was revoked at once"}, counts: map[string]int{post: 1, del: 1}, check: keyRevoked},
		{name: "create answer has wrong project", faults: secFault(neontest.Fault{Method: post, WrongProjectID: "wrong-project-123456"}),
			args: func(w *harness.CLIWorld, _ int64) []string {
				return []string{"create", "--name", "fault-new", "--project-id", w.Fx.OrgProject.ID}
			}, code: 1, stderr: []string{"scoped the new key to wrong-project-123456", "was revoked at once"},
			counts: map[string]int{post: 1, del: 1}, check: keyRevoked},
		{name: "create lacks key and the undo fails", faults: func(*harness.CLIWorld) []neontest.Fault {
			return []neontest.Fault{{Method: post, OmitKey: true}, {Method: del, Status: 500, Count: secForever}}
		}, args: create, code: 1, stderr: []string{"carried no token", "failed too", "yourself"}, counts: map[string]int{post: 1, del: 1}},
		{name: "rotate whose revoke fails", faults: secFault(neontest.Fault{Method: del, Status: 503, RetryAfter: "3600", Count: secForever}),
			args: rotate, code: 1, stderr: []string{"still"}, counts: map[string]int{post: 1, del: 1},
			check: func(t *testing.T, w *harness.CLIWorld, r harness.CLIResult) {
				if tok := harness.OneToken(t, r.Stdout); !w.Srv.TokenValid(tok) {
					t.Error("the new token printed is not live")
				}
			}},
	}
}

func TestSecurityFaultMatrixCLI(t *testing.T) {
	t.Parallel()
	bin := harness.PlainBinary(t)
	var survived atomic.Int64
	t.Run("faults", func(t *testing.T) {
		for _, tc := range secFaultCases() {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				w := harness.NewCLIWorld(t, bin)
				_, spare := w.Srv.AddPersonalKey(w.Fx.Admin.ID, "scratch")
				w.Srv.Inject(tc.faults(w)...)
				timeout := tc.timeout
				if timeout == "" {
					timeout = "20s"
				}
				r := w.Run(t, "", w.Env("HOME="+t.TempDir()), append([]string{"--timeout", timeout}, tc.args(w, spare)...)...)
				harness.WantCode(t, r, tc.code)
				harness.WantStderr(t, r, tc.stderr...)
				for method, want := range tc.counts {
					if got := secCount(w.Srv, method); got != want {
						t.Errorf("the fake saw %d %s requests, want %d", got, method, want)
					}
				}
				if tc.check != nil {
					tc.check(t, w, r)
				}
				testkit.NoSecrets(t, "stdout+stderr", r.Stdout+r.Stderr, w.Fx.AdminToken)
				if !t.Failed() {
					survived.Add(1)
				}
			})
		}
	})
	t.Logf("fault matrix (CLI): %d faults survived", survived.Load())
}

// TestSecurityFaultMatrixMCP runs the faults that matter most to an
// assistant through `neonkeys mcp`: each answers a tool error with the
// sentence a user needs, never a second POST, and the server keeps serving.
func TestSecurityFaultMatrixMCP(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		faults  []neontest.Fault
		tool    string
		args    func(w *harness.MCPWorld) map[string]any
		wantErr string // "" means success
		counts  map[string]int
	}{
		{name: "401", faults: []neontest.Fault{{Status: 401, Count: secForever}}, tool: "list_api_keys",
			wantErr: "Neon rejected the API key (401)", counts: map[string]int{"GET /api_keys": 1}},
		{name: "429 retried", faults: []neontest.Fault{{Status: 429, RetryAfter: "1"}}, tool: "list_api_keys",
			counts: map[string]int{"GET /api_keys": 2}},
		{name: "503 on create", faults: []neontest.Fault{{Method: "POST", Status: 503, Count: secForever}}, tool: "create_project_scoped_key",
			wantErr: "a key may have been created", counts: map[string]int{"POST": 1}},
		{name: "reset mid-body on create", faults: []neontest.Fault{{Method: "POST", ResetMidBody: true}}, tool: "create_project_scoped_key",
			wantErr: "was revoked at once", counts: map[string]int{"POST": 1, "DELETE": 1}},
		{name: "create answer lacks key", faults: []neontest.Fault{{Method: "POST", OmitKey: true}}, tool: "create_project_scoped_key",
			wantErr: "was revoked at once", counts: map[string]int{"POST": 1, "DELETE": 1}},
		{name: "create answer has wrong project", faults: []neontest.Fault{{Method: "POST", WrongProjectID: "wrong-project-123456"}},
			tool: "create_project_scoped_key", wantErr: "was revoked at once", counts: map[string]int{"POST": 1, "DELETE": 1}},
		{name: "hung API", faults: []neontest.Fault{{Hang: true, Count: secForever}}, tool: "list_api_keys",
			wantErr: "did not answer in time", counts: map[string]int{"GET /api_keys": 4}},
		{name: "revoke 404", faults: []neontest.Fault{{Method: "DELETE", Status: 404}}, tool: "revoke_api_key",
			wantErr: "no such key", counts: map[string]int{"DELETE": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := harness.NewMCPWorldFor(t, harness.PlainBinary(t))
			s := harness.StartRawReady(t, w, harness.RawOptions{Args: []string{"--timeout", "300ms"}})
			args := map[string]any{}
			switch tc.tool {
			case "create_project_scoped_key":
				args = map[string]any{"project_id": w.Fx.OrgProject.ID, "key_name": "fault-new", "confirm": true}
			case "revoke_api_key":
				args = map[string]any{"key_id": w.SpareID, "confirm": true}
			}
			w.Srv.Inject(tc.faults...)
			res := s.CallTool(t, tc.tool, args)
			switch {
			case tc.wantErr == "" && res.IsError:
				t.Errorf("%s failed: %s", tc.tool, res.Text())
			case tc.wantErr != "" && (!res.IsError || !strings.Contains(res.Text(), tc.wantErr)):
				t.Errorf("%s answered isError=%v %q, want an error saying %q", tc.tool, res.IsError, res.Text(), tc.wantErr)
			}
			for method, want := range tc.counts {
				if got := secCount(w.Srv, method); got != want {
					t.Errorf("the fake saw %d %s requests, want %d", got, method, want)
				}
			}
			for _, k := range w.Srv.Keys() {
				if k.Name == "fault-new" && !k.Revoked && tc.counts["DELETE"] == 1 {
					t.Errorf("the unverified key %d is still live", k.ID)
				}
			}
			w.Srv.ClearFaults()
			if res := s.CallTool(t, "list_api_keys", map[string]any{}); res.IsError {
				t.Errorf("list_api_keys after the fault: %s", res.Text())
			}
			if strings.Contains(s.Stdout.String()+s.Stderr.String(), w.Fx.AdminToken) {
				t.Error("the credential appears in the output")
			}
			s.AssertStdoutIsJSONRPC(t)
		})
	}
}

// TestSecuritySlowAPICancelled: a call waiting on a slow API is ended by
// notifications/cancelled: its HTTP request is dropped long before the API
// would have answered, nothing is retried, and the server keeps answering.
func TestSecuritySlowAPICancelled(t *testing.T) {
	t.Parallel()
	w := harness.NewMCPWorldFor(t, harness.PlainBinary(t))
	s := harness.StartRawReady(t, w, harness.RawOptions{})
	w.Srv.Inject(neontest.Fault{Method: "GET", Path: "/api_keys", Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), harness.CallTimeout)
	defer cancel()
	const id = 5151
	if _, err := s.Conn.DispatchCall(ctx, "tools/call", map[string]any{"name": "list_api_keys", "arguments": map[string]any{}},
		jsonrpc2.PickID(jsonrpc2.ID{Num: id})); err != nil {
		t.Fatal(err)
	}
	harness.WaitFor(t, "the slow request to reach the fake", func() bool { return testkit.CountRequests(w.Srv, "GET") == 1 })
	if err := s.Conn.Notify(ctx, "notifications/cancelled", map[string]any{"requestId": id}); err != nil {
		t.Fatal(err)
	}
	// The fake logs the fault when the request ends: only the cancel can
	// end it within the wait (the delay is a minute).
	harness.WaitFor(t, "the slow request to be dropped", func() bool {
		reqs := w.Srv.Requests()
		return len(reqs) > 0 && reqs[0].Fault != nil
	})
	if got := w.Srv.Requests()[0].Status; got != 0 {
		t.Errorf("the slow request was answered (%d), want it dropped by the cancel", got)
	}
	if res := s.CallTool(t, "list_api_keys", map[string]any{}); res.IsError {
		t.Errorf("list_api_keys after the cancel: %s", res.Text())
	}
	// Exactly the cancelled attempt and the new call: no retry of the cancelled one.
	if got := testkit.CountRequests(w.Srv, "GET"); got != 2 {
		t.Errorf("the fake saw %d GETs, want 2 (the cancelled call was retried?)", got)
	}
	s.AssertStdoutIsJSONRPC(t)
}

// secCount counts the fake's requests by "METHOD" or "METHOD /exact/path".
func secCount(srv *neontest.Server, key string) int {
	method, path, exact := strings.Cut(key, " ")
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == method && (!exact || r.Path == path) {
			n++
		}
	}
	return n
}
