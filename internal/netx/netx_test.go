package netx_test

import (
	"testing"

	"github.com/neonkeys/neonkeys/internal/netx"
)

// IsLoopbackHost decides where plain http may carry a credential, so a
// name that only looks local must be refused.
func TestIsLoopbackHost(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LocalHost", true},
		{"127.0.0.1", true},
		{"127.255.0.9", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true},
		{"", false},
		{"localhost.", false},            // a DNS name, resolved elsewhere
		{"localhost.example.com", false}, // likewise
		{"mylocalhost", false},
		{"[::1]", false},          // brackets belong to the URL, not the host
		{"127.0.0.1:8080", false}, // so does a port
		{"::1%lo", false},         // a zone is not parsed as an address
		{"10.0.0.1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"128.0.0.1", false},
		{"api.example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if got := netx.IsLoopbackHost(tt.host); got != tt.want {
				t.Errorf("IsLoopbackHost(%q) = %v, want %v", tt.host, got, tt.want)
			}
		})
	}
}
