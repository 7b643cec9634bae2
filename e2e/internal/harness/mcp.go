package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/sourcegraph/jsonrpc2"

	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// CallTimeout bounds every request of these tests: generous, only there
// so a broken server fails a test instead of hanging the run.
const CallTimeout = 60 * time.Second

// MCPWorld is one fake Neon API with the standard fixture, a spare personal
// key of the admin (safe to revoke or rotate: the server authenticates with
// the admin's "laptop" key), and the built binary.
type MCPWorld struct {
	Srv *neontest.Server
	Fx  *neontest.Fixture
	Bin string

	SpareToken string // personal key "scratch" of the admin
	SpareID    int64

	APIURL string   // what the child calls; srv.URL() unless a test wraps the fake
	Cred   []string // credential variables; NEON_API_KEY=<admin token> unless a test changes them
}

// NewMCPWorld starts a seeded fake Neon API with the spare key, for the
// package's binary (Binary).
func NewMCPWorld(t *testing.T) *MCPWorld {
	t.Helper()
	return NewMCPWorldFor(t, Binary(t))
}

// NewMCPWorldFor is NewMCPWorld for the binary bin (PlainBinary, say).
func NewMCPWorldFor(t *testing.T, bin string) *MCPWorld {
	t.Helper()
	srv := neontest.New(t)
	fx := srv.Seed()
	w := &MCPWorld{Srv: srv, Fx: fx, Bin: bin, APIURL: srv.URL(), Cred: []string{"NEON_API_KEY=" + fx.AdminToken}}
	w.SpareToken, w.SpareID = srv.AddPersonalKey(fx.Admin.ID, "scratch")
	return w
}

// Env is the child's whole environment: the credential, the fake's URL and
// a private HOME, nothing inherited that could change its behaviour.
func (w *MCPWorld) Env(t *testing.T) []string {
	return Env(append([]string{"NEON_API_HOST=" + w.APIURL, "HOME=" + t.TempDir()}, w.Cred...)...)
}

// knownTokens are the tokens the fixture planted; a token found in output
// that is not among them was minted during the test.
func (w *MCPWorld) knownTokens() []string {
	return []string{w.Fx.AdminToken, w.Fx.MemberToken, w.Fx.OrgKeyToken, w.Fx.ProjectKeyToken, w.SpareToken}
}

// MintedTokens returns the tokens in s that the fixture did not plant.
func (w *MCPWorld) MintedTokens(s string) []string {
	var out []string
	for _, tok := range testkit.TokenPattern.FindAllString(s, -1) {
		if !slices.Contains(w.knownTokens(), tok) && !slices.Contains(out, tok) {
			out = append(out, tok)
		}
	}
	return out
}

// AssertMutations checks the fake saw exactly want POST/DELETE requests.
func (w *MCPWorld) AssertMutations(t *testing.T, want int) []neontest.Request {
	t.Helper()
	muts := w.Srv.Mutations()
	if len(muts) != want {
		var got []string
		for _, m := range muts {
			got = append(got, m.Method+" "+m.Path)
		}
		t.Fatalf("fake API saw %d mutating requests %v, want %d", len(muts), got, want)
	}
	return muts
}

// ---- Go SDK client ----

// GoSession is a go-sdk client connected to a neonkeys mcp child.
type GoSession struct {
	cs     *mcp.ClientSession
	stderr *testkit.SyncBuffer
}

// StartGo spawns `neonkeys mcp args...` and connects the go-sdk client
// (which negotiates the 2026-07-28 protocol) with the given options.
func StartGo(t *testing.T, w *MCPWorld, opts *mcp.ClientOptions, args ...string) *GoSession {
	t.Helper()
	cmd := exec.Command(w.Bin, append([]string{"mcp"}, args...)...)
	cmd.Env = w.Env(t)
	stderr := &testkit.SyncBuffer{}
	cmd.Stderr = stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "neonkeys-e2e-gosdk", Version: "0.0.1"}, opts)
	ctx, cancel := context.WithTimeout(context.Background(), CallTimeout)
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
	return &GoSession{cs: cs, stderr: stderr}
}

