package leak

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// The leak matrix: every CLI command and every MCP tool, through success,
// each failure mode of the API and cancellation, against a fake API that
// quotes secrets everywhere it can. Assertions are on the raw bytes the
// binary wrote: the credential never; a minted token only in its one create
// or rotate answer.

// secScenario is one behaviour of the API for a whole run.
type secScenario struct {
	name    string
	faults  func(w *secWorld) []neontest.Fault
	timeout string // the binary's --timeout
	cancel  bool   // cancel (SIGINT, notifications/cancelled) once a request hangs
	legacy  bool   // also run with the prefix-less legacy credential
	echo    bool   // plant every minted token back into the API's text (secEcho)
	elicit  bool   // MCP: also run with a client that accepts elicitation
}

// secAll applies a fault to every request of the run.
const secAll = 1 << 20

func secScenarios() []secScenario {
	status := func(code int, retryAfter string) func(w *secWorld) []neontest.Fault {
		return func(w *secWorld) []neontest.Fault {
			return []neontest.Fault{{Status: code, Message: w.secMessage(), RetryAfter: retryAfter, Count: secAll}}
		}
	}
	one := func(f neontest.Fault) func(w *secWorld) []neontest.Fault {
		return func(*secWorld) []neontest.Fault { return []neontest.Fault{f} }
	}
	body := func(code int, ct string, text func(w *secWorld) string) func(w *secWorld) []neontest.Fault {
		return func(w *secWorld) []neontest.Fault {
			return []neontest.Fault{{Status: code, Body: text(w), ContentType: ct, RetryAfter: "60", Count: secAll}}
		}
	}
	return []secScenario{
		{name: "success", legacy: true, elicit: true},
		{name: "401", faults: status(401, ""), legacy: true},
		{name: "403", faults: status(403, "")},
		{name: "404", faults: status(404, "")},
		{name: "409", faults: status(409, "")},
		// A Retry-After over the 10 s cap: the client gives up at once.
		{name: "423", faults: status(423, "60")},
		{name: "429", faults: status(429, "60")},
		{name: "503", faults: status(503, "60")},
		{name: "500-echo-authorization", faults: one(neontest.Fault{EchoAuthorization: true, Count: secAll}), legacy: true, elicit: true},
		{name: "500-echo-after-create", faults: one(neontest.Fault{Method: "POST", EchoAuthorization: true, Processed: true, Count: secAll})},
		{name: "502-html", faults: body(502, "text/html", func(w *secWorld) string {
			return "<html><body>bad gateway " + w.secMessage() + "</body></html>"
		})},
		{name: "500-truncated-json", faults: body(500, "application/json", func(w *secWorld) string {
			return `{"code":"","message":"` + w.secMessage()
		}), legacy: true},
		{name: "200-not-json", faults: body(200, "text/plain", func(w *secWorld) string { return w.secMessage() })},
		{name: "500-empty", faults: one(neontest.Fault{Status: 500, EmptyBody: true, Count: secAll})},
		{name: "reset-mid-body", faults: one(neontest.Fault{ResetMidBody: true, Count: secAll})},
		{name: "reset-mid-create", faults: one(neontest.Fault{Method: "POST", ResetMidBody: true, Count: secAll})},
		{name: "delete-fails", faults: func(w *secWorld) []neontest.Fault {
			return []neontest.Fault{{Method: "DELETE", Status: 500, Message: w.secMessage(), Count: secAll}}
		}, elicit: true},
		{name: "create-omits-key", faults: one(neontest.Fault{Method: "POST", OmitKey: true, Count: secAll})},
		{name: "create-wrong-project", faults: one(neontest.Fault{Method: "POST", WrongProjectID: "wrong-project-12345678", Count: secAll})},
		{name: "hang-first-request", faults: one(neontest.Fault{Hang: true}), timeout: "400ms"},
		{name: "hang-create", faults: one(neontest.Fault{Method: "POST", Hang: true, Processed: true, Count: secAll}), timeout: "400ms"},
		{name: "cancel", faults: one(neontest.Fault{Hang: true, Count: secAll}), cancel: true},
		{name: "cancel-create", faults: one(neontest.Fault{Method: "POST", Hang: true, Processed: true, Count: secAll}), cancel: true, elicit: true},
		// Each minted token comes back in key names, addresses and the
		// errors of the next calls, whole and cut, with a cut credential.
		{name: "echo-minted", echo: true, elicit: true},
		{name: "echo-minted-wrong-project", faults: one(neontest.Fault{Method: "POST", WrongProjectID: "wrong-project-12345678", Count: secAll}), echo: true},
	}
}

