package security

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// The built `neonkeys mcp` on OS pipes, driven line by line: a token counts
// as delivered only once the answer carrying it was written, a rotation
// revokes the old key only after that and says how it went in a
// notifications/message, and a misbehaving client (duplicate keys, calls
// before initialize, a second initialize) is refused.

// secProc is one `neonkeys mcp` whose stdout the test reads line by line.
type secProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	outR   *os.File
	lines  chan string // stdout lines; closed at its end
	stderr *testkit.SyncBuffer
	exited chan struct{}
}

func secStart(t *testing.T, w *harness.MCPWorld) *secProc {
	t.Helper()
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(w.Bin, "mcp")
	cmd.Env = w.Env(t)
	p := &secProc{cmd: cmd, outR: outR, lines: make(chan string, 4096), stderr: &testkit.SyncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = outW, p.stderr
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_ = outW.Close()
	go func() { _ = cmd.Wait(); close(p.exited) }()
	go func() {
		defer close(p.lines)
		r := bufio.NewReaderSize(outR, 1<<16)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			p.lines <- line
		}
	}()
	t.Cleanup(func() {
		_ = p.stdin.Close()
		select {
		case <-p.exited:
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
			<-p.exited
			t.Error("neonkeys mcp did not exit within 60 s of its stdin closing")
		}
		_ = outR.Close()
		if t.Failed() {
			t.Logf("stderr:\n%s", testkit.RedactTokens(p.stderr.String()))
		}
	})
	return p
}

func (p *secProc) send(t *testing.T, format string, args ...any) {
	t.Helper()
	if _, err := fmt.Fprintf(p.stdin, format+"\n", args...); err != nil {
		t.Fatalf("write to stdin: %v", err)
	}
}

// next returns the next stdout message; the bound only turns one that
// never comes into a failure.
func (p *secProc) next(t *testing.T) (map[string]json.RawMessage, string) {
	t.Helper()
	select {
	case line, ok := <-p.lines:
		if !ok {
			t.Fatal("stdout ended")
		}
		var msg map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &msg); err != nil {
			t.Fatalf("stdout line is not JSON: %s", harness.Tail(line))
		}
		return msg, line
	case <-time.After(30 * time.Second):
		t.Fatal("no message on stdout for 30 s")
	}
	return nil, ""
}

// until returns the message with this id (a JSON literal) and its line.
func (p *secProc) until(t *testing.T, id string) (map[string]json.RawMessage, string) {
	t.Helper()
	for {
		if msg, line := p.next(t); string(msg["id"]) == id {
			return msg, line
		}
	}
}

func (p *secProc) handshake(t *testing.T, elicitation bool) {
	t.Helper()
	caps := `{}`
	if elicitation {
		caps = `{"elicitation":{}}`
	}
	p.send(t, `{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":%s,"clientInfo":{"name":"sec","version":"1"}}}`, caps)
	if msg, _ := p.until(t, `"init"`); msg["result"] == nil {
		t.Fatalf("initialize: %s", msg["error"])
	}
	p.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
}

// quit closes stdin and waits for the exit (bounded: secExitLimit).
func (p *secProc) quit(t *testing.T) {
	t.Helper()
	go func() {
		for range p.lines { // keep reading: a late answer must not block the exit
		}
	}()
	_ = p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(secExitLimit()):
		t.Fatalf("neonkeys mcp did not exit within %v of its stdin closing", secExitLimit())
	}
}

// secMinted returns the keys created during the test.
func secMinted(w *harness.MCPWorld) []neontest.KeyInfo {
	var out []neontest.KeyInfo
	for _, k := range w.Srv.Keys() {
		if k.ID > w.SpareID {
			out = append(out, k)
		}
	}
	return out
}

// secMintCall is a confirmed call of tool that mints a key (id "mint").
func secMintCall(w *harness.MCPWorld, tool string) string {
	if tool == "rotate_api_key" {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":"mint","method":"tools/call","params":{"name":"rotate_api_key","arguments":{"key_id":%d,"confirm":true}}}`, w.SpareID)
	}
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":"mint","method":"tools/call","params":{"name":"create_project_scoped_key","arguments":{"project_id":%q,"key_name":"ci-deploy","confirm":true}}}`, w.Fx.OrgProject.ID)
}

