package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/server"
)

// A token sent in an MCP answer counts as delivered only once the bytes
// that carry it were written in full; a rotation revokes the old key only
// after that. These tests drive ServeStdio on pipes against the fake API.

// session is one ServeStdio on pipes whose stdout the test can watch.
type session struct {
	fake    *neontest.Server
	scratch int64 // a spare personal key of the admin: safe to rotate
	in      *io.PipeWriter
	outR    *io.PipeReader
	lines   chan string   // stdout, line by line; closed at its end
	rest    chan []string // after quit: the lines not read before it
	stderr  *lockedBuffer
	stopped chan struct{}                  // closed when ServeStdio returned
	onWrite atomic.Pointer[func(p []byte)] // called with each stdout message before it is written
}

// hookedWriter calls s.onWrite before each write to stdout.
type hookedWriter struct {
	s *session
	w io.Writer
}

func (h hookedWriter) Write(p []byte) (int, error) {
	if f := h.s.onWrite.Load(); f != nil {
		(*f)(p)
	}
	return h.w.Write(p)
}

// startSession starts ServeStdio; elicit serves with the confirmation
// dialog on (the client must then declare or not declare elicitation).
func startSession(t *testing.T, elicit bool, faults ...neontest.Fault) *session {
	t.Helper()
	fake := neontest.New(t)
	fx := fake.Seed()
	_, scratch := fake.AddPersonalKey(fx.Admin.ID, "scratch")
	fake.Inject(faults...)
	opts := options(t, fake.URL(), fake.Client(), fx.AdminToken)
	opts.NoElicit = !elicit
	serialised(t, &opts)
	s := &session{fake: fake, scratch: scratch, stderr: &lockedBuffer{}, stopped: make(chan struct{}), rest: make(chan []string, 1)}
	opts.Log = s.stderr
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s.in, s.outR, s.lines = inW, outR, make(chan string, 1024)
	go func() {
		defer close(s.lines)
		r := bufio.NewReaderSize(outR, 1<<16)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			s.lines <- line
		}
	}()
	go func() {
		if err := server.ServeStdio(context.Background(), opts, inR, hookedWriter{s: s, w: outW}); err != nil {
			t.Errorf("ServeStdio: %v", err)
		}
		_ = outW.Close()
		_ = inR.Close()
		close(s.stopped)
	}()
	t.Cleanup(func() {
		_ = inW.Close()
		_ = outR.Close()
		select {
		case <-s.stopped:
		case <-time.After(60 * time.Second):
			t.Error("the server did not stop")
		}
	})
	return s
}

func (s *session) send(t *testing.T, format string, args ...any) {
	t.Helper()
	if err := writeLine(s.in, fmt.Sprintf(format, args...)); err != nil {
		t.Fatalf("write to stdin: %v", err)
	}
}

// next returns the next stdout message. The bound only turns a message
// that never comes into a failure instead of a hang.
func (s *session) next(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	var line string
	select {
	case l, ok := <-s.lines:
		if !ok {
			t.Fatalf("stdout ended\nstderr:\n%s", s.stderr)
		}
		line = l
	case <-time.After(30 * time.Second):
		t.Fatalf("no message on stdout for 30 s\nstderr:\n%s", s.stderr)
	}
	var msg map[string]json.RawMessage
	if err := json.Unmarshal([]byte(line), &msg); err != nil {
		t.Fatalf("stdout line is not JSON: %q", abuseTail(line))
	}
	return msg
}

// until returns the next stdout message with this id (a JSON literal),
// skipping notifications.
func (s *session) until(t *testing.T, id string) map[string]json.RawMessage {
	t.Helper()
	for {
		if msg := s.next(t); string(msg["id"]) == id {
			return msg
		}
	}
}

// handshake initializes the session; elicitation declares the capability.
func (s *session) handshake(t *testing.T, elicitation bool) {
	t.Helper()
	caps := `{}`
	if elicitation {
		caps = `{"elicitation":{}}`
	}
	s.send(t, `{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":%s,"clientInfo":{"name":"t","version":"1"}}}`, caps)
	if msg := s.until(t, `"init"`); msg["result"] == nil {
		t.Fatalf("initialize failed: %s", msg["error"])
	}
	s.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
}

