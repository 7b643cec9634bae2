package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"

	"github.com/mark3labs/mcp-go/mcp"
)

// inputFilter stands between the client's stdin and mcp-go, which would
// take the last of two duplicate keys (an elicitation answer
// {"action":"decline","action":"accept"} reads as accept), serve tools/call
// before initialize, and let a second initialize replace the capabilities
// the first declared (a session could turn its own confirmation dialog off).
// It passes every other line through unchanged, one at a time, and answers
// what it refuses itself, through the same serialised stdout.
type inputFilter struct {
	out         io.Writer // the courier: one Write per message
	initialized bool      // a legacy initialize went through
	declared    bool      // a stateless-era request declared the client
}

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
	initialize := m.method == string(mcp.MethodInitialize)
	switch {
	case m.modern:
		// The stateless era has no handshake (mcp-go refuses its initialize):
		// each request declares its version and capabilities, and mcp-go
		// records them on the session as a handshake would.
		f.declared = true
	case initialize && f.initialized:
		return errorLine(m.ids[0], codeInvalidRequest, "the session is already initialized: a second initialize is refused"), nil
	case initialize:
		f.initialized = true
	case m.method == string(mcp.MethodPing), f.initialized, f.declared:
	default:
		return errorLine(m.ids[0], codeInvalidRequest, "the session is not initialized: send initialize first"), nil
	}
	return nil, nil
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
	modern    bool              // params._meta declares a 2026-07-28+ protocol version
}

// request: a method and an id (a notification has no id).
func (m message) request() bool { return m.hasMethod && len(m.ids) > 0 }

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
	var top map[string]json.RawMessage // duplicates in it: dupKey set above
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return m, false
	}
	method, hasMethod := top["method"]
	m.hasMethod = hasMethod
	_ = json.Unmarshal(method, &m.method)
	// An id of null is no id: mcp-go serves such a message as a notification.
	m.ids = slices.DeleteFunc(topLevelValues(trimmed, "id"), func(v json.RawMessage) bool { return string(v) == "null" })
	m.modern = modernRequest(top["params"])
	return m, true
}

// modernRequest reports whether params carry a protocol version of the
// stateless era (2026-07-28 or later), which has no initialize.
func modernRequest(params json.RawMessage) bool {
	var p struct {
		Meta *mcp.Meta `json:"_meta"`
	}
	if len(params) == 0 || json.Unmarshal(params, &p) != nil {
		return false
	}
	return mcp.IsModernProtocol(p.Meta.ProtocolVersion())
}

// topLevelValues returns the distinct values of every top-level member
// named key (a valid object holds one, a hostile one several).
func topLevelValues(obj []byte, key string) []json.RawMessage {
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
		if k, _ := tok.(string); k == key && !containsRaw(out, v) {
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
