package bulk

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/destination/githubtest"
	"github.com/neonkeys/neonkeys/e2e/internal/harness"
)

const githubCred = "ghp_bulke2ecredential0123456789abcdef"

// anyToken matches a Neon token or a long piece of one; a fingerprint
// (napi_…abcd) does not match.
var anyToken = regexp.MustCompile(`napi_[A-Za-z0-9]{8,}`)

// TestBinaryBulkRotateMixedRun: the binary, as a CI job runs it (no
// terminal, --yes, -o json), rotates two keys to a .env file and a GitHub
// secret, fails the third at GitHub (its new key withdrawn, its old one
// kept), skips the fourth that nothing holds, exits 1, and prints no token.
func TestBinaryBulkRotateMixedRun(t *testing.T) {
	w := harness.NewCLIWorld(t, harness.Binary(t))
	gh := githubtest.New(t, githubCred)
	home := t.TempDir()
	config := `destinations:
  a-env:
    dotenv: {path: ~/a.env, var: NEON_API_KEY}
    holds: svc-a
  b-ci:
    github: {repo: acme/b, secret: NEON_API_KEY}
    holds: svc-b
  c-ci:
    github: {repo: acme/c, secret: NEON_API_KEY}
    holds: svc-c
`
	if err := os.WriteFile(filepath.Join(home, "config.yaml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, name := range []string{"svc-a", "svc-b", "svc-c", "svc-d"} {
		_, ids[name] = w.Srv.AddOrgKey(w.Fx.Org.ID, name, "")
		w.Srv.SetKeyCreatedAt(ids[name], time.Now().Add(-100*24*time.Hour))
	}
	gh.AddFault(githubtest.Fault{Method: http.MethodPut, PathSuffix: "/repos/acme/c/actions/secrets/NEON_API_KEY", Status: http.StatusUnprocessableEntity, Body: `{"message":"Bad request"}`})

	r := w.Run(t, "", w.Env("HOME="+home, "XDG_STATE_HOME="+filepath.Join(home, "state"), "GH_TOKEN="+githubCred,
		"GITHUB_API_URL="+gh.URL, "NEONKEYS_CONFIG="+filepath.Join(home, "config.yaml")),
		"rotate", "--older-than", "90d", "--yes", "-o", "json")
	harness.WantCode(t, r, 1)
	for name, s := range map[string]string{"stdout": r.Stdout, "stderr": r.Stderr} {
		if m := anyToken.FindString(s); m != "" {
			t.Errorf("%s holds a token (%s…)", name, m[:9])
		}
	}
	var out struct {
		Keys []struct {
			Key    struct{ Name string }
			Status string
		}
		Rotated, Failed, Skipped int
		Complete                 bool
	}
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
		t.Fatalf("stdout is not the JSON answer: %v\n%s", err, r.Stdout)
	}
	got := map[string]string{}
	for _, k := range out.Keys {
		got[k.Key.Name] = k.Status
	}
	want := map[string]string{"svc-a": "rotated", "svc-b": "rotated", "svc-c": "failed", "svc-d": "skipped"}
	for name, status := range want {
		if got[name] != status {
			t.Errorf("%s: %q, want %q (all: %v)", name, got[name], status, got)
		}
	}
	if out.Rotated != 2 || out.Failed != 1 || out.Skipped != 1 || out.Complete {
		t.Errorf("counts %+v", out)
	}
	live := func(id int64) bool { k, ok := w.Srv.Key(id); return ok && !k.Revoked }
	if live(ids["svc-a"]) || live(ids["svc-b"]) || !live(ids["svc-c"]) || !live(ids["svc-d"]) {
		t.Error("wrong keys revoked")
	}
	sec, ok := gh.RepoSecret("acme/b", "NEON_API_KEY")
	if !ok || w.Run(t, "", harness.Env("NEON_API_HOST="+w.Srv.URL(), "NEON_API_KEY="+sec.Value), "whoami").Code != 0 {
		t.Error("acme/b's secret does not hold a working key")
	}
}
