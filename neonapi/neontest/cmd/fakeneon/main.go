// Command fakeneon serves a seeded fake Neon API v2 on loopback, for
// benchmarks and manual tries. It keeps running, so start it in the
// background and source the file it writes once it is ready (capturing its
// stdout with $(...) would wait for it to exit):
//
//	rm -f /tmp/fakeneon.env
//	go run ./neonapi/neontest/cmd/fakeneon -env-file /tmp/fakeneon.env >/dev/null &
//	until [ -s /tmp/fakeneon.env ]; do sleep 0.2; done
//	. /tmp/fakeneon.env    # NEON_API_HOST, NEON_API_KEY, ...
//	go run . list
//	kill %1
//
// -keys 10000 -latency 50ms make it a scale benchmark.
//
// It prints shell-sourceable lines (NEON_API_HOST, NEON_API_KEY — the seeded
// org admin's personal key — and the fixture's ids and other tokens) on
// stdout and, with -env-file, writes them to that file (mode 0600: it holds
// tokens). It runs until SIGINT or SIGTERM. It only ever binds loopback.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/neonkeys/neonkeys/internal/netx"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil))
}

// run serves until ctx ends. ready, if not nil, receives the server once it
// is seeded (for tests). It returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- *neontest.Server) int {
	fs := flag.NewFlagSet("fakeneon", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "loopback `host:port` to listen on (port 0: any free port)")
	keys := fs.Int("keys", 0, "add `N` extra personal keys to the seeded admin (scale benchmarks)")
	latency := fs.Duration("latency", 0, "wait this long before answering each request (e.g. 50ms)")
	envFile := fs.String("env-file", "", "also write the NEON_* lines to this `file` (mode 0600)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fakeneon: unexpected arguments: %q\n", fs.Args())
		return 2
	}
	if *keys < 0 || *latency < 0 {
		fmt.Fprintln(stderr, "fakeneon: -keys and -latency must not be negative")
		return 2
	}
	if err := checkLoopback(*addr); err != nil {
		fmt.Fprintf(stderr, "fakeneon: %v\n", err)
		return 2
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "fakeneon: listen: %v\n", err)
		return 1
	}
	// "localhost" may resolve anywhere: check what was actually bound.
	if tcp, ok := l.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		l.Close()
		fmt.Fprintf(stderr, "fakeneon: refusing to serve on non-loopback address %s\n", l.Addr())
		return 2
	}

	srv := neontest.NewServer(neontest.WithListener(l), neontest.WithLatency(*latency), neontest.WithoutRequestLog())
	defer srv.Close()
	fx := srv.Seed()
	if *keys > 0 {
		start := time.Now()
		srv.AddPersonalKeys(fx.Admin.ID, *keys)
		fmt.Fprintf(stderr, "fakeneon: added %d personal keys in %v\n", *keys, time.Since(start).Round(time.Millisecond))
	}
	env := envLines(srv.URL(), fx)
	if *envFile != "" {
		if err := writeEnvFile(*envFile, env); err != nil {
			fmt.Fprintf(stderr, "fakeneon: %v\n", err)
			return 1
		}
	}
	if _, err := io.WriteString(stdout, env); err != nil {
		fmt.Fprintf(stderr, "fakeneon: writing stdout: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "fakeneon: serving %s until SIGINT or SIGTERM\n", srv.URL())
	if ready != nil {
		ready <- srv
	}
	<-ctx.Done()
	return 0
}

// checkLoopback refuses any -addr that is not a loopback host, including an
// empty host (":8080" listens on every interface).
func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("-addr %q: bad port", addr)
	}
	if !netx.IsLoopbackHost(host) {
		return errors.New("-addr must be a loopback address (127.0.0.1, [::1] or localhost), got " + strconv.Quote(addr))
	}
	return nil
}

// envLines is shell-sourceable: every value is made of [A-Za-z0-9:/._-].
func envLines(url string, fx *neontest.Fixture) string {
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, v) }
	line("NEON_API_HOST", url)
	line("NEON_API_KEY", fx.AdminToken)
	line("NEON_API_KEY_ID", strconv.FormatInt(fx.AdminKeyID, 10))
	line("NEON_USER_ID", fx.Admin.ID)
	line("NEON_ORG_ID", fx.Org.ID)
	line("NEON_PROJECT_ID", fx.OrgProject.ID)
	line("NEON_PERSONAL_PROJECT_ID", fx.PersonalProject.ID)
	line("NEON_ORG_API_KEY", fx.OrgKeyToken)
	line("NEON_ORG_API_KEY_ID", strconv.FormatInt(fx.OrgKeyID, 10))
	line("NEON_PROJECT_API_KEY", fx.ProjectKeyToken)
	line("NEON_PROJECT_API_KEY_ID", strconv.FormatInt(fx.ProjectKeyID, 10))
	line("NEON_MEMBER_API_KEY", fx.MemberToken)
	line("NEON_MEMBER_API_KEY_ID", strconv.FormatInt(fx.MemberKeyID, 10))
	return b.String()
}

func writeEnvFile(path, env string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("env file: %w", err)
	}
	// O_CREATE keeps an existing file's mode: tighten it, it holds tokens.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("env file: %w", err)
	}
	if _, err := io.WriteString(f, env); err != nil {
		f.Close()
		return fmt.Errorf("env file: %w", err)
	}
	return f.Close()
}
