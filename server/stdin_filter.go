package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/mark3labs/mcp-go/mcp"
)

// inputFilter stands between the client's stdin and mcp-go, which would
// take the last of two duplicate keys (an elicitation answer
// {"action":"decline","action":"accept"} reads as accept), serve tools/call
// before initialize, and let a later request replace the capabilities the
// session declared: a second initialize, or a 2026-07-28 request (mcp-go
// copies each one's _meta capabilities onto the session, in its
// applyRequestProtocolInfoToSession), could turn its own confirmation dialog
// off. It passes every other line through unchanged, one at a time, and
// answers what it refuses itself, through the same serialised stdout.
type inputFilter struct {
	out  *courier        // one Write per message; it also reports answers
	done <-chan struct{} // closed when the session ends

	initialized bool         // an initialize was answered with a result
	init        *pendingInit // an initialize forwarded, its answer not yet seen
	declared    bool         // a stateless-era request declared the client
	// elicits: the session declared form elicitation (at initialize or in a
	// 2026-07-28 request). From then on a request declaring capabilities
	// without it is refused: a session cannot turn its own guard off.
	elicits bool
}

// pendingInit is an initialize mcp-go has not answered yet: only its answer
// tells whether the session is initialized (an initialize mcp-go refuses,
// malformed or of the wrong era, leaves it uninitialized, so a corrected
// retry must be served).
type pendingInit struct {
	answered <-chan bool // true: answered with a result
	elicits  bool        // it declared form elicitation
	late     bool        // initAnswerWait passed once: stop waiting for it
}

// initAnswerWait bounds how long the filter holds the next request while
// mcp-go answers an initialize (it answers at once: no I/O but the write).
// Held, the request is judged after that answer, as the client meant it to
// be; past the bound it is judged as uninitialized (it fails closed).
const initAnswerWait = 5 * time.Second

// JSON-RPC error codes of the refusals.
const (
	codeInvalidRequest = mcp.INVALID_REQUEST
)

// run copies lines from in to mcp (mcp-go's stdin) until in ends or mcp is
// closed, then closes mcp so mcp-go sees the end of input.
func (f *inputFilter) run(in io.Reader, mcpIn *io.PipeWriter) {
	r := bufio.NewReaderSize(in, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			if werr := f.pass(line, mcpIn); werr != nil {
				return // mcp-go stopped reading: the session is over
			}
		}
		if err != nil {
			_ = mcpIn.CloseWithError(io.EOF)
			return
		}
	}
}

// pass forwards line to mcp-go, or answers it, or forwards what replaces it.
func (f *inputFilter) pass(line []byte, mcpIn io.Writer) error {
	msg, ok := inspect(line)
	if !ok {
		// Not one JSON value: mcp-go answers the parse error.
		_, err := mcpIn.Write(line)
		return err
	}
	switch reply, forward := f.decide(msg); {
	case reply != nil:
		_, _ = f.out.Write(reply) // a failed write is the client's loss; keep reading
		return nil
	case forward != nil:
		_, err := mcpIn.Write(forward)
		return err
	}
	_, err := mcpIn.Write(line)
	return err
}

// decide returns an answer to send the client instead of forwarding, or
// lines to forward instead of the original, or neither (forward as is).
func (f *inputFilter) decide(m message) (reply, forward []byte) {
	if m.dupKey != "" {
		return f.refuseDuplicate(m)
	}
	if !m.request() {
		return nil, nil
	}
	f.settleInit()
	id := m.ids[0]
	if text := f.refusal(m); text != "" {
		return errorLine(id, codeInvalidRequest, text), nil
	}
	switch {
	case m.method == string(mcp.MethodInitialize) && !m.modern:
		f.init = &pendingInit{answered: f.out.awaitInitAnswer(id), elicits: formElicits(m.caps)}
	case m.declares():
		// mcp-go copies its capabilities onto the session before it looks
		// at the method, even for an initialize it then refuses; that
		// refusal declares nobody, though.
		f.elicits = f.elicits || formElicits(m.caps)
		f.declared = f.declared || m.method != string(mcp.MethodInitialize)
	}
	return nil, nil
}

