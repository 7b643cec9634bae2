package remote

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/secret"
	"github.com/neonkeys/neonkeys/server"
)

// TestShutdownFitsKubernetesGrace: with the defaults, the longest shutdown
// (drain delay, then the calls' grace, then the wait for withdrawals of the
// calls cut short) ends well before Kubernetes' default 30 s SIGKILL, with
// room for the process to exit: a withdrawal killed midway leaves a key
// live that its caller never received.
func TestShutdownFitsKubernetesGrace(t *testing.T) {
	const margin = 5 * time.Second
	if shutdownBudget+margin > terminationGrace {
		t.Fatalf("drain %s + grace %s + withdrawals %s = %s: more than %s less %s of margin",
			DefaultDrainDelay, DefaultShutdownGrace, closeGrace, shutdownBudget, terminationGrace, margin)
	}
}

// TestDrainDelayDefault: a server a load balancer may route to (beyond
// loopback, or behind a proxy) serves on for the drain delay after
// SIGTERM; a loopback one, whose only client is local, stops at once.
func TestDrainDelayDefault(t *testing.T) {
	tests := []struct {
		addr        string
		behindProxy bool
		delay, want time.Duration
	}{
		{"127.0.0.1:8080", false, 0, 0},
		{"localhost:8080", false, 0, 0},
		{"127.0.0.1:8080", true, 0, DefaultDrainDelay},
		{"0.0.0.0:8443", false, 0, DefaultDrainDelay},
		{"0.0.0.0:8080", true, 0, DefaultDrainDelay},
		{"0.0.0.0:8080", true, 2 * time.Second, 2 * time.Second},
		{"0.0.0.0:8080", true, -1, -1},
	}
	for _, tt := range tests {
		c := Config{Addr: tt.addr, BehindProxy: tt.behindProxy, DrainDelay: tt.delay}
		c.setDefaults()
		if c.DrainDelay != tt.want {
			t.Errorf("%s behind proxy %v, DrainDelay %s: %s, want %s", tt.addr, tt.behindProxy, tt.delay, c.DrainDelay, tt.want)
		}
	}
}

// TestProcessRedactorKeepsNewestMinted: the tokens minted for callers are
// learned by the process redactor for as long as the server runs; it keeps
// the newest maxMintedRemembered of them, so memory and the cost of every
// redaction stop growing, and masks a forgotten Neon token by its shape.
func TestProcessRedactorKeepsNewestMinted(t *testing.T) {
	red := secret.NewRedactor()
	if _, err := New(Config{Server: server.Options{Version: "test", Redactor: red}}); err != nil {
		t.Fatal(err)
	}
	token := func(i int) string { // no two share a run of 16 characters
		sum := sha256.Sum256([]byte(fmt.Sprint(i)))
		return "minted-" + hex.EncodeToString(sum[:16])
	}
	const neonShaped = "napi_mintedlongagoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	red.Scoped("request-credential-zxcvbnmlkj").Add(neonShaped) // as a request's API client does
	for i := range 2 * maxMintedRemembered {
		red.Scoped("request-credential-zxcvbnmlkj").Add(token(i))
	}
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{token(2*maxMintedRemembered - 1), true},
		{token(0), false},
		{neonShaped, true},
	} {
		if got := red.Contains("x " + tt.in); got != tt.want {
			t.Errorf("the process redactor masks %q: %v, want %v", tt.in, got, tt.want)
		}
	}
}
