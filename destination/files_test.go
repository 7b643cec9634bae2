package destination

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSetDotenv(t *testing.T) {
	const tok = "napi_NEW0123456789abcdef"
	cases := []struct {
		name, in, want string
	}{
		{"empty file", "", "NEON_API_KEY=" + tok + "\n"},
		{"appended, others kept", "# shop\nA=1\n\nB='two words' # c\n", "# shop\nA=1\n\nB='two words' # c\nNEON_API_KEY=" + tok + "\n"},
		{"no final newline", "A=1", "A=1\nNEON_API_KEY=" + tok + "\n"},
		{"replaced in place", "A=1\nNEON_API_KEY=napi_old\n# after\nB=2\n", "A=1\nNEON_API_KEY=" + tok + "\n# after\nB=2\n"},
		{"export and indent kept", "  export NEON_API_KEY = napi_old\n", "  export NEON_API_KEY=" + tok + "\n"},
		{"double quotes kept", "NEON_API_KEY=\"napi_old\"\n", "NEON_API_KEY=\"" + tok + "\"\n"},
		{"single quotes kept", "NEON_API_KEY='napi_old'\n", "NEON_API_KEY='" + tok + "'\n"},
		{"CRLF kept", "A=1\r\nNEON_API_KEY=napi_old\r\nB=2\r\n", "A=1\r\nNEON_API_KEY=" + tok + "\r\nB=2\r\n"},
		{"every copy replaced", "NEON_API_KEY=a\nX=1\nNEON_API_KEY=b\n", "NEON_API_KEY=" + tok + "\nX=1\nNEON_API_KEY=" + tok + "\n"},
		{"similar names untouched", "NEON_API_KEY_FILE=/x\nMY_NEON_API_KEY=y\n", "NEON_API_KEY_FILE=/x\nMY_NEON_API_KEY=y\nNEON_API_KEY=" + tok + "\n"},
		{"a commented-out line untouched", "# NEON_API_KEY=napi_older\n", "# NEON_API_KEY=napi_older\nNEON_API_KEY=" + tok + "\n"},
		{"multi-line value of another var kept", "PEM=\"-----BEGIN\nNEON_API_KEY=inside\n-----END\"\nNEON_API_KEY=x\n", "PEM=\"-----BEGIN\nNEON_API_KEY=inside\n-----END\"\nNEON_API_KEY=" + tok + "\n"},
		{"multi-line old value replaced whole", "NEON_API_KEY=\"a\nb\"\nC=3\n", "NEON_API_KEY=\"" + tok + "\"\nC=3\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := setDotenv([]byte(c.in), "NEON_API_KEY", tok)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Fatalf("got\n%q\nwant\n%q", got, c.want)
			}
			if vals := dotenvValues(got, "NEON_API_KEY"); len(vals) == 0 || !allEqual(vals, tok) {
				t.Fatalf("read back %q", vals)
			}
		})
	}
}

func TestFormatDotenvValue(t *testing.T) {
	cases := []struct {
		value string
		quote byte
		want  string
		err   bool
	}{
		{"napi_abc", 0, "napi_abc", false},
		{"a b", 0, "'a b'", false},
		{"a$b", '"', "'a$b'", false},
		{"it's", 0, "", true},
		{"a\nb", 0, "", true},
	}
	for _, c := range cases {
		got, err := formatDotenvValue(c.value, c.quote)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("formatDotenvValue(%q, %q) = %q, %v", c.value, c.quote, got, err)
		}
	}
}

func dotenvConfig(path string) string {
	return fmt.Sprintf("destinations:\n  env:\n    dotenv: {path: %s, var: NEON_API_KEY}\n", path)
}

