// Package neontest is an in-memory fake of the Neon API v2 (the operations
// neonkeys uses), faithful to Neon's OpenAPI file, with fault injection and a
// request log. Tests start one with New(t); benchmarks and the fakeneon
// command use NewServer.
//
// The fake serves under BasePath ("/api/v2") so clients are exercised with a
// non-empty base path. It has its own wire structs on purpose: it must not
// share code with the client it checks.
//
// Where Neon's behaviour is not documented, the fake chooses; these are
// assumptions, not verified against Neon:
//   - Errors are GeneralError {"code":"","message",...,"request_id"}; 401
//     says "authentication failed" for a missing, unknown or revoked token.
//   - Revoked keys vanish from lists; revoking again answers 404.
//   - Lists are in creation (id) order; never-used keys have
//     "last_used_at": null and "last_used_from_addr": "".
//   - Organization and project-scoped keys get 404 "not allowed for
//     organization API keys" on the personal key routes and /users/me.
//   - Org key lists: members' personal keys and the org's org-wide keys may
//     read them; project-scoped keys may not (403). Minting needs an admin's
//     personal key; revoking, that or an org-wide key of the org (Neon's
//     matrix of operations and key types); 403 otherwise. An unknown org
//     answers like a foreign one: 403 "not an organization member".
//   - A project_id that is not a project of the org: 404; a malformed one: 400.
//   - GET /projects without org_id, personal key: the user's personal
//     projects (WithOrgIDRequired: 400 for users in 2+ orgs). The cursor is
//     the last project's id and is present on every non-empty page, so
//     clients must also stop on an empty page.
//   - key_name length counts characters (runes), 1..64; names are unique per
//     account (the user, or the org for org and project-scoped keys) among
//     live keys: 409 "choose another unique name for api key".
package neontest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BasePath is the path prefix of every route, as in https://console.neon.tech/api/v2.
const BasePath = "/api/v2"

// maxBodyBytes bounds request bodies; Neon's create bodies are tiny.
const maxBodyBytes = 1 << 20

// defaultLogLimit bounds the request log so long benchmarks do not grow
// without end; the oldest entries are dropped first.
const defaultLogLimit = 100000

// Option configures a Server.
type Option func(*config)

type config struct {
	clock         func() time.Time
	latency       time.Duration
	orgIDRequired bool
	logOff        bool
	logLimit      int
	listener      net.Listener
	tls           bool
}

// WithClock sets the clock used for created_at and last_used_at, so tests
// are deterministic. The default is time.Now.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithLatency makes every request wait d before it is answered (see SetLatency).
func WithLatency(d time.Duration) Option { return func(c *config) { c.latency = d } }

// WithOrgIDRequired makes GET /projects answer 400 "org_id is required" when
// a personal key of a user in two or more organizations omits org_id, as
// Neon's CLI reports some accounts do. By default such a call lists the
// user's personal projects.
func WithOrgIDRequired() Option { return func(c *config) { c.orgIDRequired = true } }

// WithoutRequestLog turns the request log off (benchmarks, fakeneon).
func WithoutRequestLog() Option { return func(c *config) { c.logOff = true } }

// WithRequestLogLimit keeps at most n log entries (the newest; the oldest
// tenth is dropped when full); n <= 0 means the default of 100000. Entries
// hold response bodies: long benchmarks should use WithoutRequestLog.
func WithRequestLogLimit(n int) Option { return func(c *config) { c.logLimit = n } }

// WithListener serves on l instead of a fresh loopback listener (fakeneon
// uses it to honour -addr). The Server takes ownership of l.
func WithListener(l net.Listener) Option { return func(c *config) { c.listener = l } }

// WithTLS serves https with a self-signed certificate that only Client
// trusts.
func WithTLS() Option { return func(c *config) { c.tls = true } }

// Server is a running fake Neon API. All methods are safe for concurrent use.
type Server struct {
	ts        *httptest.Server
	done      chan struct{} // closed by Close: ends hangs and waits
	closeOnce sync.Once

	clock         func() time.Time // set once by NewServer
	orgIDRequired bool             // set once by NewServer

	mu      sync.Mutex // guards st, latency, faults
	st      *store
	latency time.Duration
	faults  []*Fault

	// The log has its own lock: handlers may answer (and so log) while
	// holding mu.
	logMu    sync.Mutex
	log      []*Request
	logOff   bool
	logLimit int
}

