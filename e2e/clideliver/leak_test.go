package clideliver

import (
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/destination/githubtest"
	"github.com/neonkeys/neonkeys/e2e/internal/harness"
)

// leakConfig has a destination of every kind, none holding any key: the
// tests name them with --to. The command destinations write what they read
// to a file of their own (that file is their destination) and, for
// "echoing", quote it on stderr and fail, as a careless program would.
const leakConfig = `destinations:
  gh:
    github: {repo: acme/shop, secret: NEON_API_KEY}
  env:
    dotenv: {path: shop/.env, var: NEON_API_KEY}
  tokenfile:
    file: {path: shop/neon.token}
  recorder:
    command: {argv: [sh, -c, 'cat > "$HOME/recorded"']}
  echoing:
    command: {argv: [sh, -c, 'cat > "$HOME/echoed"; echo "refused token $(cat "$HOME/echoed")" >&2; exit 1']}
  me:
    self: {}
`

// leakWorld runs the binary with its credential in a key file (so self
// works), TMPDIR inside the home folder (so every file it might write is
// scanned), and the config above.
func leakWorld(t *testing.T) (*world, []string, string) {
	t.Helper()
	w := newWorld(t)
	keyFile := filepath.Join(w.home, "neon.key")
	tmp := filepath.Join(w.home, "tmp")
	if err := os.WriteFile(keyFile, []byte(w.Fx.AdminToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.home, "config.yaml"), []byte(leakConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	env := harness.Env(
		"NEON_API_HOST="+w.Srv.URL(),
		"NEON_API_KEY_FILE="+keyFile,
		"HOME="+w.home,
		"TMPDIR="+tmp,
		"XDG_STATE_HOME="+filepath.Join(w.home, "state"),
		"GH_TOKEN="+githubCred,
		"GITHUB_API_URL="+w.gh.URL,
		"NEONKEYS_CONFIG="+filepath.Join(w.home, "config.yaml"),
	)
	return w, env, keyFile
}

// pieces are the 16-character runs of s: the redactor's unit, so a piece
// found anywhere is a leak even when the whole token is not.
func pieces(s string) []string {
	var out []string
	for i := 0; i+16 <= len(s); i++ {
		out = append(out, s[i:i+16])
	}
	return out
}

// leaksIn names the places among texts that hold token or a piece of it.
func leaksIn(token string, texts map[string]string) []string {
	var found []string
	for where, text := range texts {
		for _, p := range pieces(token) {
			if strings.Contains(text, p) {
				found = append(found, where)
				break
			}
		}
	}
	return found
}

// filesOutside reads every file under root except the allowed ones.
func filesOutside(t *testing.T, root string, allowed map[string]bool) map[string]string {
	t.Helper()
	texts := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || allowed[path] {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		texts[path] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return texts
}

// TestLeakMatrixEveryDestinationKind: a rotation of the key neonkeys runs
// with to a destination of every kind, then one where GitHub's refusal and a
// program's stderr quote the token. The new token is in the destinations
// (and, after a partial delivery, the rescue file) and nowhere else: not on
// stdout or stderr, in no error, in no other file of the home or temporary
// folders, not even as a 16-character piece.
func TestLeakMatrixEveryDestinationKind(t *testing.T) {
	t.Run("every kind delivered", func(t *testing.T) {
		w, env, keyFile := leakWorld(t)
		r := w.Run(t, "", env, "rotate", id(w.Fx.AdminKeyID), "--yes",
			"--to", "env", "--to", "gh", "--to", "tokenfile", "--to", "recorder", "--to", "me")
		if r.Code != 0 {
			t.Fatalf("exit %d\n%s", r.Code, r.Stderr)
		}
		token := w.githubValue()
		if !strings.HasPrefix(token, "napi_") {
			t.Fatalf("the GitHub secret holds %q", token)
		}
		destinations := map[string]bool{
			w.dotenv: true, filepath.Join(w.home, "shop", "neon.token"): true,
			filepath.Join(w.home, "recorded"): true, keyFile: true,
		}
		for path := range destinations {
			if data, _ := os.ReadFile(path); !strings.Contains(string(data), token) {
				t.Errorf("%s does not hold the new token", path)
			}
		}
		texts := filesOutside(t, w.home, destinations)
		texts["stdout"], texts["stderr"] = r.Stdout, r.Stderr
		for _, secret := range []string{token, w.Fx.AdminToken} {
			if found := leaksIn(secret, texts); len(found) > 0 {
				t.Errorf("a token leaked into %v", found)
			}
		}
	})

	t.Run("refusals quoting the token", func(t *testing.T) {
		w, env, _ := leakWorld(t)
		w.gh.AddFault(githubtest.Fault{Method: http.MethodPut, PathSuffix: "/NEON_API_KEY", Status: http.StatusUnprocessableEntity,
			Body: `{"message":"Invalid value ` + githubtest.Value + `","documentation_url":"x"}`})
		r := w.Run(t, "", env, "rotate", id(w.Fx.ProjectKeyID), "--yes",
			"--to", "env", "--to", "gh", "--to", "echoing", "--to", "tokenfile")
		if r.Code != 1 {
			t.Fatalf("exit %d, want 1 (two destinations failed)\n%s", r.Code, r.Stderr)
		}
		rescue := w.rescueFiles()
		if len(rescue) != 1 {
			t.Fatalf("rescue files %v, want one", rescue)
		}
		data, err := os.ReadFile(rescue[0])
		if err != nil {
			t.Fatal(err)
		}
		token := strings.TrimSpace(string(data))
		if w.dotenvValue() != token {
			t.Fatalf("the .env holds %q, the rescue file %q", w.dotenvValue(), token)
		}
		allowed := map[string]bool{
			w.dotenv: true, filepath.Join(w.home, "shop", "neon.token"): true,
			filepath.Join(w.home, "echoed"): true, rescue[0]: true,
		}
		texts := filesOutside(t, w.home, allowed)
		texts["stdout"], texts["stderr"] = r.Stdout, r.Stderr
		if found := leaksIn(token, texts); len(found) > 0 {
			t.Errorf("the token leaked into %v\nstderr:\n%s", found, r.Stderr)
		}
		// The refusals were shown, masked: the paths that quote the token ran.
		for _, want := range []string{"Invalid value", "refused token", "[REDACTED]"} {
			if !strings.Contains(r.Stderr, want) {
				t.Errorf("stderr lacks %q: the refusal quoting the token was not shown\n%s", want, r.Stderr)
			}
		}
	})
}
