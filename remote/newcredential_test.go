package remote_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/remote"
)

// listCall is a tools/call of list_api_keys, which sends Neon one request.
const listCall = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_api_keys","arguments":{}}}`

// TestNewCredentialsPerAddressAreBounded: a client that makes up a new key
// for every request gets a fresh per-key bucket each time, so the rate
// limit alone would let it make this server send Neon a doomed call per
// request. Credentials new to the instance are counted per client address:
// past the burst it gets 429 and Neon hears nothing, while a credential the
// instance already knows goes on being served.
func TestNewCredentialsPerAddressAreBounded(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	_, url := e.start(e.config(func(c *remote.Config) { c.Now = clock }))
	known := bearer(e.fx.AdminToken)
	if status, _, body := post(t, url, listCall, known); status != 200 {
		t.Fatalf("a real key: status %d (%q)", status, body)
	}
	const burst = 60 // remote.newCredentialBurst, less the real key above
	made := func(i int) map[string]string { return bearer(fmt.Sprintf("napi_madeup%040d", i)) }
	for i := range burst - 1 {
		if status, _, body := post(t, url, listCall, made(i)); status != 200 {
			t.Fatalf("made-up key %d: status %d (%q), want 200 (a tool error from Neon's 401)", i, status, body)
		}
	}
	e.fake.ResetRequests()
	status, hdr, body := post(t, url, listCall, made(burst))
	if status != http.StatusTooManyRequests || hdr.Get("Retry-After") != "1" ||
		!strings.Contains(body, "Too many new credentials from this address") {
		t.Fatalf("one made-up key too many: status %d, Retry-After %q, body %q; want 429 saying why", status, hdr.Get("Retry-After"), body)
	}
	if n := len(e.fake.Requests()); n != 0 {
		t.Fatalf("Neon got %d request(s) for a refused new credential, want none", n)
	}
	if status, _, body := post(t, url, listCall, known); status != 200 {
		t.Fatalf("the known key after the flood: status %d (%q), want 200", status, body)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if status, _, body := post(t, url, listCall, made(burst+1)); status != 200 {
		t.Fatalf("a new key a second later: status %d (%q), want 200", status, body)
	}
}
