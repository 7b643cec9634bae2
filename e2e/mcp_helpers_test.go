package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/sourcegraph/jsonrpc2"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// mcpCallTimeout bounds every request of these tests: generous, only there
// so a broken server fails a test instead of hanging the run.
const mcpCallTimeout = 60 * time.Second

// mcpTokenPattern matches a Neon token as the fake mints them.
var mcpTokenPattern = regexp.MustCompile(`napi_[a-z0-9]{16,}`)

// mcpAnyToken is the redactor's idea of a Neon token (any case): no output
// of a --secrets-dir session may hold one.
var mcpAnyToken = regexp.MustCompile(`napi_[A-Za-z0-9]{16,}`)

// mcpRedactTokens hides tokens in failure messages: a leak must be reported
// without repeating it in the test log.
func mcpRedactTokens(s string) string {
	return mcpAnyToken.ReplaceAllStringFunc(s, func(tok string) string { return "napi_…" + tok[len(tok)-4:] })
}

// mcpWorld is one fake Neon API with the standard fixture, a spare personal
// key of the admin (safe to revoke or rotate: the server authenticates with
// the admin's "laptop" key), and the built binary.
type mcpWorld struct {
	srv *neontest.Server
	fx  *neontest.Fixture
	bin string

	spareToken string // personal key "scratch" of the admin
	spareID    int64

	apiURL string   // what the child calls; srv.URL() unless a test wraps the fake
	cred   []string // credential variables; NEON_API_KEY=<admin token> unless a test changes them
}

func mcpNewWorld(t *testing.T) *mcpWorld {
	t.Helper()
	bin := buildNeonkeys(t)
	srv := neontest.New(t)
	fx := srv.Seed()
	w := &mcpWorld{srv: srv, fx: fx, bin: bin, apiURL: srv.URL(), cred: []string{"NEON_API_KEY=" + fx.AdminToken}}
	w.spareToken, w.spareID = srv.AddPersonalKey(fx.Admin.ID, "scratch")
	return w
}

// env is the child's whole environment: the credential, the fake's URL and
// a private HOME, nothing inherited that could change its behaviour.
func (w *mcpWorld) env(t *testing.T) []string {
	return append([]string{
		"NEON_API_HOST=" + w.apiURL,
		"HOME=" + t.TempDir(),
		"PATH=" + os.Getenv("PATH"),
	}, w.cred...)
}

// knownTokens are the tokens the fixture planted; a token found in output
// that is not among them was minted during the test.
func (w *mcpWorld) knownTokens() []string {
	return []string{w.fx.AdminToken, w.fx.MemberToken, w.fx.OrgKeyToken, w.fx.ProjectKeyToken, w.spareToken}
}

// mintedTokens returns the tokens in s that the fixture did not plant.
func (w *mcpWorld) mintedTokens(s string) []string {
	var out []string
	for _, tok := range mcpTokenPattern.FindAllString(s, -1) {
		if !slices.Contains(w.knownTokens(), tok) && !slices.Contains(out, tok) {
			out = append(out, tok)
		}
	}
	return out
}

// assertMutations checks the fake saw exactly want POST/DELETE requests.
func (w *mcpWorld) assertMutations(t *testing.T, want int) []neontest.Request {
	t.Helper()
	muts := w.srv.Mutations()
	if len(muts) != want {
		var got []string
		for _, m := range muts {
			got = append(got, m.Method+" "+m.Path)
		}
		t.Fatalf("fake API saw %d mutating requests %v, want %d", len(muts), got, want)
	}
	return muts
}

// mcpSyncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type mcpSyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *mcpSyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *mcpSyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *mcpSyncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// ---- Go SDK client ----

// mcpGoSession is a go-sdk client connected to a neonkeys mcp child.
type mcpGoSession struct {
	cs     *mcp.ClientSession
	stderr *mcpSyncBuffer
}

// mcpStartGo spawns `neonkeys mcp args...` and connects the go-sdk client
// (which negotiates the 2026-07-28 protocol) with the given options.
func mcpStartGo(t *testing.T, w *mcpWorld, opts *mcp.ClientOptions, args ...string) *mcpGoSession {
	t.Helper()
	cmd := exec.Command(w.bin, append([]string{"mcp"}, args...)...)
	cmd.Env = w.env(t)
	stderr := &mcpSyncBuffer{}
	cmd.Stderr = stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "neonkeys-e2e-gosdk", Version: "0.0.1"}, opts)
	ctx, cancel := context.WithTimeout(context.Background(), mcpCallTimeout)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd, TerminateDuration: 5 * time.Second}, nil)
	if err != nil {
		t.Fatalf("connect to neonkeys mcp: %v\nstderr:\n%s", err, stderr)
	}
	// This client is the tests' coverage of the stateless protocol era.
	if v := cs.InitializeResult().ProtocolVersion; v != "2026-07-28" {
		_ = cs.Close()
		t.Fatalf("go-sdk negotiated %q, want 2026-07-28", v)
	}
	t.Cleanup(func() {
		_ = cs.Close()
		if t.Failed() {
			t.Logf("neonkeys mcp stderr:\n%s", stderr)
		}
	})
	return &mcpGoSession{cs: cs, stderr: stderr}
}