// secCLICommand is one CLI invocation; mints says a token may reach stdout.
type secCLICommand struct {
	name  string
	args  func(w *secWorld, dir string) []string
	mints bool
}

func secCLICommands() []secCLICommand {
	fixed := func(args ...string) func(*secWorld, string) []string {
		return func(*secWorld, string) []string { return args }
	}
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	return []secCLICommand{
		{name: "list", args: fixed("list")},
		{name: "list-org-json", args: func(w *secWorld, _ string) []string { return []string{"list", "--org-id", w.evilOrgID, "-o", "json"} }},
		{name: "list-yaml", args: fixed("list", "-o", "yaml")},
		{name: "whoami", args: fixed("whoami")},
		{name: "whoami-json", args: fixed("whoami", "-o", "json")},
		{name: "create", args: fixed("create", "--name", "leak-new"), mints: true},
		{name: "create-project-json", args: func(w *secWorld, _ string) []string {
			return []string{"create", "--name", "leak-proj", "--project-id", w.projectID, "-o", "json"}
		}, mints: true},
		{name: "create-out", args: func(_ *secWorld, dir string) []string {
			return []string{"create", "--name", "leak-file", "--out", filepath.Join(dir, "new.token")}
		}},
		{name: "revoke", args: func(w *secWorld, _ string) []string { return []string{"revoke", id(w.credKeyID), "--yes"} }},
		{name: "rotate", args: func(w *secWorld, _ string) []string { return []string{"rotate", id(w.decoyKeyID), "--yes"} }, mints: true},
		{name: "rotate-json", args: func(w *secWorld, _ string) []string {
			return []string{"rotate", id(w.scratchID), "--yes", "-o", "json"}
		}, mints: true},
	}
}

// secCounters are the figures of a matrix run.
type secCounters struct {
	runs, calls, planted, minted, echoed, elicited, checked atomic.Int64
}

func TestSecurityLeakMatrixCLI(t *testing.T) {
	t.Parallel()
	bin := harness.PlainBinary(t)
	var c secCounters
	t.Run("matrix", func(t *testing.T) {
		for _, sc := range secScenarios() {
			for _, legacy := range []bool{false, true} {
				if legacy && !sc.legacy {
					continue
				}
				name := sc.name
				if legacy {
					name += "/legacy-credential"
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					// Concurrently: most of a fault run is waiting (retries, timeouts).
					var wg sync.WaitGroup
					for _, cmd := range secCLICommands() {
						wg.Go(func() { secRunCLI(t, bin, sc, legacy, cmd, &c) })
					}
					wg.Wait()
				})
			}
		}
	})
	t.Logf("leak matrix (CLI): %d runs of the binary, %d planted secrets checked, %d minted tokens each seen once on stdout only, %d minted tokens echoed back by the API, %d output bytes checked, %s",
		c.runs.Load(), c.planted.Load(), c.minted.Load(), c.echoed.Load(), c.checked.Load(), secVerdict(t))
}

