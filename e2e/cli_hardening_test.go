package e2e

import (
	"strconv"
	"strings"
	"testing"
)

// TestCLIHardeningEmptyPath: `--out "$OUT"` with OUT unset, or `--out=`,
// must not fall back to printing the token on stdout (into a CI log). An
// empty --out or --secrets-dir is a usage error before anything is minted.
func TestCLIHardeningEmptyPath(t *testing.T) {
	bin := buildNeonkeys(t)
	w := cliNewWorld(t, bin)
	rotateID := strconv.FormatInt(w.fx.OrgKeyID, 10)
	tests := []struct {
		name string
		args []string
		flag string
	}{
		{"create --out=", []string{"create", "--name", "empty-out", "--out="}, "--out"},
		{"create --out empty", []string{"create", "--name", "empty-out", "--out", ""}, "--out"},
		{"create -o json --out=", []string{"create", "--name", "empty-out", "-o", "json", "--out="}, "--out"},
		{"rotate --out empty", []string{"rotate", rotateID, "--org-id", w.fx.Org.ID, "--out", "", "--yes"}, "--out"},
		{"mcp --secrets-dir=", []string{"mcp", "--secrets-dir="}, "--secrets-dir"},
		{"mcp --secrets-dir empty", []string{"mcp", "--secrets-dir", ""}, "--secrets-dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := len(w.srv.LiveKeys())
			mutations := len(w.srv.Mutations())
			r := w.run(t, "", w.env(), tt.args...)
			cliWantCode(t, r, 2)
			cliWantStderr(t, r, tt.flag+" is empty")
			if r.stdout != "" {
				t.Errorf("stdout is not empty: %q", r.stdout)
			}
			if n := len(w.srv.Mutations()) - mutations; n != 0 {
				t.Errorf("%d mutating requests reached the API, want 0", n)
			}
			if n := len(w.srv.LiveKeys()); n != live {
				t.Errorf("%d live keys after the refusal, want %d", n, live)
			}
			if strings.Contains(r.stderr, "napi_") {
				t.Errorf("stderr holds a token:\n%s", r.stderr)
			}
		})
	}
}