// Tools lists the served tools by name.
func (s *GoSession) Tools(t *testing.T) map[string]*mcp.Tool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), CallTimeout)
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

// Call calls a tool and fails the test on a protocol error; a tool error
// (isError) is returned for the caller to check.
func (s *GoSession) Call(t *testing.T, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	res, err := s.CallErr(name, args)
	if err != nil {
		t.Fatalf("tools/call %s: %v", name, err)
	}
	return res
}

// CallErr calls a tool and returns a protocol error instead of failing.
func (s *GoSession) CallErr(name string, args map[string]any) (*mcp.CallToolResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), CallTimeout)
	defer cancel()
	return s.cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
}

// TextOf joins the text blocks of a result.
func TextOf(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// AllOf is everything a client sees of a result: text and structured content.
func AllOf(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatalf("encode structuredContent: %v", err)
	}
	return TextOf(res) + "\n" + string(b)
}

// Decode converts structuredContent into v.
func Decode(t *testing.T, structured any, v any) {
	t.Helper()
	b, err := json.Marshal(structured)
	if err != nil {
		t.Fatalf("encode structuredContent: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode structuredContent %s: %v", b, err)
	}
}

// ElicitRecorder answers elicitation requests with one action and
// remembers every message it was shown.
type ElicitRecorder struct {
	Action string // accept, decline or cancel

	mu       sync.Mutex
	messages []string
}

// Handle is the client's elicitation handler.
func (r *ElicitRecorder) Handle(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
	r.mu.Lock()
	r.messages = append(r.messages, req.Params.Message)
	r.mu.Unlock()
	if r.Action != "accept" {
		return &mcp.ElicitResult{Action: r.Action}, nil
	}
	return &mcp.ElicitResult{Action: "accept", Content: FillForm(req.Params.RequestedSchema)}, nil
}

// Seen returns the messages the human was shown so far.
func (r *ElicitRecorder) Seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.messages)
}

// FillForm answers a form the way a person who agrees would: booleans
// true, a constant or the first enum value where given, the default else.
func FillForm(schema any) map[string]any {
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

// RawOptions configure a raw session.
type RawOptions struct {
	Args   []string // after "mcp"
	Elicit string   // "" declares no elicitation capability; else accept/decline/cancel
}

// RawSession drives `neonkeys mcp` over plain pipes with a JSON-RPC
// connection, keeping every byte the child wrote to stdout and stderr.
type RawSession struct {
	Conn   *jsonrpc2.Conn
	Stdin  *lockedWriter
	Stdout *testkit.SyncBuffer // a copy of every byte read from the child's stdout
	Stderr *testkit.SyncBuffer
	Exited chan struct{} // closed when the child has exited
	Cmd    *exec.Cmd
	elicit string // how this client answers elicitation/create ("" cannot)

	mu           sync.Mutex
	elicitations []json.RawMessage
}

// lockedWriter serializes writes so raw test bytes never split a
// message the JSON-RPC connection is writing.
type lockedWriter struct {
	mu sync.Mutex
	w  io.WriteCloser
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Close()
}

// pipeRWC is the connection's view of the child: reads from its stdout
// (teed into a buffer), writes to its stdin.
type pipeRWC struct {
	r io.Reader
	w io.WriteCloser
}

func (p pipeRWC) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p pipeRWC) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p pipeRWC) Close() error                { return p.w.Close() }

