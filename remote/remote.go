// Package remote serves neonkeys' MCP tools over Streamable HTTP (neonkeys
// mcp --http): the same server as stdio (server.New), stateless, so that any
// number of instances behind a load balancer answer any request. Each
// request brings its own Neon credential (Authorization: Bearer) unless the
// deployment runs with a server credential behind an identity-aware proxy.
package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/internal/netx"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/server"
)

// DefaultAddr is where neonkeys mcp --http listens without an address:
// loopback, so nothing beyond this machine reaches it by accident.
const DefaultAddr = "127.0.0.1:8080"

// Path is the MCP endpoint.
const Path = "/mcp"

// Defaults of Config's limits.
const (
	// DefaultMaxBodyBytes bounds a request body: a tools/call is a few
	// hundred bytes; 1 MiB leaves room for any real JSON-RPC message.
	DefaultMaxBodyBytes = 1 << 20
	// maxHeaderBytes bounds the request headers (net/http answers 431).
	maxHeaderBytes = 32 << 10
	// DefaultRate and DefaultBurst bound the calls of one credential:
	// an assistant makes a few calls a second at most.
	DefaultRate  = 20
	DefaultBurst = 40
	// DefaultDrainDelay is how long, after SIGTERM, the server goes on
	// serving while /readyz fails: a load balancer routes new requests to
	// it for a few seconds more (Kubernetes removes the endpoint while the
	// signal is sent, and every proxy learns of it a moment later).
	DefaultDrainDelay = 5 * time.Second
	// DefaultShutdownGrace is how long the calls in flight may still run
	// once the drain delay is over and the server stopped accepting. With
	// the drain delay and closeGrace it fits Kubernetes' default 30 s
	// termination grace (shutdownBudget).
	DefaultShutdownGrace = 12 * time.Second
	// maxMintedRemembered is how many minted tokens the process redactor
	// keeps masking by their exact value and pieces: the tokens of the
	// calls of the last minutes, whose withdrawals and revokes may still
	// log; older Neon tokens are still masked by their shape. The bound is
	// memory's, and the piece index's rebuild when the oldest quarter goes
	// (secret.BenchmarkAddAtLimit); redaction itself barely grows with the
	// tokens held (secret.BenchmarkRedactHolding).
	maxMintedRemembered = 256
	// callTimeout bounds one request's handling: longer than a key search
	// across organizations (keys.orgWalkTimeout, 2 minutes).
	callTimeout = 150 * time.Second
)

