package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
)

// TestCLI builds neonkeys once and drives it as a user and a script would,
// against the fake Neon API. Subtests share the build; each has its own fake.
func TestCLI(t *testing.T) {
	bin := cliBuild(t)
	groups := []struct {
		name string
		fn   func(*testing.T, string)
	}{
		{"List", cliTestList},
		{"Create", cliTestCreate},
		{"Revoke", cliTestRevoke},
		{"Rotate", cliTestRotate},
		{"Misc", cliTestMisc},
		{"Prompt", cliTestPrompt},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.fn(t, bin)
		})
	}
}

func cliTestList(t *testing.T, bin string) {
	w := cliNewWorld(t, bin)
	fx := w.fx
	t.Run("table", func(t *testing.T) {
		r := w.run(t, "", w.env(), "list", "--org-id", fx.Org.ID)
		cliWantCode(t, r, 0)
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "LAST USED") {
			t.Fatalf("unexpected table:\n%s", r.stdout)
		}
		for _, want := range []string{"ci", "shop-deploy", "never", "project " + fx.OrgProject.ID, "org " + fx.Org.ID} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("table lacks %q:\n%s", want, r.stdout)
			}
		}
		if r.stderr != "" {
			t.Errorf("stderr not empty: %q", r.stderr)
		}
	})
	t.Run("json validates against the OpenAPI list schema", func(t *testing.T) {
		spec := neontest.LoadSpec(t)
		for _, path := range []string{"/api_keys", "/organizations/" + fx.Org.ID + "/api_keys"} {
			args := []string{"list", "-o", "json"}
			if path != "/api_keys" {
				args = append(args, "--org-id", fx.Org.ID)
			}
			r := w.run(t, "", w.env(), args...)
			cliWantCode(t, r, 0)
			var items []map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &items); err != nil {
				t.Fatalf("%v\n%s", err, r.stdout)
			}
			// org_id is the one field neonkeys adds; without it the items
			// must be exactly the API's.
			for _, it := range items {
				delete(it, "org_id")
			}
			body, _ := json.Marshal(items)
			req, _ := http.NewRequest(http.MethodGet, w.srv.URL()+path, nil)
			if err := spec.ValidateResponse(req, 200, http.Header{"Content-Type": {"application/json"}}, body); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		}
	})
	t.Run("yaml", func(t *testing.T) {
		r := w.run(t, "", w.env(), "list", "--project-id", fx.OrgProject.ID, "-o", "yaml")
		cliWantCode(t, r, 0)
		var items []struct {
			ID         int64   `yaml:"id"`
			Name       string  `yaml:"name"`
			ProjectID  string  `yaml:"project_id"`
			LastUsedAt *string `yaml:"last_used_at"`
		}
		if err := yaml.Unmarshal([]byte(r.stdout), &items); err != nil {
			t.Fatalf("%v\n%s", err, r.stdout)
		}
		if len(items) != 1 || items[0].ID != fx.ProjectKeyID || items[0].ProjectID != fx.OrgProject.ID || items[0].LastUsedAt != nil {
			t.Errorf("unexpected yaml:\n%s", r.stdout)
		}
	})
}