// refusal says why request m is refused, or "" to forward it.
func (f *inputFilter) refusal(m message) string {
	legacyInit := m.method == string(mcp.MethodInitialize) && !m.modern
	switch {
	case legacyInit && m.answerLike:
		// mcp-go would take it for an answer and never reply: the
		// session could not tell whether it is initialized.
		return "an initialize must not carry a result or an error member"
	case legacyInit && f.init != nil:
		return "an initialize is still unanswered: a second one is refused"
	case legacyInit && f.initialized:
		return "the session is already initialized: a second initialize is refused"
	case f.elicits && m.caps != nil && !formElicits(m.caps):
		return "refused: this session declared the elicitation capability, and a request declaring capabilities " +
			"without it would turn off the user's confirmation dialog; declare elicitation on every request"
	case legacyInit, m.modern:
		// The stateless era has no handshake: mcp-go serves (or refuses)
		// each request on the version and capabilities it declares.
		return ""
	case m.method == string(mcp.MethodPing), f.initialized, f.declared:
		return ""
	}
	return "the session is not initialized: send initialize first"
}

// settleInit applies the answer to a pending initialize, if it came.
func (f *inputFilter) settleInit() {
	if f.init == nil {
		return
	}
	ok, answered := f.init.wait(f.done)
	if !answered {
		return
	}
	f.initialized = ok
	// Its elicitation counts even when the answer was an error: that error
	// may be another in-flight request's under the same id, while mcp-go
	// stored these capabilities (fail safe: only refusals follow from it).
	f.elicits = f.elicits || f.init.elicits
	f.init = nil
}

// wait waits for the answer at most initAnswerWait the first time, and
// after that only looks; it gives up when the session ends.
func (p *pendingInit) wait(done <-chan struct{}) (ok, answered bool) {
	if p.late {
		select {
		case ok := <-p.answered:
			return ok, true
		default:
			return false, false
		}
	}
	t := time.NewTimer(initAnswerWait)
	defer t.Stop()
	select {
	case ok := <-p.answered:
		return ok, true
	case <-done:
	case <-t.C:
	}
	p.late = true
	return false, false
}

// refuseDuplicate: a request with a duplicate key gets an error; a response
// (the client's answer to an elicitation) is replaced by an error response
// for each id it named, so what waits on it fails instead of reading one of
// two values; a notification is dropped.
func (f *inputFilter) refuseDuplicate(m message) (reply, forward []byte) {
	text := fmt.Sprintf("refused: the key %q appears more than once in one object", clip(m.dupKey))
	switch {
	case m.request():
		id := json.RawMessage("null")
		if len(m.ids) == 1 {
			id = m.ids[0]
		}
		return errorLine(id, codeInvalidRequest, text), nil
	case len(m.ids) > 0 && !m.hasMethod:
		for _, id := range m.ids {
			forward = append(forward, errorLine(id, codeInvalidRequest, text)...)
		}
		return nil, forward
	}
	return nil, []byte{} // a notification: dropped
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// errorLine is a JSON-RPC error response line.
func errorLine(id json.RawMessage, code int, text string) []byte {
	b, err := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}{JSONRPC: mcp.JSONRPC_VERSION, ID: id, Error: struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{code, text}})
	if err != nil {
		// An id that does not re-encode (cannot happen: it was decoded).
		return errorLine(json.RawMessage("null"), code, text)
	}
	return append(b, '\n')
}

// message is what the filter needs to know of one client line.
type message struct {
	dupKey    string            // a key found twice in one object, at any depth
	hasMethod bool              // a method member is present
	method    string            // its value, when a string
	ids       []json.RawMessage // every top-level id value, distinct
	// answerLike: a result or error member that is not null (mcp-go
	// treats such a message as an answer to its own request).
	answerLike bool
	modern     bool // params._meta declares a 2026-07-28+ protocol version
	// caps are the client capabilities the request declares, as mcp-go
	// reads them: params._meta's in the 2026-07-28 era, an initialize's
	// params.capabilities (absent: none) before; nil when it declares none.
	caps         *mcp.ClientCapabilities
	validVersion bool // the _meta version is one mcp-go serves
}

// declares: a 2026-07-28 request mcp-go accepts as declaring the client,
// whose capabilities it copies onto the session.
func (m message) declares() bool { return m.modern && m.validVersion && m.caps != nil }

// formElicits reports whether caps declare form elicitation, by the rule
// the guard applies (tools/guard.go clientElicits): an empty elicitation
// capability means form; url alone does not.
func formElicits(caps *mcp.ClientCapabilities) bool {
	if caps == nil || caps.Elicitation == nil {
		return false
	}
	return caps.Elicitation.Form != nil || caps.Elicitation.URL == nil
}

// request: a method and an id (a notification has no id).
func (m message) request() bool { return m.hasMethod && len(m.ids) > 0 }