// New starts a Server and closes it when tb's test ends.
func New(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := NewServer(opts...)
	tb.Cleanup(s.Close)
	return s
}

// NewServer starts a Server on a loopback port (or WithListener's listener).
// The caller must Close it.
func NewServer(opts ...Option) *Server {
	cfg := config{clock: time.Now, logLimit: defaultLogLimit}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logLimit <= 0 {
		cfg.logLimit = defaultLogLimit
	}
	s := &Server{
		done:          make(chan struct{}),
		st:            newStore(),
		clock:         cfg.clock,
		latency:       cfg.latency,
		orgIDRequired: cfg.orgIDRequired,
		logOff:        cfg.logOff,
		logLimit:      cfg.logLimit,
	}
	s.ts = httptest.NewUnstartedServer(s.Handler())
	if cfg.listener != nil {
		_ = s.ts.Listener.Close()
		s.ts.Listener = cfg.listener
	}
	if cfg.tls {
		s.ts.StartTLS()
	} else {
		s.ts.Start()
	}
	return s
}

// URL is the API base URL, e.g. "http://127.0.0.1:40123/api/v2".
func (s *Server) URL() string { return s.ts.URL + BasePath }

// Client returns an http.Client for the server (no proxy; with WithTLS it
// trusts the server's certificate).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close ends pending hangs and waits, drops client connections and stops the
// server. It is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.ts.CloseClientConnections()
		s.ts.Close()
	})
}

// SetLatency makes every later request wait d before it is answered; the
// wait ends early when the request's context ends.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	s.latency = d
	s.mu.Unlock()
}

// nowLocked reads the clock (immutable after NewServer; the name is kept for
// call sites under mu, where it reads best).
func (s *Server) nowLocked() time.Time { return s.clock().UTC() }

// Handler is the fake's http.Handler; it expects full paths (with BasePath).
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// call carries one request through routing, faults and the handler.
type call struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	path   string // without BasePath
	reqID  string
	body   []byte
	key    apiKey // the authenticated key (a copy), set by authenticate
	fault  *Fault // the fault applied to this request (a copy), if any
	tamper *Fault // create-response tampering, if a fault asked for it

	entry    *Request // this request's log entry, nil when the log is off
	capture  bool     // record the response without writing it (ResetMidBody)
	status   int
	respBody []byte
	header   http.Header // extra response headers (Retry-After)
}

// httpErr is an API error answered as a GeneralError body.
type httpErr struct {
	status int
	msg    string
}

func (e *httpErr) Error() string { return fmt.Sprintf("%d %s", e.status, e.msg) }

func errf(status int, format string, args ...any) *httpErr {
	return &httpErr{status: status, msg: fmt.Sprintf(format, args...)}
}

type generalError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"`
}

func (c *call) respond(status int, contentType string, body []byte) {
	c.status, c.respBody = status, body
	if c.capture {
		return
	}
	c.s.logEnd(c)
	h := c.w.Header()
	for k, v := range c.header {
		h[k] = v
	}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	if h.Get("X-Request-Id") == "" { // a Fault's Header may plant one
		h.Set("X-Request-Id", c.reqID)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.w.WriteHeader(status)
	_, _ = c.w.Write(body)
}

func (c *call) json(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.fail(errf(http.StatusInternalServerError, "neontest: encoding response: %v", err))
		return
	}
	c.respond(status, "application/json", b)
}

func (c *call) fail(err error) {
	var he *httpErr
	if !errors.As(err, &he) {
		he = errf(http.StatusInternalServerError, "%v", err)
	}
	c.json(he.status, generalError{Code: "", Message: he.msg, RequestID: c.reqID})
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := r.Header.Get("X-Request-ID")
	if reqID == "" {
		reqID = newUUID()
	}
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	path := r.URL.Path
	known := strings.HasPrefix(path, BasePath+"/")
	if known {
		path = strings.TrimPrefix(path, BasePath)
	}
	c := &call{s: s, w: w, r: r, path: path, reqID: reqID, body: body}
	c.entry = s.logStart(c)
	defer s.logEnd(c)

	if !s.wait(r.Context(), s.currentLatency()) {
		s.dropConnection(c) // no answer: net/http would otherwise send an empty 200
		return
	}
	h, isCreate := s.route(r.Method, path, known)
	if f := s.takeFault(r.Method, path, isCreate); f != nil {
		if s.applyFault(c, f, h) {
			return
		}
	}
	switch {
	case readErr != nil:
		c.fail(errf(http.StatusBadRequest, "reading request body: %v", readErr))
	case len(body) > maxBodyBytes:
		c.fail(errf(http.StatusRequestEntityTooLarge, "request body too large"))
	default:
		h(c)
	}
}

