package cli

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

func TestCLIWhoami(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	orgEnv := map[string]string{"NEON_API_KEY": fx.ProjectKeyToken, "NEON_API_HOST": srv.URL()}
	tests := []struct {
		name       string
		env        map[string]string
		wantText   []string
		wantType   string
		wantOrgs   int
		wantAcct   string
		wantNoUser bool
	}{
		{"personal", env, []string{"personal key", fx.Org.ID, fx.Admin.ID, "Ada Lovelace", fx.Admin.Email}, "personal", 1, fx.Admin.ID, false},
		// An organization key sees its own organization.
		{"project-scoped", orgEnv, []string{"organization key", fx.Org.ID}, "organization", 1, fx.Org.ID, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, runOpts{env: tt.env}, "whoami")
			wantCode(t, r, 0)
			for _, want := range tt.wantText {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
				}
			}
			r = runCLI(t, runOpts{env: tt.env}, "whoami", "-o", "json")
			wantCode(t, r, 0)
			var w keys.Identity
			if err := json.Unmarshal([]byte(r.stdout), &w); err != nil {
				t.Fatal(err)
			}
			if w.KeyType != tt.wantType || w.AccountID != tt.wantAcct || len(w.Organizations) != tt.wantOrgs {
				t.Errorf("unexpected answer %+v", w)
			}
			if tt.wantNoUser != (w.User == nil) {
				t.Errorf("user %+v: a personal key names its user, an organization key none", w.User)
			} else if w.User != nil && (w.User.Name != "Ada Lovelace" || w.User.Email != fx.Admin.Email) {
				t.Errorf("user %+v, want Ada Lovelace <%s>", w.User, fx.Admin.Email)
			}
		})
	}
}

func TestCLIVersionAndCompletion(t *testing.T) {
	r := runCLI(t, runOpts{}, "version")
	wantCode(t, r, 0)
	if !strings.HasPrefix(r.stdout, "neonkeys ") {
		t.Errorf("version printed %q", r.stdout)
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		r := runCLI(t, runOpts{}, "completion", shell)
		wantCode(t, r, 0)
		if !strings.Contains(r.stdout, "neonkeys") || len(r.stdout) < 200 {
			t.Errorf("%s completion looks empty:\n%.200s", shell, r.stdout)
		}
	}
	r = runCLI(t, runOpts{}, "completion", "powershell-7")
	wantCode(t, r, 2)
}

func TestCLICredential(t *testing.T) {
	srv, fx, _ := fakeEnv(t)
	host := map[string]string{"NEON_API_HOST": srv.URL()}
	t.Run("missing", func(t *testing.T) {
		for _, cmd := range [][]string{{"list"}, {"whoami"}, {"create", "--name", "x"}, {"revoke", "1", "--yes"}, {"rotate", "1", "--yes"}} {
			r := runCLI(t, runOpts{env: host}, cmd...)
			wantCode(t, r, 2)
			if !strings.Contains(r.stderr, "NEON_API_KEY is not set: create a key in the Neon Console (Account settings > API keys), then export NEON_API_KEY=<key>") {
				t.Errorf("%v: stderr lacks the advice:\n%s", cmd, r.stderr)
			}
		}
		if len(srv.Requests()) != 0 {
			t.Errorf("%d requests without a credential", len(srv.Requests()))
		}
	})
	t.Run("stdin", func(t *testing.T) {
		r := runCLI(t, runOpts{env: host, stdin: strings.NewReader(fx.AdminToken + "\n")}, "list", "--api-key", "-")
		wantCode(t, r, 0)
		if !strings.Contains(r.stdout, "laptop") {
			t.Errorf("stdout:\n%s", r.stdout)
		}
	})
	t.Run("plain value refused", func(t *testing.T) {
		r := runCLI(t, runOpts{env: host}, "list", "--api-key", fx.AdminToken)
		wantCode(t, r, 2)
		noSecrets(t, "stderr", r.stderr, fx.AdminToken)
		if !strings.Contains(r.stderr, "--api-key: only '-' is accepted") {
			t.Errorf("stderr:\n%s", r.stderr)
		}
	})
	t.Run("file readable by others", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "key")
		if err := os.WriteFile(path, []byte(fx.AdminToken+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"NEON_API_HOST": srv.URL(), "NEON_API_KEY_FILE": path}
		r := runCLI(t, runOpts{env: env}, "list")
		wantCode(t, r, 0)
		if !strings.Contains(r.stderr, "chmod 600") {
			t.Errorf("no warning about the file mode:\n%s", r.stderr)
		}
	})
	t.Run("rejected", func(t *testing.T) {
		env := map[string]string{"NEON_API_HOST": srv.URL(), "NEON_API_KEY": "napi_notarealkey0000000000000000"}
		r := runCLI(t, runOpts{env: env}, "list")
		wantCode(t, r, 1)
		if !strings.Contains(r.stderr, "Neon rejected the API key (401)") {
			t.Errorf("stderr:\n%s", r.stderr)
		}
		noSecrets(t, "stderr", r.stderr, env["NEON_API_KEY"])
	})
}

