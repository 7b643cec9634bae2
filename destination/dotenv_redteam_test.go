package destination

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDotenvPreflightRefusesAnUnclosedQuote: a .env whose quoted value
// never closes (a typo: FOO="bar) swallows every later line, the new
// assignment included, so the delivery could never be read back. The
// preflight used to pass, the key was minted, and the write then failed
// with the .env already rewritten; now the preflight refuses, naming the
// line, and the file is left as it was.
func TestDotenvPreflightRefusesAnUnclosedQuote(t *testing.T) {
	for name, content := range map[string]string{
		"unclosed double quote": "FOO=\"bar\nNEON_API_KEY=napi_old\n",
		"unclosed single quote": "A=1\nFOO='bar\n",
		"unclosed own value":    "NEON_API_KEY=\"napi_old\nB=2\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ".env")
			writeFile(t, path, content, 0o600)
			d := mustOpen(t, testEnv(t, nil), dotenvConfig(path), "env")[0]
			err := d.Preflight(t.Context())
			if err == nil || !strings.Contains(err.Error(), "never closes") {
				t.Fatalf("preflight: %v; want a refusal naming the unclosed quote", err)
			}
			if _, err := d.Deliver(t.Context(), testToken); err == nil {
				t.Error("the delivery wrote the file all the same")
			}
			if got := readFile(t, path); got != content {
				t.Errorf("the .env changed to %q", got)
			}
		})
	}
}

// TestSetDotenvKeepsAnInlineComment: the README promises every other line
// and comment kept; a comment after the old value on its own line (often
// the note saying what the key is for) was dropped with the value.
func TestSetDotenvKeepsAnInlineComment(t *testing.T) {
	const tok = "napi_NEW0123456789abcdef"
	cases := map[string]struct{ in, want string }{
		"bare":          {"NEON_API_KEY=napi_old # ci key, see wiki\n", "NEON_API_KEY=" + tok + " # ci key, see wiki\n"},
		"double quoted": {"NEON_API_KEY=\"napi_old\"  # ci\r\n", "NEON_API_KEY=\"" + tok + "\"  # ci\r\n"},
		"single quoted": {"export NEON_API_KEY='napi_old' #ci\n", "export NEON_API_KEY='" + tok + "' #ci\n"},
		"no comment":    {"NEON_API_KEY=napi_old\n", "NEON_API_KEY=" + tok + "\n"},
		"hash in value": {"NEON_API_KEY=old#x # note\n", "NEON_API_KEY=" + tok + " # note\n"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := setDotenv([]byte(c.in), "NEON_API_KEY", tok)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			if vals := dotenvValues(got, "NEON_API_KEY"); len(vals) != 1 || vals[0] != tok {
				t.Fatalf("read back %q", vals)
			}
		})
	}
}

// TestDotenvPreflightRefusesAHugeFile: a dotenv path pointing at a huge
// file (a log, a dump: a slip in the config) was read whole, three times,
// and rewritten. A .env is small; over the limit the preflight refuses it,
// before anything is minted, and the file is left alone.
func TestDotenvPreflightRefusesAHugeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	writeFile(t, path, "NEON_API_KEY=napi_old\n", 0o600)
	if err := os.Truncate(path, 64<<20); err != nil { // sparse: no 64 MiB written
		t.Fatal(err)
	}
	d := mustOpen(t, testEnv(t, nil), dotenvConfig(path), "env")[0]
	if err := d.Preflight(t.Context()); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("preflight: %v; want a refusal of the file's size", err)
	}
	if _, err := d.Deliver(t.Context(), testToken); err == nil {
		t.Error("the delivery rewrote the huge file")
	}
	if info, err := os.Stat(path); err != nil || info.Size() != 64<<20 {
		t.Errorf("the file changed: %v, %v", info.Size(), err)
	}
}
