package neontest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is an injected misbehaviour. Inject queues it; it applies to the
// next Count requests that match Method and Path. When several queued faults
// match, the oldest applies. A matched request still appears in the request
// log (Status 0 when no response was sent).
type Fault struct {
	// Matching. Empty matches any.
	Method string // e.g. "POST"
	Path   string // prefix of the path without BasePath, e.g. "/api_keys"
	Count  int    // number of requests to affect; 0 means 1

	// Status answers with this status instead of serving the request. The body
	// is a GeneralError with Message (default: the lower-case status text),
	// unless Body or EmptyBody say otherwise.
	Status      int
	Message     string
	RetryAfter  string // Retry-After header: seconds or an HTTP-date
	Body        string // raw body sent as is (non-JSON, truncated JSON...)
	EmptyBody   bool   // send no body at all
	ContentType string // default "application/json"
	// Header adds response headers (a Location for a redirect...).
	Header http.Header

	// EchoAuthorization answers 500 (or Status) with a GeneralError whose
	// message quotes the request's full Authorization header, as a careless
	// upstream might.
	EchoAuthorization bool

	// Delay waits this long (ending early if the request ends), then serves.
	Delay time.Duration
	// Hang blocks until the request's context ends (client gone or server closed).
	Hang bool
	// DropConnection closes the connection without any response.
	DropConnection bool
	// ResetMidBody serves the request (its effects happen), sends the headers
	// and half the body, then closes the connection.
	ResetMidBody bool

	// Processed lets the request take effect (e.g. a key is created) before a
	// Status, EchoAuthorization, Hang or DropConnection answer replaces the
	// real response. Without it those faults answer before any effect.
	Processed bool

	// Create-response tampering: applies only to the two create routes (POST
	// /api_keys, POST /organizations/{org_id}/api_keys). The key is created as
	// asked; only the answer lies.
	OmitKey        bool   // answer 200 without the "key" field
	EmptyKey       bool   // answer 200 with "key": ""
	WrongProjectID string // answer with this project_id instead of the real one
	Key            string // answer with this "key" instead of the new token
}

func (f *Fault) tampers() bool {
	return f.OmitKey || f.EmptyKey || f.WrongProjectID != "" || f.Key != ""
}

func (f *Fault) matches(method, path string, isCreate bool) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, method) {
		return false
	}
	if f.Path != "" && !strings.HasPrefix(path, f.Path) {
		return false
	}
	// A fault that only tampers with create responses waits for a create.
	if f.tampers() && !isCreate {
		return false
	}
	return true
}

// Inject queues faults.
func (s *Server) Inject(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range faults {
		if f.Count <= 0 {
			f.Count = 1
		}
		s.faults = append(s.faults, &f)
	}
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// PendingFaults reports how many fault applications are still queued.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.faults {
		n += f.Count
	}
	return n
}

// takeFault consumes one application of the oldest matching fault and
// returns a copy of it, or nil.
func (s *Server) takeFault(method, path string, isCreate bool) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if !f.matches(method, path, isCreate) {
			continue
		}
		cp := *f
		f.Count--
		if f.Count <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return &cp
	}
	return nil
}

// applyFault carries out f. It reports true when the request is fully
// handled, false when normal serving should continue (Delay, tampering).
func (s *Server) applyFault(c *call, f *Fault, h func(*call)) bool {
	c.fault = f
	if f.Delay > 0 && !s.wait(c.r.Context(), f.Delay) {
		s.dropConnection(c)
		return true
	}
	if f.tampers() {
		c.tamper = f
	}
	answers := f.Status != 0 || f.EchoAuthorization || f.Hang || f.DropConnection
	if f.ResetMidBody {
		c.capture = true
		h(c)
		s.resetMidBody(c)
		return true
	}
	if !answers {
		return false
	}
	if f.Processed {
		// Run the real handler for its effects, then discard its answer.
		c.capture = true
		h(c)
		c.capture = false
		c.status, c.respBody = 0, nil
	}
	switch {
	case f.Hang:
		select {
		case <-c.r.Context().Done():
		case <-s.done:
		}
		s.dropConnection(c)
	case f.DropConnection:
		s.dropConnection(c)
	case f.EchoAuthorization:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		c.fail(errf(status, "upstream rejected Authorization: %s", c.r.Header.Get("Authorization")))
	default:
		s.statusFault(c, f)
	}
	return true
}

func (s *Server) statusFault(c *call, f *Fault) {
	c.header = f.Header.Clone()
	if f.RetryAfter != "" {
		if c.header == nil {
			c.header = http.Header{}
		}
		c.header.Set("Retry-After", f.RetryAfter)
	}
	ct := f.ContentType
	if ct == "" {
		ct = "application/json"
	}
	switch {
	case f.EmptyBody:
		c.respond(f.Status, ct, []byte{})
	case f.Body != "":
		c.respond(f.Status, ct, []byte(f.Body))
	default:
		msg := f.Message
		if msg == "" {
			msg = strings.ToLower(http.StatusText(f.Status))
		}
		c.fail(errf(f.Status, "%s", msg))
	}
}

// dropConnection closes the connection without writing a response.
func (s *Server) dropConnection(c *call) {
	conn, _, err := http.NewResponseController(c.w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2, a recorder): the closest thing is a panic
		// that net/http turns into an aborted response.
		panic(http.ErrAbortHandler)
	}
	c.status, c.respBody = 0, nil
	s.logEnd(c)
	_ = conn.Close()
}

// resetMidBody writes the captured response's status line, headers (with
// the full Content-Length) and half its body, then closes the connection.
func (s *Server) resetMidBody(c *call) {
	status, body := c.status, c.respBody
	half := body[:len(body)/2]
	conn, bufrw, err := http.NewResponseController(c.w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	c.status, c.respBody = status, half
	s.logEnd(c)
	fmt.Fprintf(bufrw, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	fmt.Fprintf(bufrw, "Content-Type: application/json\r\nX-Request-Id: %s\r\n", c.reqID)
	fmt.Fprintf(bufrw, "Content-Length: %s\r\n\r\n", strconv.Itoa(len(body)))
	_, _ = bufrw.Write(half)
	_ = bufrw.Flush()
}
