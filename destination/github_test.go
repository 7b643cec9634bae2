package destination

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/destination/githubtest"
)

const githubConfig = `destinations:
  repo:
    github: {repo: acme/shop, secret: NEON_API_KEY}
  env:
    github: {repo: acme/shop, environment: production, secret: NEON_API_KEY}
  org:
    github: {org: acme, visibility: private, secret: NEON_API_KEY}
`

// The fake opens each sealed value: what it stored is the token itself.
func TestGitHubDeliversEachScope(t *testing.T) {
	gh := githubtest.New(t, githubCred)
	gh.SetRepoSecret("acme/shop", "NEON_API_KEY", "napi_old")
	dests := mustOpen(t, testEnv(t, gh), githubConfig, "repo", "env", "org")
	for _, d := range dests {
		if err := d.Preflight(t.Context()); err != nil {
			t.Fatalf("%s: %v", d.Name(), err)
		}
	}
	wantDetail := []string{"204: secret updated", "201: secret created", "201: secret created"}
	for i, d := range dests {
		detail, err := d.Deliver(t.Context(), testToken)
		if err != nil || !strings.Contains(detail, wantDetail[i]) {
			t.Fatalf("%s: %q, %v", d.Name(), detail, err)
		}
	}
	stored := map[string]func() (githubtest.Secret, bool){
		"repo": func() (githubtest.Secret, bool) { return gh.RepoSecret("acme/shop", "NEON_API_KEY") },
		"env":  func() (githubtest.Secret, bool) { return gh.EnvSecret("acme/shop", "production", "NEON_API_KEY") },
		"org":  func() (githubtest.Secret, bool) { return gh.OrgSecret("acme", "NEON_API_KEY") },
	}
	for name, get := range stored {
		if s, ok := get(); !ok || s.Value != testToken {
			t.Errorf("%s: stored %q, want the token", name, s.Value)
		}
	}
	if s, _ := gh.OrgSecret("acme", "NEON_API_KEY"); s.Visibility != "private" {
		t.Errorf("org visibility %q", s.Visibility)
	}
}

func TestGitHubPreflight403NamesTheRepository(t *testing.T) {
	gh := githubtest.New(t, githubCred)
	gh.AddFault(githubtest.Fault{Method: "GET", PathSuffix: "/secrets/public-key", Status: 403, Body: `{"message":"Resource not accessible by integration"}`})
	d := mustOpen(t, testEnv(t, gh), githubConfig, "repo")[0]
	err := d.Preflight(t.Context())
	if err == nil || !strings.Contains(err.Error(), "public key of acme/shop: GitHub answered 403") || !strings.Contains(err.Error(), "Resource not accessible") {
		t.Fatalf("got %v", err)
	}
	if gh.Count("PUT") != 0 {
		t.Fatal("a preflight wrote")
	}
}

func TestGitHubPutErrors(t *testing.T) {
	cases := []struct {
		status    int
		uncertain bool
	}{
		{422, false},
		{500, true},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.status), func(t *testing.T) {
			gh := githubtest.New(t, githubCred)
			gh.AddFault(githubtest.Fault{Method: "PUT", PathSuffix: "/NEON_API_KEY", Status: c.status,
				Body: `{"message":"Invalid request: value ` + githubtest.Value + ` is not valid"}`})
			d := mustOpen(t, testEnv(t, gh), githubConfig, "repo")[0]
			_, err := d.Deliver(t.Context(), testToken)
			if err == nil || errors.Is(err, ErrMayBeWritten) != c.uncertain {
				t.Fatalf("got %v, want uncertain=%v", err, c.uncertain)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("GitHub answered %d", c.status)) || !strings.Contains(err.Error(), "value [REDACTED] is not valid") {
				t.Errorf("error %q", err)
			}
			noToken(t, "the error", err.Error())
		})
	}
}

