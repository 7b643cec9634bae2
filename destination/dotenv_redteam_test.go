package destination

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDotenvPreflightRefusesAnUnclosedQuote: a .env whose quoted value
// never closes (a typo: FOO="bar) swallows every later line, the new
// assignment included, so the delivery could never be read back. The
// preflight used to pass, the key was minted, and the write then failed
// with the .env already rewritten; now the preflight refuses, naming the
// line, and the file is left as it was.
func TestDotenvPreflightRefusesAnUnclosedQuote(t *testing.T) {
	for name, content := range map[string]string{
		"unclosed double quote": "FOO=\"bar\nNEON_API_KEY=napi_old\n",
		"unclosed single quote": "A=1\nFOO='bar\n",
		"unclosed own value":    "NEON_API_KEY=\"napi_old\nB=2\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ".env")
			writeFile(t, path, content, 0o600)
			d := mustOpen(t, testEnv(t, nil), dotenvConfig(path), "env")[0]
			err := d.Preflight(t.Context())
			if err == nil || !strings.Contains(err.Error(), "never closes") {
				t.Fatalf("preflight: %v; want a refusal naming the unclosed quote", err)
			}
			if _, err := d.Deliver(t.Context(), testToken); err == nil {
				t.Error("the delivery wrote the file all the same")
			}
			if got := readFile(t, path); got != content {
				t.Errorf("the .env changed to %q", got)
			}
		})
	}
}
