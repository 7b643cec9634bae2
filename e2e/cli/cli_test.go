package cli

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"go.yaml.in/yaml/v3"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// TestCLI builds neonkeys once and drives it as a user and a script would,
// against the fake Neon API. Subtests share the build; each has its own fake.
func TestCLI(t *testing.T) {
	bin := harness.Binary(t)
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
		{"Formats", cliTestFormats},
		{"RoundTrip", cliTestRoundTrip},
		{"ClosedStdout", cliTestClosedStdout},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.fn(t, bin)
		})
	}
}

func cliTestList(t *testing.T, bin string) {
	w := harness.NewCLIWorld(t, bin)
	fx := w.Fx
	t.Run("table", func(t *testing.T) {
		r := w.Run(t, "", w.Env(), "list", "--org-id", fx.Org.ID)
		harness.WantCode(t, r, 0)
		lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "LAST USED") {
			t.Fatalf("unexpected table:\n%s", r.Stdout)
		}
		for _, want := range []string{"ci", "shop-deploy", "never", "project " + fx.OrgProject.ID, "organization " + fx.Org.ID} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("table lacks %q:\n%s", want, r.Stdout)
			}
		}
		if r.Stderr != "" {
			t.Errorf("stderr not empty: %q", r.Stderr)
		}
	})
	t.Run("json validates against the OpenAPI list schema", func(t *testing.T) {
		spec := neontest.LoadSpec(t)
		for _, path := range []string{"/api_keys", "/organizations/" + fx.Org.ID + "/api_keys"} {
			args := []string{"list", "-o", "json"}
			if path != "/api_keys" {
				args = append(args, "--org-id", fx.Org.ID)
			}
			r := w.Run(t, "", w.Env(), args...)
			harness.WantCode(t, r, 0)
			var items []map[string]any
			if err := json.Unmarshal([]byte(r.Stdout), &items); err != nil {
				t.Fatalf("%v\n%s", err, r.Stdout)
			}
			// scope and org_id are the fields neonkeys adds, and it omits
			// empty facts (keys/view.go): without the first and with the
			// others restored as the API sends them, the items must be
			// exactly the API's.
			for _, it := range items {
				delete(it, "org_id")
				delete(it, "scope")
				if _, ok := it["last_used_from_addr"]; !ok {
					it["last_used_from_addr"] = ""
				}
				if by, ok := it["created_by"].(map[string]any); ok {
					for _, f := range []string{"name", "image"} {
						if _, ok := by[f]; !ok {
							by[f] = ""
						}
					}
				}
			}
			body, _ := json.Marshal(items)
			req, _ := http.NewRequest(http.MethodGet, w.Srv.URL()+path, nil)
			if err := spec.ValidateResponse(req, 200, http.Header{"Content-Type": {"application/json"}}, body); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		}
	})
	t.Run("name-contains", func(t *testing.T) {
		r := w.Run(t, "", w.Env(), "list", "--org-id", fx.Org.ID, "--name-contains", "SHOP", "-o", "json")
		harness.WantCode(t, r, 0)
		var items []cliListItem
		if err := json.Unmarshal([]byte(r.Stdout), &items); err != nil {
			t.Fatalf("%v\n%s", err, r.Stdout)
		}
		if len(items) != 1 || items[0].ID != fx.ProjectKeyID || items[0].Name != "shop-deploy" {
			t.Errorf("--name-contains SHOP listed %+v, want only shop-deploy", items)
		}
		r = w.Run(t, "", w.Env(), "list", "--org-id", fx.Org.ID, "--name-contains", "no-such-key")
		harness.WantCode(t, r, 0)
		if lines := strings.Split(strings.TrimSpace(r.Stdout), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "ID") {
			t.Errorf("an empty table is not the header alone:\n%s", r.Stdout)
		}
		harness.WantStderr(t, r, "No keys.")
	})
	t.Run("yaml", func(t *testing.T) {
		r := w.Run(t, "", w.Env(), "list", "--project-id", fx.OrgProject.ID, "-o", "yaml")
		harness.WantCode(t, r, 0)
		var items []struct {
			ID         int64   `yaml:"id"`
			Name       string  `yaml:"name"`
			ProjectID  string  `yaml:"project_id"`
			LastUsedAt *string `yaml:"last_used_at"`
		}
		if err := yaml.Unmarshal([]byte(r.Stdout), &items); err != nil {
			t.Fatalf("%v\n%s", err, r.Stdout)
		}
		if len(items) != 1 || items[0].ID != fx.ProjectKeyID || items[0].ProjectID != fx.OrgProject.ID || items[0].LastUsedAt != nil {
			t.Errorf("unexpected yaml:\n%s", r.Stdout)
		}
	})
}

