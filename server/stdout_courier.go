package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// courier is the server's stdout. mcp-go writes each message with one Write
// (its stdio writeResponse, and the elicitation requests), after the tool
// handler returned: only here is it known whether the bytes carrying a new
// token reached the client. A tool registers the token it put in its answer
// (Expect); the Write that carries it settles it: delivered when the whole
// message was written, failed otherwise. At the end of the session (close)
// every token still unsettled counts as not delivered, and later writes fail.
type courier struct {
	writeMu sync.Mutex // one message at a time: stdout carries whole lines
	w       io.Writer

	mu      sync.Mutex
	pending []*delivery    // tokens not settled yet
	watches []*answerWatch // requests whose answer someone waits for
	closed  bool           // the session ended: nothing more goes out
	calls   sync.WaitGroup // settle callbacks running
}

// delivery is one token waiting for the Write that carries it.
type delivery struct {
	needle []byte // the token as json.Marshal writes it inside a string
	settle func(error)
	done   bool // settled (under courier.mu)
}

// errSessionEnded settles a token whose answer was never written in full.
var errSessionEnded = errors.New("the session ended before the answer carrying the token was written")

func newCourier(w io.Writer) *courier { return &courier{w: w} }

// Expect registers token as carried by an answer still to be written;
// settle is called once, with nil when a Write carrying it completed in
// full, or why not.
func (c *courier) Expect(token string, settle func(error)) {
	d := &delivery{needle: jsonStringBody(token), settle: settle}
	c.mu.Lock()
	closed := c.closed
	if !closed {
		c.pending = append(c.pending, d)
	}
	c.mu.Unlock()
	if closed {
		settle(errSessionEnded)
	}
}

// answerWatch waits for the answer to one request (its id canonical).
type answerWatch struct {
	id     string
	result chan bool // buffered: true when answered with a result
}

// awaitInitAnswer returns a channel that receives, when the answer to the
// initialize with this id goes out, whether it carried an initialize result
// (not an error). The input filter learns so whether mcp-go accepted it.
// A client may reuse the id of a request still in flight: an answer that is
// a result of another kind (no protocolVersion) is not taken for the
// initialize's, so a ping's {} cannot count as a successful handshake.
func (c *courier) awaitInitAnswer(id json.RawMessage) <-chan bool {
	w := &answerWatch{id: canonicalID(id), result: make(chan bool, 1)}
	c.mu.Lock()
	c.watches = append(c.watches, w)
	c.mu.Unlock()
	return w.result
}

// noteAnswer tells a watch whose request p answers. It looks before the
// write: the answer is decided by then, and a client that stopped reading
// must not hold the input filter.
func (c *courier) noteAnswer(p []byte) {
	c.mu.Lock()
	watching := len(c.watches) > 0
	c.mu.Unlock()
	if !watching {
		return
	}
	var msg struct {
		Method json.RawMessage `json:"method"`
		ID     json.RawMessage `json:"id"`
		Result *struct {
			ProtocolVersion string `json:"protocolVersion"`
		} `json:"result"`
		Error json.RawMessage `json:"error"`
	}
	// A message with a method is mcp-go's own request to the client (an
	// elicitation/create), whose id is no answer's.
	if json.Unmarshal(p, &msg) != nil || msg.ID == nil || msg.Method != nil {
		return
	}
	ok := msg.Result != nil && msg.Result.ProtocolVersion != "" && msg.Error == nil
	if !ok && msg.Error == nil {
		return // another request's result under the same id
	}
	id := canonicalID(msg.ID)
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, w := range c.watches {
		if w.id == id {
			w.result <- ok
			c.watches = slices.Delete(c.watches, i, i+1)
			return
		}
	}
}

// canonicalID is a JSON-RPC id as mcp-go writes it back: decoded into an
// any and encoded again (so 1.0 and 1 are one id).
func canonicalID(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return string(raw)
	}
	return string(b)
}

// Write writes p, one whole message, and settles the tokens it carries.
func (c *courier) Write(p []byte) (int, error) {
	c.noteAnswer(p)
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	carried, closed := c.carried(p)
	if closed {
		c.finish(carried, errSessionEnded)
		return 0, errSessionEnded
	}
	n, err := c.w.Write(p)
	switch {
	case err != nil:
		c.finish(carried, fmt.Errorf("writing the answer failed after %d of %d bytes: %w", n, len(p), err))
	case n != len(p):
		c.finish(carried, fmt.Errorf("the answer was cut after %d of %d bytes", n, len(p)))
	default:
		c.finish(carried, nil)
	}
	return n, err
}

// carried returns the unsettled deliveries whose token p carries.
func (c *courier) carried(p []byte) (carried []*delivery, closed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range c.pending {
		if bytes.Contains(p, d.needle) {
			carried = append(carried, d)
		}
	}
	return carried, c.closed
}

// finish settles each delivery not settled yet with err (nil: delivered).
// close may have settled one already, while its Write was blocked.
func (c *courier) finish(ds []*delivery, err error) {
	c.mu.Lock()
	var now []*delivery
	for _, d := range ds {
		if !d.done {
			d.done = true
			now = append(now, d)
		}
	}
	c.pending = slices.DeleteFunc(c.pending, func(d *delivery) bool { return d.done })
	// Counted under mu: close, once it marked everything done, waits for
	// these and no new ones can start.
	c.calls.Add(len(now))
	c.mu.Unlock()
	for _, d := range now {
		d.settle(err)
		c.calls.Done()
	}
}

// close ends the session: every token not yet written in full counts as
// not delivered (a Write still blocked on a client that stopped reading
// may finish later, but its key is withdrawn by then), no later Write goes
// out, and close returns once every settle callback has run. It does not
// wait for a blocked Write.
func (c *courier) close() {
	c.mu.Lock()
	c.closed = true
	rest := slices.Clone(c.pending)
	c.mu.Unlock()
	c.finish(rest, errSessionEnded)
	c.calls.Wait()
}

// jsonStringBody is s as it appears between the quotes of a JSON string
// written by encoding/json (mcp-go's encoder).
func jsonStringBody(s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return b[1 : len(b)-1]
}
