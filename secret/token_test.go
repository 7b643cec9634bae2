package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

func TestFingerprint(t *testing.T) {
	tests := []struct {
		token, want string
	}{
		{liveToken, "napi_…d4s5"},
		{"", "…"},
		{"napi_short", "…"},
		{"123456789012", "…"},
		{"1234567890123", "…0123"},
		{legacyToken, "…" + legacyToken[len(legacyToken)-4:]},
	}
	for _, tt := range tests {
		got := Fingerprint(tt.token)
		if got != tt.want {
			t.Errorf("Fingerprint(%q) = %q, want %q", tt.token, got, tt.want)
		}
		if len(tt.token) > 12 && strings.Contains(got, tt.token[:len(tt.token)-4]) {
			t.Errorf("Fingerprint(%q) = %q reveals the token", tt.token, got)
		}
	}
}

func TestFingerprintTellsKeysApart(t *testing.T) {
	a := Fingerprint("napi_aaaaaaaaaaaaaaaaaaaa1111")
	b := Fingerprint("napi_aaaaaaaaaaaaaaaaaaaa2222")
	if a == b {
		t.Fatalf("two different tokens share fingerprint %q", a)
	}
}

func TestStripControl(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "ci-deploy key", "ci-deploy key"},
		{"unicode letters kept", "clé 鍵 🔑", "clé 鍵 🔑"},
		{"ansi colour", "\x1b[31mred\x1b[0m", "[31mred[0m"},
		{"ansi clear screen", "a\x1b[2Jb", "a[2Jb"},
		{"carriage return overwrite", "safe\rEVIL", "safeEVIL"},
		{"newline and tab", "a\nb\tc", "abc"},
		{"bell and backspace", "a\x07b\x08c", "abc"},
		{"C1 control CSI", "a\u009b31mb", "a31mb"},
		{"bidi override", "key\u202egnp.exe", "keygnp.exe"},
		{"bidi isolates", "\u2066a\u2067b\u2068c\u2069", "abc"},
		{"zero width space and joiner", "ad\u200bmin\u200d", "admin"},
		{"byte order mark", "\ufeffname", "name"},
		{"replacement char kept", "bad\ufffdbyte", "bad\ufffdbyte"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StripControl(tt.in); got != tt.want {
				t.Fatalf("StripControl(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTokenFileName(t *testing.T) {
	dir := filepath.Join(string(filepath.Separator)+"tmp", "secrets")
	tests := []struct {
		name, key, want string
	}{
		{"simple", "ci-deploy_1", "ci-deploy_1.token"},
		{"dots inside kept", "prod.v2", "prod.v2.token"},
		{"path traversal", "../../etc/passwd", "_._.._etc_passwd.token"},
		{"absolute path", "/etc/passwd", "_etc_passwd.token"},
		{"windows separators", `..\..\x`, `_._.._x.token`},
		{"leading dot hidden file", ".bashrc", "_bashrc.token"},
		{"only dots", "...", "_.token"},
		{"trailing dots trimmed", "name..", "name.token"},
		{"empty", "", "neon-api-key.token"},
		{"spaces and unicode", "clé 鍵", "cl___.token"},
		{"control characters", "a\x1b[0m\nb", "a__0m_b.token"},
		{"nul byte", "a\x00b", "a_b.token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TokenFileName(dir, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, tt.want); got != want {
				t.Fatalf("TokenFileName(%q) = %q, want %q", tt.key, got, want)
			}
			assertInside(t, dir, got)
		})
	}
}

func TestTokenFileNameVeryLong(t *testing.T) {
	dir := t.TempDir()
	got, err := TokenFileName(dir, strings.Repeat("a", 5000))
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Base(got)
	if len(base) > 255 {
		t.Fatalf("file name is %d bytes: longer than any file system allows", len(base))
	}
	if base != strings.Repeat("a", 100)+".token" {
		t.Fatalf("got %q", base)
	}
	assertInside(t, dir, got)
}

func TestTokenFileNameNeedsDir(t *testing.T) {
	if _, err := TokenFileName("", "ci"); err == nil {
		t.Fatal("an empty directory must be refused, not mean the current directory")
	}
}

// assertInside checks that path is a direct, visible, .token child of dir.
func assertInside(t *testing.T, dir, path string) {
	t.Helper()
	if filepath.Dir(path) != filepath.Clean(dir) {
		t.Fatalf("%q is not directly inside %q", path, dir)
	}
	base := filepath.Base(path)
	if strings.HasPrefix(base, ".") || !strings.HasSuffix(base, ".token") {
		t.Fatalf("bad file name %q", base)
	}
	for _, r := range base {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_.", r)) {
			t.Fatalf("file name %q holds %q", base, r)
		}
	}
}

func TestWriteTokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ci.token")
	if err := WriteTokenFile(path, liveToken); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Fatalf("mode %04o, want 0600", perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != liveToken+"\n" {
		t.Fatalf("content %q", data)
	}
}

func TestWriteTokenFileRefusesExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ci.token")
	if err := os.WriteFile(path, []byte("old contents\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := WriteTokenFile(path, liveToken)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("err = %v, want a refusal to overwrite", err)
	}
	if strings.Contains(err.Error(), liveToken) {
		t.Fatal("the error text holds the token")
	}
	data, _ := os.ReadFile(path)
	if string(data) != "old contents\n" {
		t.Fatalf("existing file changed to %q", data)
	}
}

func TestWriteTokenFileRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "attacker-readable")
	link := filepath.Join(dir, "ci.token")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	if err := WriteTokenFile(link, liveToken); err == nil {
		t.Fatal("a token was written through a dangling symlink")
	}
	if _, err := os.Lstat(target); !os.IsNotExist(err) {
		t.Fatalf("the symlink target was created (err %v)", err)
	}
}

func TestWriteTokenFileMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-dir", "ci.token")
	err := WriteTokenFile(path, liveToken)
	if err == nil {
		t.Fatal("want an error for a missing directory")
	}
	if strings.Contains(err.Error(), liveToken) {
		t.Fatal("the error text holds the token")
	}
}