// How the filter reads a message. encoding/json, mcp-go's decoder, matches
// a member to a struct field by Unicode simple case folding ("Method",
// "ID", "paramſ" are method, id, params), so a filter reading members by
// exact name sees another message than mcp-go serves. The filter therefore
// reads every member through encoding/json into structs tagged as mcp-go's
// (in its MCPServer.HandleMessage and extractRequestProtocolInfo) and into
// mcp-go's own types
// (mcp.InitializeRequest, mcp.Meta, mcp.ClientCapabilities): whatever the
// spelling, both read the same member. duplicateKey, which folds the same
// way, has already refused an object with two members of one fold, so that
// read is unambiguous. The alternatives: refusing every key that is not
// the canonical spelling of a field it folds to needs the field names of
// every mcp-go type a message reaches, and goes stale with mcp-go; and
// forwarding a re-encoding of the filter's decode instead of the line
// would rewrite the tool arguments and unknown members, which must reach
// the tools' strict argument check (tools/args.go bind) byte for byte. So
// the line is forwarded unchanged, and read as mcp-go reads it.

// envelope is a message's JSON-RPC members, read as mcp-go reads them.
type envelope struct {
	Method json.RawMessage `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

// metaWrapper is params._meta as mcp-go's extractRequestProtocolInfo reads
// it (a message it fails to decode is of the legacy era).
type metaWrapper struct {
	Params struct {
		Meta *mcp.Meta `json:"_meta"`
	} `json:"params"`
}

// inspect reads one line as a JSON value. ok is false when it is not one
// JSON object (mcp-go then answers the parse or request error itself).
func inspect(line []byte) (m message, ok bool) {
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		return m, false
	}
	if k, dup := duplicateKey(trimmed); dup {
		m.dupKey = k
	}
	var env envelope
	if err := json.Unmarshal(trimmed, &env); err != nil {
		return m, false
	}
	m.hasMethod = env.Method != nil
	_ = json.Unmarshal(env.Method, &m.method)
	// An id of null is no id: mcp-go serves such a message as a notification.
	m.ids = slices.DeleteFunc(topLevelValues(trimmed, "id"), func(v json.RawMessage) bool { return string(v) == "null" })
	m.answerLike = notNull(env.Result) || notNull(env.Error)
	m.readParams(trimmed)
	return m, true
}

func notNull(v json.RawMessage) bool { return len(v) > 0 && string(v) != "null" }

// readParams reads the era and the declared capabilities of msg as mcp-go
// reads them.
func (m *message) readParams(msg []byte) {
	var w metaWrapper
	if json.Unmarshal(msg, &w) != nil {
		w.Params.Meta = nil
	}
	version := w.Params.Meta.ProtocolVersion()
	m.modern = mcp.IsModernProtocol(version)
	switch {
	case m.modern:
		m.validVersion = mcp.IsValidProtocolVersion(version)
		m.caps = w.Params.Meta.ClientCapabilities()
	case m.method == string(mcp.MethodInitialize):
		// mcp-go stores the capabilities of an initialize that decodes,
		// absent ones (no params at all, too) as none.
		var req mcp.InitializeRequest
		if json.Unmarshal(msg, &req) == nil {
			m.caps = &req.Params.Capabilities
		}
	}
}

// topLevelValues returns the distinct values of every top-level member
// whose name encoding/json matches to a field tagged key (equal up to case
// folding): a valid object holds one, a hostile one several.
func topLevelValues(obj []byte, key string) []json.RawMessage {
	want := foldKey(key)
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil {
		return nil
	}
	var out []json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return out
		}
		if k, _ := tok.(string); foldKey(k) == want && !containsRaw(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func containsRaw(list []json.RawMessage, v json.RawMessage) bool {
	for _, e := range list {
		if bytes.Equal(e, v) {
			return true
		}
	}
	return false
}

// duplicateKey returns a key that some object in doc holds twice, at any
// depth. Keys that differ only in case count as the same: encoding/json
// (mcp-go's decoder) matches struct fields case-insensitively, so
// {"action":"decline","Action":"accept"} would read as accept too.
func duplicateKey(doc []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	type frame struct {
		object bool
		seen   map[string]bool
		key    bool // the next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false // io.EOF at the end; invalid input is not ours to judge
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if k, isKey := tok.(string); isKey && top != nil && top.object && top.key {
			folded := foldKey(k)
			if top.seen[folded] {
				return k, true
			}
			top.seen[folded] = true
			top.key = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, seen: map[string]bool{}, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: in an object, a key comes next.
		if len(stack) == 0 {
			return "", false
		}
		if top := stack[len(stack)-1]; top.object {
			top.key = true
		}
	}
}

// foldKey maps s to one representative of its case-folding class, so two
// keys encoding/json would match to the same field fold to the same string.
func foldKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}
