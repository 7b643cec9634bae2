package secret_test

import (
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/secret"
)

// TestScoped: a request's credential is masked by the scoped redactor
// only, never learned by the process one, while a token minted during the
// request is masked everywhere from then on.
func TestScoped(t *testing.T) {
	const cred = "napi_requestcredentialAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	const held = "process-held-secret-value-0123456789"
	const minted = "minted-during-request-0123456789abcdef"
	process := secret.NewRedactor(held)
	scoped := process.Scoped(cred)
	scoped.Add(cred, minted) // the API client registers its token: it must not leak into process
	tests := []struct {
		name string
		r    *secret.Redactor
		in   string
		want bool // masked
	}{
		{"scoped masks its credential", scoped, "key " + cred[5:40], true},
		{"scoped masks the process's secrets", scoped, "x " + held, true},
		{"scoped masks a minted token", scoped, minted, true},
		{"process masks the minted token", process, minted, true},
		{"process does not keep the credential's pieces", process, "key " + cred[5:40], false},
		{"scoped Known holds the credential", scoped.Known(), cred[10:40], true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.r.Redact(tt.in)
			if masked := strings.Contains(got, secret.Mask); masked != tt.want {
				t.Fatalf("Redact(%q) = %q, masked %v, want %v", tt.in, got, masked, tt.want)
			}
		})
	}
}
