package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/neonkeys/neonkeys/internal/netx"
)

// Timeouts of the HTTP server: every phase of a request is bounded.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = callTimeout + 10*time.Second
	idleTimeout       = 2 * time.Minute
	// closeGrace is how long, after the shutdown grace ran out and the
	// connections were closed, the calls cut short get to withdraw the keys
	// they minted (one revoke each).
	closeGrace = 8 * time.Second
	// terminationGrace is Kubernetes' default terminationGracePeriodSeconds:
	// SIGKILL follows SIGTERM after it. shutdownBudget is the longest
	// shutdown with the defaults; it stays well under terminationGrace so
	// that no withdrawal is killed midway.
	terminationGrace = 30 * time.Second
	shutdownBudget   = DefaultDrainDelay + DefaultShutdownGrace + closeGrace
)

// CheckAddr refuses to serve plain HTTP beyond this machine: the credential
// travels in every request, so a non-loopback address needs TLS here or a
// proxy in front that ends it (behindProxy).
func CheckAddr(addr string, tls, behindProxy bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--http %s: not host:port: %w", addr, err)
	}
	if tls || behindProxy || netx.IsLoopbackHost(host) {
		return nil
	}
	return fmt.Errorf("--http %s is not a loopback address: Neon keys would cross the network in clear; "+
		"give --tls-cert and --tls-key, or --behind-proxy if TLS ends in a proxy in front", addr)
}

// Serve listens on cfg.Addr and serves until ctx ends, then shuts down
// gracefully: /readyz fails at once while requests are still served for
// cfg.DrainDelay, then the server stops accepting, calls in flight get
// cfg.ShutdownGrace to finish, and keys minted by calls cut short are
// withdrawn (for at most closeGrace) before it returns. ready, if set, is
// told the address bound (":0" picks a port).
func Serve(ctx context.Context, cfg Config, ready func(addr string)) error {
	cfg.setDefaults()
	useTLS := cfg.TLSCert != "" || cfg.TLSKey != ""
	if useTLS && (cfg.TLSCert == "" || cfg.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if err := CheckAddr(cfg.Addr, useTLS, cfg.BehindProxy); err != nil {
		return err
	}
	h, err := New(cfg)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	errLog := log.New(io.Discard, "", 0)
	if cfg.Server.Log != nil {
		errLog = log.New(cfg.Server.Redactor.Writer(cfg.Server.Log), "neonkeys mcp --http: ", 0)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          errLog,
	}
	served := make(chan error, 1)
	go func() {
		if useTLS {
			served <- srv.ServeTLS(l, cfg.TLSCert, cfg.TLSKey)
			return
		}
		served <- srv.Serve(l)
	}()
	if ready != nil {
		ready(listenerAddr(l))
	}
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	h.shutdown(srv, errLog)
	return nil
}

// shutdown fails /readyz and serves on for the drain delay, then stops
// accepting, lets the calls in flight finish within the grace, closes what
// is left and waits, bounded, for the calls cut short to withdraw what they
// minted.
func (h *Handler) shutdown(srv *http.Server, errLog *log.Logger) {
	h.Drain()
	if h.cfg.DrainDelay > 0 {
		// Each answer from now on closes its connection: a client's next
		// request dials again and reaches an instance still in service,
		// where one on a kept connection would come back here.
		srv.SetKeepAlivesEnabled(false)
		<-h.cfg.After(h.cfg.DrainDelay)
	}
	graceCtx, cancel := context.WithTimeout(context.Background(), h.cfg.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(graceCtx); err != nil {
		errLog.Printf("calls still running after %s: cutting them short", h.cfg.ShutdownGrace)
		_ = srv.Close() // cancels the requests' contexts
	}
	closeCtx, cancelClose := context.WithTimeout(context.Background(), closeGrace)
	defer cancelClose()
	if err := h.Wait(closeCtx); err != nil {
		errLog.Printf("withdrawals still running after %s: exiting anyway", closeGrace)
	}
}
