package remote_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestAccessLogHoldsNoCredentialAHostileClientPutsInIt: every field of an
// access-log line that a client writes (the tool's name, the path, the
// method) may carry the request's own credential, pasted there by mistake
// or on purpose; a bearer token in no Neon shape is masked by its exact
// value only, which the process redactor does not hold (each request's
// credential lives in that request's scoped redactor). No line holds it,
// and an unknown tool makes no tool field.
func TestAccessLogHoldsNoCredentialAHostileClientPutsInIt(t *testing.T) {
	const token = "Zq8xT2mK9vR4wL7pN3bH6cJ1-legacy.tok"
	unknownTool := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"` + token + `","arguments":{}}}`
	tests := []struct {
		name, method, path, body string
	}{
		{"an unknown tool named like the credential", http.MethodPost, "/mcp", unknownTool},
		{"the credential in the path", http.MethodGet, "/mcp/" + token, ""},
		{"the credential as the method", token, "/mcp", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, url := e.start(e.config())
			base := strings.TrimSuffix(url, "/mcp")
			req, err := http.NewRequest(tt.method, base+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			req.Header.Set("MCP-Protocol-Version", "2025-11-25")
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			log := e.access.String()
			if !strings.Contains(log, `"status"`) {
				t.Fatalf("no access-log line:\n%s", log)
			}
			for _, leak := range []string{token, token[:16], `"tool"`} {
				if strings.Contains(log, leak) {
					t.Errorf("access log holds %q:\n%s", leak, log)
				}
			}
			if strings.Contains(e.log.String(), token[:16]) {
				t.Errorf("server log holds the credential:\n%s", e.log.String())
			}
		})
	}
}