func cliTestCreate(t *testing.T, bin string) {
	w := harness.NewCLIWorld(t, bin)
	fx := w.Fx
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
			r := w.Run(t, "", w.Env(), append([]string{"create"}, sc.args...)...)
			harness.WantCode(t, r, 0)
			tok := harness.OneToken(t, r.Stdout)
			if !w.Srv.TokenValid(tok) {
				t.Fatal("the printed token does not authenticate")
			}
			harness.WantStderr(t, r, "Store this key now: it is not shown again")
			testkit.NoSecrets(t, "stderr", r.Stderr, tok, fx.AdminToken)
			live := w.Srv.LiveKeys()
			if k := live[len(live)-1]; k.OrgID != sc.org || k.ProjectID != sc.project {
				t.Errorf("key created at org %q project %q, want %q %q", k.OrgID, k.ProjectID, sc.org, sc.project)
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		r := w.Run(t, "", w.Env(), "create", "--name", "e2e-json", "-o", "json")
		harness.WantCode(t, r, 0)
		var out struct {
			ID  int64  `json:"id"`
			Key string `json:"key"`
		}
		if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil || !w.Srv.TokenValid(out.Key) {
			t.Fatalf("unexpected answer (%v):\n%s", err, r.Stdout)
		}
	})
	t.Run("out", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "e2e.token")
		r := w.Run(t, "", w.Env(), "create", "--name", "e2e-file", "--project-id", fx.OrgProject.ID, "--out", path)
		harness.WantCode(t, r, 0)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tok := strings.TrimSpace(string(data))
		info, _ := os.Stat(path)
		if info.Mode().Perm() != 0o600 || !w.Srv.TokenValid(tok) {
			t.Errorf("token file mode %o, valid %v", info.Mode().Perm(), w.Srv.TokenValid(tok))
		}
		testkit.NoSecrets(t, "stdout", r.Stdout, tok)
		testkit.NoSecrets(t, "stderr", r.Stderr, tok)
		if !strings.Contains(r.Stdout, harness.ContractFingerprint(t, tok)) {
			t.Errorf("stdout lacks the fingerprint: %q", r.Stdout)
		}

		posts := testkit.CountRequests(w.Srv, http.MethodPost)
		r = w.Run(t, "", w.Env(), "create", "--name", "e2e-file-2", "--out", path)
		harness.WantCode(t, r, 2)
		harness.WantStderr(t, r, "already exists")
		if n := testkit.CountRequests(w.Srv, http.MethodPost) - posts; n != 0 {
			t.Errorf("%d POSTs after --out refused an existing file, want 0", n)
		}
	})
}