// quit closes stdin (and, with gone, stdout's read end) and waits for
// ServeStdio, which waits for revokes still running (bounded by the keys
// service's 30 s).
func (s *session) quit(t *testing.T, gone bool) {
	t.Helper()
	if gone {
		_ = s.outR.Close()
	} else {
		// Keep reading: a reply still being written must not block the exit.
		go func() {
			var rest []string
			for l := range s.lines {
				rest = append(rest, l)
			}
			s.rest <- rest
		}()
	}
	_ = s.in.Close()
	select {
	case <-s.stopped:
	case <-time.After(60 * time.Second):
		t.Fatal("the server did not exit")
	}
}

// key returns the fake's record of key id.
func (s *session) key(t *testing.T, id int64) neontest.KeyInfo {
	t.Helper()
	k, ok := s.fake.Key(id)
	if !ok {
		t.Fatalf("no key %d in the fake", id)
	}
	return k
}

// minted returns the keys created during the test (ids above the fixture's).
func (s *session) minted(t *testing.T) []neontest.KeyInfo {
	t.Helper()
	var out []neontest.KeyInfo
	for _, k := range s.fake.Keys() {
		if k.ID > s.scratch {
			out = append(out, k)
		}
	}
	return out
}

// mintCall is a confirmed call of a tool that mints a key.
func (s *session) mintCall(tool string) string {
	switch tool {
	case "rotate_api_key":
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":"mint","method":"tools/call","params":{"name":"rotate_api_key","arguments":{"key_id":%d,"confirm":true}}}`, s.scratch)
	default:
		return `{"jsonrpc":"2.0","id":"mint","method":"tools/call","params":{"name":"create_project_scoped_key","arguments":{"project_id":"` +
			s.projectID() + `","key_name":"ci-deploy","confirm":true}}}`
	}
}

func (s *session) projectID() string {
	for _, k := range s.fake.Keys() {
		if k.ProjectID != "" {
			return k.ProjectID
		}
	}
	return ""
}

// TestUndeliveredTokenWithdrawsTheKey: the client is gone (its end of
// stdout closed) when the answer carrying a new token is written. The write
// fails, so nobody holds the token: the new key must be revoked, and a
// rotation must leave the old key working.
func TestUndeliveredTokenWithdrawsTheKey(t *testing.T) {
	for _, tool := range []string{"create_project_scoped_key", "rotate_api_key"} {
		t.Run(tool, func(t *testing.T) {
			s := startSession(t, false)
			written := make(chan struct{})
			var once sync.Once
			hook := func(p []byte) {
				if bytes.Contains(p, []byte(`"id":"mint"`)) {
					once.Do(func() { close(written) })
				}
			}
			s.onWrite.Store(&hook)
			s.handshake(t, false)
			_ = s.outR.Close() // the client stops listening before its answer comes
			s.send(t, "%s", s.mintCall(tool))
			awaitChan(t, "the answer carrying the token", written) // attempted (and failed: nobody reads)
			s.quit(t, true)
			minted := s.minted(t)
			if len(minted) != 1 {
				t.Fatalf("%d keys minted, want 1", len(minted))
			}
			if !minted[0].Revoked {
				t.Errorf("the new key %d is live though its token was never written: nobody holds it", minted[0].ID)
			}
			if tool == "rotate_api_key" && s.key(t, s.scratch).Revoked {
				t.Error("the old key was revoked though its replacement never reached the client")
			}
		})
	}
}