func TestCLIUsageErrors(t *testing.T) {
	_, _, env := fakeEnv(t)
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"list", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"lst"}, "unknown command"},
		{[]string{"list", "-o", "xml"}, "choose table, json or yaml"},
		{[]string{"revoke"}, "accepts 1 arg"},
		{[]string{"revoke", "abc", "--yes"}, "not a positive integer"},
		{[]string{"rotate", "-5", "--yes"}, "unknown shorthand flag"},
		{[]string{"rotate", "0", "--yes"}, "not a positive integer"},
		{[]string{"rotate", "1", "--name", ""}, "the key name is empty"},
		{[]string{"list", "--org-id", "Org_X"}, "is not a Neon id"},
		{[]string{"list", "--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"mcp", "--api-key", "-"}, "mcp does not take --api-key"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, runOpts{env: env}, tt.args...)
			wantCode(t, r, 2)
			if !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty: %q", r.stdout)
			}
			if strings.Contains(r.stderr, "goroutine") || strings.Contains(r.stderr, "Usage:") {
				t.Errorf("stderr holds a stack or the whole usage:\n%s", r.stderr)
			}
		})
	}
}

// TestCLIRedaction plants the credential and token-shaped strings where the
// API controls the text: key names, a creator's name, a 500 body that quotes
// the Authorization header. None may reach stdout or stderr.
func TestCLIRedaction(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	planted := "napi_" + strings.Repeat("q1", 20)
	_, evilID := srv.AddPersonalKey(fx.Admin.ID, "evil "+fx.AdminToken[:40])
	srv.AddPersonalKey(fx.Admin.ID, "leak "+planted+"\x1b[2J\r")
	secrets := []string{fx.AdminToken, fx.AdminToken[:40], planted}

	for _, format := range []string{"table", "json", "yaml"} {
		r := runCLI(t, runOpts{env: env}, "list", "-o", format)
		wantCode(t, r, 0)
		noSecrets(t, format+" stdout", r.stdout, secrets...)
		if format == "table" && strings.ContainsAny(r.stdout, "\x1b\r") {
			t.Errorf("table holds control characters:\n%q", r.stdout)
		}
	}
	r := runCLI(t, runOpts{env: env}, "revoke", strconv.FormatInt(evilID, 10))
	wantCode(t, r, 2)
	noSecrets(t, "revoke preview", r.stderr, secrets...)

	srv.Inject(neontest.Fault{Method: http.MethodGet, EchoAuthorization: true})
	r = runCLI(t, runOpts{env: env}, "list")
	wantCode(t, r, 1)
	noSecrets(t, "stderr of a 500", r.stderr, fx.AdminToken)
	if !strings.Contains(r.stderr, "Neon failed to answer (500") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "{") {
		t.Errorf("stderr holds a raw body:\n%s", r.stderr)
	}
}

// TestCLINewTokenOnlyOnce checks that a minted token reaches stdout exactly
// once and stderr never, in every format.
func TestCLINewTokenOnlyOnce(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	for i, format := range []string{"table", "json", "yaml"} {
		r := runCLI(t, runOpts{env: env}, "create", "--name", "once-"+strconv.Itoa(i), "-o", format)
		wantCode(t, r, 0)
		tok := ""
		for _, f := range strings.Fields(r.stdout) {
			// The first: the token comes before its fingerprint.
			if tok == "" && strings.HasPrefix(strings.Trim(f, `",`), "napi_") {
				tok = strings.Trim(f, `",`)
			}
		}
		if tok == "" || !srv.TokenValid(tok) {
			t.Fatalf("%s: no valid token in stdout:\n%s", format, r.stdout)
		}
		if n := strings.Count(r.stdout, tok); n != 1 {
			t.Errorf("%s: token appears %d times in stdout", format, n)
		}
		noSecrets(t, format+" stderr", r.stderr, tok, fx.AdminToken)
	}
}

// TestCLIMCPStartsWithoutCredential: a missing credential does not stop the
// MCP server; it starts and answers (each tool then explains the missing key).
func TestCLIMCPStartsWithoutCredential(t *testing.T) {
	in := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}` + "\n"
	r := runCLI(t, runOpts{env: map[string]string{}, stdin: strings.NewReader(in)}, "mcp")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, `"serverInfo"`) {
		t.Errorf("no initialize answer on stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
}