func cliTestRevoke(t *testing.T, bin string) {
	w := harness.NewCLIWorld(t, bin)
	fx := w.Fx
	// The one no-terminal refusal kept here (cli.TestCLIRevokeRefusedWithoutTerminal
	// and TestCLIRotateRefusedWithoutTerminal cover the rest in-process): only a
	// real process sees whether a pipe on stdin, holding the key's name, counts
	// as a terminal.
	t.Run("refused without a terminal", func(t *testing.T) {
		r := w.Run(t, "ci\n", w.Env(), "revoke", strconv.FormatInt(fx.OrgKeyID, 10))
		harness.WantCode(t, r, 2)
		harness.WantStderr(t, r, "refusing to revoke key "+strconv.FormatInt(fx.OrgKeyID, 10)+" without --yes when not run at a terminal (stdin and stderr must both be one)")
		if n := testkit.CountRequests(w.Srv, http.MethodDelete); n != 0 {
			t.Errorf("%d DELETEs, want 0", n)
		}
		if !w.Srv.TokenValid(fx.OrgKeyToken) {
			t.Error("the key was revoked")
		}
	})
	t.Run("yes", func(t *testing.T) {
		r := w.Run(t, "", w.Env(), "revoke", strconv.FormatInt(fx.OrgKeyID, 10), "--yes", "-o", "json")
		harness.WantCode(t, r, 0)
		var out cliRevoked
		if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil || out.Key.ID != fx.OrgKeyID || !out.Revoked {
			t.Errorf("unexpected answer (%v): %s", err, r.Stdout)
		}
		if w.Srv.TokenValid(fx.OrgKeyToken) {
			t.Error("the key still authenticates")
		}
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
			w := harness.NewCLIWorld(t, bin)
			id, oldTok := sc.key(w.Fx)
			r := w.Run(t, "", w.Env(), "rotate", strconv.FormatInt(id, 10), "--yes")
			harness.WantCode(t, r, 0)
			tok := harness.OneToken(t, r.Stdout)
			if !w.Srv.TokenValid(tok) {
				t.Error("the new token does not authenticate")
			}
			if w.Srv.TokenValid(oldTok) {
				t.Error("the old token still authenticates")
			}
			live := w.Srv.LiveKeys()
			k := live[len(live)-1]
			if k.OrgID != sc.org(w.Fx) || k.ProjectID != sc.proj(w.Fx) || !strings.Contains(k.Name, "-rotated-") {
				t.Errorf("replacement %+v is not at the old key's scope", k)
			}
			testkit.NoSecrets(t, "stderr", r.Stderr, tok, oldTok)
		})
	}
	t.Run("out refuses an existing file", func(t *testing.T) {
		w := harness.NewCLIWorld(t, bin)
		path := filepath.Join(t.TempDir(), "existing.token")
		if err := os.WriteFile(path, []byte("keep me\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := w.Run(t, "", w.Env(), "rotate", strconv.FormatInt(w.Fx.OrgKeyID, 10), "--yes", "--out", path)
		harness.WantCode(t, r, 2)
		harness.WantStderr(t, r, "already exists", "nothing was created")
		if n := len(w.Srv.Mutations()); n != 0 {
			t.Errorf("%d POSTs or DELETEs, want 0", n)
		}
		if data, _ := os.ReadFile(path); string(data) != "keep me\n" {
			t.Errorf("the existing file changed: %q", data)
		}
		if !w.Srv.TokenValid(w.Fx.OrgKeyToken) {
			t.Error("the old key was revoked")
		}
	})
	t.Run("out", func(t *testing.T) {
		w := harness.NewCLIWorld(t, bin)
		path := filepath.Join(t.TempDir(), "rotated.token")
		r := w.Run(t, "", w.Env(), "rotate", strconv.FormatInt(w.Fx.OrgKeyID, 10), "--yes", "--out", path)
		harness.WantCode(t, r, 0)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tok := strings.TrimSpace(string(data))
		if !w.Srv.TokenValid(tok) || w.Srv.TokenValid(w.Fx.OrgKeyToken) {
			t.Error("the rotation did not take place")
		}
		testkit.NoSecrets(t, "stdout", r.Stdout, tok)
	})
}

func cliTestMisc(t *testing.T, bin string) {
	w := harness.NewCLIWorld(t, bin)
	fx := w.Fx
	t.Run("whoami", func(t *testing.T) {
		r := w.Run(t, "", w.Env(), "whoami")
		harness.WantCode(t, r, 0)
		for _, want := range []string{fx.Admin.ID, "personal key", fx.Org.ID} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, r.Stdout)
			}
		}
		r = w.Run(t, "", w.Env("NEON_API_KEY="+fx.OrgKeyToken), "whoami", "-o", "json")
		harness.WantCode(t, r, 0)
		var out struct {
			AccountID string `json:"account_id"`
			KeyType   string `json:"key_type"`
		}
		if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil || out.KeyType != "organization" || out.AccountID != fx.Org.ID {
			t.Errorf("unexpected answer (%v):\n%s", err, r.Stdout)
		}
	})
	t.Run("user agent", func(t *testing.T) {
		w := harness.NewCLIWorld(t, bin)
		r := w.Run(t, "", w.Env(), "list", "--org-id", w.Fx.Org.ID)
		harness.WantCode(t, r, 0)
		reqs := w.Srv.Requests()
		if len(reqs) == 0 {
			t.Fatal("no request reached the fake")
		}
		ua := regexp.MustCompile(`^neonkeys/\S+$`)
		for _, req := range reqs {
			if got := req.Header.Get("User-Agent"); !ua.MatchString(got) {
				t.Errorf("%s %s: User-Agent %q, want neonkeys/<version>", req.Method, req.Path, got)
			}
		}
	})
	t.Run("api failure is one redacted sentence", func(t *testing.T) {
		w.Srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/api_keys", EchoAuthorization: true})
		r := w.Run(t, "", w.Env(), "list")
		harness.WantCode(t, r, 1)
		testkit.NoSecrets(t, "stderr", r.Stderr, fx.AdminToken)
		if strings.Contains(r.Stderr, "{") || strings.Contains(r.Stderr, "goroutine") || strings.Count(r.Stderr, "\n") > 2 {
			t.Errorf("stderr is not one plain sentence:\n%s", r.Stderr)
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
		w := harness.NewCLIWorld(t, bin)
		p := w.StartPTY(t, w.Env(), "revoke", strconv.FormatInt(w.Fx.OrgKeyID, 10))
		p.WaitFor(prompt, 1)
		if !strings.Contains(p.Output(), "never") {
			t.Errorf("the preview does not show the last use:\n%s", p.Output())
		}
		p.TypeText("prod\r")
		p.WaitFor("That is not the key's name", 1)
		p.WaitFor(prompt, 2)
		if n := testkit.CountRequests(w.Srv, http.MethodDelete); n != 0 {
			t.Fatalf("%d DELETEs after a wrong name", n)
		}
		p.TypeText("ci\r")
		if code := p.ExitCode(); code != 0 {
			t.Fatalf("exit code %d; the terminal showed:\n%s", code, p.Output())
		}
		if n := testkit.CountRequests(w.Srv, http.MethodDelete); n != 1 {
			t.Errorf("%d DELETEs, want exactly 1", n)
		}
		if w.Srv.TokenValid(w.Fx.OrgKeyToken) {
			t.Error("the key still authenticates")
		}
	})
	t.Run("rotate wrong then right name", func(t *testing.T) {
		t.Parallel()
		w := harness.NewCLIWorld(t, bin)
		p := w.StartPTY(t, w.Env(), "rotate", strconv.FormatInt(w.Fx.ProjectKeyID, 10))
		p.WaitFor(prompt, 1)
		p.TypeText("ci\r")
		p.WaitFor(prompt, 2)
		if len(w.Srv.Mutations()) != 0 {
			t.Fatal("a wrong name changed something")
		}
		p.TypeText("shop-deploy\r")
		if code := p.ExitCode(); code != 0 {
			t.Fatalf("exit code %d; the terminal showed:\n%s", code, p.Output())
		}
		if w.Srv.TokenValid(w.Fx.ProjectKeyToken) {
			t.Error("the old key still authenticates")
		}
		if n := testkit.CountRequests(w.Srv, http.MethodPost); n != 1 {
			t.Errorf("%d POSTs, want 1", n)
		}
		if !strings.Contains(p.Output(), "Store this key now") {
			t.Errorf("no store warning:\n%s", p.Output())
		}
	})
	t.Run("api key typed at the terminal is not echoed", func(t *testing.T) {
		t.Parallel()
		w := harness.NewCLIWorld(t, bin)
		env := harness.Env("NEON_API_HOST=" + w.Srv.URL())
		p := w.StartPTY(t, env, "whoami", "--api-key", "-")
		p.WaitFor("Neon API key: ", 1)
		p.WaitModeChange() // echo is off: what is typed now stays hidden
		p.TypeText(w.Fx.AdminToken + "\r")
		if code := p.ExitCode(); code != 0 {
			t.Fatalf("exit code %d; the terminal showed:\n%s", code, p.Output())
		}
		if !strings.Contains(p.Output(), w.Fx.Admin.ID) {
			t.Errorf("whoami did not use the typed key:\n%s", p.Output())
		}
		testkit.NoSecrets(t, "the terminal", p.Output(), w.Fx.AdminToken)
	})
	t.Run("ctrl-c at the api key prompt", func(t *testing.T) {
		t.Parallel()
		w := harness.NewCLIWorld(t, bin)
		env := harness.Env("NEON_API_HOST=" + w.Srv.URL())
		p := w.StartPTY(t, env, "list", "--api-key", "-")
		p.WaitFor("Neon API key: ", 1)
		p.WaitModeChange()
		p.TypeText("napi_half\x03")
		if code := p.ExitCode(); code != 2 {
			t.Errorf("exit code %d, want 2; the terminal showed:\n%s", code, p.Output())
		}
		if !strings.Contains(p.Output(), "interrupted: nothing was changed") || strings.Contains(p.Output(), "napi_half") {
			t.Errorf("the terminal showed:\n%s", p.Output())
		}
		if n := len(w.Srv.Requests()); n != 0 {
			t.Errorf("%d requests after Ctrl-C, want 0", n)
		}
	})
	t.Run("stdin a terminal but stderr not", func(t *testing.T) {
		t.Parallel()
		w := harness.NewCLIWorld(t, bin)
		ptmx, slave, err := pty.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer ptmx.Close()
		defer slave.Close()
		ctx, cancel := context.WithTimeout(t.Context(), harness.CLITimeout)
		defer cancel()
		// The prompt would go to stderr, a file nobody reads: refuse, and
		// say why truthfully (stdin IS a terminal here).
		id := strconv.FormatInt(w.Fx.OrgKeyID, 10)
		cmd := exec.CommandContext(ctx, w.Bin, "revoke", id)
		cmd.Env = w.Env()
		var stdout, stderr strings.Builder
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, &stdout, &stderr
		err = cmd.Run()
		r := harness.CLIResult{Stdout: stdout.String(), Stderr: stderr.String()}
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			r.Code = exitErr.ExitCode()
		}
		harness.WantCode(t, r, 2)
		harness.WantStderr(t, r, "refusing to revoke key "+id+" without --yes when not run at a terminal (stdin and stderr must both be one)")
		if n := len(w.Srv.Mutations()); n != 0 {
			t.Errorf("%d mutations, want 0", n)
		}
	})
	t.Run("ctrl-c at the prompt", func(t *testing.T) {
		t.Parallel()
		w := harness.NewCLIWorld(t, bin)
		p := w.StartPTY(t, w.Env(), "revoke", strconv.FormatInt(w.Fx.OrgKeyID, 10))
		p.WaitFor(prompt, 1)
		p.TypeText("c\x03")
		if code := p.ExitCode(); code != 2 {
			t.Errorf("exit code %d, want 2 (a refused confirmation); the terminal showed:\n%s", code, p.Output())
		}
		if !strings.Contains(p.Output(), "interrupted: nothing was changed") {
			t.Errorf("the terminal does not say nothing changed:\n%s", p.Output())
		}
		if n := testkit.CountRequests(w.Srv, http.MethodDelete); n != 0 {
			t.Errorf("%d DELETEs after Ctrl-C, want 0", n)
		}
		if !w.Srv.TokenValid(w.Fx.OrgKeyToken) {
			t.Error("the key was revoked")
		}
	})
}