// TestRotateRevokesTheOldKeyAfterItsAnswer: the old key is still live when
// the answer carrying the new token is written, the answer says so, and
// once it was written the old key is revoked and a notifications/message
// tells the client the outcome.
func TestRotateRevokesTheOldKeyAfterItsAnswer(t *testing.T) {
	s := startSession(t, false)
	var mu sync.Mutex
	var liveAtAnswer, sawAnswer bool
	hook := func(p []byte) {
		if bytes.Contains(p, []byte(`"id":"mint"`)) {
			k, _ := s.fake.Key(s.scratch)
			mu.Lock()
			sawAnswer, liveAtAnswer = true, !k.Revoked
			mu.Unlock()
		}
	}
	s.onWrite.Store(&hook)
	s.handshake(t, false)
	s.send(t, `{"jsonrpc":"2.0","id":"lvl","method":"logging/setLevel","params":{"level":"notice"}}`)
	if msg := s.until(t, `"lvl"`); msg["result"] == nil {
		t.Fatalf("logging/setLevel: %s", msg["error"])
	}
	s.send(t, "%s", s.mintCall("rotate_api_key"))
	answer := s.until(t, `"mint"`)
	if !strings.Contains(string(answer["result"]), "will be revoked as soon as this answer is delivered") {
		t.Errorf("the answer does not say the old key is revoked once it is delivered: %s", answer["result"])
	}
	mu.Lock()
	if !sawAnswer || !liveAtAnswer {
		t.Errorf("the old key was revoked before the answer carrying its replacement was written (answer seen %v)", sawAnswer)
	}
	mu.Unlock()
	var note struct {
		Method string `json:"method"`
		Params struct {
			Level string         `json:"level"`
			Data  map[string]any `json:"data"`
		} `json:"params"`
	}
	for note.Method != "notifications/message" {
		raw, _ := json.Marshal(s.next(t))
		_ = json.Unmarshal(raw, &note)
	}
	if note.Params.Data["old_revoked"] != true || note.Params.Level != "notice" {
		t.Errorf("notifications/message = %+v, want level notice and old_revoked true", note.Params)
	}
	if !s.key(t, s.scratch).Revoked {
		t.Error("the notification says the old key is revoked, the API does not")
	}
	s.quit(t, false)
	if minted := s.minted(t); len(minted) != 1 || minted[0].Revoked {
		t.Errorf("want the one replacement live, got %+v", minted)
	}
}

// TestQuitWhileTheOldKeyIsRevoked: the client quits while the old key's
// revoke is on its way (slower than the 1.5 s exit grace): the revoke is
// not cut short, the server finishes it before it exits, and the delivered
// replacement stays live.
func TestQuitWhileTheOldKeyIsRevoked(t *testing.T) {
	s := startSession(t, false, neontest.Fault{Method: http.MethodDelete, Delay: 2500 * time.Millisecond})
	s.handshake(t, false)
	s.send(t, "%s", s.mintCall("rotate_api_key"))
	deadline := time.Now().Add(30 * time.Second)
	for !slices.ContainsFunc(s.fake.Requests(), func(r neontest.Request) bool { return r.Method == http.MethodDelete }) {
		if time.Now().After(deadline) {
			t.Fatal("the old key's revoke never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.quit(t, false) // the revoke is in flight
	rest := strings.Join(awaitChan(t, "the rest of stdout", s.rest), "")
	if !strings.Contains(rest, `"id":"mint"`) || !strings.Contains(rest, "Rotated:") {
		t.Fatalf("the rotate answer never came: %s", abuseTail(rest))
	}
	if !s.key(t, s.scratch).Revoked {
		t.Error("the server exited with the old key's revoke cut short: the old key still works")
	}
	if minted := s.minted(t); len(minted) != 1 || minted[0].Revoked {
		t.Errorf("want the one replacement live, got %+v", minted)
	}
}

// TestRotateRevokeFailureNotified: the new token was delivered but the old
// key's revoke fails. The answer could not know; the client learns it from
// a notifications/message at level error (sent without logging/setLevel:
// error is mcp-go's default level), and the server log says it too.
func TestRotateRevokeFailureNotified(t *testing.T) {
	s := startSession(t, false, neontest.Fault{Method: http.MethodDelete, Status: http.StatusForbidden, Count: 1 << 20})
	s.handshake(t, false)
	s.send(t, "%s", s.mintCall("rotate_api_key"))
	s.until(t, `"mint"`)
	var note struct {
		Method string `json:"method"`
		Params struct {
			Level string         `json:"level"`
			Data  map[string]any `json:"data"`
		} `json:"params"`
	}
	for note.Method != "notifications/message" {
		raw, _ := json.Marshal(s.next(t))
		_ = json.Unmarshal(raw, &note)
	}
	msg, _ := note.Params.Data["message"].(string)
	if note.Params.Level != "error" || note.Params.Data["old_revoked"] != false || !strings.Contains(msg, "still works") {
		t.Errorf("notifications/message = %+v, want level error saying the old key still works", note.Params)
	}
	s.quit(t, false)
	if s.key(t, s.scratch).Revoked {
		t.Fatal("the fault did not hold: the old key was revoked")
	}
	if !strings.Contains(s.stderr.String(), "still works") {
		t.Errorf("stderr does not say the old key still works:\n%s", s.stderr)
	}
}
