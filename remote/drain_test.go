package remote_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/remote"
)

// hangGuard only keeps a broken server from hanging a test: every test
// here waits for an event, and this is generous under -race on a loaded
// machine.
const hangGuard = 20 * time.Second

// TestOverRateAnswersBeforeTheBody: a client past its rate that announces
// a body gets 429 before it sent a byte of it: the server does not wait to
// read the body of a request it refuses (it read a whole megabyte, then
// answered 429). Without Connection: close on the answer net/http itself
// would read up to 256 KiB before answering.
func TestOverRateAnswersBeforeTheBody(t *testing.T) {
	for _, size := range []int{64 << 10, 1 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			e := newEnv(t)
			_, url := e.start(e.config(func(c *remote.Config) { c.Rate, c.Burst, c.Now = 1, 1, fixedClock }))
			if status, _, body := post(t, url, initialize, bearer(e.fx.AdminToken)); status != 200 {
				t.Fatalf("first call: status %d (%q), want 200", status, body)
			}
			conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(url, remote.Path), "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(hangGuard))
			// The headers announce the body; not a byte of it is sent.
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"+
				"Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: %d\r\n\r\n",
				remote.Path, e.fx.AdminToken, size)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer before the body was sent (the server waits to read it): %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("status %d, Retry-After %q; want 429 and a delay", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
		})
	}
}

// countingBody is a request body of n bytes that counts what was read of it.
type countingBody struct {
	left, read int
}

func (b *countingBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), b.left)
	clear(p[:n])
	b.left -= n
	b.read += n
	return n, nil
}

func (b *countingBody) Close() error { return nil }

// TestOverRateBodyIsNotRead: the body of a request refused for its rate is
// not read at all (a client past its rate made the server read and keep a
// megabyte per request).
func TestOverRateBodyIsNotRead(t *testing.T) {
	e := newEnv(t)
	h, url := e.start(e.config(func(c *remote.Config) { c.Rate, c.Burst, c.Now = 1, 1, fixedClock }))
	if status, _, body := post(t, url, initialize, bearer(e.fx.AdminToken)); status != 200 {
		t.Fatalf("first call: status %d (%q), want 200", status, body)
	}
	body := &countingBody{left: 1 << 20}
	req := httptest.NewRequest(http.MethodPost, remote.Path, body)
	req.RemoteAddr = "127.0.0.1:1234"
	req.ContentLength = 1 << 20
	req.Header.Set("Authorization", "Bearer "+e.fx.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("status %d (%q), want 429", rec.Code, rec.Body.String())
	}
	if body.read != 0 {
		t.Fatalf("the server read %d bytes of the refused request's body, want none", body.read)
	}
}

// fixedClock is a rate limiter's clock that never moves: no token comes
// back during a test.
func fixedClock() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// gate holds the first request to the Neon API until release is closed, so
// that a call is in flight for as long as a test needs.
type gate struct {
	rt      http.RoundTripper
	once    sync.Once
	entered chan struct{} // closed once the first request is held
	release chan struct{}
}

func newGate(rt http.RoundTripper) *gate {
	return &gate{rt: rt, entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.entered)
		<-g.release
	}
	return g.rt.RoundTrip(r)
}

// TestDrainServesWhileReadyzFails: on SIGTERM (Serve's ctx ends) /readyz
// fails at once, but for the drain delay the server still serves: a load
// balancer routes a request here for a few seconds more, and it gets its
// answer, as does the call that was in flight. Only then does the server
// stop accepting and let the call in flight finish. The drain delay's
// timer is the test's, so nothing waits 5 s.
func TestDrainServesWhileReadyzFails(t *testing.T) {
	e := newEnv(t)
	g := newGate(e.fake.Client().Transport)
	drainStarted := make(chan time.Duration, 1)
	drainOver := make(chan time.Time)
	cfg := e.config(func(c *remote.Config) {
		c.Addr = "127.0.0.1:0"
		c.BehindProxy = true // as in Kubernetes: the default drain delay applies
		c.API.HTTPClient = &http.Client{Transport: g}
		c.After = func(d time.Duration) <-chan time.Time { drainStarted <- d; return drainOver }
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan string, 1)
	served := make(chan error, 1)
	go func() { served <- remote.Serve(ctx, cfg, func(a string) { addr <- a }) }()
	base := "http://" + <-addr
	inFlight := e.connect(base+remote.Path, bearer(e.fx.AdminToken))
	answer := make(chan string, 1)
	go func() {
		callCtx, callCancel := context.WithTimeout(context.Background(), hangGuard)
		defer callCancel()
		req := mcp.CallToolRequest{}
		req.Params.Name = "list_api_keys"
		res, err := inFlight.CallTool(callCtx, req)
		if err != nil {
			answer <- "error: " + err.Error()
			return
		}
		answer <- text(res)
	}()
	waitFor(t, g.entered, "the call never reached the Neon API")

	cancel() // SIGTERM
	select {
	case d := <-drainStarted:
		if d != remote.DefaultDrainDelay {
			t.Fatalf("drain delay %s, want %s", d, remote.DefaultDrainDelay)
		}
	case <-time.After(hangGuard):
		t.Fatal("shutdown began without a drain delay: a load balancer still routing here would be refused")
	}
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatalf("/readyz during the drain delay: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz during the drain delay = %d, want 503", resp.StatusCode)
	}
	// Each answer now closes its connection: the client's next request
	// dials again, through the load balancer, to an instance in service.
	resp, err = http.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("/healthz during the drain delay: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !resp.Close {
		t.Fatalf("/healthz during the drain delay: %d, closes the connection %v; want 200, true", resp.StatusCode, resp.Close)
	}
	late := e.connect(base+remote.Path, bearer(e.fx.AdminToken))
	if got := text(e.call(late, "list_api_keys", `{}`)); !strings.Contains(got, "laptop") {
		t.Fatalf("a request routed here during the drain delay got %q, want its answer", got)
	}

	close(drainOver)
	close(g.release)
	if got := <-answer; !strings.Contains(got, "laptop") {
		t.Fatalf("the call in flight got %q, want its answer", got)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve = %v", err)
		}
	case <-time.After(hangGuard):
		t.Fatal("Serve did not return once the call in flight finished")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("the server still accepts connections after shutdown")
	}
}

// waitFor waits for ch to close, failing with msg after hangGuard.
func waitFor(t *testing.T, ch <-chan struct{}, msg string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(hangGuard):
		t.Fatal(msg)
	}
}