// What scripts read from -o json and -o yaml, with the API's field names.
type cliListItem struct {
	ID        int64  `json:"id" yaml:"id"`
	Name      string `json:"name" yaml:"name"`
	CreatedAt string `json:"created_at" yaml:"created_at"`
	CreatedBy struct {
		ID   string `json:"id" yaml:"id"`
		Name string `json:"name" yaml:"name"`
	} `json:"created_by" yaml:"created_by"`
	LastUsedAt       *string `json:"last_used_at" yaml:"last_used_at"`
	LastUsedFromAddr string  `json:"last_used_from_addr" yaml:"last_used_from_addr"`
	ProjectID        string  `json:"project_id" yaml:"project_id"`
	OrgID            string  `json:"org_id" yaml:"org_id"`
}

type cliNewKey struct {
	ID        int64  `json:"id" yaml:"id"`
	Name      string `json:"name" yaml:"name"`
	Scope     string `json:"scope" yaml:"scope"`
	Key       string `json:"key" yaml:"key"`
	CreatedAt string `json:"created_at" yaml:"created_at"`
	CreatedBy struct {
		ID   string `json:"id" yaml:"id"`
		Name string `json:"name" yaml:"name"`
	} `json:"created_by" yaml:"created_by"`
	ProjectID   string `json:"project_id" yaml:"project_id"`
	OrgID       string `json:"org_id" yaml:"org_id"`
	TokenFile   string `json:"token_file" yaml:"token_file"`
	Fingerprint string `json:"fingerprint" yaml:"fingerprint"`
	// RotatedFrom is old_key.id of a rotation's answer (cliDecodeNewKey).
	RotatedFrom int64 `json:"-" yaml:"-"`
}

