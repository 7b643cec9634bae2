package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/server"
)

// The stdio channel under abuse, in-process so goleak can see every
// goroutine the server leaves behind. Each test ends the server, closes the
// fake API, then checks that no goroutine started during the test remains.
// (mcp-go's stdio session is a package global: no t.Parallel.)

// exitBound is how soon after end of input the server must have returned:
// the promise ("exits within 2 s of EOF"). Under -race the server
// runs many times slower; there it gets 5x (see raceBound).
var exitBound = raceBound(2 * time.Second)

// raceBound is d, or 5 d when the tests run under -race (race_test.go).
func raceBound(d time.Duration) time.Duration {
	if raceBuild {
		return 5 * d
	}
	return d
}

// abused is one ServeStdio on pipes, with stdout drained on demand.
type abused struct {
	in    *io.PipeWriter
	outR  *io.PipeReader
	lines *bufio.Reader
	done  chan error
	log   *lockedBuffer
	fake  *neontest.Server
	token string
	// blocked is closed when the server starts a write to stdout after
	// armBlocked: the pipe has no buffer, so with the client not reading
	// that write is blocked. Tests wait on it instead of sleeping.
	blocked chan struct{}
	armed   atomic.Bool
	once    sync.Once
}

// armBlocked makes the server's next write to stdout close a.blocked.
func (a *abused) armBlocked() { a.armed.Store(true) }

// waitBlocked waits until the server is writing to stdout while the client
// does not read (the bound only turns a hang into a failure).
func (a *abused) waitBlocked(t *testing.T) {
	t.Helper()
	select {
	case <-a.blocked:
	case <-time.After(30 * time.Second):
		t.Fatal("the server never wrote to stdout")
	}
}

// watched is the server's stdout as abuseStart gives it: it tells a.blocked.
type watched struct {
	a *abused
	w io.Writer
}

func (w watched) Write(p []byte) (int, error) {
	if w.a.armed.Load() {
		w.a.once.Do(func() { close(w.a.blocked) })
	}
	return w.w.Write(p)
}

// abuseStart starts a seeded fake and ServeStdio; faults apply from the start.
func abuseStart(t *testing.T, faults ...neontest.Fault) *abused {
	t.Helper()
	fake := neontest.NewServer()
	fx := fake.Seed()
	fake.Inject(faults...)
	opts := options(t, fake.URL(), fake.Client(), fx.AdminToken)
	a := &abused{done: make(chan error, 1), log: &lockedBuffer{}, fake: fake, token: fx.AdminToken, blocked: make(chan struct{})}
	opts.Log = a.log
	serialised(t, &opts)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	a.in, a.outR, a.lines = inW, outR, bufio.NewReaderSize(outR, 1<<16)
	t.Cleanup(func() { // a test that failed half-way: end the session
		_ = inW.Close()
		_ = outR.Close()
	})
	go func() {
		err := server.ServeStdio(context.Background(), opts, inR, watched{a: a, w: outW})
		_ = outW.Close()
		_ = inR.Close()
		a.done <- err
	}()
	return a
}

// write sends one line to the server's stdin.
func (a *abused) write(t *testing.T, line string) {
	t.Helper()
	if err := writeLine(a.in, line); err != nil {
		t.Fatalf("write to stdin: %v", err)
	}
}

// read returns the next stdout line, failing on anything but one JSON-RPC
// object (a stray byte would corrupt a real client's stream).
func (a *abused) read(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	line, err := readLine(a.lines, a.outR)
	if err != nil {
		t.Fatalf("read stdout: %v", err)
	}
	var msg map[string]json.RawMessage
	if err := json.Unmarshal([]byte(line), &msg); err != nil || string(msg["jsonrpc"]) != `"2.0"` {
		t.Fatalf("stdout line is not one JSON-RPC object: %q", abuseTail(line))
	}
	if strings.Contains(line, a.token) {
		t.Fatal("the credential reached stdout")
	}
	return msg
}

