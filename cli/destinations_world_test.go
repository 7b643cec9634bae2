package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/destination/githubtest"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

const destGitHubCred = "ghp_clidestinationtestcredential01234"

// destWorld is a fake Neon API, a fake GitHub, a home folder with a
// destinations config, a .env file and a command that records its stdin:
// the three destinations of a rotation.
type destWorld struct {
	t    testing.TB
	srv  *neontest.Server
	fx   *neontest.Fixture
	gh   *githubtest.Server
	home string
	env  map[string]string
	// dotenv is the .env file of shop-env; stdinFile what vault-ci read.
	dotenv, stdinFile string
}

func newDestWorld(t testing.TB, opts ...neontest.Option) *destWorld {
	t.Helper()
	srv := neontest.New(t, opts...)
	w := &destWorld{t: t, srv: srv, fx: srv.Seed(), gh: githubtest.New(t, destGitHubCred), home: t.TempDir()}
	w.dotenv = filepath.Join(w.home, "shop", ".env")
	w.stdinFile = filepath.Join(w.home, "vault-stdin")
	if err := os.MkdirAll(filepath.Dir(w.dotenv), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.dotenv, []byte("# shop\nDATABASE_URL=postgres://x\nNEON_API_KEY=napi_oldvalueoldvalueoldvalueoldvalue1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.env = map[string]string{
		"NEON_API_KEY":    w.fx.AdminToken,
		"NEON_API_HOST":   srv.URL(),
		"PATH":            os.Getenv("PATH"),
		"HOME":            w.home,
		"XDG_STATE_HOME":  filepath.Join(w.home, "state"),
		"GH_TOKEN":        destGitHubCred,
		"GITHUB_API_URL":  w.gh.URL,
		"NEONKEYS_CONFIG": filepath.Join(w.home, "config.yaml"),
	}
	return w
}

// threeDestinations is the config of the "done when" scenario: each holds
// the seed's project key shop-deploy.
func (w *destWorld) threeDestinations() string {
	return fmt.Sprintf(`destinations:
  shop-ci:
    github: {repo: acme/shop, secret: NEON_API_KEY}
    holds: shop-deploy
  shop-env:
    dotenv: {path: shop/.env, var: NEON_API_KEY}
    holds: shop-deploy
  vault-ci:
    command: {argv: [sh, -c, 'cat > "$1"', sh, %q]}
    holds: shop-deploy
  broken-cmd:
    command: {argv: [sh, -c, 'cat >/dev/null; echo "vault: permission denied" >&2; exit 1']}
  slow-cmd:
    command: {argv: [sh, -c, 'sleep 30'], timeout: 300ms}
`, w.stdinFile)
}

// writeConfig writes the config file (0600: the config refuses a file
// others may write).
func (w *destWorld) writeConfig(yaml string) {
	w.t.Helper()
	if err := os.WriteFile(w.env["NEONKEYS_CONFIG"], []byte(yaml), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

func (w *destWorld) run(args ...string) result {
	w.t.Helper()
	return runWith(w.t, w.env, args...)
}

// runWith is runCLI for a test or a benchmark: stdin empty, no terminal.
func runWith(tb testing.TB, vars map[string]string, args ...string) result {
	var stdout, stderr bytes.Buffer
	e := env{
		io:     IO{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr},
		getenv: func(k string) string { return vars[k] },
	}
	code := run(tb.Context(), e, args)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// dotenvValue is NEON_API_KEY's value in the .env file.
func (w *destWorld) dotenvValue() string {
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

// recorded is what the command destination read on stdin, "" if it never ran.
func (w *destWorld) recorded() string {
	data, err := os.ReadFile(w.stdinFile)
	if err != nil {
		return ""
	}
	return string(data)
}

func (w *destWorld) githubValue() string {
	s, _ := w.gh.RepoSecret("acme/shop", "NEON_API_KEY")
	return s.Value
}

func (w *destWorld) live(id int64) bool {
	k, ok := w.srv.Key(id)
	return ok && !k.Revoked
}

// newKeys are the keys minted during the test (beyond the seed's).
func (w *destWorld) newKeys() []neontest.KeyInfo {
	var out []neontest.KeyInfo
	for _, k := range w.srv.Keys() {
		if k.ID > w.fx.ProjectKeyID {
			out = append(out, k)
		}
	}
	return out
}

// works reports whether token authenticates with the fake Neon API.
func (w *destWorld) works(token string) bool {
	w.t.Helper()
	env := map[string]string{"NEON_API_KEY": token, "NEON_API_HOST": w.srv.URL()}
	return runWith(w.t, env, "whoami").code == 0
}

// rescueFiles lists the rescue folder.
func (w *destWorld) rescueFiles() []string {
	files, _ := filepath.Glob(filepath.Join(w.home, "state", "neonkeys", "rescue", "*"))
	return files
}

// anyToken is what a token looks like, whole or as a long piece: no
// output may hold one (a fingerprint is napi_…abcd).
var anyToken = regexp.MustCompile(`napi_[A-Za-z0-9]{8,}`)

// noTokenIn fails when an output holds a token of any kind.
func noTokenIn(t *testing.T, r result, tokens ...string) {
	t.Helper()
	for _, s := range []string{r.stdout, r.stderr} {
		if m := anyToken.FindString(s); m != "" {
			t.Errorf("output holds a token (%s…):\n%s", m[:9], s)
		}
		noSecrets(t, "output", s, tokens...)
	}
}

// fixedClock is the fake Neon API's clock of the golden files.
func fixedClock() neontest.Option {
	return neontest.WithClock(func() time.Time { return goldenClock })
}
