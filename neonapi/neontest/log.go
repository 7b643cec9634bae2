package neontest

import (
	"net/http"
	"time"
)

// Request is one entry of the request log.
type Request struct {
	Method       string
	Path         string // without BasePath, e.g. "/api_keys/1000001"
	RawQuery     string
	Header       http.Header // a clone of the request headers
	Body         []byte
	RequestID    string // X-Request-ID sent, or the one the fake generated
	RemoteAddr   string
	Time         time.Time // by the fake's clock
	Status       int       // 0 when no response was sent (dropped, hung, cancelled)
	ResponseBody []byte    // what was sent (half of it for ResetMidBody)
	Fault        *Fault    // the injected fault that applied, if any
}

// logStart records the request as it arrives, so a hanging request is
// already visible; logEnd fills in the answer.
func (s *Server) logStart(c *call) *Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if s.logOff {
		return nil
	}
	e := &Request{
		Method:     c.r.Method,
		Path:       c.path,
		RawQuery:   c.r.URL.RawQuery,
		Header:     c.r.Header.Clone(),
		Body:       c.body,
		RequestID:  c.reqID,
		RemoteAddr: c.r.RemoteAddr,
		Time:       s.nowLocked(),
	}
	if len(s.log) >= s.logLimit {
		// Drop the oldest tenth at once so trimming stays cheap per request.
		drop := max(1, s.logLimit/10)
		n := copy(s.log, s.log[drop:])
		clear(s.log[n:])
		s.log = s.log[:n]
	}
	s.log = append(s.log, e)
	return e
}

// logEnd records c's answer. It runs before the answer (or the closed
// connection) reaches the client, so a client that saw it also sees the
// log entry, and again when the handler returns; it is idempotent.
func (s *Server) logEnd(c *call) {
	e := c.entry
	if e == nil {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	e.Status = c.status
	e.ResponseBody = c.respBody
	e.Fault = c.fault
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request {
	return s.requests(func(*Request) bool { return true })
}

// Mutations returns the POST and DELETE entries of the request log.
func (s *Server) Mutations() []Request {
	return s.requests(func(r *Request) bool {
		return r.Method == http.MethodPost || r.Method == http.MethodDelete
	})
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.log = nil
}

func (s *Server) requests(keep func(*Request) bool) []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	out := make([]Request, 0, len(s.log))
	for _, e := range s.log {
		if keep(e) {
			cp := *e
			cp.Header = e.Header.Clone()
			if e.Fault != nil {
				f := *e.Fault
				cp.Fault = &f
			}
			out = append(out, cp)
		}
	}
	return out
}