func (s *mcpGoSession) tools(t *testing.T) map[string]*mcp.Tool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), mcpCallTimeout)
	defer cancel()
	res, err := s.cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	out := map[string]*mcp.Tool{}
	for _, tool := range res.Tools {
		out[tool.Name] = tool
	}
	return out
}

// call calls a tool and fails the test on a protocol error; a tool error
// (isError) is returned for the caller to check.
func (s *mcpGoSession) call(t *testing.T, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	res, err := s.callErr(name, args)
	if err != nil {
		t.Fatalf("tools/call %s: %v", name, err)
	}
	return res
}

func (s *mcpGoSession) callErr(name string, args map[string]any) (*mcp.CallToolResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), mcpCallTimeout)
	defer cancel()
	return s.cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
}

// mcpText joins the text blocks of a result.
func mcpText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// mcpAll is everything a client sees of a result: text and structured content.
func mcpAll(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatalf("encode structuredContent: %v", err)
	}
	return mcpText(res) + "\n" + string(b)
}

// mcpDecode converts structuredContent into v.
func mcpDecode(t *testing.T, structured any, v any) {
	t.Helper()
	b, err := json.Marshal(structured)
	if err != nil {
		t.Fatalf("encode structuredContent: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode structuredContent %s: %v", b, err)
	}
}

// mcpElicitRecorder answers elicitation requests with one action and
// remembers every message it was shown.
type mcpElicitRecorder struct {
	action string // accept, decline or cancel

	mu       sync.Mutex
	messages []string
}

func (r *mcpElicitRecorder) handle(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
	r.mu.Lock()
	r.messages = append(r.messages, req.Params.Message)
	r.mu.Unlock()
	if r.action != "accept" {
		return &mcp.ElicitResult{Action: r.action}, nil
	}
	return &mcp.ElicitResult{Action: "accept", Content: mcpFillForm(req.Params.RequestedSchema)}, nil
}

func (r *mcpElicitRecorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.messages)
}

// mcpFillForm answers a form the way a person who agrees would: booleans
// true, a constant or the first enum value where given, the default else.
func mcpFillForm(schema any) map[string]any {
	var s struct {
		Properties map[string]struct {
			Type    string `json:"type"`
			Const   any    `json:"const"`
			Enum    []any  `json:"enum"`
			Default any    `json:"default"`
		} `json:"properties"`
	}
	b, _ := json.Marshal(schema)
	_ = json.Unmarshal(b, &s)
	out := map[string]any{}
	for name, p := range s.Properties {
		switch {
		case p.Const != nil:
			out[name] = p.Const
		case len(p.Enum) > 0:
			out[name] = p.Enum[0]
		case p.Type == "boolean":
			out[name] = true
		case p.Default != nil:
			out[name] = p.Default
		}
	}
	return out
}

// ---- raw JSON-RPC client (sourcegraph/jsonrpc2) ----

// mcpRawOptions configure a raw session.
type mcpRawOptions struct {
	args   []string // after "mcp"
	elicit string   // "" declares no elicitation capability; else accept/decline/cancel
}

// mcpRawSession drives `neonkeys mcp` over plain pipes with a JSON-RPC
// connection, keeping every byte the child wrote to stdout and stderr.
type mcpRawSession struct {
	conn   *jsonrpc2.Conn
	stdin  *mcpLockedWriter
	stdout *mcpSyncBuffer // a copy of every byte read from the child's stdout
	stderr *mcpSyncBuffer
	exited chan struct{} // closed when the child has exited
	cmd    *exec.Cmd
	elicit string // how this client answers elicitation/create ("" cannot)

	mu           sync.Mutex
	elicitations []json.RawMessage
}

// mcpLockedWriter serializes writes so raw test bytes never split a
// message the JSON-RPC connection is writing.
type mcpLockedWriter struct {
	mu sync.Mutex
	w  io.WriteCloser
}

