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
	"github.com/neonkeys/neonkeys/secret"
)

// tokenIn returns the one token-shaped line of out (the table-mode answer).
func tokenIn(t *testing.T, out string) string {
	t.Helper()
	tok := strings.TrimSpace(out)
	if !strings.HasPrefix(tok, "napi_") || strings.ContainsAny(tok, " \n") {
		t.Fatalf("stdout is not one token: %q", out)
	}
	return tok
}

func TestCLICreateScopes(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	tests := []struct {
		name          string
		args          []string
		wantOrg       string
		wantProject   string
		wantScopeText string
	}{
		{"personal", []string{"--name", "deploy"}, "", "", "personal"},
		{"org-wide", []string{"--name", "org-ci", "--org-id", fx.Org.ID}, fx.Org.ID, "", "organization " + fx.Org.ID},
		{"project", []string{"--name", "shop-ci", "--project-id", fx.OrgProject.ID}, fx.Org.ID, fx.OrgProject.ID, "project " + fx.OrgProject.ID},
		{"project and its org", []string{"--name", "shop-ci-2", "--project-id", fx.OrgProject.ID, "--org-id", fx.Org.ID}, fx.Org.ID, fx.OrgProject.ID, "project " + fx.OrgProject.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, runOpts{env: env}, append([]string{"create"}, tt.args...)...)
			wantCode(t, r, 0)
			tok := tokenIn(t, r.stdout)
			if !srv.TokenValid(tok) {
				t.Fatal("the printed token does not authenticate")
			}
			if !strings.Contains(r.stderr, "Store this key now: it is not shown again") {
				t.Errorf("stderr lacks the store warning:\n%s", r.stderr)
			}
			if !strings.Contains(r.stderr, tt.wantScopeText) {
				t.Errorf("stderr does not name the scope %q:\n%s", tt.wantScopeText, r.stderr)
			}
			noSecrets(t, "stderr", r.stderr, tok, fx.AdminToken)
			live := srv.LiveKeys()
			k := live[len(live)-1]
			if k.OrgID != tt.wantOrg || k.ProjectID != tt.wantProject {
				t.Errorf("created key has org %q project %q, want %q %q", k.OrgID, k.ProjectID, tt.wantOrg, tt.wantProject)
			}
		})
	}
}

func TestCLICreateJSONAndYAML(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	for _, format := range []string{"json", "yaml"} {
		r := runCLI(t, runOpts{env: env}, "create", "--name", "k-"+format, "--project-id", fx.OrgProject.ID, "-o", format)
		wantCode(t, r, 0)
		if format == "json" {
			var out keys.NewKeyView
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
				t.Fatal(err)
			}
			if !srv.TokenValid(out.Token) || out.ProjectID != fx.OrgProject.ID || out.OrgID != fx.Org.ID || out.Name != "k-json" {
				t.Errorf("unexpected answer %+v", out)
			}
			if strings.Count(r.stdout, out.Token) != 1 {
				t.Errorf("the token appears %d times in stdout", strings.Count(r.stdout, out.Token))
			}
		} else if !strings.Contains(r.stdout, "key: napi_") || !strings.Contains(r.stdout, "project_id: "+fx.OrgProject.ID) {
			t.Errorf("yaml answer lacks key or project_id:\n%s", r.stdout)
		}
	}
}

func TestCLICreateOut(t *testing.T) {
	srv, _, env := fakeEnv(t)
	path := filepath.Join(t.TempDir(), "ci.token")
	r := runCLI(t, runOpts{env: env}, "create", "--name", "ci-file", "--out", path)
	wantCode(t, r, 0)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(string(data))
	if !srv.TokenValid(tok) {
		t.Fatal("the token in the file does not authenticate")
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %o, want 600", info.Mode().Perm())
	}
	noSecrets(t, "stdout", r.stdout, tok)
	noSecrets(t, "stderr", r.stderr, tok)
	if !strings.Contains(r.stdout, path) || !strings.Contains(r.stdout, secret.Fingerprint(tok)) {
		t.Errorf("stdout %q lacks the path or the fingerprint", r.stdout)
	}

	// A second create to the same file refuses before minting anything.
	before := len(srv.Mutations())
	r = runCLI(t, runOpts{env: env}, "create", "--name", "ci-file-2", "--out", path)
	wantCode(t, r, 2)
	if !strings.Contains(r.stderr, "already exists") {
		t.Errorf("stderr does not say the file exists:\n%s", r.stderr)
	}
	if n := len(srv.Mutations()) - before; n != 0 {
		t.Errorf("%d mutating requests after a refused --out, want 0", n)
	}
	if again, _ := os.ReadFile(path); string(again) != string(data) {
		t.Error("the existing token file was changed")
	}
}

