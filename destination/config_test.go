package destination

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/keys"
)

func TestParseValid(t *testing.T) {
	cfg, err := Parse([]byte(`
destinations:
  shop-ci:
    github: {repo: acme/shop, secret: NEON_API_KEY}
    holds: shop-deploy
  shop-prod:
    github: {repo: acme/shop, environment: production, secret: NEON_API_KEY}
  acme-all:
    github: {org: acme, visibility: private, secret: NEON_API_KEY}
  shop-env:
    dotenv: {path: ~/code/shop/.env, var: NEON_API_KEY}
  token:
    file: {path: secrets/neon.token}
  vault-ci:
    command: {argv: [vault, kv, patch, secret/ci, neon_api_key=-], env: [VAULT_ADDR, VAULT_TOKEN], timeout: 5s}
  local:
    command: {argv: [./bin/push, x]}
  me:
    self: true
`), "/etc/nk/config.yaml", "/home/ann")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"acme-all", "local", "me", "shop-ci", "shop-env", "shop-prod", "token", "vault-ci"}
	if got := strings.Join(cfg.Names(), ","); got != strings.Join(want, ",") {
		t.Fatalf("names %s, want %s", got, strings.Join(want, ","))
	}
	specs, err := cfg.Lookup("shop-env", "token", "vault-ci", "local", "shop-ci", "acme-all", "me")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what, got, want string
	}{
		{"~ expanded", specs[0].Dotenv.Path, "/home/ann/code/shop/.env"},
		{"relative path: the config's folder", specs[1].File.Path, "/etc/nk/secrets/neon.token"},
		{"bare program: kept for PATH", specs[2].Command.Argv[0], "vault"},
		{"timeout", specs[2].Command.Timeout.String(), "5s"},
		{"relative program: the config's folder", specs[3].Command.Argv[0], "/etc/nk/bin/push"},
		{"default timeout", specs[3].Command.Timeout.String(), DefaultCommandTimeout.String()},
		{"holds", specs[4].Holds, "shop-deploy"},
		{"org visibility", specs[5].GitHub.Visibility, "private"},
		{"self", string(specs[6].Kind), "self"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.what, c.got, c.want)
		}
	}
}

func TestParseRefusesMalformed(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown kind", "destinations:\n  a:\n    gitlab: {project: x}\n", `config.yaml:3: destination "a": unknown field "gitlab": a destination has one kind (github, dotenv, file, command, self)`},
		{"two kinds", "destinations:\n  a:\n    file: {path: /t}\n    dotenv: {path: /e, var: X}\n", "has two kinds, file and dotenv"},
		{"no kind", "destinations:\n  a:\n    holds: k\n", `destination "a": has no kind`},
		{"missing repo", "destinations:\n  a:\n    github: {secret: NEON_API_KEY}\n", "repo is missing"},
		{"missing secret", "destinations:\n  a:\n    github: {repo: acme/shop}\n", "secret is missing"},
		{"bad repo", "destinations:\n  a:\n    github: {repo: shop, secret: S}\n", `repo "shop": want owner/name`},
		{"repo and org", "destinations:\n  a:\n    github: {repo: acme/shop, org: acme, secret: S}\n", "repo and org are both given"},
		{"GITHUB_ secret", "destinations:\n  a:\n    github: {repo: acme/shop, secret: GITHUB_X}\n", "starting with GITHUB_"},
		{"org without visibility", "destinations:\n  a:\n    github: {org: acme, secret: S}\n", "visibility is missing"},
		{"org selected", "destinations:\n  a:\n    github: {org: acme, secret: S, visibility: selected}\n", "visibility selected is not supported"},
		{"visibility on repo", "destinations:\n  a:\n    github: {repo: acme/shop, secret: S, visibility: all}\n", "visibility is only for an organization secret"},
		{"github typo", "destinations:\n  a:\n    github: {repository: acme/shop, secret: S}\n", `github: unknown field "repository" (it takes repo, environment, org, visibility, secret)`},
		{"dotenv without var", "destinations:\n  a:\n    dotenv: {path: /x/.env}\n", "var is missing"},
		{"dotenv without path", "destinations:\n  a:\n    dotenv: {var: X}\n", "path is missing"},
		{"dotenv bad var", "destinations:\n  a:\n    dotenv: {path: /x/.env, var: 1X}\n", `var "1X"`},
		{"~user", "destinations:\n  a:\n    file: {path: ~bob/t}\n", "only ~/ is expanded"},
		{"empty argv", "destinations:\n  a:\n    command: {argv: []}\n", "argv is empty"},
		{"no argv", "destinations:\n  a:\n    command: {timeout: 5s}\n", "argv is empty"},
		{"credential in env", "destinations:\n  a:\n    command: {argv: [x], env: [GH_TOKEN]}\n", "env GH_TOKEN: a credential is never passed"},
		{"env value", "destinations:\n  a:\n    command: {argv: [x], env: [A=b]}\n", `env "A=b": list variable names only`},
		{"bad timeout", "destinations:\n  a:\n    command: {argv: [x], timeout: forever}\n", `timeout "forever"`},
		{"huge timeout", "destinations:\n  a:\n    command: {argv: [x], timeout: 2h}\n", "at most 10m0s"},
		{"self field", "destinations:\n  a:\n    self: {path: /x}\n", `self: unknown field "path" (it takes no fields (write self: true))`},
		{"holds empty", "destinations:\n  a:\n    file: {path: /t}\n    holds: \"\"\n", "holds: the key name is empty"},
		{"holds too long", "destinations:\n  a:\n    file: {path: /t}\n    holds: " + strings.Repeat("k", 65) + "\n", "holds: the key name is 65 characters long"},
		{"holds a list", "destinations:\n  a:\n    file: {path: /t}\n    holds: [a, b]\n", "holds must be the name of a Neon API key"},
		{"bad name", "destinations:\n  -x:\n    file: {path: /t}\n", `destination name "-x"`},
		{"duplicate name", "destinations:\n  a:\n    file: {path: /t}\n  a:\n    file: {path: /u}\n", `destination "a": defined twice`},
		{"top-level typo", "destination:\n  a:\n    file: {path: /t}\n", `unknown field "destination"`},
		{"wrong type", "destinations:\n  a:\n    file: {path: [1, 2]}\n", `config.yaml:3: destination "a": file:`},
		{"not YAML", "destinations: [\n", "not valid YAML"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, c.yaml)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error with %q", err, c.want)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, yaml := range []string{"", "destinations:\n", "destinations: {}\n", "# nothing yet\n"} {
		cfg, err := parse(t, yaml)
		if err != nil || len(cfg.Destinations) != 0 {
			t.Errorf("%q: %v, %v", yaml, cfg, err)
		}
	}
}