// cliRotated is rotate's answer: new_key and old_key, as rotate_api_key
// names them.
type cliRotated struct {
	NewKey cliNewKey   `json:"new_key" yaml:"new_key"`
	OldKey cliListItem `json:"old_key" yaml:"old_key"`
}

// cliDecodeNewKey parses create's answer, or rotate's (its new_key, with
// RotatedFrom set from old_key).
func cliDecodeNewKey(t *testing.T, format, stdout string) cliNewKey {
	t.Helper()
	var rot cliRotated
	cliDecode(t, format, stdout, &rot)
	if rot.NewKey.ID != 0 {
		rot.NewKey.RotatedFrom = rot.OldKey.ID
		return rot.NewKey
	}
	var out cliNewKey
	cliDecode(t, format, stdout, &out)
	return out
}

type cliRevoked struct {
	Revoked bool        `json:"revoked" yaml:"revoked"`
	Key     cliListItem `json:"key" yaml:"key"`
}

type cliWhoami struct {
	AccountID  string `json:"account_id" yaml:"account_id"`
	AuthMethod string `json:"auth_method" yaml:"auth_method"`
	KeyType    string `json:"key_type" yaml:"key_type"`
	User       *struct {
		ID    string `json:"id" yaml:"id"`
		Name  string `json:"name" yaml:"name"`
		Email string `json:"email" yaml:"email"`
	} `json:"user" yaml:"user"`
	Organizations []struct {
		ID   string `json:"id" yaml:"id"`
		Name string `json:"name" yaml:"name"`
	} `json:"organizations" yaml:"organizations"`
}

// cliDecode parses stdout as the format asked for.
func cliDecode(t *testing.T, format, stdout string, v any) {
	t.Helper()
	var err error
	if format == "json" {
		err = json.Unmarshal([]byte(stdout), v)
	} else {
		err = yaml.Unmarshal([]byte(stdout), v)
	}
	if err != nil {
		t.Fatalf("stdout is not %s: %v\n%s", format, err, stdout)
	}
}

// cliSameTime fails unless text is an RFC 3339 time equal to want (the
// API's whole seconds, or neonkeys' own finer ones).
func cliSameTime(t *testing.T, field, text string, want time.Time) {
	t.Helper()
	got, err := time.Parse(time.RFC3339, text)
	if err != nil {
		t.Errorf("%s %q is not RFC 3339: %v", field, text, err)
		return
	}
	if !got.Equal(want) && !got.Equal(want.Truncate(time.Second)) {
		t.Errorf("%s = %s, want %s", field, got, want)
	}
}

// cliNewest is the fake's most recent live key: the one a create just made.
func cliNewest(t *testing.T, srv *neontest.Server) neontest.KeyInfo {
	t.Helper()
	live := srv.LiveKeys()
	if len(live) == 0 {
		t.Fatal("no live key")
	}
	return live[len(live)-1]
}