func TestDotenvDeliver(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	writeFile(t, path, "# shop\nDATABASE_URL=postgres://x\nNEON_API_KEY=napi_old\n", 0o640)
	d := mustOpen(t, testEnv(t, nil), dotenvConfig(path), "env")[0]
	if err := d.Preflight(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Deliver(t.Context(), testToken); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "# shop\nDATABASE_URL=postgres://x\nNEON_API_KEY="+testToken+"\n" {
		t.Fatalf("the .env file now reads %q", got)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o640 {
		t.Errorf("mode %o, want 640 kept", info.Mode().Perm())
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*neonkeys*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestDotenvNewFileIs0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	d := mustOpen(t, testEnv(t, nil), dotenvConfig(path), "env")[0]
	if _, err := d.Deliver(t.Context(), testToken); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("new .env: %v, %v; want mode 600", info, err)
	}
}

func TestFileDeliverReplacesAnd0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "neon.token")
	writeFile(t, path, "napi_old\n", 0o644)
	d := mustOpen(t, testEnv(t, nil), fmt.Sprintf("destinations:\n  f:\n    file: {path: %s}\n", path), "f")[0]
	if err := d.Preflight(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Deliver(t.Context(), testToken); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(path)
	if got := readFile(t, path); got != testToken+"\n" || info.Mode().Perm() != 0o600 {
		t.Fatalf("token file %q mode %o; want the token, mode 600", got, info.Mode().Perm())
	}
}

// Each file kind refuses a symlink and a missing folder at preflight, and a
// symlink again at delivery (it may appear in between), leaving the link's
// target as it was.
func TestFileKindsRefuseSymlinksAndMissingFolders(t *testing.T) {
	for _, kind := range []string{"dotenv", "file", "self"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "real")
			writeFile(t, target, "KEEP=1\n", 0o600)
			link := filepath.Join(dir, "link")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct{ path, want string }{
				{link, "is a symlink"},
				{filepath.Join(dir, "nope", "x"), "does not exist"},
			} {
				d := openKind(t, kind, c.path)
				if err := d.Preflight(t.Context()); err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("preflight %s: got %v, want %q", c.path, err, c.want)
				}
			}
			if _, err := openKind(t, kind, link).Deliver(t.Context(), testToken); err == nil || !strings.Contains(err.Error(), "is a symlink") {
				t.Errorf("deliver through a symlink: got %v", err)
			}
			if got := readFile(t, target); got != "KEEP=1\n" {
				t.Errorf("the link's target was changed: %q", got)
			}
		})
	}
}

func openKind(t *testing.T, kind, path string) Destination {
	t.Helper()
	env := testEnv(t, nil)
	switch kind {
	case "dotenv":
		return mustOpen(t, env, dotenvConfig(path), "env")[0]
	case "file":
		return mustOpen(t, env, fmt.Sprintf("destinations:\n  f:\n    file: {path: %s}\n", path), "f")[0]
	default:
		env.CredentialFile = path
		return mustOpen(t, env, "destinations:\n  me:\n    self: true\n", "me")[0]
	}
}

func TestReadOnlyFolderFailsPreflight(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes in a read-only folder; the check cannot be seen failing")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	d := mustOpen(t, testEnv(t, nil), dotenvConfig(filepath.Join(dir, ".env")), "env")[0]
	if err := d.Preflight(t.Context()); err == nil || !strings.Contains(err.Error(), "cannot write in the folder") {
		t.Fatalf("got %v", err)
	}
}

func TestSelfReplacesTheKeyFileKeepingItsMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "neon.key")
	writeFile(t, path, "napi_old\n", 0o400)
	d := openKind(t, "self", path)
	if err := d.Preflight(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Deliver(t.Context(), testToken); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(path)
	if got := readFile(t, path); got != testToken+"\n" || info.Mode().Perm() != 0o400 {
		t.Fatalf("key file %q mode %o", got, info.Mode().Perm())
	}
}

func TestSelfWithoutAKeyFile(t *testing.T) {
	d := openKind(t, "self", "")
	if err := d.Preflight(t.Context()); err == nil || !strings.Contains(err.Error(), "did not come from NEON_API_KEY_FILE") {
		t.Fatalf("got %v", err)
	}
}