func cliTestCreate(t *testing.T, bin string) {
	w := cliNewWorld(t, bin)
	fx := w.fx
	scopes := []struct {
		name, org, project string
		args               []string
	}{
		{"personal", "", "", []string{"--name", "e2e-personal"}},
		{"org-wide", fx.Org.ID, "", []string{"--name", "e2e-org", "--org-id", fx.Org.ID}},
		{"project-scoped", fx.Org.ID, fx.OrgProject.ID, []string{"--name", "e2e-project", "--project-id", fx.OrgProject.ID}},
	}
	for _, sc := range scopes {
		t.Run(sc.name, func(t *testing.T) {
			r := w.run(t, "", w.env(), append([]string{"create"}, sc.args...)...)
			cliWantCode(t, r, 0)
			tok := cliToken(t, r.stdout)
			if !w.srv.TokenValid(tok) {
				t.Fatal("the printed token does not authenticate")
			}
			cliWantStderr(t, r, "Store this key now: it is not shown again")
			cliNoSecret(t, "stderr", r.stderr, tok, fx.AdminToken)
			live := w.srv.LiveKeys()
			if k := live[len(live)-1]; k.OrgID != sc.org || k.ProjectID != sc.project {
				t.Errorf("key created at org %q project %q, want %q %q", k.OrgID, k.ProjectID, sc.org, sc.project)
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		r := w.run(t, "", w.env(), "create", "--name", "e2e-json", "-o", "json")
		cliWantCode(t, r, 0)
		var out struct {
			ID  int64  `json:"id"`
			Key string `json:"key"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || !w.srv.TokenValid(out.Key) {
			t.Fatalf("unexpected answer (%v):\n%s", err, r.stdout)
		}
	})
	t.Run("out", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "e2e.token")
		r := w.run(t, "", w.env(), "create", "--name", "e2e-file", "--project-id", fx.OrgProject.ID, "--out", path)
		cliWantCode(t, r, 0)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tok := strings.TrimSpace(string(data))
		info, _ := os.Stat(path)
		if info.Mode().Perm() != 0o600 || !w.srv.TokenValid(tok) {
			t.Errorf("token file mode %o, valid %v", info.Mode().Perm(), w.srv.TokenValid(tok))
		}
		cliNoSecret(t, "stdout", r.stdout, tok)
		cliNoSecret(t, "stderr", r.stderr, tok)
		if !strings.Contains(r.stdout, secret.Fingerprint(tok)) {
			t.Errorf("stdout lacks the fingerprint: %q", r.stdout)
		}

		posts := cliCount(w.srv, http.MethodPost)
		r = w.run(t, "", w.env(), "create", "--name", "e2e-file-2", "--out", path)
		cliWantCode(t, r, 2)
		cliWantStderr(t, r, "already exists")
		if n := cliCount(w.srv, http.MethodPost) - posts; n != 0 {
			t.Errorf("%d POSTs after --out refused an existing file, want 0", n)
		}
	})
}

func cliTestRevoke(t *testing.T, bin string) {
	w := cliNewWorld(t, bin)
	fx := w.fx
	t.Run("refused without a terminal", func(t *testing.T) {
		r := w.run(t, "ci\n", w.env(), "revoke", strconv.FormatInt(fx.OrgKeyID, 10))
		cliWantCode(t, r, 2)
		cliWantStderr(t, r, "refusing to revoke key "+strconv.FormatInt(fx.OrgKeyID, 10)+" without --yes when not run at a terminal (stdin and stderr must both be one)")
		if n := cliCount(w.srv, http.MethodDelete); n != 0 {
			t.Errorf("%d DELETEs, want 0", n)
		}
		if !w.srv.TokenValid(fx.OrgKeyToken) {
			t.Error("the key was revoked")
		}
	})
	t.Run("yes", func(t *testing.T) {
		r := w.run(t, "", w.env(), "revoke", strconv.FormatInt(fx.OrgKeyID, 10), "--yes", "-o", "json")
		cliWantCode(t, r, 0)
		var out struct {
			ID      int64 `json:"id"`
			Revoked bool  `json:"revoked"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.ID != fx.OrgKeyID || !out.Revoked {
			t.Errorf("unexpected answer (%v): %s", err, r.stdout)
		}
		if w.srv.TokenValid(fx.OrgKeyToken) {
			t.Error("the key still authenticates")
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		r := w.run(t, "", w.env(), "revoke", "424242", "--yes")
		cliWantCode(t, r, 1)
		cliWantStderr(t, r, "no key 424242")
	})
}

func cliTestRotate(t *testing.T, bin string) {
	scopes := []struct {
		name string
		key  func(*neontest.Fixture) (int64, string)
		org  func(*neontest.Fixture) string
		proj func(*neontest.Fixture) string
	}{
		{"personal", func(fx *neontest.Fixture) (int64, string) { return fx.AdminKeyID, fx.AdminToken },
			func(*neontest.Fixture) string { return "" }, func(*neontest.Fixture) string { return "" }},
		{"org-wide", func(fx *neontest.Fixture) (int64, string) { return fx.OrgKeyID, fx.OrgKeyToken },
			func(fx *neontest.Fixture) string { return fx.Org.ID }, func(*neontest.Fixture) string { return "" }},
		{"project-scoped", func(fx *neontest.Fixture) (int64, string) { return fx.ProjectKeyID, fx.ProjectKeyToken },
			func(fx *neontest.Fixture) string { return fx.Org.ID }, func(fx *neontest.Fixture) string { return fx.OrgProject.ID }},
	}
	for _, sc := range scopes {
		t.Run(sc.name, func(t *testing.T) {
			w := cliNewWorld(t, bin)
			id, oldTok := sc.key(w.fx)
			r := w.run(t, "", w.env(), "rotate", strconv.FormatInt(id, 10), "--yes")
			cliWantCode(t, r, 0)
			tok := cliToken(t, r.stdout)
			if !w.srv.TokenValid(tok) {
				t.Error("the new token does not authenticate")
			}
			if w.srv.TokenValid(oldTok) {
				t.Error("the old token still authenticates")
			}
			live := w.srv.LiveKeys()
			k := live[len(live)-1]
			if k.OrgID != sc.org(w.fx) || k.ProjectID != sc.proj(w.fx) || !strings.Contains(k.Name, "-rotated-") {
				t.Errorf("replacement %+v is not at the old key's scope", k)
			}
			cliNoSecret(t, "stderr", r.stderr, tok, oldTok)
		})
	}
	t.Run("revoke fails", func(t *testing.T) {
		w := cliNewWorld(t, bin)
		w.srv.Inject(neontest.Fault{Method: http.MethodDelete, Status: 500})
		id := strconv.FormatInt(w.fx.ProjectKeyID, 10)
		r := w.run(t, "", w.env(), "rotate", id, "--yes")
		cliWantCode(t, r, 1)
		tok := cliToken(t, r.stdout)
		if !w.srv.TokenValid(tok) {
			t.Error("the delivered token does not authenticate")
		}
		if !w.srv.TokenValid(w.fx.ProjectKeyToken) {
			t.Error("the old key was revoked although the DELETE failed")
		}
		cliWantStderr(t, r, "revoking the old key "+id+" failed", "Key "+id+" is still live")
	})
	t.Run("out", func(t *testing.T) {
		w := cliNewWorld(t, bin)
		path := filepath.Join(t.TempDir(), "rotated.token")
		r := w.run(t, "", w.env(), "rotate", strconv.FormatInt(w.fx.OrgKeyID, 10), "--yes", "--out", path)
		cliWantCode(t, r, 0)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tok := strings.TrimSpace(string(data))
		if !w.srv.TokenValid(tok) || w.srv.TokenValid(w.fx.OrgKeyToken) {
			t.Error("the rotation did not take place")
		}
		cliNoSecret(t, "stdout", r.stdout, tok)
	})
}

func cliTestMisc(t *testing.T, bin string) {
	w := cliNewWorld(t, bin)
	fx := w.fx
	t.Run("whoami", func(t *testing.T) {
		r := w.run(t, "", w.env(), "whoami")
		cliWantCode(t, r, 0)
		for _, want := range []string{fx.Admin.ID, "personal key", fx.Org.ID} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
			}
		}
		r = w.run(t, "", w.env("NEON_API_KEY="+fx.OrgKeyToken), "whoami", "-o", "json")
		cliWantCode(t, r, 0)
		var out struct {
			AccountID string `json:"account_id"`
			KeyType   string `json:"key_type"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.KeyType != "organization" || out.AccountID != fx.Org.ID {
			t.Errorf("unexpected answer (%v):\n%s", err, r.stdout)
		}
	})
	t.Run("version", func(t *testing.T) {
		r := w.run(t, "", w.env(), "version")
		cliWantCode(t, r, 0)
		if !strings.HasPrefix(r.stdout, "neonkeys ") {
			t.Errorf("version printed %q", r.stdout)
		}
	})
	t.Run("completion bash", func(t *testing.T) {
		r := w.run(t, "", w.env(), "completion", "bash")
		cliWantCode(t, r, 0)
		if !strings.Contains(r.stdout, "__start_neonkeys") {
			t.Errorf("not a bash completion script:\n%.300s", r.stdout)
		}
	})
	t.Run("missing credential", func(t *testing.T) {
		before := len(w.srv.Requests())
		r := w.run(t, "", []string{"NEON_API_HOST=" + w.srv.URL()}, "list")
		cliWantCode(t, r, 2)
		cliWantStderr(t, r, "NEON_API_KEY is not set: create a key in the Neon Console", "export NEON_API_KEY=")
		if len(w.srv.Requests()) != before {
			t.Error("a request was sent without a credential")
		}
	})
	t.Run("key file readable by others", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "neon.key")
		if err := os.WriteFile(path, []byte(fx.AdminToken+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		r := w.run(t, "", []string{"NEON_API_HOST=" + w.srv.URL(), "NEON_API_KEY_FILE=" + path}, "list")
		cliWantCode(t, r, 0)
		cliWantStderr(t, r, "readable by other users", "chmod 600")
		cliNoSecret(t, "stderr", r.stderr, fx.AdminToken)
	})
	t.Run("api key from stdin", func(t *testing.T) {
		r := w.run(t, fx.AdminToken+"\n", []string{"NEON_API_HOST=" + w.srv.URL()}, "list", "--api-key", "-", "-o", "json")
		cliWantCode(t, r, 0)
		if !strings.Contains(r.stdout, `"laptop"`) {
			t.Errorf("stdout:\n%s", r.stdout)
		}
	})
	t.Run("usage error", func(t *testing.T) {
		r := w.run(t, "", w.env(), "list", "--no-such-flag")
		cliWantCode(t, r, 2)
		cliWantStderr(t, r, "unknown flag: --no-such-flag", "neonkeys list --help")
	})
	t.Run("api failure is one redacted sentence", func(t *testing.T) {
		w.srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/api_keys", EchoAuthorization: true})
		r := w.run(t, "", w.env(), "list")
		cliWantCode(t, r, 1)
		cliNoSecret(t, "stderr", r.stderr, fx.AdminToken)
		if strings.Contains(r.stderr, "{") || strings.Contains(r.stderr, "goroutine") || strings.Count(r.stderr, "\n") > 2 {
			t.Errorf("stderr is not one plain sentence:\n%s", r.stderr)
		}
	})
}

// cliTestPrompt drives the confirmation prompt through a real
// pseudo-terminal: a wrong name is asked again, the right one proceeds, and
// Ctrl-C changes nothing.
func cliTestPrompt(t *testing.T, bin string) {
	const prompt = "Type the key name to confirm: "
	t.Run("revoke wrong then right name", func(t *testing.T) {
		t.Parallel()
		w := cliNewWorld(t, bin)
		p := w.cliStartPTY(t, w.env(), "revoke", strconv.FormatInt(w.fx.OrgKeyID, 10))
		p.waitFor(prompt, 1)
		if !strings.Contains(p.output(), "never") {
			t.Errorf("the preview does not show the last use:\n%s", p.output())
		}
		p.typeText("prod\r")
		p.waitFor("That is not the key's name", 1)
		p.waitFor(prompt, 2)
		if n := cliCount(w.srv, http.MethodDelete); n != 0 {
			t.Fatalf("%d DELETEs after a wrong name", n)
		}
		p.typeText("ci\r")
		if code := p.exitCode(); code != 0 {
			t.Fatalf("exit code %d; the terminal showed:\n%s", code, p.output())
		}
		if n := cliCount(w.srv, http.MethodDelete); n != 1 {
			t.Errorf("%d DELETEs, want exactly 1", n)
		}
		if w.srv.TokenValid(w.fx.OrgKeyToken) {
			t.Error("the key still authenticates")
		}
	})
	t.Run("rotate wrong then right name", func(t *testing.T) {
		t.Parallel()
		w := cliNewWorld(t, bin)
		p := w.cliStartPTY(t, w.env(), "rotate", strconv.FormatInt(w.fx.ProjectKeyID, 10))
		p.waitFor(prompt, 1)
		p.typeText("ci\r")
		p.waitFor(prompt, 2)
		if len(w.srv.Mutations()) != 0 {
			t.Fatal("a wrong name changed something")
		}
		p.typeText("shop-deploy\r")
		if code := p.exitCode(); code != 0 {
			t.Fatalf("exit code %d; the terminal showed:\n%s", code, p.output())
		}
		if w.srv.TokenValid(w.fx.ProjectKeyToken) {
			t.Error("the old key still authenticates")
		}
		if n := cliCount(w.srv, http.MethodPost); n != 1 {
			t.Errorf("%d POSTs, want 1", n)
		}
		if !strings.Contains(p.output(), "Store this key now") {
			t.Errorf("no store warning:\n%s", p.output())
		}
	})
	t.Run("ctrl-c at the prompt", func(t *testing.T) {
		t.Parallel()
		w := cliNewWorld(t, bin)
		p := w.cliStartPTY(t, w.env(), "revoke", strconv.FormatInt(w.fx.OrgKeyID, 10))
		p.waitFor(prompt, 1)
		p.typeText("c\x03")
		if code := p.exitCode(); code != 2 {
			t.Errorf("exit code %d, want 2 (a refused confirmation); the terminal showed:\n%s", code, p.output())
		}
		if !strings.Contains(p.output(), "interrupted: nothing was changed") {
			t.Errorf("the terminal does not say nothing changed:\n%s", p.output())
		}
		if n := cliCount(w.srv, http.MethodDelete); n != 0 {
			t.Errorf("%d DELETEs after Ctrl-C, want 0", n)
		}
		if !w.srv.TokenValid(w.fx.OrgKeyToken) {
			t.Error("the key was revoked")
		}
	})
}