// cliTestFormats runs every command in every output format and parses what
// a script would read: the table's rows, or each field of the JSON and YAML.
func cliTestFormats(t *testing.T, bin string) {
	lastUse := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	cases := []struct {
		name  string
		args  func(w *harness.CLIWorld, dir string) []string
		check func(t *testing.T, w *harness.CLIWorld, format, dir string, r harness.CLIResult)
	}{
		{"list", func(w *harness.CLIWorld, _ string) []string {
			w.Srv.SetKeyLastUsed(w.Fx.ProjectKeyID, lastUse, "203.0.113.7")
			return []string{"list", "--org-id", w.Fx.Org.ID}
		}, func(t *testing.T, w *harness.CLIWorld, format, _ string, r harness.CLIResult) {
			fx := w.Fx
			if format == "table" {
				lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
				if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") {
					t.Fatalf("not a header and two rows:\n%s", r.Stdout)
				}
				for _, want := range []string{"ci", "shop-deploy", "never", "2025-03-04 05:06 UTC", "203.0.113.7"} {
					if !strings.Contains(r.Stdout, want) {
						t.Errorf("table lacks %q:\n%s", want, r.Stdout)
					}
				}
				return
			}
			var items []cliListItem
			cliDecode(t, format, r.Stdout, &items)
			if len(items) != 2 {
				t.Fatalf("%d items, want 2:\n%s", len(items), r.Stdout)
			}
			for _, it := range items {
				rec, _ := w.Srv.Key(it.ID)
				if it.OrgID != fx.Org.ID || it.Name != rec.Name || it.CreatedBy.ID != rec.CreatedBy {
					t.Errorf("item %+v does not match the fake's key %+v", it, rec)
				}
				cliSameTime(t, "created_at", it.CreatedAt, rec.CreatedAt)
				switch it.ID {
				case fx.ProjectKeyID:
					if it.ProjectID != fx.OrgProject.ID || it.LastUsedAt == nil || it.LastUsedFromAddr != "203.0.113.7" {
						t.Errorf("project key item %+v", it)
					} else {
						cliSameTime(t, "last_used_at", *it.LastUsedAt, lastUse)
					}
				case fx.OrgKeyID:
					if it.ProjectID != "" || it.LastUsedAt != nil {
						t.Errorf("org key item %+v: want no project and last_used_at null", it)
					}
				default:
					t.Errorf("unexpected key %d", it.ID)
				}
			}
		}},
		{"create", func(w *harness.CLIWorld, _ string) []string {
			return []string{"create", "--name", "formats", "--project-id", w.Fx.OrgProject.ID}
		}, func(t *testing.T, w *harness.CLIWorld, format, _ string, r harness.CLIResult) {
			rec := cliNewest(t, w.Srv)
			if format == "table" {
				if tok := harness.OneToken(t, r.Stdout); !w.Srv.TokenValid(tok) {
					t.Error("the printed token does not authenticate")
				}
				return
			}
			out := cliDecodeNewKey(t, format, r.Stdout)
			if out.ID != rec.ID || out.Name != "formats" || out.Scope != "project" || out.CreatedBy.Name != "Ada Lovelace" || out.ProjectID != w.Fx.OrgProject.ID || out.OrgID != w.Fx.Org.ID {
				t.Errorf("answer %+v does not match the new key %+v", out, rec)
			}
			if !w.Srv.TokenValid(out.Key) || out.TokenFile != "" || out.Fingerprint != harness.ContractFingerprint(t, out.Key) || out.RotatedFrom != 0 {
				t.Errorf("answer %+v: want a live key and no token file", out)
			}
			cliSameTime(t, "created_at", out.CreatedAt, rec.CreatedAt)
		}},
		{"create --out", func(w *harness.CLIWorld, dir string) []string {
			return []string{"create", "--name", "formats-file", "--org-id", w.Fx.Org.ID, "--out", filepath.Join(dir, "new.token")}
		}, func(t *testing.T, w *harness.CLIWorld, format, dir string, r harness.CLIResult) {
			out, ok := cliTokenFileAnswer(t, w, format, filepath.Join(dir, "new.token"), r)
			if !ok {
				return
			}
			if out.OrgID != w.Fx.Org.ID || out.ProjectID != "" || out.RotatedFrom != 0 {
				t.Errorf("answer %+v", out)
			}
		}},
		{"revoke", func(w *harness.CLIWorld, _ string) []string {
			return []string{"revoke", strconv.FormatInt(w.Fx.OrgKeyID, 10), "--yes"}
		}, func(t *testing.T, w *harness.CLIWorld, format, _ string, r harness.CLIResult) {
			if w.Srv.TokenValid(w.Fx.OrgKeyToken) {
				t.Error("the key still authenticates")
			}
			if format == "table" {
				if r.Stdout != "" {
					t.Errorf("stdout %q, want nothing", r.Stdout)
				}
				harness.WantStderr(t, r, "Revoked key "+strconv.FormatInt(w.Fx.OrgKeyID, 10))
				return
			}
			var out cliRevoked
			cliDecode(t, format, r.Stdout, &out)
			rec, _ := w.Srv.Key(w.Fx.OrgKeyID)
			k := out.Key
			if k.ID != w.Fx.OrgKeyID || k.Name != "ci" || !out.Revoked || k.OrgID != w.Fx.Org.ID || k.ProjectID != "" || k.LastUsedAt != nil {
				t.Errorf("answer %+v", out)
			}
			cliSameTime(t, "created_at", k.CreatedAt, rec.CreatedAt)
		}},
		{"rotate", func(w *harness.CLIWorld, _ string) []string {
			return []string{"rotate", strconv.FormatInt(w.Fx.ProjectKeyID, 10), "--yes"}
		}, func(t *testing.T, w *harness.CLIWorld, format, _ string, r harness.CLIResult) {
			if w.Srv.TokenValid(w.Fx.ProjectKeyToken) {
				t.Error("the old key still authenticates")
			}
			rec := cliNewest(t, w.Srv)
			if format == "table" {
				if tok := harness.OneToken(t, r.Stdout); !w.Srv.TokenValid(tok) {
					t.Error("the printed token does not authenticate")
				}
				return
			}
			out := cliDecodeNewKey(t, format, r.Stdout)
			if out.ID != rec.ID || out.RotatedFrom != w.Fx.ProjectKeyID || !w.Srv.TokenValid(out.Key) ||
				out.ProjectID != w.Fx.OrgProject.ID || out.OrgID != w.Fx.Org.ID || !strings.HasPrefix(out.Name, "shop-deploy-rotated-") {
				t.Errorf("answer %+v does not match the replacement %+v", out, rec)
			}
			cliSameTime(t, "created_at", out.CreatedAt, rec.CreatedAt)
		}},
		{"rotate --out", func(w *harness.CLIWorld, dir string) []string {
			return []string{"rotate", strconv.FormatInt(w.Fx.OrgKeyID, 10), "--yes", "--name", "ci-2", "--out", filepath.Join(dir, "rotated.token")}
		}, func(t *testing.T, w *harness.CLIWorld, format, dir string, r harness.CLIResult) {
			if w.Srv.TokenValid(w.Fx.OrgKeyToken) {
				t.Error("the old key still authenticates")
			}
			out, ok := cliTokenFileAnswer(t, w, format, filepath.Join(dir, "rotated.token"), r)
			if !ok {
				return
			}
			if out.Name != "ci-2" || out.RotatedFrom != w.Fx.OrgKeyID || out.OrgID != w.Fx.Org.ID || out.ProjectID != "" {
				t.Errorf("answer %+v", out)
			}
		}},
		{"whoami", func(*harness.CLIWorld, string) []string {
			return []string{"whoami"}
		}, func(t *testing.T, w *harness.CLIWorld, format, _ string, r harness.CLIResult) {
			if format == "table" {
				for _, want := range []string{"account        " + w.Fx.Admin.ID, "personal key", w.Fx.Org.ID + " (Acme)"} {
					if !strings.Contains(r.Stdout, want) {
						t.Errorf("stdout lacks %q:\n%s", want, r.Stdout)
					}
				}
				return
			}
			var out cliWhoami
			cliDecode(t, format, r.Stdout, &out)
			if out.AccountID != w.Fx.Admin.ID || out.KeyType != "personal" || out.AuthMethod == "" ||
				out.User == nil || out.User.Name != "Ada Lovelace" || out.User.Email != w.Fx.Admin.Email ||
				len(out.Organizations) != 1 || out.Organizations[0].ID != w.Fx.Org.ID || out.Organizations[0].Name != "Acme" {
				t.Errorf("answer %+v", out)
			}
		}},
	}
	for _, c := range cases {
		for _, format := range []string{"table", "json", "yaml"} {
			t.Run(c.name+"/"+format, func(t *testing.T) {
				w := harness.NewCLIWorld(t, bin)
				dir := t.TempDir()
				r := w.Run(t, "", w.Env(), append(c.args(w, dir), "-o", format)...)
				harness.WantCode(t, r, 0)
				c.check(t, w, format, dir, r)
			})
		}
	}
}