func TestCLICreateOutJSON(t *testing.T) {
	srv, _, env := fakeEnv(t)
	path := filepath.Join(t.TempDir(), "k.token")
	r := runCLI(t, runOpts{env: env}, "create", "--name", "ci-json-file", "--out", path, "-o", "json")
	wantCode(t, r, 0)
	var out keys.NewKeyView
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	tok := strings.TrimSpace(string(data))
	if out.Token != "" || out.TokenFile != path || out.Fingerprint != secret.Fingerprint(tok) || !srv.TokenValid(tok) {
		t.Errorf("unexpected answer %+v", out)
	}
}

func TestCLICreateFailures(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		fault    *neontest.Fault
		wantCode int
		wantErr  string
		wantPOST int
	}{
		{"no name", []string{"create"}, nil, 2, `"name" not set`, 0},
		{"long name", []string{"create", "--name", strings.Repeat("x", 65)}, nil, 2, "at most 64", 0},
		{"bad org id", []string{"create", "--name", "x", "--org-id", "../etc"}, nil, 2, "is not a Neon id", 0},
		{"personal project", []string{"create", "--name", "x", "--project-id", "PERSONAL"}, nil, 2, "belongs to no organization", 0},
		{"project of another org", []string{"create", "--name", "x", "--project-id", "SHOP", "--org-id", "OTHERORG"}, nil, 2, "drop --org-id or pass --org-id", 0},
		{"forbidden", []string{"create", "--name", "x"}, &neontest.Fault{Method: http.MethodPost, Status: 403}, 1, "cannot mint keys", 1},
		{"server error", []string{"create", "--name", "x"}, &neontest.Fault{Method: http.MethodPost, Status: 500}, 1, "may have been created", 1},
		{"no token in answer", []string{"create", "--name", "x"}, &neontest.Fault{OmitKey: true}, 1, "was revoked at once", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx, env := fakeEnv(t)
			other := srv.AddOrg("Other", fx.Admin.ID)
			for i, a := range tt.args {
				switch a {
				case "PERSONAL":
					tt.args[i] = fx.PersonalProject.ID
				case "SHOP":
					tt.args[i] = fx.OrgProject.ID
				case "OTHERORG":
					tt.args[i] = other.ID
				}
			}
			if tt.fault != nil {
				srv.Inject(*tt.fault)
			}
			r := runCLI(t, runOpts{env: env}, tt.args...)
			wantCode(t, r, tt.wantCode)
			if !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty on failure: %q", r.stdout)
			}
			if n := mutations(srv, http.MethodPost); n != tt.wantPOST {
				t.Errorf("%d POSTs, want %d", n, tt.wantPOST)
			}
			if strings.Count(r.stderr, "\n") > 3 {
				t.Errorf("error is more than a sentence or two:\n%s", r.stderr)
			}
		})
	}
}

// TestCLINewNameControlCharacters: a new key's name with control or
// invisible characters is refused before any request, for create and rotate.
func TestCLINewNameControlCharacters(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	names := map[string]string{
		"ESC":      "ci\x1b[2J",
		"BEL":      "ci\a",
		"newline":  "ci\nprod",
		"tab":      "ci\tprod",
		"bidi":     "ci\u202eorp",
		"zero-wid": "c\u200bi",
	}
	for what, name := range names {
		for _, args := range [][]string{
			{"create", "--name", name},
			{"rotate", strconv.FormatInt(fx.OrgKeyID, 10), "--yes", "--name", name},
		} {
			t.Run(args[0]+"/"+what, func(t *testing.T) {
				before := len(srv.Requests())
				r := runCLI(t, runOpts{env: env}, args...)
				wantCode(t, r, 2)
				if !strings.Contains(r.stderr, "holds control or invisible characters") {
					t.Errorf("stderr:\n%s", r.stderr)
				}
				if strings.ContainsAny(r.stderr, "\x1b\a\t") || strings.Contains(r.stderr, "\u202e") {
					t.Errorf("stderr echoes the control characters: %q", r.stderr)
				}
				if n := len(srv.Requests()) - before; n != 0 {
					t.Errorf("%d requests, want 0", n)
				}
			})
		}
	}
}