// TestSecurityUndeliveredTokenWithdrawn: the client closes its end of stdout
// before the answer carrying a new token is written. The write fails, so
// nobody holds the token: the new key is revoked, and a rotation leaves the
// old key working (the service using it is not cut off).
func TestSecurityUndeliveredTokenWithdrawn(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"create_project_scoped_key", "rotate_api_key"} {
		t.Run(tool, func(t *testing.T) {
			t.Parallel()
			w := harness.NewMCPWorld(t)
			p := secStart(t, w)
			p.handshake(t, false)
			_ = p.outR.Close() // the client stops listening before its answer comes
			p.send(t, "%s", secMintCall(w, tool))
			harness.WaitFor(t, "the undelivered key to be revoked", func() bool {
				m := secMinted(w)
				return len(m) == 1 && m[0].Revoked
			})
			p.quit(t)
			if m := secMinted(w); len(m) != 1 {
				t.Fatalf("%d keys minted, want 1", len(m))
			}
			if tool == "rotate_api_key" && !w.Srv.TokenValid(w.SpareToken) {
				t.Error("the old key was revoked though its replacement never reached the client")
			}
			if !strings.Contains(p.stderr.String(), "not delivered") {
				t.Errorf("stderr does not say the token was not delivered:\n%s", testkit.RedactTokens(p.stderr.String()))
			}
		})
	}
}

// TestSecurityRotateOutcomeNotified: a rotation's answer says the old key
// is revoked once the answer is delivered (that is all that is known when it
// is written); then the old key is revoked and a notifications/message says
// so. The new token is in that one answer and nowhere else.
func TestSecurityRotateOutcomeNotified(t *testing.T) {
	t.Parallel()
	w := harness.NewMCPWorld(t)
	p := secStart(t, w)
	p.handshake(t, false)
	p.send(t, `{"jsonrpc":"2.0","id":"lvl","method":"logging/setLevel","params":{"level":"notice"}}`)
	if msg, _ := p.until(t, `"lvl"`); msg["result"] == nil {
		t.Fatalf("logging/setLevel: %s", msg["error"])
	}
	p.send(t, "%s", secMintCall(w, "rotate_api_key"))
	answer, answerLine := p.until(t, `"mint"`)
	var res struct {
		Structured struct {
			OldRevoked bool `json:"old_revoked"`
			Pending    bool `json:"old_revoke_pending"`
		} `json:"structuredContent"`
	}
	_ = json.Unmarshal(answer["result"], &res)
	if !strings.Contains(answerLine, "will be revoked as soon as this answer is delivered") || res.Structured.OldRevoked || !res.Structured.Pending {
		t.Errorf("the answer does not say the old key is revoked once it is delivered: %s", testkit.RedactTokens(answerLine))
	}
	var note struct {
		Method string `json:"method"`
		Params struct {
			Level string         `json:"level"`
			Data  map[string]any `json:"data"`
		} `json:"params"`
	}
	var lines []string
	for note.Method != "notifications/message" {
		_, line := p.next(t)
		lines = append(lines, line)
		_ = json.Unmarshal([]byte(line), &note)
	}
	if note.Params.Level != "notice" || note.Params.Data["old_revoked"] != true || note.Params.Data["old_key_id"] != float64(w.SpareID) {
		t.Errorf("notifications/message = %+v, want level notice, old_key_id %d and old_revoked true", note.Params, w.SpareID)
	}
	if w.Srv.TokenValid(w.SpareToken) {
		t.Error("the notification says the old key is revoked; the API still accepts it")
	}
	minted := w.MintedTokens(answerLine)
	if len(minted) != 1 || !w.Srv.TokenValid(minted[0]) {
		t.Fatalf("the answer holds %d new tokens, want 1 that works", len(minted))
	}
	p.quit(t)
	for _, l := range lines {
		if strings.Contains(l, minted[0]) {
			t.Errorf("the new token is also in a later message: %s", testkit.RedactTokens(l))
		}
	}
	if strings.Contains(p.stderr.String(), minted[0]) {
		t.Error("the new token reached stderr")
	}
}