// cliTestRoundTrip: list -o json holds the fake's own records, value for
// value (the contract test checks the shape; this checks the content).
func cliTestRoundTrip(t *testing.T, bin string) {
	w := harness.NewCLIWorld(t, bin)
	fx := w.Fx
	w.Srv.SetKeyLastUsed(fx.ProjectKeyID, time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC), "203.0.113.7")
	w.Srv.AddOrgKey(fx.Org.ID, "ünïcode ✓ \"quoted\"", "")
	lists := []struct {
		name string
		args []string
		want func(neontest.KeyInfo) bool
	}{
		{"personal", []string{"list", "-o", "json"}, func(k neontest.KeyInfo) bool { return k.UserID == fx.Admin.ID }},
		{"organization", []string{"list", "--org-id", fx.Org.ID, "-o", "json"}, func(k neontest.KeyInfo) bool { return k.OrgID == fx.Org.ID }},
	}
	for _, l := range lists {
		t.Run(l.name, func(t *testing.T) {
			r := w.Run(t, "", w.Env(), l.args...)
			harness.WantCode(t, r, 0)
			var items []cliListItem
			cliDecode(t, "json", r.Stdout, &items)
			var want []neontest.KeyInfo
			for _, k := range w.Srv.LiveKeys() {
				if l.want(k) {
					want = append(want, k)
				}
			}
			if len(items) != len(want) {
				t.Fatalf("%d items, the fake holds %d:\n%s", len(items), len(want), r.Stdout)
			}
			for i, rec := range want {
				it := items[i]
				if it.ID != rec.ID || it.Name != rec.Name || it.CreatedBy.ID != rec.CreatedBy ||
					it.ProjectID != rec.ProjectID || it.OrgID != rec.OrgID || it.LastUsedFromAddr != rec.LastUsedFrom {
					t.Errorf("item %d: %+v, the fake holds %+v", i, it, rec)
				}
				cliSameTime(t, "created_at", it.CreatedAt, rec.CreatedAt)
				switch {
				case rec.LastUsedAt.IsZero():
					if it.LastUsedAt != nil {
						t.Errorf("key %d: last_used_at %s, the fake has none", rec.ID, *it.LastUsedAt)
					}
				case it.LastUsedAt == nil:
					t.Errorf("key %d: last_used_at null, the fake has %s", rec.ID, rec.LastUsedAt)
				case rec.ID == fx.AdminKeyID:
					// The credential itself: each request moves its last use,
					// so the list shows one not after the fake's latest.
					if got, err := time.Parse(time.RFC3339, *it.LastUsedAt); err != nil || got.After(rec.LastUsedAt) {
						t.Errorf("credential's last_used_at %s, the fake's latest %s", *it.LastUsedAt, rec.LastUsedAt)
					}
				default:
					cliSameTime(t, "last_used_at", *it.LastUsedAt, rec.LastUsedAt)
				}
			}
		})
	}
}