// Config configures the remote server.
type Config struct {
	Addr           string // host:port; DefaultAddr when empty
	TLSCert        string // with TLSKey: serve HTTPS
	TLSKey         string
	BehindProxy    bool     // TLS ends in a proxy in front: plain HTTP on any address
	AllowedOrigins []string // browser origins allowed besides loopback ones

	// Server holds the MCP server's options, as for stdio. Its Keys is the
	// server credential, used only with ServerCredential; without it every
	// request brings its own (Authorization: Bearer).
	Server           server.Options
	ServerCredential bool
	// API is the template of the Neon API client built for a request's
	// credential: Token, Redactor and HTTPClient are set per request.
	API neonapi.Options

	// ReadHeaderTimeout bounds the wait for a request's headers (a client
	// that opens connections and sends nothing holds none for long); 10 s
	// when 0.
	ReadHeaderTimeout time.Duration
	MaxBodyBytes      int64         // DefaultMaxBodyBytes when 0
	Rate              float64       // calls per second per credential; DefaultRate when 0
	Burst             int           // DefaultBurst when 0
	ShutdownGrace     time.Duration // DefaultShutdownGrace when 0
	// DrainDelay is how long, after Serve's ctx ended, the server goes on
	// serving while /readyz fails, before it stops accepting. When 0:
	// DefaultDrainDelay beyond loopback or behind a proxy (a load balancer
	// may route to it), none on a loopback address (a local client only:
	// Ctrl-C stops at once). Negative: none.
	DrainDelay time.Duration
	// After is the drain delay's timer; nil means time.After (tests set it).
	After func(time.Duration) <-chan time.Time
	// AccessLog receives one JSON line per HTTP request (no header, body or
	// credential); nil discards.
	AccessLog io.Writer
	// Now is the rate limiter's clock; nil means time.Now (tests set it).
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.Rate <= 0 {
		c.Rate = DefaultRate
	}
	if c.Burst <= 0 {
		c.Burst = DefaultBurst
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = readHeaderTimeout
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
	if c.DrainDelay == 0 && (c.BehindProxy || !onLoopback(c.Addr)) {
		c.DrainDelay = DefaultDrainDelay
	}
	if c.After == nil {
		c.After = time.After
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.Server.Redactor = newRedactor(c.Server.Redactor)
}

// Handler is the remote server's HTTP face: /mcp, /healthz and /readyz.
type Handler struct {
	cfg      Config
	mux      *http.ServeMux
	mcp      *mcpserver.StreamableHTTPServer
	creds    *credentials
	limiter  *limiter
	access   *slog.Logger
	draining atomic.Bool    // /readyz fails once shutdown began
	inflight sync.WaitGroup // /mcp requests being served, their withdrawals included
}

// New builds the handler. It does not listen (see Serve).
func New(cfg Config) (*Handler, error) {
	cfg.setDefaults()
	// The process redactor learns every token minted for a caller, for as
	// long as the server runs: it keeps the newest only (secret.Redactor.Limit).
	cfg.Server.Redactor.Limit(maxMintedRemembered)
	if cfg.ServerCredential && cfg.Server.Keys == nil && cfg.Server.CredentialErr == nil {
		return nil, errors.New("remote: --server-credential needs a credential (NEON_API_KEY_FILE)")
	}
	opts := cfg.Server
	if !cfg.ServerCredential {
		// The process's own credential never serves a remote caller: anyone
		// who reaches the port would act with it.
		opts.Keys, opts.CredentialErr = nil, errNoBearer
	}
	s, err := server.New(opts)
	if err != nil {
		return nil, fmt.Errorf("remote: %w", err)
	}
	creds, err := newCredentials(cfg)
	if err != nil {
		return nil, err
	}
	h := &Handler{
		cfg:     cfg,
		mux:     http.NewServeMux(),
		creds:   creds,
		limiter: newLimiter(cfg.Rate, cfg.Burst, cfg.Now),
		access:  accessLogger(cfg),
		mcp: mcpserver.NewStreamableHTTPServer(s,
			mcpserver.WithEndpointPath(Path),
			mcpserver.WithStateLess(true),
			// Behind a proxy the Host is the public name on a loopback
			// connection: mcp-go would refuse it. The Origin check stays.
			mcpserver.WithDisableLocalhostProtection(cfg.BehindProxy),
			mcpserver.WithStreamableHTTPLogger(slog.New(slog.DiscardHandler)),
		),
	}
	h.mux.Handle(Path, h.guard(http.HandlerFunc(h.serveMCP)))
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeText(w, http.StatusOK, "ok") })
	h.mux.HandleFunc("GET /readyz", h.serveReady)
	return h, nil
}

// ServeHTTP logs every request, then serves it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.logAccess(w, r, h.mux)
}

func (h *Handler) serveReady(w http.ResponseWriter, _ *http.Request) {
	if h.draining.Load() {
		writeText(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	writeText(w, http.StatusOK, "ready")
}

// serveMCP serves one MCP message with the request's credential.
func (h *Handler) serveMCP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
	case http.MethodGet, http.MethodDelete:
		// Stateless: no stream to open later and no session to end.
		w.Header().Set("Allow", http.MethodPost)
		writeText(w, http.StatusMethodNotAllowed, "this server is stateless: only POST is served at "+Path)
		return
	default:
		w.Header().Set("Allow", http.MethodPost)
		writeText(w, http.StatusMethodNotAllowed, "only POST is served at "+Path)
		return
	}
	h.inflight.Add(1)
	defer h.inflight.Done()
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	defer cancel()
	call := requestCall(r)
	if call.svc != nil {
		// A call cut short may be withdrawing a key it minted: the request
		// ends (and shutdown waits) only once that is done.
		defer call.svc.Settle()
	}
	r = r.WithContext(ctx)
	aw := &answerWriter{ResponseWriter: w}
	h.mcp.ServeHTTP(aw, r)
	// Only an answer carrying a token is flushed here, to learn whether it
	// reached the connection; any other is written once, when the handler
	// returns (a flush would cost a second write to the socket per call).
	if call.courier != nil && call.courier.expecting() {
		call.courier.settle(aw.delivered(r))
	}
}

// Drain makes /readyz fail, so that a load balancer stops sending requests.
func (h *Handler) Drain() { h.draining.Store(true) }

// Wait waits for the /mcp requests in flight, and with a server credential
// for the withdrawals its key service still runs, at most until ctx ends.
func (h *Handler) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		h.inflight.Wait()
		if h.cfg.ServerCredential && h.cfg.Server.Keys != nil {
			h.cfg.Server.Keys.Settle()
		}
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text+"\n")
}

// onLoopback reports whether addr (host:port) is on a loopback name.
func onLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && netx.IsLoopbackHost(host)
}

// listenerAddr is for messages: the address actually bound.
func listenerAddr(l net.Listener) string { return l.Addr().String() }