func (a *abused) initialize(t *testing.T) {
	t.Helper()
	a.write(t, `{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"abuse","version":"1"}}}`)
	if msg := a.read(t); msg["result"] == nil {
		t.Fatalf("initialize failed: %v", msg)
	}
	a.write(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
}

// stop ends input (end) and then checks what was left behind (finish).
func (a *abused) stop(t *testing.T, clientGone bool, ignore goleak.Option) {
	t.Helper()
	a.end(t, clientGone)
	a.finish(t, ignore)
}

// end closes stdin (and, with clientGone, the read end of stdout, as when
// the client process died) and waits for ServeStdio within exitBound.
func (a *abused) end(t *testing.T, clientGone bool) {
	t.Helper()
	if clientGone {
		_ = a.outR.Close()
	} else {
		// Keep draining: a reply still being written must not block the exit.
		go func() { _, _ = io.Copy(io.Discard, a.outR) }()
	}
	_ = a.in.Close()
	select {
	case err := <-a.done:
		if err != nil && !clientGone {
			t.Errorf("ServeStdio = %v, want nil at end of input", err)
		}
	case <-time.After(exitBound):
		t.Fatalf("the server did not return within %v of end of input", exitBound)
	}
}

// finish closes the fake and checks that the credential stayed off stderr
// and that no goroutine leaked.
func (a *abused) finish(t *testing.T, ignore goleak.Option) {
	t.Helper()
	a.fake.Close()
	if strings.Contains(a.log.String(), a.token) {
		t.Error("the credential reached stderr")
	}
	goleak.VerifyNone(t, ignore)
}

// abuseRevokeLine is a revoke of keyID with the given JSON confirm value and
// a 10,000-digit number in an extra member (mcp-go ignores the member).
func abuseRevokeLine(id int, keyID int64, confirm string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"revoke_api_key","arguments":{"key_id":%d,"confirm":%s}},"extra":%s}`,
		id, keyID, confirm, strings.Repeat("9", 10000))
}

func abuseTail(s string) string {
	if len(s) > 200 {
		return s[:200] + fmt.Sprintf("… (%d bytes)", len(s))
	}
	return s
}

// TestAbuseMalformedInput: garbage of every kind gets a parse or request
// error (or nothing, for what is not a request), never a broken stdout
// line, and the server answers the next request.
func TestAbuseMalformedInput(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	a := abuseStart(t)
	a.initialize(t)
	// A live key of the fixture: a mutation of it would show below.
	keyID := fixtureKeyID(t, a.fake, "ci")
	garbage := []string{
		`{"jsonrpc":"2.0","id":1,"method":`,
		`{`, `}`, `null`, `[]`, `"just a string"`, `42`, `[{"jsonrpc":"2.0","id":2,"method":"ping"}]`,
		"\x00\x01\x02\xff\xfe binary",
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":"not an object"}`,
		`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":` + strings.Repeat(`[`, 100000) + `}}`,
		`{"jsonrpc":"1.0","id":5,"method":"tools/list"}`,
		`{"jsonrpc":"2.0","id":{"nested":true},"method":"tools/list"}`,
		// A whole call but for confirm, a string: it must not mutate (the
		// positive control below sends it with confirm: true).
		abuseRevokeLine(6, keyID, `"true"`),
	}
	// Whatever comes back for the garbage, a ping after it must be answered.
	// Written while the replies are read: a pipe has no buffer here.
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, g := range append(garbage, `{"jsonrpc":"2.0","id":"after","method":"ping"}`) {
			if _, err := io.WriteString(a.in, g+"\n"); err != nil {
				t.Errorf("write to stdin: %v", err)
				return
			}
		}
	})
	// Calls run on a worker pool: the revoke's answer (id 6) may come after
	// the ping's, and the check below must wait for it.
	replies, pinged, revokeAnswered := 0, false, false
	for !pinged || !revokeAnswered {
		msg := a.read(t)
		pinged = pinged || string(msg["id"]) == `"after"`
		revokeAnswered = revokeAnswered || string(msg["id"]) == "6"
		replies++
		if replies > len(garbage)*2 {
			t.Fatal("no answer to the ping or to the revoke after the garbage")
		}
	}
	waitGroup(t, &wg)
	if len(a.fake.Mutations()) != 0 {
		t.Fatal("garbage reached the API as a mutation")
	}
	// Positive control: the same line with confirm: true does revoke the
	// key, so the check above aims at a key that could be mutated.
	a.write(t, abuseRevokeLine(7, keyID, "true"))
	control := a.read(t)
	for n := 0; string(control["id"]) != "7"; n++ {
		if n > len(garbage) {
			t.Fatal("no answer to the valid revoke")
		}
		control = a.read(t)
	}
	if !keyRevoked(a.fake, keyID) || strings.Contains(string(control["result"]), `"isError":true`) {
		t.Fatal("positive control: the valid, confirmed revoke did not revoke the key")
	}
	t.Logf("abuse: %d malformed lines, %d error replies, server still answering", len(garbage), replies)
	a.stop(t, false, ignore)
}

