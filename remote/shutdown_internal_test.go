package remote

import (
	"testing"
	"time"
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
