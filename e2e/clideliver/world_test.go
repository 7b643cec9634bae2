package clideliver

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/destination/githubtest"
	"github.com/neonkeys/neonkeys/e2e/internal/harness"
)

const githubCred = "ghp_clidelivere2ecredential0123456789"

// world is the binary, a fake Neon API, a fake GitHub and a home folder
// holding the destinations config, a .env file and what a program read.
type world struct {
	*harness.CLIWorld
	t    *testing.T
	gh   *githubtest.Server
	home string
	// dotenv is the .env of shop-env; stdinFile what vault-ci read on stdin.
	dotenv, stdinFile string
}

// oldDotenvValue is the .env's NEON_API_KEY before any rotation.
const oldDotenvValue = "napi_oldvalueoldvalueoldvalueoldvalue1234"

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{CLIWorld: harness.NewCLIWorld(t, harness.Binary(t)), t: t, gh: githubtest.New(t, githubCred), home: t.TempDir()}
	w.dotenv = filepath.Join(w.home, "shop", ".env")
	w.stdinFile = filepath.Join(w.home, "vault-stdin")
	if err := os.MkdirAll(filepath.Dir(w.dotenv), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.dotenv, []byte("# shop\nDATABASE_URL=postgres://x\nNEON_API_KEY="+oldDotenvValue+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// env is the binary's environment: the fakes, the home folder, the config.
func (w *world) env(extra ...string) []string {
	return w.Env(append([]string{
		"HOME=" + w.home,
		"XDG_STATE_HOME=" + filepath.Join(w.home, "state"),
		"GH_TOKEN=" + githubCred,
		"GITHUB_API_URL=" + w.gh.URL,
		"NEONKEYS_CONFIG=" + filepath.Join(w.home, "config.yaml"),
	}, extra...)...)
}

// writeConfig writes the destinations config (0600: others may not write it).
// Every destination holds the seed's project key shop-deploy; extra adds more.
func (w *world) writeConfig(extra string) {
	w.t.Helper()
	yaml := fmt.Sprintf(`destinations:
  shop-ci:
    github: {repo: acme/shop, secret: NEON_API_KEY}
    holds: shop-deploy
  shop-env:
    dotenv: {path: shop/.env, var: NEON_API_KEY}
    holds: shop-deploy
  vault-ci:
    command: {argv: [sh, -c, 'cat > "$1"', sh, %q]}
    holds: shop-deploy
%s`, w.stdinFile, extra)
	if err := os.WriteFile(filepath.Join(w.home, "config.yaml"), []byte(yaml), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// run runs the binary with args and checks that its output holds no token.
func (w *world) run(args ...string) harness.CLIResult {
	w.t.Helper()
	r := w.Run(w.t, "", w.env(), args...)
	noToken(w.t, r)
	return r
}

// anyToken matches a Neon token or a long piece of one; a fingerprint
// (napi_…abcd) does not match.
var anyToken = regexp.MustCompile(`napi_[A-Za-z0-9]`)

func noToken(t *testing.T, r harness.CLIResult) {
	t.Helper()
	for name, s := range map[string]string{"stdout": r.Stdout, "stderr": r.Stderr} {
		if loc := anyToken.FindStringIndex(s); loc != nil {
			t.Errorf("%s holds a token (%q…):\n%s", name, s[loc[0]:loc[1]], s)
		}
	}
}

func (w *world) dotenvValue() string {
	w.t.Helper()
	data, err := os.ReadFile(w.dotenv)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "NEON_API_KEY="); ok {
			return v
		}
	}
	return ""
}

func (w *world) recorded() string {
	data, _ := os.ReadFile(w.stdinFile)
	return string(data)
}

func (w *world) githubValue() string {
	s, _ := w.gh.RepoSecret("acme/shop", "NEON_API_KEY")
	return s.Value
}

func (w *world) oldLive() bool {
	k, ok := w.Srv.Key(w.Fx.ProjectKeyID)
	return ok && !k.Revoked
}

// minted are the keys created during the test, and how many are live.
func (w *world) minted() (all, live int) {
	for _, k := range w.Srv.Keys() {
		if k.ID > w.Fx.ProjectKeyID {
			all++
			if !k.Revoked {
				live++
			}
		}
	}
	return all, live
}

// works reports whether token authenticates, asked through the binary.
func (w *world) works(token string) bool {
	w.t.Helper()
	return w.Run(w.t, "", harness.Env("NEON_API_HOST="+w.Srv.URL(), "NEON_API_KEY="+token), "whoami").Code == 0
}

func (w *world) rescueFiles() []string {
	files, _ := filepath.Glob(filepath.Join(w.home, "state", "neonkeys", "rescue", "*"))
	return files
}

// nextSteps are the commands under "Next steps:" on stderr, after ": ".
func nextSteps(stderr string) []string {
	_, after, ok := strings.Cut(stderr, "Next steps:\n")
	if !ok {
		return nil
	}
	var steps []string
	for _, line := range strings.Split(after, "\n") {
		if !strings.HasPrefix(line, "  ") {
			break
		}
		steps = append(steps, strings.TrimSpace(line))
	}
	return steps
}

func id(n int64) string { return fmt.Sprint(n) }