// cliTestClosedStdout: with stdout a pipe nobody reads (neonkeys create |
// true), the token cannot be delivered, so the new key is revoked again and
// the exit code is 1; the process is not killed by SIGPIPE halfway.
func cliTestClosedStdout(t *testing.T, bin string) {
	runs := []struct {
		name string
		args func(*neontest.Fixture) []string
	}{
		{"create", func(*neontest.Fixture) []string { return []string{"create", "--name", "piped"} }},
		{"rotate", func(fx *neontest.Fixture) []string {
			return []string{"rotate", strconv.FormatInt(fx.OrgKeyID, 10), "--yes"}
		}},
	}
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			w := harness.NewCLIWorld(t, bin)
			live := len(w.Srv.LiveKeys())
			rd, wr, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			rd.Close() // the reader is gone before anything is written
			ctx, cancel := context.WithTimeout(t.Context(), harness.CLITimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, w.Bin, run.args(w.Fx)...)
			cmd.Env = w.Env()
			cmd.Stdin = strings.NewReader("")
			var stderr strings.Builder
			cmd.Stdout, cmd.Stderr = wr, &stderr
			err = cmd.Start()
			wr.Close()
			if err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) {
				t.Fatalf("exit: %v, want exit code 1\nstderr:\n%s", err, stderr.String())
			}
			if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				t.Fatalf("killed by %v; stderr:\n%s", ws.Signal(), stderr.String())
			}
			r := harness.CLIResult{Code: exitErr.ExitCode(), Stderr: stderr.String()}
			harness.WantCode(t, r, 1)
			harness.WantStderr(t, r, "could not be delivered", "revoked at once", "nothing changed")
			if n := testkit.CountRequests(w.Srv, http.MethodPost); n != 1 {
				t.Errorf("%d POSTs, want 1", n)
			}
			if got := len(w.Srv.LiveKeys()); got != live {
				t.Errorf("%d live keys, want %d: the undelivered key stayed", got, live)
			}
			if !w.Srv.TokenValid(w.Fx.OrgKeyToken) {
				t.Error("the old key was revoked although its replacement was never delivered")
			}
		})
	}
}

// cliTokenFileAnswer checks the answer of a create or rotate with --out: the
// file holds a live token that stdout never shows; a table prints the path
// and the fingerprint; json and yaml describe the newest key with the file
// instead of the token. It returns the decoded answer (ok false for a table).
func cliTokenFileAnswer(t *testing.T, w *harness.CLIWorld, format, path string, r harness.CLIResult) (out cliNewKey, ok bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(string(data))
	if !w.Srv.TokenValid(tok) {
		t.Fatal("the token file does not authenticate")
	}
	testkit.NoSecrets(t, "stdout", r.Stdout, tok)
	if format == "table" {
		if strings.TrimSpace(r.Stdout) != path+" "+harness.ContractFingerprint(t, tok) {
			t.Errorf("stdout %q, want the path and the fingerprint", r.Stdout)
		}
		return out, false
	}
	out = cliDecodeNewKey(t, format, r.Stdout)
	rec := cliNewest(t, w.Srv)
	if out.ID != rec.ID || out.Key != "" || out.TokenFile != path || out.Fingerprint != harness.ContractFingerprint(t, tok) {
		t.Errorf("answer %+v does not describe the new key %+v by its file", out, rec)
	}
	cliSameTime(t, "created_at", out.CreatedAt, rec.CreatedAt)
	return out, true
}
