package cli

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBlankOrDashOutIsRefused: --out " ", a TAB or "-" would write the
// token to a file of that name; --secrets-dir of white space is no
// directory. Each is refused (exit 2) before anything is minted or served.
func TestBlankOrDashOutIsRefused(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"create --out space", []string{"create", "--name", "n1", "--out", " "}, "--out is blank"},
		{"create --out tab", []string{"create", "--name", "n1", "--out", "\t"}, "--out is blank"},
		{"create --out dash", []string{"create", "--name", "n1", "--out", "-"}, "omit --out to print the token on stdout"},
		{"rotate --out space", []string{"rotate", "1000001", "--yes", "--out", "  "}, "--out is blank"},
		{"rotate --out dash", []string{"rotate", "1000001", "--yes", "--out=-"}, "omit --out to print the token on stdout"},
		{"mcp --secrets-dir space", []string{"mcp", "--secrets-dir", " "}, "--secrets-dir is blank"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _, env := fakeEnv(t)
			t.Chdir(t.TempDir())
			r := runCLI(t, runOpts{env: env}, tt.args...)
			wantCode(t, r, ExitUsage)
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, r.stderr)
			}
			if n := mutations(srv, http.MethodPost) + mutations(srv, http.MethodDelete); n != 0 {
				t.Errorf("%d keys were created or revoked", n)
			}
			if files, _ := os.ReadDir("."); len(files) != 0 {
				t.Errorf("a file was written: %s", files[0].Name())
			}
		})
	}
}

// TestTokenToTheNullDeviceIsRefused: a stdout on /dev/null (what a closed
// stdout becomes at start) would swallow the new token while the write
// succeeds, so create and rotate refuse before minting, and mcp refuses to
// serve; with --out the token goes to the file, so create is allowed.
func TestTokenToTheNullDeviceIsRefused(t *testing.T) {
	tests := []struct {
		name     string
		args     func(dir string) []string
		wantCode int
		want     string
		wantPOST int
	}{
		{"create", func(string) []string { return []string{"create", "--name", "n1"} }, ExitUsage, "the new token would be lost", 0},
		{"create -o json", func(string) []string { return []string{"create", "--name", "n1", "-o", "json"} }, ExitUsage, "the new token would be lost", 0},
		{"rotate", func(string) []string { return []string{"rotate", "1000001", "--yes"} }, ExitUsage, "the new token would be lost", 0},
		{"mcp", func(string) []string { return []string{"mcp"} }, ExitUsage, "no MCP client could read any answer", 0},
		{"create --out", func(dir string) []string {
			return []string{"create", "--name", "n1", "--out", filepath.Join(dir, "tok")}
		}, 0, "Created key", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _, env := fakeEnv(t)
			null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer null.Close()
			var stderr bytes.Buffer
			e := env2(env, null, &stderr)
			code := run(t.Context(), e, tt.args(t.TempDir()))
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s", code, tt.wantCode, tt.want, stderr.String())
			}
			if n := mutations(srv, http.MethodPost); n != tt.wantPOST {
				t.Errorf("%d keys were created, want %d", n, tt.wantPOST)
			}
			if n := mutations(srv, http.MethodDelete); n != 0 {
				t.Errorf("%d keys were revoked", n)
			}
		})
	}
}