func secRunCLI(t *testing.T, bin string, sc secScenario, legacy bool, cmd secCLICommand, c *secCounters) {
	t.Helper()
	w := secNewWorld(t, legacy)
	if sc.echo {
		w.secEcho(t)
	}
	if sc.faults != nil {
		w.srv.Inject(sc.faults(w)...)
	}
	timeout := sc.timeout
	if timeout == "" {
		timeout = "20s"
	}
	args := append([]string{"--timeout", timeout}, cmd.args(w, t.TempDir())...)
	var stdout, stderr bytes.Buffer
	code := secExec(t, bin, w.secEnv(t), args, &stdout, &stderr, sc.cancel, w.srv, secHangMethod(w, sc))
	where := "neonkeys " + cmd.name + " [" + sc.name + "]"
	outMinted := w.secCheckOutput(t, where+" stdout", stdout.Bytes(), func([]byte) bool { return cmd.mints })
	errMinted := w.secCheckOutput(t, where+" stderr", stderr.Bytes(), func([]byte) bool { return false })
	if len(outMinted) > 1 || len(errMinted) > 0 {
		t.Errorf("%s: %d tokens on stdout and %d on stderr, want at most one, on stdout", where, len(outMinted), len(errMinted))
	}
	if sc.name == "success" {
		if code != 0 {
			t.Errorf("%s: exit %d, want 0\nstderr: %s", where, code, stderr.String())
		}
		if cmd.mints && len(outMinted) != 1 {
			t.Errorf("%s: succeeded without printing its new token once: %q", where, stdout.String())
		}
	}
	if sc.echo && (cmd.mints || cmd.name == "create-out") && len(w.mintedTokens()) == 0 {
		t.Errorf("%s: the API minted nothing, so nothing was echoed", where)
	}
	c.runs.Add(1)
	c.planted.Add(int64(len(w.never)))
	c.minted.Add(int64(len(outMinted)))
	c.echoed.Add(int64(len(w.mintedTokens())))
	c.checked.Add(int64(stdout.Len() + stderr.Len()))
	if t.Failed() {
		t.Logf("%s: exit %d\nstdout: %s\nstderr: %s", where, code, stdout.String(), stderr.String())
	}
}

// secExec runs the binary; with cancel it sends SIGINT once the fake has a
// request hanging (or the run ends first). It returns the exit code.
func secExec(t *testing.T, bin string, env, args []string, stdout, stderr *bytes.Buffer, cancel bool, srv *neontest.Server, method string) int {
	t.Helper()
	ctx, stop := context.WithTimeout(t.Context(), harness.CLITimeout)
	defer stop()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Errorf("start neonkeys: %v", err)
		return -1
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	if cancel {
		tick := time.NewTicker(5 * time.Millisecond)
	wait:
		for {
			select {
			case err = <-done:
				break wait
			case <-tick.C:
				if secHanging(srv, method, 0) {
					_ = cmd.Process.Signal(syscall.SIGINT)
					err = <-done
					break wait
				}
			}
		}
		tick.Stop()
	} else {
		err = <-done
	}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		return exitErr.ExitCode()
	case err != nil:
		t.Errorf("neonkeys %v: %v", args, err)
		return -1
	}
	return 0
}

// secHanging reports whether a request logged at index from or later is
// still waiting for its answer (the log fills in a fault only when the
// request ends), of method when set.
func secHanging(srv *neontest.Server, method string, from int) bool {
	reqs := srv.Requests()
	for i := from; i < len(reqs); i++ {
		r := reqs[i]
		if r.Status == 0 && r.Fault == nil && (method == "" || r.Method == method) {
			return true
		}
	}
	return false
}

// secHangMethod is the method a cancel scenario's hang applies to.
func secHangMethod(w *secWorld, sc secScenario) string {
	if sc.faults == nil {
		return ""
	}
	return sc.faults(w)[0].Method
}

// secMCPCall is one tool call of an MCP leak run.
type secMCPCall struct {
	tool    string
	args    func(w *secWorld) map[string]any
	mints   bool
	preview bool // a mutating tool without confirm: answers isError by design
}

func secMCPCalls() []secMCPCall {
	with := func(tool string, mints bool, f func(w *secWorld) map[string]any) secMCPCall {
		return secMCPCall{tool: tool, args: f, mints: mints}
	}
	preview := func(tool string, f func(w *secWorld) map[string]any) secMCPCall {
		return secMCPCall{tool: tool, args: f, preview: true}
	}
	none := func(*secWorld) map[string]any { return map[string]any{} }
	create := func(confirm bool) func(w *secWorld) map[string]any {
		return func(w *secWorld) map[string]any {
			a := map[string]any{"project_id": w.projectID, "key_name": "leak-mcp"}
			if confirm {
				a["confirm"] = true
			}
			return a
		}
	}
	byID := func(id func(w *secWorld) int64, confirm bool) func(w *secWorld) map[string]any {
		return func(w *secWorld) map[string]any {
			a := map[string]any{"key_id": id(w)}
			if confirm {
				a["confirm"] = true
			}
			return a
		}
	}
	credKey := func(w *secWorld) int64 { return w.credKeyID }
	decoyKey := func(w *secWorld) int64 { return w.decoyKeyID }
	return []secMCPCall{
		with("list_api_keys", false, none),
		with("list_api_keys", false, func(w *secWorld) map[string]any { return map[string]any{"org_id": w.evilOrgID} }),
		with("list_projects", false, none),
		with("whoami", false, none),
		preview("create_project_scoped_key", create(false)),
		with("create_project_scoped_key", true, create(true)),
		preview("revoke_api_key", byID(credKey, false)),
		with("revoke_api_key", false, byID(credKey, true)),
		preview("rotate_api_key", byID(decoyKey, false)),
		with("rotate_api_key", true, byID(decoyKey, true)),
	}
}