func (s *Server) currentLatency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latency
}

// wait sleeps d; it reports false when the request or the server ended first.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

// route maps a method and path (without BasePath) to its handler. isCreate
// tells whether the route mints a key (for create-response tampering).
func (s *Server) route(method, path string, known bool) (h func(*call), isCreate bool) {
	notFound := func(c *call) { c.fail(errf(http.StatusNotFound, "not found: %s %s", method, c.r.URL.Path)) }
	if !known {
		return notFound, false
	}
	seg := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for _, p := range seg {
		if p == "" {
			return notFound, false
		}
	}
	type r = func(*call)
	pick := func(get, post, del r) r {
		switch {
		case method == http.MethodGet && get != nil:
			return get
		case method == http.MethodPost && post != nil:
			return post
		case method == http.MethodDelete && del != nil:
			return del
		}
		return notFound
	}
	switch {
	case len(seg) == 1 && seg[0] == "api_keys":
		return pick(s.authed(s.listKeys), s.authed(s.createKey), nil), method == http.MethodPost
	case len(seg) == 2 && seg[0] == "api_keys":
		return pick(nil, nil, s.authed(s.revokeKey)), false
	case len(seg) == 3 && seg[0] == "organizations" && seg[2] == "api_keys":
		return pick(s.authed(s.listOrgKeys), s.authed(s.createOrgKey), nil), method == http.MethodPost
	case len(seg) == 3 && seg[0] == "organizations" && seg[2] == "members":
		return pick(s.authed(s.listMembers), nil, nil), false
	case len(seg) == 4 && seg[0] == "organizations" && seg[2] == "api_keys":
		return pick(nil, nil, s.authed(s.revokeOrgKey)), false
	case len(seg) == 1 && seg[0] == "projects":
		return pick(s.authed(s.listProjects), nil, nil), false
	case len(seg) == 2 && seg[0] == "projects":
		return pick(s.authed(s.getProject), nil, nil), false
	case len(seg) == 1 && seg[0] == "auth":
		return pick(s.authed(s.authDetails), nil, nil), false
	case len(seg) == 2 && seg[0] == "users" && seg[1] == "me":
		return pick(s.authed(s.currentUser), nil, nil), false
	case len(seg) == 3 && seg[0] == "users" && seg[1] == "me" && seg[2] == "organizations":
		return pick(s.authed(s.userOrgs), nil, nil), false
	}
	return notFound, false
}

// segment returns the i-th path segment (without BasePath).
func (c *call) segment(i int) string {
	seg := strings.Split(strings.TrimPrefix(c.path, "/"), "/")
	if i < len(seg) {
		return seg[i]
	}
	return ""
}

// authed wraps h with bearer authentication.
func (s *Server) authed(h func(*call)) func(*call) {
	return func(c *call) {
		if err := s.authenticate(c); err != nil {
			c.fail(err)
			return
		}
		h(c)
	}
}

// authenticate resolves the bearer token and records its use, as Neon
// updates last_used_at and last_used_from_addr on every authenticated call.
func (s *Server) authenticate(c *call) error {
	const scheme = "bearer "
	authz := c.r.Header.Get("Authorization")
	if len(authz) <= len(scheme) || !strings.EqualFold(authz[:len(scheme)], scheme) {
		return errf(http.StatusUnauthorized, msgAuthFailed)
	}
	token := strings.TrimSpace(authz[len(scheme):])
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.st.byToken[token]
	if k == nil || k.Revoked {
		return errf(http.StatusUnauthorized, msgAuthFailed)
	}
	k.LastUsedAt = s.nowLocked()
	k.LastUsedFrom = remoteIP(c.r.RemoteAddr)
	c.key = *k
	return nil
}

func remoteIP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// TokenValid reports whether tok authenticates (exists and is not revoked).
func (s *Server) TokenValid(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.st.byToken[tok]
	return k != nil && !k.Revoked
}