func TestGitHubCredential(t *testing.T) {
	t.Run("GH_TOKEN first", func(t *testing.T) {
		gh := githubtest.New(t, githubCred)
		if err := mustOpen(t, testEnv(t, gh), githubConfig, "repo")[0].Preflight(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("GITHUB_TOKEN next", func(t *testing.T) {
		gh := githubtest.New(t, githubCred+"x")
		env := withVars(testEnv(t, gh), map[string]string{"GH_TOKEN": ""})
		if err := mustOpen(t, env, githubConfig, "repo")[0].Preflight(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("gh auth token last", func(t *testing.T) {
		const fromGH = "gho_fromghauth0123456789abcdef"
		gh := githubtest.New(t, fromGH)
		bin := t.TempDir()
		writeFile(t, filepath.Join(bin, "gh"), "#!/bin/sh\n[ \"$1 $2\" = 'auth token' ] && echo "+fromGH+"\n", 0o755)
		env := withVars(testEnv(t, gh), map[string]string{"GH_TOKEN": "", "GITHUB_TOKEN": "", "PATH": bin + ":/usr/bin:/bin"})
		if err := mustOpen(t, env, githubConfig, "repo")[0].Preflight(t.Context()); err != nil {
			t.Fatal(err)
		}
		if env.Redactor.Redact(fromGH) != "[REDACTED]" {
			t.Error("gh's token is not registered with the redactor")
		}
	})
	t.Run("refused by GitHub", func(t *testing.T) {
		gh := githubtest.New(t, "ghp_another0123456789")
		err := mustOpen(t, testEnv(t, gh), githubConfig, "repo")[0].Preflight(t.Context())
		if err == nil || !strings.Contains(err.Error(), "GitHub answered 401 (the GitHub credential is invalid or expired)") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a failed lookup runs gh once for every destination", func(t *testing.T) {
		gh := githubtest.New(t, githubCred)
		bin := t.TempDir()
		runs := filepath.Join(bin, "runs")
		writeFile(t, filepath.Join(bin, "gh"), "#!/bin/sh\necho run >> '"+runs+"'\nexit 1\n", 0o755)
		env := withVars(testEnv(t, gh), map[string]string{"GH_TOKEN": "", "GITHUB_TOKEN": "", "PATH": bin + ":/usr/bin:/bin"})
		errs := Deliverer{Redactor: env.Redactor}.PreflightEach(t.Context(), mustOpen(t, env, githubConfig, "repo", "env", "org"))
		for i, err := range errs {
			if err == nil || !strings.Contains(err.Error(), "no GitHub credential") {
				t.Fatalf("destination %d: %v, want no GitHub credential", i, err)
			}
		}
		if got := strings.Count(readFile(t, runs), "run"); got != 1 {
			t.Fatalf("gh ran %d times for 3 destinations, want once", got)
		}
	})
	t.Run("none", func(t *testing.T) {
		gh := githubtest.New(t, githubCred)
		env := withVars(testEnv(t, gh), map[string]string{"GH_TOKEN": "", "GITHUB_TOKEN": "", "PATH": t.TempDir()})
		err := mustOpen(t, env, githubConfig, "repo")[0].Preflight(t.Context())
		if err == nil || !strings.Contains(err.Error(), "no GitHub credential") {
			t.Fatalf("got %v", err)
		}
	})
}

func withVars(env Env, vars map[string]string) Env {
	get := env.Getenv
	env.Getenv = func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return get(k)
	}
	return env
}

func TestGitHubBaseURL(t *testing.T) {
	cases := []struct{ raw, want, err string }{
		{"", "https://api.github.com/", ""},
		{"https://ghe.example/api/v3", "https://ghe.example/api/v3/", ""},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/", ""},
		{"http://ghe.example/api/v3", "", "plain http would send the GitHub credential in clear"},
		{"ftp://x", "", "want https://host/path"},
	}
	for _, c := range cases {
		got, err := githubBaseURL(c.raw)
		if got != c.want || (c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err))) || (c.err == "" && err != nil) {
			t.Errorf("githubBaseURL(%q) = %q, %v", c.raw, got, err)
		}
	}
}