// TestAbuseStdinClosedMidCall: end of input while a call waits on a hung
// API: the call's request is cancelled and the server returns promptly.
// The request must have ended before the fake is closed: closing the fake
// also ends a hung request, which would hide a server that never cancels.
func TestAbuseStdinClosedMidCall(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	a := abuseStart(t, neontest.Fault{Method: "GET", Hang: true, Count: 1 << 20})
	a.initialize(t)
	a.write(t, `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"list_api_keys","arguments":{}}}`)
	deadline := time.Now().Add(10 * time.Second)
	for len(a.fake.Requests()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the call never reached the API")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if abuseEnded(a.fake, 0) {
		t.Fatal("the hung request ended before end of input: the fault did not hold it")
	}
	a.end(t, false)
	// The fake logs a hung request's end once its context is done: the
	// client's cancellation reaches it a moment after ServeStdio returns.
	deadline = time.Now().Add(exitBound)
	for !abuseEnded(a.fake, 0) {
		if time.Now().After(deadline) {
			t.Fatalf("the in-flight request was still open %v after the server returned: end of input did not cancel it", exitBound)
		}
		time.Sleep(5 * time.Millisecond)
	}
	a.finish(t, ignore)
}

// abuseEnded reports whether request i of the fake's log has ended (the log
// fills in the status or the fault only then).
func abuseEnded(fake *neontest.Server, i int) bool {
	r := fake.Requests()[i]
	return r.Status != 0 || r.Fault != nil
}

// TestAbuseClientNeverReads: a client that writes 2,000 requests without
// reading a byte does not deadlock the server for good: once it reads, every
// answer arrives, in whole lines, and the server still ends cleanly.
func TestAbuseClientNeverReads(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	a := abuseStart(t)
	a.initialize(t)
	a.armBlocked()
	const n = 2000
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			method := "tools/list"
			if i%2 == 1 {
				method = "ping"
			}
			if _, err := fmt.Fprintf(a.in, `{"jsonrpc":"2.0","id":%d,"method":%q}`+"\n", i, method); err != nil {
				t.Errorf("write request %d: %v", i, err)
				return
			}
		}
	})
	// Not reading until the server's writes to stdout block.
	a.waitBlocked(t)
	seen := map[string]bool{}
	for len(seen) < n {
		msg := a.read(t)
		if msg["result"] == nil {
			t.Fatalf("request %s failed: %s", msg["id"], msg["error"])
		}
		seen[string(msg["id"])] = true
	}
	waitGroup(t, &wg)
	a.stop(t, false, ignore)
}

// TestAbuseClientGone: the client dies (its end of stdout closes) with
// answers pending; the server must not hang on the broken pipe.
func TestAbuseClientGone(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	a := abuseStart(t)
	a.initialize(t)
	a.armBlocked()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 200 {
			if _, err := fmt.Fprintf(a.in, `{"jsonrpc":"2.0","id":%d,"method":"tools/list"}`+"\n", i); err != nil {
				return // the server stopped reading: expected once stdout broke
			}
		}
	})
	a.waitBlocked(t) // an answer is on its way when the client dies
	_ = a.outR.Close()
	a.stop(t, true, ignore) // closing stdin also ends a write still pending
	waitGroup(t, &wg)
}

// stopReadingBound is how soon ServeStdio must return after EOF when the
// client stopped reading: the answers still owed get a 1.5 s grace, then the
// server gives up on them; the rest is slack for a loaded machine (5x under
// -race).
var stopReadingBound = raceBound(2*time.Second + 500*time.Millisecond)

// TestAbuseClientStopsReading: the client closes stdin but never reads
// stdout nor closes it, so the server's writes block for good. ServeStdio
// must return anyway, and once the pipe is closed no goroutine stays.
func TestAbuseClientStopsReading(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	a := abuseStart(t)
	a.initialize(t)
	a.armBlocked()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 200 {
			if _, err := fmt.Fprintf(a.in, `{"jsonrpc":"2.0","id":%d,"method":"tools/list"}`+"\n", i); err != nil {
				return // stdin closed below while this write waited
			}
		}
	})
	a.waitBlocked(t) // an answer is blocked on stdout
	start := time.Now()
	_ = a.in.Close()
	select {
	case err := <-a.done:
		if err != nil {
			t.Errorf("ServeStdio = %v, want nil at end of input", err)
		}
		t.Logf("returned %v after EOF with its client not reading", time.Since(start).Round(time.Millisecond))
	case <-time.After(stopReadingBound):
		t.Fatalf("the server was still running %v after EOF: a client that stops reading keeps it alive", stopReadingBound)
	}
	waitGroup(t, &wg)
	// abuseStart closed the server's end of stdout on return, which ends
	// the blocked write; what remains must wind down on its own.
	a.finish(t, ignore)
}