func (l *mcpLockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *mcpLockedWriter) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Close()
}

// mcpPipeRWC is the connection's view of the child: reads from its stdout
// (teed into a buffer), writes to its stdin.
type mcpPipeRWC struct {
	r io.Reader
	w io.WriteCloser
}

func (p mcpPipeRWC) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p mcpPipeRWC) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p mcpPipeRWC) Close() error                { return p.w.Close() }

// mcpStartRaw spawns the child without handshaking; call initialize next
// (or write raw bytes first).
func mcpStartRaw(t *testing.T, w *mcpWorld, opts mcpRawOptions) *mcpRawSession {
	t.Helper()
	// os.Pipe rather than StdoutPipe: cmd.Wait must not close the read end
	// while the connection still drains it.
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(w.bin, append([]string{"mcp"}, opts.args...)...)
	cmd.Env = w.env(t)
	cmd.Stdin, cmd.Stdout = inR, outW
	s := &mcpRawSession{
		stdin:  &mcpLockedWriter{w: inW},
		stdout: &mcpSyncBuffer{},
		stderr: &mcpSyncBuffer{},
		exited: make(chan struct{}),
		cmd:    cmd,
		elicit: opts.elicit,
	}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start neonkeys mcp: %v", err)
	}
	_ = inR.Close()
	_ = outW.Close()
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()

	handler := jsonrpc2.HandlerWithError(func(ctx context.Context, _ *jsonrpc2.Conn, req *jsonrpc2.Request) (any, error) {
		return s.handle(opts.elicit, req)
	})
	rwc := mcpPipeRWC{r: io.TeeReader(outR, s.stdout), w: s.stdin}
	s.conn = jsonrpc2.NewConn(context.Background(), jsonrpc2.NewPlainObjectStream(rwc), handler,
		jsonrpc2.SetLogger(mcpDiscardLogger{}))
	t.Cleanup(func() {
		_ = s.conn.Close()
		_ = s.stdin.Close()
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-s.exited
			t.Errorf("neonkeys mcp did not exit within 10 s of its stdin closing")
		}
		_ = outR.Close()
		if t.Failed() {
			t.Logf("neonkeys mcp stderr:\n%s", s.stderr)
		}
	})
	return s
}

// mcpDiscardLogger silences jsonrpc2's notes about responses without a
// request (the parse-error reply to a malformed line has id null).
type mcpDiscardLogger struct{}

func (mcpDiscardLogger) Printf(string, ...any) {}

// handle answers the server's own requests: elicitation per the session's
// choice, ping; anything else is not supported.
func (s *mcpRawSession) handle(action string, req *jsonrpc2.Request) (any, error) {
	switch req.Method {
	case "ping":
		return map[string]any{}, nil
	case "elicitation/create":
		var params json.RawMessage
		if req.Params != nil {
			params = *req.Params
		}
		s.mu.Lock()
		s.elicitations = append(s.elicitations, params)
		s.mu.Unlock()
		if action == "" {
			return nil, &jsonrpc2.Error{Code: jsonrpc2.CodeInvalidParams, Message: "client does not support elicitation"}
		}
		if action != "accept" {
			return map[string]any{"action": action}, nil
		}
		var p struct {
			RequestedSchema any `json:"requestedSchema"`
		}
		_ = json.Unmarshal(params, &p)
		return map[string]any{"action": "accept", "content": mcpFillForm(p.RequestedSchema)}, nil
	}
	if req.Notif {
		return nil, nil
	}
	return nil, &jsonrpc2.Error{Code: jsonrpc2.CodeMethodNotFound, Message: "method not found: " + req.Method}
}

func (s *mcpRawSession) elicited() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.elicitations)
}

// initialize performs the legacy (2025-11-25) handshake.
func (s *mcpRawSession) initialize(t *testing.T, elicitation bool) {
	t.Helper()
	caps := map[string]any{}
	if elicitation {
		caps["elicitation"] = map[string]any{}
	}
	var res struct {
		ProtocolVersion string `json:"protocolVersion"`
		Capabilities    struct {
			Tools json.RawMessage `json:"tools"`
		} `json:"capabilities"`
	}
	err := s.callInto("initialize", map[string]any{
		"protocolVersion": "2025-11-25",
		"capabilities":    caps,
		"clientInfo":      map[string]any{"name": "neonkeys-e2e-raw", "version": "0.0.1"},
	}, &res)
	if err != nil {
		t.Fatalf("initialize: %v\nstderr:\n%s", err, s.stderr)
	}
	if res.ProtocolVersion != "2025-11-25" {
		t.Fatalf("initialize negotiated %q, want 2025-11-25", res.ProtocolVersion)
	}
	if len(res.Capabilities.Tools) == 0 {
		t.Fatalf("initialize result declares no tools capability")
	}
	ctx, cancel := context.WithTimeout(context.Background(), mcpCallTimeout)
	defer cancel()
	if err := s.conn.Notify(ctx, "notifications/initialized", map[string]any{}); err != nil {
		t.Fatalf("notifications/initialized: %v", err)
	}
}

