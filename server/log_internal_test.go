package server

import (
	"bytes"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/secret"
)

// TestServerLogMasksHeldSecrets: the server log (stderr) masks every secret
// the process holds, whatever a log call passes it: the handler writes
// through the redactor, so a call site that forgets to redact (an API error
// message quoting the credential) still leaks nothing. Every call site
// redacts today, so only the logger itself shows whether this layer works.
func TestServerLogMasksHeldSecrets(t *testing.T) {
	cases := []struct{ name, secret string }{
		{"credential", "napi_" + strings.Repeat("q8", 32)},
		{"legacy prefix-less credential", strings.Repeat("m3", 32)},
		{"token minted after the logger was made", strings.Repeat("z9", 34)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			red := secret.NewRedactor()
			var log bytes.Buffer
			logger := newLogger(Options{Redactor: red, Log: &log})
			red.Add(c.secret)
			apiError := `Neon answered 401 for GET /api_keys: {"message":"authentication failed for ` + c.secret + `"}`
			logger.Warn("neon call failed", "tool", "list_api_keys", "error", apiError)
			if !strings.Contains(log.String(), "neon call failed") {
				t.Fatalf("nothing was logged: %q", log.String())
			}
			if strings.Contains(log.String(), c.secret) {
				t.Errorf("the server log shows a held secret: %s", log.String())
			}
		})
	}
}