// StartRaw spawns the child without handshaking; call initialize next
// (or write raw bytes first).
func StartRaw(t *testing.T, w *MCPWorld, opts RawOptions) *RawSession {
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
	cmd := exec.Command(w.Bin, append([]string{"mcp"}, opts.Args...)...)
	cmd.Env = w.Env(t)
	cmd.Stdin, cmd.Stdout = inR, outW
	s := &RawSession{
		Stdin:  &lockedWriter{w: inW},
		Stdout: &testkit.SyncBuffer{},
		Stderr: &testkit.SyncBuffer{},
		Exited: make(chan struct{}),
		Cmd:    cmd,
		elicit: opts.Elicit,
	}
	cmd.Stderr = s.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start neonkeys mcp: %v", err)
	}
	_ = inR.Close()
	_ = outW.Close()
	go func() {
		_ = cmd.Wait()
		close(s.Exited)
	}()

	handler := jsonrpc2.HandlerWithError(func(ctx context.Context, _ *jsonrpc2.Conn, req *jsonrpc2.Request) (any, error) {
		return s.handle(opts.Elicit, req)
	})
	rwc := pipeRWC{r: io.TeeReader(outR, s.Stdout), w: s.Stdin}
	s.Conn = jsonrpc2.NewConn(context.Background(), jsonrpc2.NewPlainObjectStream(rwc), handler,
		jsonrpc2.SetLogger(discardLogger{}))
	t.Cleanup(func() {
		_ = s.Conn.Close()
		_ = s.Stdin.Close()
		select {
		case <-s.Exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-s.Exited
			t.Errorf("neonkeys mcp did not exit within 10 s of its stdin closing")
		}
		_ = outR.Close()
		if t.Failed() {
			t.Logf("neonkeys mcp stderr:\n%s", s.Stderr)
		}
	})
	return s
}

// discardLogger silences jsonrpc2's notes about responses without a
// request (the parse-error reply to a malformed line has id null).
type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

// handle answers the server's own requests: elicitation per the session's
// choice, ping; anything else is not supported.
func (s *RawSession) handle(action string, req *jsonrpc2.Request) (any, error) {
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
		return map[string]any{"action": "accept", "content": FillForm(p.RequestedSchema)}, nil
	}
	if req.Notif {
		return nil, nil
	}
	return nil, &jsonrpc2.Error{Code: jsonrpc2.CodeMethodNotFound, Message: "method not found: " + req.Method}
}

// Elicited returns the params of every elicitation/create so far.
func (s *RawSession) Elicited() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.elicitations)
}

// Initialize performs the legacy (2025-11-25) handshake.
func (s *RawSession) Initialize(t *testing.T, elicitation bool) {
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
	err := s.CallInto("initialize", map[string]any{
		"protocolVersion": "2025-11-25",
		"capabilities":    caps,
		"clientInfo":      map[string]any{"name": "neonkeys-e2e-raw", "version": "0.0.1"},
	}, &res)
	if err != nil {
		t.Fatalf("initialize: %v\nstderr:\n%s", err, s.Stderr)
	}
	if res.ProtocolVersion != "2025-11-25" {
		t.Fatalf("initialize negotiated %q, want 2025-11-25", res.ProtocolVersion)
	}
	if len(res.Capabilities.Tools) == 0 {
		t.Fatalf("initialize result declares no tools capability")
	}
	ctx, cancel := context.WithTimeout(context.Background(), CallTimeout)
	defer cancel()
	if err := s.Conn.Notify(ctx, "notifications/initialized", map[string]any{}); err != nil {
		t.Fatalf("notifications/initialized: %v", err)
	}
}

// CallInto sends one JSON-RPC request and decodes its result into result.
func (s *RawSession) CallInto(method string, params, result any, opts ...jsonrpc2.CallOption) error {
	ctx, cancel := context.WithTimeout(context.Background(), CallTimeout)
	defer cancel()
	return s.Conn.Call(ctx, method, params, result, opts...)
}

