package remote_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/remote"
)

const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// TestOrigin: a browser page of another site is refused (DNS rebinding);
// requests without Origin (every non-browser client), loopback pages and
// origins given with --allowed-origin pass.
func TestOrigin(t *testing.T) {
	e := newEnv(t)
	_, url := e.start(e.config(func(c *remote.Config) { c.AllowedOrigins = []string{"https://console.example.org"} }))
	tests := []struct {
		origin string
		want   int
	}{
		{"", 200},
		{"http://localhost:3000", 200},
		{"http://127.0.0.1:8080", 200},
		{"https://console.example.org", 200},
		{"http://evil.example", 403},
		{"http://localhost.evil.example", 403},
		{"null", 403},
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			h := map[string]string{}
			if tt.origin != "" {
				h["Origin"] = tt.origin
			}
			if status, _, body := post(t, url, initialize, h); status != tt.want {
				t.Fatalf("Origin %q: status %d (%q), want %d", tt.origin, status, body, tt.want)
			}
		})
	}
}

// TestHostOnLoopback: on a loopback address a Host that is not a loopback
// name is refused (DNS rebinding), unless TLS ends in a proxy in front.
func TestHostOnLoopback(t *testing.T) {
	for _, tt := range []struct {
		behindProxy bool
		want        int
	}{{false, 403}, {true, 200}} {
		t.Run(fmt.Sprint("behind proxy ", tt.behindProxy), func(t *testing.T) {
			e := newEnv(t)
			_, url := e.start(e.config(func(c *remote.Config) { c.BehindProxy = tt.behindProxy }))
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(initialize))
			req.Host = "rebound.evil.example"
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

// TestLimits: a body over the limit gets 413, headers over the limit 431.
func TestLimits(t *testing.T) {
	e := newEnv(t)
	_, url := e.start(e.config(func(c *remote.Config) { c.MaxBodyBytes = 4096 }))
	big := `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"` + strings.Repeat("x", 5000) + `"}}`
	if status, _, body := post(t, url, big, nil); status != http.StatusRequestEntityTooLarge {
		t.Fatalf("big body: status %d (%q), want 413", status, body)
	}
	if status, _, _ := post(t, url, initialize, nil); status != 200 {
		t.Fatalf("small body: status %d, want 200", status)
	}
}

// TestRateLimit: past its burst, a credential gets 429 with Retry-After;
// another credential is not slowed by it, and once time passed the first
// is served again.
func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	_, url := e.start(e.config(func(c *remote.Config) { c.Rate, c.Burst, c.Now = 1, 3, clock }))
	admin, member := bearer(e.fx.AdminToken), bearer(e.fx.MemberToken)
	for i := range 3 {
		if status, _, body := post(t, url, initialize, admin); status != 200 {
			t.Fatalf("call %d: status %d (%q), want 200", i+1, status, body)
		}
	}
	status, hdr, body := post(t, url, initialize, admin)
	if status != http.StatusTooManyRequests || hdr.Get("Retry-After") != "1" {
		t.Fatalf("4th call: status %d, Retry-After %q (%q); want 429 and 1", status, hdr.Get("Retry-After"), body)
	}
	if strings.Contains(body, e.fx.AdminToken) {
		t.Fatal("the 429 quotes the credential")
	}
	if status, _, _ := post(t, url, initialize, member); status != 200 {
		t.Fatalf("another credential: status %d, want 200", status)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if status, _, _ := post(t, url, initialize, admin); status != 200 {
		t.Fatalf("after Retry-After: status %d, want 200", status)
	}
}

// TestHealth: /healthz answers while the process lives; /readyz fails once
// shutdown began, so a load balancer stops sending requests.
func TestHealth(t *testing.T) {
	e := newEnv(t)
	h, url := e.start(e.config())
	base := strings.TrimSuffix(url, remote.Path)
	get := func(path string) int {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if get("/healthz") != 200 || get("/readyz") != 200 {
		t.Fatal("a serving instance is not healthy and ready")
	}
	h.Drain()
	if got := get("/readyz"); got != http.StatusServiceUnavailable {
		t.Fatalf("/readyz while draining = %d, want 503", got)
	}
	if get("/healthz") != 200 {
		t.Fatal("/healthz fails while draining")
	}
}

// TestAccessLog: one JSON line per request with method, path, status,
// credential kind and the tool called with its outcome, and no credential,
// header, argument or result. The tool call makes no second line in the
// server log.
func TestAccessLog(t *testing.T) {
	e := newEnv(t)
	_, url := e.start(e.config())
	c := e.connect(url, bearer(e.fx.AdminToken))
	e.call(c, "list_api_keys", `{"name_contains":"zebra-marker"}`)
	post(t, url, initialize, map[string]string{"Authorization": "Basic " + e.fx.MemberToken})
	log := e.access.String()
	for _, want := range []string{`"path":"/mcp"`, `"status":200`, `"credential":"header"`, `"status":400`,
		`"tool":"list_api_keys","is_error":false,"input_required":false`} {
		if !strings.Contains(log, want) {
			t.Fatalf("access log lacks %s:\n%s", want, log)
		}
	}
	for _, secret := range []string{e.fx.AdminToken, e.fx.MemberToken, "Bearer", "zebra-marker", "personal key"} {
		if strings.Contains(log, secret) {
			t.Fatalf("access log holds %q:\n%s", secret, log)
		}
	}
	if n := strings.Count(log, "\n"); n != 3 {
		t.Fatalf("access log has %d lines for 3 requests:\n%s", n, log)
	}
	if strings.Contains(e.log.String(), "tool call") {
		t.Fatalf("the server log repeats the access log's tool call:\n%s", e.log.String())
	}
}

// TestCheckAddr: plain HTTP listens beyond loopback only with TLS or
// behind a proxy that ends TLS.
func TestCheckAddr(t *testing.T) {
	tests := []struct {
		addr             string
		tls, behindProxy bool
		ok               bool
	}{
		{"127.0.0.1:8080", false, false, true},
		{"localhost:8080", false, false, true},
		{"[::1]:8080", false, false, true},
		{"0.0.0.0:8080", false, false, false},
		{":8080", false, false, false},
		{"10.1.2.3:8080", false, false, false},
		{"0.0.0.0:8443", true, false, true},
		{"0.0.0.0:8080", false, true, true},
	}
	for _, tt := range tests {
		if err := remote.CheckAddr(tt.addr, tt.tls, tt.behindProxy); (err == nil) != tt.ok {
			t.Errorf("CheckAddr(%q, tls %v, proxy %v) = %v, want ok %v", tt.addr, tt.tls, tt.behindProxy, err, tt.ok)
		}
	}
}

// TestReadSealKey: the shared key is 32 bytes in a file only its owner can
// read.
func TestReadSealKey(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, n), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, wantErr string
	}{
		// A named pipe is refused at once; opening it blocking waited for a
		// writer and hung start-up (go test's timeout would end this test).
		{"a named pipe", fifo, "not a regular file"},
		{"owner only", write("ok", 32, 0o600), ""},
		{"read-only owner", write("ro", 32, 0o400), ""},
		{"readable by others", write("world", 32, 0o644), "chmod 600"},
		{"readable by group", write("group", 32, 0o640), "chmod 600"},
		{"too short", write("short", 16, 0o600), "exactly 32"},
		{"too long", write("long", 33, 0o600), "exactly 32"},
		{"missing", filepath.Join(dir, "none"), "no such file"},
		{"a directory", dir, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := remote.ReadSealKey(tt.path)
			if tt.wantErr == "" {
				if err != nil || len(key) != 32 {
					t.Fatalf("ReadSealKey = %d bytes, %v; want 32, nil", len(key), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ReadSealKey err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestGracefulShutdown: when Serve's context ends (SIGTERM), a call in
// flight finishes and gets its answer, and Serve returns.
func TestGracefulShutdown(t *testing.T) {
	e := newEnv(t)
	e.fake.Inject(neontest.Fault{Method: "GET", Path: "/api_keys", Delay: 300 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan string, 1)
	served := make(chan error, 1)
	go func() {
		served <- remote.Serve(ctx, e.config(func(c *remote.Config) { c.Addr = "127.0.0.1:0" }), func(a string) { addr <- a })
	}()
	url := "http://" + <-addr + remote.Path
	c := e.connect(url, bearer(e.fx.AdminToken))
	// The call runs in a goroutine, which must not t.Fatal: its outcome
	// comes back on a channel, so a failed call fails the test.
	type outcome struct {
		res *mcp.CallToolResult
		err error
	}
	answer := make(chan outcome, 1)
	go func() {
		callCtx, callCancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer callCancel()
		req := mcp.CallToolRequest{}
		req.Params.Name = "list_api_keys"
		res, err := c.CallTool(callCtx, req)
		answer <- outcome{res, err}
	}()
	// Shut down once the call reached Neon: it is in flight. The deadline
	// only keeps a broken server from hanging the test.
	for deadline := time.Now().Add(20 * time.Second); len(e.fake.Requests()) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the call never reached the fake Neon API")
		}
	}
	cancel()
	if got := <-answer; got.err != nil || !strings.Contains(text(got.res), "laptop") {
		t.Fatalf("the call in flight got %v, %v; want its answer", got.res, got.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve = %v", err)
	}
}

// TestSlowHeadersAreCut: a client that opens a connection and never
// finishes its headers does not hold it: the server closes it.
func TestSlowHeadersAreCut(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan string, 1)
	go func() {
		_ = remote.Serve(ctx, e.config(func(c *remote.Config) { c.Addr, c.ReadHeaderTimeout = "127.0.0.1:0", 100*time.Millisecond }),
			func(a string) { addr <- a })
	}()
	conn, err := net.Dial("tcp", <-addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"); err != nil {
		t.Fatal(err)
	}
	// The event is the server closing the connection; the deadline only
	// keeps a broken server from hanging the test (generous for -race, and
	// below the 30 s read timeout that would also end it).
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err = io.ReadAll(conn)
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		t.Fatal("the server kept a connection whose headers never came")
	}
}

// TestHeaderLimit: headers over 32 KiB get 431, not a server that buffers
// whatever a client sends.
func TestHeaderLimit(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan string, 1)
	go func() {
		_ = remote.Serve(ctx, e.config(func(c *remote.Config) { c.Addr = "127.0.0.1:0" }), func(a string) { addr <- a })
	}()
	url := "http://" + <-addr + remote.Path
	if status, _, body := post(t, url, initialize, map[string]string{"X-Padding": strings.Repeat("x", 64<<10)}); status != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("64 KiB of headers: status %d (%q), want 431", status, body)
	}
	if status, _, _ := post(t, url, initialize, map[string]string{"X-Padding": strings.Repeat("x", 8<<10)}); status != 200 {
		t.Fatalf("8 KiB of headers: status %d, want 200", status)
	}
}