func (s *mcpRawSession) callInto(method string, params, result any, opts ...jsonrpc2.CallOption) error {
	ctx, cancel := context.WithTimeout(context.Background(), mcpCallTimeout)
	defer cancel()
	return s.conn.Call(ctx, method, params, result, opts...)
}

// mcpRawResult is a tools/call result as it crossed the wire. A
// 2026-07-28 result asking for input has resultType "input_required",
// inputRequests and the opaque requestState to echo.
type mcpRawResult struct {
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	StructuredContent json.RawMessage            `json:"structuredContent"`
	IsError           bool                       `json:"isError"`
	ResultType        string                     `json:"resultType"`
	InputRequests     map[string]mcpInputRequest `json:"inputRequests"`
	RequestState      string                     `json:"requestState"`
}

// mcpInputRequest is one request embedded in an input-required result.
type mcpInputRequest struct {
	Method string `json:"method"`
	Params struct {
		Message         string          `json:"message"`
		RequestedSchema json.RawMessage `json:"requestedSchema"`
	} `json:"params"`
}

func (r mcpRawResult) text() string {
	var parts []string
	for _, c := range r.Content {
		parts = append(parts, c.Text)
	}
	return strings.Join(parts, "\n")
}

// callTool calls a tool; a JSON-RPC error fails the test.
func (s *mcpRawSession) callTool(t *testing.T, name string, args any) mcpRawResult {
	t.Helper()
	var res mcpRawResult
	if err := s.callInto("tools/call", map[string]any{"name": name, "arguments": args}, &res); err != nil {
		t.Fatalf("tools/call %s: %v\nstderr:\n%s", name, err, s.stderr)
	}
	return res
}