// RawResult is a tools/call result as it crossed the wire. A
// 2026-07-28 result asking for input has resultType "input_required",
// inputRequests and the opaque requestState to echo.
type RawResult struct {
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	StructuredContent json.RawMessage         `json:"structuredContent"`
	IsError           bool                    `json:"isError"`
	ResultType        string                  `json:"resultType"`
	InputRequests     map[string]InputRequest `json:"inputRequests"`
	RequestState      string                  `json:"requestState"`
}

// InputRequest is one request embedded in an input-required result.
type InputRequest struct {
	Method string `json:"method"`
	Params struct {
		Message         string          `json:"message"`
		RequestedSchema json.RawMessage `json:"requestedSchema"`
	} `json:"params"`
}

// Text joins the text blocks of the result.
func (r RawResult) Text() string {
	var parts []string
	for _, c := range r.Content {
		parts = append(parts, c.Text)
	}
	return strings.Join(parts, "\n")
}

// CallTool calls a tool; a JSON-RPC error fails the test.
func (s *RawSession) CallTool(t *testing.T, name string, args any) RawResult {
	t.Helper()
	var res RawResult
	if err := s.CallInto("tools/call", map[string]any{"name": name, "arguments": args}, &res); err != nil {
		t.Fatalf("tools/call %s: %v\nstderr:\n%s", name, err, s.Stderr)
	}
	return res
}