// TestSecurityMisbehavingClient: what mcp-go alone would serve or misread
// is refused, and nothing is mutated; each case has its positive control.
func TestSecurityMisbehavingClient(t *testing.T) {
	t.Parallel()
	revoke := func(w *harness.MCPWorld, id string) string {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%q,"method":"tools/call","params":{"name":"revoke_api_key","arguments":{"key_id":%d,"confirm":true}}}`, id, w.SpareID)
	}
	// asked reads the elicitation/create the revoke makes, and returns its id.
	asked := func(t *testing.T, p *secProc) json.RawMessage {
		t.Helper()
		msg, line := p.next(t)
		if !strings.Contains(string(msg["method"]), "elicitation/create") {
			t.Fatalf("the server did not ask the human: %s", harness.Tail(line))
		}
		return msg["id"]
	}
	t.Run("call before initialize", func(t *testing.T) {
		t.Parallel()
		w := harness.NewMCPWorld(t)
		p := secStart(t, w)
		p.send(t, "%s", revoke(w, "early"))
		if msg, line := p.until(t, `"early"`); msg["error"] == nil {
			t.Fatalf("a revoke before initialize was served: %s", harness.Tail(line))
		}
		if n := len(w.Srv.Requests()); n != 0 {
			t.Fatalf("%d requests reached the API before initialize", n)
		}
		p.handshake(t, false)
		p.send(t, `{"jsonrpc":"2.0","id":"list","method":"tools/call","params":{"name":"list_api_keys","arguments":{}}}`)
		if msg, _ := p.until(t, `"list"`); msg["result"] == nil {
			t.Errorf("control: list_api_keys after initialize: %s", msg["error"])
		}
	})
	t.Run("duplicate keys in the human's answer", func(t *testing.T) {
		t.Parallel()
		w := harness.NewMCPWorld(t)
		p := secStart(t, w)
		p.handshake(t, true)
		p.send(t, "%s", revoke(w, "dup"))
		p.send(t, `{"jsonrpc":"2.0","id":%s,"result":{"action":"decline","action":"accept","content":{"confirm":true}}}`, asked(t, p))
		// The pending dialog fails: the call ends in an error (a JSON-RPC one,
		// as mcp-go reports a failed elicitation).
		if msg, line := p.until(t, `"dup"`); msg["error"] == nil && !strings.Contains(line, `"isError":true`) {
			t.Errorf("the revoke after an answer with action twice: %s", harness.Tail(line))
		}
		w.AssertMutations(t, 0)
		p.send(t, "%s", revoke(w, "control"))
		p.send(t, `{"jsonrpc":"2.0","id":%s,"result":{"action":"accept","content":{"confirm":true}}}`, asked(t, p))
		p.until(t, `"control"`)
		if w.Srv.TokenValid(w.SpareToken) {
			t.Error("control: a plain accept did not revoke the key")
		}
	})
	t.Run("second initialize", func(t *testing.T) {
		t.Parallel()
		w := harness.NewMCPWorld(t)
		p := secStart(t, w)
		p.handshake(t, true)
		p.send(t, `{"jsonrpc":"2.0","id":"again","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"sec","version":"1"}}}`)
		if msg, line := p.until(t, `"again"`); msg["error"] == nil {
			t.Fatalf("a second initialize was accepted: %s", harness.Tail(line))
		}
		p.send(t, "%s", revoke(w, "after"))
		p.send(t, `{"jsonrpc":"2.0","id":%s,"result":{"action":"decline"}}`, asked(t, p))
		p.until(t, `"after"`)
		w.AssertMutations(t, 0)
	})
	// mcp-go reads "Method", "ID", "Params" as method, id, params: so must
	// the filter, or a spelling gets past each rule above.
	t.Run("case-variant member names", func(t *testing.T) {
		t.Parallel()
		w := harness.NewMCPWorld(t)
		p := secStart(t, w)
		p.send(t, `{"jsonrpc":"2.0","ID":"early","Method":"tools/call","params":{"name":"whoami","arguments":{}}}`)
		if msg, line := p.until(t, `"early"`); msg["error"] == nil {
			t.Fatalf("a call spelled Method and ID before initialize was served: %s", harness.Tail(line))
		}
		if n := len(w.Srv.Requests()); n != 0 {
			t.Fatalf("%d requests reached the API before initialize", n)
		}
		p.handshake(t, true)
		p.send(t, `{"jsonrpc":"2.0","id":"again","Method":"initialize","Params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"sec","version":"1"}}}`)
		if msg, line := p.until(t, `"again"`); msg["error"] == nil {
			t.Fatalf("a second initialize spelled Method was accepted: %s", harness.Tail(line))
		}
		p.send(t, `{"jsonrpc":"2.0","id":"modern","method":"tools/call","Params":{"name":"revoke_api_key","arguments":{"key_id":%d,"confirm":true},`+
			`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"sec","version":"1"},`+
			`"io.modelcontextprotocol/clientCapabilities":{}}}}`, w.SpareID)
		if msg, line := p.until(t, `"modern"`); msg["error"] == nil {
			t.Fatalf("a 2026-07-28 revoke spelled Params, declaring no elicitation, was served: %s", harness.Tail(line))
		}
		w.AssertMutations(t, 0)
		p.send(t, "%s", revoke(w, "after"))
		p.send(t, `{"jsonrpc":"2.0","id":%s,"result":{"action":"decline"}}`, asked(t, p))
		p.until(t, `"after"`)
		w.AssertMutations(t, 0)
	})
}