func TestSecurityLeakMatrixMCP(t *testing.T) {
	t.Parallel()
	bin := harness.PlainBinary(t)
	var c secCounters
	t.Run("matrix", func(t *testing.T) {
		for _, sc := range secScenarios() {
			for _, v := range []struct {
				suffix         string
				legacy, elicit bool
			}{{"", false, false}, {"/legacy-credential", true, false}, {"/elicitation", false, true}} {
				if v.legacy && !sc.legacy || v.elicit && !sc.elicit {
					continue
				}
				t.Run(sc.name+v.suffix, func(t *testing.T) {
					t.Parallel()
					secRunMCP(t, bin, sc, v.legacy, v.elicit, &c)
				})
			}
		}
	})
	t.Logf("leak matrix (MCP): %d tool calls in %d server runs, %d planted secrets checked, %d minted tokens each in one create/rotate answer only, %d minted tokens echoed back by the API, %d elicitation requests, %d output bytes checked, %s",
		c.calls.Load(), c.runs.Load(), c.planted.Load(), c.minted.Load(), c.echoed.Load(), c.elicited.Load(), c.checked.Load(), secVerdict(t))
}

// secRunMCP runs every tool through one `neonkeys mcp`; with elicit the
// client declares elicitation and accepts every question, so each confirmed
// mutation also sends an elicitation/create (checked like every other line).
func secRunMCP(t *testing.T, bin string, sc secScenario, legacy, elicit bool, c *secCounters) {
	w := secNewWorld(t, legacy)
	if sc.echo {
		w.secEcho(t)
	}
	timeout := sc.timeout
	if timeout == "" {
		timeout = "20s"
	}
	mw := &harness.MCPWorld{Srv: w.srv, Fx: w.fx, Bin: bin, APIURL: w.apiURL, Cred: []string{"NEON_API_KEY=" + w.cred}}
	opts := harness.RawOptions{Args: []string{"--timeout", timeout}}
	if elicit {
		opts.Elicit = "accept"
	}
	s := harness.StartRawReady(t, mw, opts)
	if sc.faults != nil {
		w.srv.Inject(sc.faults(w)...)
	}
	calls := secMCPCalls()
	if sc.echo {
		// After the last mint, read back what the API now says.
		calls = append(calls, secMCPCalls()[:4]...)
		calls = append(calls, secMCPCalls()[:2]...)
	}
	mintIDs := map[string]bool{}
	for i, call := range calls {
		id := uint64(100 + i)
		if call.mints {
			mintIDs[strconv.FormatUint(id, 10)] = true
		}
		res, answered := secCallMCP(t, s, w.srv, id, call.tool, call.args(w), sc.cancel, secHangMethod(w, sc))
		if sc.name == "success" && (!answered || res.IsError != call.preview) {
			t.Errorf("success run: %s %v answered=%v isError=%v: %s", call.tool, call.args(w), answered, res.IsError, res.Text())
		}
		c.calls.Add(1)
	}
	// The server still answers after every scenario.
	if names := s.ToolNames(t); len(names) == 0 {
		t.Errorf("tools/list answered no tools after the scenario")
	}
	_ = s.Stdin.Close()
	select {
	case <-s.Exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("neonkeys mcp did not exit after stdin closed")
	}
	out := s.Stdout.Bytes()
	minted := w.secCheckOutput(t, "mcp ["+sc.name+"] stdout", out, func(line []byte) bool {
		var msg struct {
			ID json.RawMessage `json:"id"`
		}
		return json.Unmarshal(line, &msg) == nil && mintIDs[string(msg.ID)]
	})
	w.secCheckOutput(t, "mcp ["+sc.name+"] stderr", []byte(s.Stderr.String()), func([]byte) bool { return false })
	s.AssertStdoutIsJSONRPC(t)
	if sc.name == "success" && len(minted) != 2 {
		t.Errorf("success run: %d minted tokens delivered, want 2 (create and rotate)", len(minted))
	}
	if sc.name == "success" && elicit && len(s.Elicited()) != 3 {
		t.Errorf("success run: %d elicitation requests, want 3 (create, revoke, rotate)", len(s.Elicited()))
	}
	if sc.echo && len(w.mintedTokens()) == 0 {
		t.Errorf("echo run: the API minted nothing, so nothing was echoed")
	}
	c.runs.Add(1)
	c.planted.Add(int64(len(w.never)))
	c.minted.Add(int64(len(minted)))
	c.echoed.Add(int64(len(w.mintedTokens())))
	c.elicited.Add(int64(len(s.Elicited())))
	c.checked.Add(int64(len(out) + len(s.Stderr.String())))
}