// toolNames lists the served tools.
func (s *mcpRawSession) toolNames(t *testing.T) []string {
	t.Helper()
	var res struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := s.callInto("tools/list", map[string]any{}, &res); err != nil {
		t.Fatalf("tools/list: %v\nstderr:\n%s", err, s.stderr)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	return names
}

// writeRaw writes bytes to the child's stdin as they are.
func (s *mcpRawSession) writeRaw(t *testing.T, b []byte) {
	t.Helper()
	if _, err := s.stdin.Write(b); err != nil {
		t.Fatalf("write to stdin: %v", err)
	}
}

// stdoutLines are the child's stdout lines so far (the last one may still
// be partial while the child runs).
func (s *mcpRawSession) stdoutLines() []string {
	var out []string
	for _, l := range strings.Split(s.stdout.String(), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// assertStdoutIsJSONRPC checks each stdout line is exactly one JSON-RPC
// object: a stray log line would corrupt a real client's stream.
func (s *mcpRawSession) assertStdoutIsJSONRPC(t *testing.T) {
	t.Helper()
	out := s.stdout.String()
	if out != "" && !strings.HasSuffix(out, "\n") {
		t.Errorf("stdout does not end with a newline: %q", mcpTail(out))
	}
	for i, line := range s.stdoutLines() {
		var msg map[string]json.RawMessage
		dec := json.NewDecoder(strings.NewReader(line))
		if err := dec.Decode(&msg); err != nil {
			t.Errorf("stdout line %d is not a JSON object: %v: %q", i+1, err, mcpTail(line))
			continue
		}
		if dec.More() {
			t.Errorf("stdout line %d holds more than one JSON value: %q", i+1, mcpTail(line))
		}
		if string(msg["jsonrpc"]) != `"2.0"` {
			t.Errorf("stdout line %d is not JSON-RPC 2.0: %q", i+1, mcpTail(line))
		}
	}
}

// mcpTail shortens long text for failure messages.
func mcpTail(s string) string {
	if len(s) > 300 {
		return s[:300] + fmt.Sprintf("… (%d bytes)", len(s))
	}
	return s
}

// mcpCount counts the stdout lines that contain sub.
func mcpCount(lines []string, sub string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}

// ---- 2026-07-28 (stateless) requests over the raw connection ----

// The raw connection speaks the modern era by putting _meta on each
// request: no initialize, the version and capabilities travel every time.
// One process serves both eras, so a test can take a sealed state from a
// modern answer and send it back in a legacy request.
const (
	mcpMetaVersion = "io.modelcontextprotocol/protocolVersion"
	mcpMetaClient  = "io.modelcontextprotocol/clientInfo"
	mcpMetaCaps    = "io.modelcontextprotocol/clientCapabilities"
)

// mcpConfirmID is the id under which the guard asks its one question.
const mcpConfirmID = "confirm"

// mcpModernMeta is the _meta of a 2026-07-28 request.
func mcpModernMeta(elicit bool) map[string]any {
	caps := map[string]any{}
	if elicit {
		caps["elicitation"] = map[string]any{}
	}
	return map[string]any{
		mcpMetaVersion: "2026-07-28",
		mcpMetaClient:  map[string]any{"name": "neonkeys-e2e-raw-modern", "version": "0.0.1"},
		mcpMetaCaps:    caps,
	}
}

// mcpCall describes one tools/call as a client of either era writes it.
type mcpCall struct {
	tool   string
	args   map[string]any
	modern bool // carry 2026-07-28 _meta, declaring elicitation unless noElicit
	// noElicit declares no capability on a modern request: the confirm gate
	// alone guards it.
	noElicit bool
	state    string // requestState to send back; "" sends none
	answer   string // action of inputResponses["confirm"]; "" sends none
}

func (c mcpCall) params() map[string]any {
	p := map[string]any{"name": c.tool, "arguments": c.args}
	if c.modern {
		p["_meta"] = mcpModernMeta(!c.noElicit)
	}
	if c.state != "" {
		p["requestState"] = c.state
	}
	if c.answer != "" {
		resp := map[string]any{"action": c.answer}
		if c.answer == "accept" {
			resp["content"] = map[string]any{"confirm": true}
		}
		p["inputResponses"] = map[string]any{mcpConfirmID: resp}
	}
	return p
}

// call sends c; a JSON-RPC error fails the test.
func (s *mcpRawSession) call(t *testing.T, c mcpCall) mcpRawResult {
	t.Helper()
	var res mcpRawResult
	if err := s.callInto("tools/call", c.params(), &res); err != nil {
		t.Fatalf("tools/call %s: %v\nstderr:\n%s", c.tool, err, s.stderr)
	}
	return res
}

// issueState makes a modern call that the guard answers with a question
// for the human, and returns the question and the sealed state.
func (s *mcpRawSession) issueState(t *testing.T, tool string, args map[string]any) (question mcpInputRequest, state string) {
	t.Helper()
	res := s.call(t, mcpCall{tool: tool, args: args, modern: true})
	q, ok := res.InputRequests[mcpConfirmID]
	if res.ResultType != "input_required" || !ok || res.RequestState == "" {
		t.Fatalf("%s with confirm and an eliciting modern client: resultType=%q inputRequests=%v state=%d bytes, "+
			"want an input_required result asking %q with a requestState: %s",
			tool, res.ResultType, mcpKeys(res.InputRequests), len(res.RequestState), mcpConfirmID, res.text())
	}
	if q.Method != "elicitation/create" {
		t.Fatalf("input request method %q, want elicitation/create", q.Method)
	}
	return q, res.RequestState
}

// confirmed calls tool with args (which carry confirm: true) as a client
// of era that declares elicitation, the human answering with the session's
// action: a modern client gets the question in an input_required result and
// calls again with the sealed state and the answer; a legacy client is asked
// by elicitation/create in the middle of the call. It returns the question
// the human saw and the final answer.
func (s *mcpRawSession) confirmed(t *testing.T, modern bool, tool string, args map[string]any) (question string, res mcpRawResult) {
	t.Helper()
	if s.elicit == "" {
		t.Fatal("confirmed needs a session that answers elicitation")
	}
	if modern {
		q, state := s.issueState(t, tool, args)
		return q.Params.Message, s.call(t, mcpCall{tool: tool, args: args, modern: true, state: state, answer: s.elicit})
	}
	before := len(s.elicited())
	res = s.callTool(t, tool, args)
	asked := s.elicited()[before:]
	if len(asked) != 1 {
		t.Fatalf("%s: the human was asked %d times, want once", tool, len(asked))
	}
	return mcpElicitMessage(t, asked[0]), res
}

// mcpElicitMessage is the message of an elicitation/create request's params.
func mcpElicitMessage(t *testing.T, params json.RawMessage) string {
	t.Helper()
	var p struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(params, &p); err != nil {
		t.Fatalf("elicitation/create params %s: %v", params, err)
	}
	return p.Message
}