func TestParseReportsEveryError(t *testing.T) {
	_, err := parse(t, "destinations:\n  a:\n    github: {repo: acme/shop}\n  b:\n    command: {argv: []}\n")
	if err == nil || !strings.Contains(err.Error(), `"a"`) || !strings.Contains(err.Error(), `"b"`) {
		t.Fatalf("got %v, want both destinations named", err)
	}
}

func TestLoadChecksTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	body := "destinations:\n  t:\n    file: {path: /tmp/x}\n"
	env := func(k string) string { return map[string]string{EnvConfig: path, "HOME": dir}[k] }

	if _, err := Load(env); !errors.Is(err, ErrNoConfig) {
		t.Fatalf("missing file: got %v, want ErrNoConfig", err)
	}
	for _, mode := range []os.FileMode{0o620, 0o602, 0o666} {
		writeFile(t, path, body, mode)
		if _, err := Load(env); err == nil || !strings.Contains(err.Error(), "writable by group or others") {
			t.Errorf("mode %o: got %v, want a refusal", mode, err)
		}
	}
	writeFile(t, path, body, 0o644)
	cfg, err := Load(env)
	if err != nil || len(cfg.Destinations) != 1 {
		t.Fatalf("mode 644: got %v, %v", cfg, err)
	}
}

func TestLoadRefusesAnotherUsersFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the file to another user")
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	writeFile(t, path, "destinations: {}\n", 0o644)
	if err := os.Chown(path, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	_, err := Load(func(k string) string { return map[string]string{EnvConfig: path}[k] })
	if err == nil || !strings.Contains(err.Error(), "belongs to another user (uid 4242)") {
		t.Fatalf("got %v, want a refusal", err)
	}
}

func TestConfigPath(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{EnvConfig: "/a/c.yaml", "XDG_CONFIG_HOME": "/x", "HOME": "/h"}, "/a/c.yaml"},
		{map[string]string{"XDG_CONFIG_HOME": "/x", "HOME": "/h"}, "/x/neonkeys/config.yaml"},
		{map[string]string{"XDG_CONFIG_HOME": "relative", "HOME": "/h"}, "/h/.config/neonkeys/config.yaml"},
		{map[string]string{"HOME": "/h"}, "/h/.config/neonkeys/config.yaml"},
	}
	for _, c := range cases {
		got, err := ConfigPath(func(k string) string { return c.env[k] })
		if err != nil || got != c.want {
			t.Errorf("%v: got %q, %v; want %q", c.env, got, err, c.want)
		}
	}
}

func TestHolds(t *testing.T) {
	now := time.Date(2026, 12, 1, 23, 4, 5, 0, time.UTC)
	long := strings.Repeat("k", 60)
	cases := []struct {
		holds, key string
		want       bool
	}{
		{"shop-deploy", "shop-deploy", true},
		{"shop-deploy", keys.RotatedName("shop-deploy", now), true},
		{"shop-deploy", keys.RotatedName(keys.RotatedName("shop-deploy", now), now.Add(time.Hour)), true},
		{long, keys.RotatedName(long, now), true},
		{"shop-deploy", "shop-deploy-2", false},
		{"shop-deploy", "shop-deploy-rotated-yesterday", false},
		{"shop", "shop-deploy", false},
		{"shop", keys.RotatedName("shop-deploy", now), false},
		{"", "", false},
	}
	for _, c := range cases {
		if got := Holds(c.holds, c.key); got != c.want {
			t.Errorf("Holds(%q, %q) = %v, want %v", c.holds, c.key, got, c.want)
		}
	}
}

func TestHeldByAndLookup(t *testing.T) {
	cfg, err := parse(t, "destinations:\n  a:\n    file: {path: /a}\n    holds: ci\n  b:\n    file: {path: /b}\n  c:\n    file: {path: /c}\n    holds: ci\n")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range cfg.HeldBy("ci-rotated-20261201T230405Z") {
		got = append(got, s.Name)
	}
	if strings.Join(got, ",") != "a,c" {
		t.Errorf("HeldBy: %v, want a,c", got)
	}
	if _, err := cfg.Lookup("a", "nope"); err == nil || !strings.Contains(err.Error(), `no destination "nope"`) || !strings.Contains(err.Error(), "configured: a, b, c") {
		t.Errorf("Lookup: %v", err)
	}
}