// ToolNames lists the served tools.
func (s *RawSession) ToolNames(t *testing.T) []string {
	t.Helper()
	var res struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := s.CallInto("tools/list", map[string]any{}, &res); err != nil {
		t.Fatalf("tools/list: %v\nstderr:\n%s", err, s.Stderr)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	return names
}

// WriteRaw writes bytes to the child's stdin as they are.
func (s *RawSession) WriteRaw(t *testing.T, b []byte) {
	t.Helper()
	if _, err := s.Stdin.Write(b); err != nil {
		t.Fatalf("write to stdin: %v", err)
	}
}

// StdoutLines are the child's stdout lines so far (the last one may still
// be partial while the child runs).
func (s *RawSession) StdoutLines() []string {
	var out []string
	for _, l := range strings.Split(s.Stdout.String(), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// AssertStdoutIsJSONRPC checks each stdout line is exactly one JSON-RPC
// object: a stray log line would corrupt a real client's stream.
func (s *RawSession) AssertStdoutIsJSONRPC(t *testing.T) {
	t.Helper()
	out := s.Stdout.String()
	if out != "" && !strings.HasSuffix(out, "\n") {
		t.Errorf("stdout does not end with a newline: %q", Tail(out))
	}
	for i, line := range s.StdoutLines() {
		var msg map[string]json.RawMessage
		dec := json.NewDecoder(strings.NewReader(line))
		if err := dec.Decode(&msg); err != nil {
			t.Errorf("stdout line %d is not a JSON object: %v: %q", i+1, err, Tail(line))
			continue
		}
		if dec.More() {
			t.Errorf("stdout line %d holds more than one JSON value: %q", i+1, Tail(line))
		}
		if string(msg["jsonrpc"]) != `"2.0"` {
			t.Errorf("stdout line %d is not JSON-RPC 2.0: %q", i+1, Tail(line))
		}
	}
}

// Tail shortens long text for failure messages.
func Tail(s string) string {
	if len(s) > 300 {
		return s[:300] + fmt.Sprintf("… (%d bytes)", len(s))
	}
	return s
}

// CountLines counts the stdout lines that contain sub.
func CountLines(lines []string, sub string) int {
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

// ConfirmID is the id under which the guard asks its one question.
const ConfirmID = "confirm"

// ModernMeta is the _meta of a 2026-07-28 request.
func ModernMeta(elicit bool) map[string]any {
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

// Call describes one tools/call as a client of either era writes it.
type Call struct {
	Tool   string
	Args   map[string]any
	Modern bool // carry 2026-07-28 _meta, declaring elicitation unless noElicit
	// noElicit declares no capability on a modern request: the confirm gate
	// alone guards it.
	NoElicit bool
	State    string // requestState to send back; "" sends none
	Answer   string // action of inputResponses["confirm"]; "" sends none
}

func (c Call) params() map[string]any {
	p := map[string]any{"name": c.Tool, "arguments": c.Args}
	if c.Modern {
		p["_meta"] = ModernMeta(!c.NoElicit)
	}
	if c.State != "" {
		p["requestState"] = c.State
	}
	if c.Answer != "" {
		resp := map[string]any{"action": c.Answer}
		if c.Answer == "accept" {
			resp["content"] = map[string]any{"confirm": true}
		}
		p["inputResponses"] = map[string]any{ConfirmID: resp}
	}
	return p
}

// Call sends c; a JSON-RPC error fails the test.
func (s *RawSession) Call(t *testing.T, c Call) RawResult {
	t.Helper()
	var res RawResult
	if err := s.CallInto("tools/call", c.params(), &res); err != nil {
		t.Fatalf("tools/call %s: %v\nstderr:\n%s", c.Tool, err, s.Stderr)
	}
	return res
}

// IssueState makes a modern call that the guard answers with a question
// for the human, and returns the question and the sealed state.
func (s *RawSession) IssueState(t *testing.T, tool string, args map[string]any) (question InputRequest, state string) {
	t.Helper()
	res := s.Call(t, Call{Tool: tool, Args: args, Modern: true})
	q, ok := res.InputRequests[ConfirmID]
	if res.ResultType != "input_required" || !ok || res.RequestState == "" {
		t.Fatalf("%s with confirm and an eliciting modern client: resultType=%q inputRequests=%v state=%d bytes, "+
			"want an input_required result asking %q with a requestState: %s",
			tool, res.ResultType, Keys(res.InputRequests), len(res.RequestState), ConfirmID, res.Text())
	}
	if q.Method != "elicitation/create" {
		t.Fatalf("input request method %q, want elicitation/create", q.Method)
	}
	return q, res.RequestState
}

// Confirmed calls tool with args (which carry confirm: true) as a client
// of era that declares elicitation, the human answering with the session's
// action: a modern client gets the question in an input_required result and
// calls again with the sealed state and the answer; a legacy client is asked
// by elicitation/create in the middle of the call. It returns the question
// the human saw and the final answer.
func (s *RawSession) Confirmed(t *testing.T, modern bool, tool string, args map[string]any) (question string, res RawResult) {
	t.Helper()
	if s.elicit == "" {
		t.Fatal("confirmed needs a session that answers elicitation")
	}
	if modern {
		q, state := s.IssueState(t, tool, args)
		return q.Params.Message, s.Call(t, Call{Tool: tool, Args: args, Modern: true, State: state, Answer: s.elicit})
	}
	before := len(s.Elicited())
	res = s.CallTool(t, tool, args)
	asked := s.Elicited()[before:]
	if len(asked) != 1 {
		t.Fatalf("%s: the human was asked %d times, want once", tool, len(asked))
	}
	return ElicitMessage(t, asked[0]), res
}

// ElicitMessage is the message of an elicitation/create request's params.
func ElicitMessage(t *testing.T, params json.RawMessage) string {
	t.Helper()
	var p struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(params, &p); err != nil {
		t.Fatalf("elicitation/create params %s: %v", params, err)
	}
	return p.Message
}

// These tests speak JSON-RPC over the child's pipes with sourcegraph/jsonrpc2
// and the legacy handshake (initialize, protocol 2025-11-25), holding every
// byte the child writes.

// StartRawReady starts a raw session and performs the legacy handshake,
// declaring elicitation when opts answer it.
func StartRawReady(t *testing.T, w *MCPWorld, opts RawOptions) *RawSession {
	t.Helper()
	s := StartRaw(t, w, opts)
	s.Initialize(t, opts.Elicit != "")
	return s
}

// WaitFor polls cond for up to 20 s.
func WaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
