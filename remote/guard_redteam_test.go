package remote_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/remote"
)

// TestRefusedBodyIsNeverARequest: a request refused before its body was
// read (past its rate, foreign origin, malformed credential) whose body is
// itself a whole request, pipelined, or sent chunked and slowly: the client
// gets its refusal before it sent the body, the connection closes, and the
// body is never served as a request of its own (request smuggling).
func TestRefusedBodyIsNeverARequest(t *testing.T) {
	tests := []struct {
		name    string
		headers string // the refused request's own headers
		status  int
	}{
		{"past its rate", "Authorization: Bearer %s\r\n", http.StatusTooManyRequests},
		{"foreign origin", "Authorization: Bearer %s\r\nOrigin: https://evil.example\r\n", http.StatusForbidden},
		{"malformed credential", "Authorization: Basic %s\r\n", http.StatusBadRequest},
	}
	for _, chunked := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/chunked=%v", tt.name, chunked), func(t *testing.T) {
				e := newEnv(t)
				_, url := e.start(e.config(func(c *remote.Config) { c.Rate, c.Burst, c.Now = 1, 1, fixedClock }))
				if status, _, body := post(t, url, initialize, bearer(e.fx.AdminToken)); status != 200 {
					t.Fatalf("first call: status %d (%q), want 200", status, body)
				}
				// The smuggled request uses another credential, with its own budget.
				smuggled := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"+
					"Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: %d\r\n\r\n%s",
					remote.Path, e.fx.MemberToken, len(initialize), initialize)
				conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(url, remote.Path), "http://"))
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(hangGuard))
				framing := fmt.Sprintf("Content-Length: %d\r\n", len(smuggled))
				if chunked {
					framing = "Transfer-Encoding: chunked\r\n"
				}
				fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Type: application/json\r\n"+
					"Accept: application/json, text/event-stream\r\n%s\r\n", remote.Path, fmt.Sprintf(tt.headers, e.fx.AdminToken), framing)
				br := bufio.NewReader(conn)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("no answer before the body was sent: %v", err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
				}
				// Now the body: a whole request, then the end of the chunks.
				if chunked {
					fmt.Fprintf(conn, "%x\r\n%s\r\n0\r\n\r\n", len(smuggled), smuggled)
				} else {
					io.WriteString(conn, smuggled)
				}
				next, err := http.ReadResponse(br, nil)
				if err == nil {
					t.Fatalf("the refused request's body was served as a request: status %d", next.StatusCode)
				}
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Fatalf("the connection stayed open after the refusal: %v", err)
				}
			})
		}
	}
}

// TestOriginTricks: origins a hostile page may carry, or a rebinding or
// "0.0.0.0 day" page shows, that look like loopback but are not: refused;
// loopback spelled otherwise: served.
func TestOriginTricks(t *testing.T) {
	e := newEnv(t)
	_, url := e.start(e.config())
	tests := []struct {
		origin string
		want   int
	}{
		{"http://127.0.0.1.evil.example", http.StatusForbidden},
		{"http://localhost.:3000", http.StatusForbidden},
		{"http://0.0.0.0:8080", http.StatusForbidden},
		{"http://[::]:8080", http.StatusForbidden},
		{"http://2130706433", http.StatusForbidden},
		{"file://", http.StatusForbidden},
		{"chrome-extension://abcdef", http.StatusForbidden},
		{"http://LOCALHOST:3000", http.StatusOK},
		{"http://[::1]:3000", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			if status, _, body := post(t, url, initialize, map[string]string{"Origin": tt.origin}); status != tt.want {
				t.Fatalf("Origin %q: status %d (%q), want %d", tt.origin, status, body, tt.want)
			}
		})
	}
}