// secCallMCP calls a tool with a chosen JSON-RPC id. With cancel it sends
// notifications/cancelled as soon as a request hangs at the fake, and does
// not wait for an answer the spec says need not come.
func secCallMCP(t *testing.T, s *harness.RawSession, srv *neontest.Server, id uint64, tool string, args map[string]any, cancel bool, method string) (harness.RawResult, bool) {
	t.Helper()
	ctx, stop := context.WithTimeout(context.Background(), harness.CallTimeout)
	defer stop()
	before := len(srv.Requests())
	waiter, err := s.Conn.DispatchCall(ctx, "tools/call", map[string]any{"name": tool, "arguments": args},
		jsonrpc2.PickID(jsonrpc2.ID{Num: id}))
	if err != nil {
		t.Fatalf("tools/call %s: %v", tool, err)
	}
	type answer struct {
		res harness.RawResult
		err error
	}
	got := make(chan answer, 1)
	go func() {
		var a answer
		a.err = waiter.Wait(ctx, &a.res)
		got <- a
	}()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case a := <-got:
			if a.err != nil {
				t.Fatalf("tools/call %s: %v\nstderr:\n%s", tool, a.err, s.Stderr)
			}
			return a.res, true
		case <-tick.C:
			if cancel && secHanging(srv, method, before) {
				_ = s.Conn.Notify(ctx, "notifications/cancelled", map[string]any{"requestId": id, "reason": "user pressed stop"})
				select {
				case a := <-got:
					return a.res, a.err == nil
				case <-time.After(300 * time.Millisecond):
					return harness.RawResult{}, false
				}
			}
		}
	}
}

// TestSecurityCredentialNotFromArgv: a key written on the command line is
// refused (it would show in ps and shell history), by the CLI and by mcp,
// and the refusal does not echo it.
func TestSecurityCredentialNotFromArgv(t *testing.T) {
	t.Parallel()
	w := harness.NewCLIWorld(t, harness.PlainBinary(t))
	for _, args := range [][]string{
		{"list", "--api-key", w.Fx.MemberToken},
		{"--api-key=" + w.Fx.MemberToken, "whoami"},
		{"mcp", "--api-key", w.Fx.MemberToken},
	} {
		r := w.Run(t, "", w.Env("HOME="+t.TempDir()), args...)
		harness.WantCode(t, r, 2)
		testkit.NoSecrets(t, fmt.Sprintf("neonkeys %s output", args[0]), r.Stdout+r.Stderr, w.Fx.MemberToken, w.Fx.AdminToken)
		if n := len(w.Srv.Requests()); n != 0 {
			t.Errorf("%v: %d requests reached the API", args[0], n)
		}
	}
}

// secVerdict is the last word of a matrix summary.
func secVerdict(t *testing.T) string {
	if t.Failed() {
		return "FAILURES above (LEAK marks a leak)"
	}
	return "0 leaks"
}
