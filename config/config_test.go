package config

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi"
)

const testKey = "napi_0123456789abcdefghijklmnopqrstuvwxyz"

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func writeKeyFile(t *testing.T, content string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "neon.key")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	// Chmod after writing: the umask must not hide a loose mode from the test.
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadCredentialFromEnv(t *testing.T) {
	var warn bytes.Buffer
	got, err := LoadCredential(t.Context(), env(map[string]string{EnvAPIKey: "  " + testKey + "\n"}), nil, "", &warn)
	if err != nil {
		t.Fatal(err)
	}
	if got.Token != testKey || got.From != EnvAPIKey {
		t.Fatalf("got %+v", got)
	}
	if warn.Len() != 0 {
		t.Fatalf("unexpected warning %q", warn.String())
	}
}

func TestLoadCredentialEnvWinsOverFile(t *testing.T) {
	path := writeKeyFile(t, "napi_fromfile0000000000000000\n", 0o600)
	got, err := LoadCredential(t.Context(), env(map[string]string{EnvAPIKey: testKey, EnvAPIKeyFile: path}), nil, "", nil)
	if err != nil || got.Token != testKey {
		t.Fatalf("got %+v, %v; want the NEON_API_KEY value", got, err)
	}
}

func TestLoadCredentialFromFile(t *testing.T) {
	path := writeKeyFile(t, testKey+"\nsecond line ignored\n", 0o600)
	var warn bytes.Buffer
	got, err := LoadCredential(t.Context(), env(map[string]string{EnvAPIKeyFile: path}), nil, "", &warn)
	if err != nil {
		t.Fatal(err)
	}
	if got.Token != testKey {
		t.Fatalf("token %q", got.Token)
	}
	if got.From != EnvAPIKeyFile+" "+path {
		t.Fatalf("From %q", got.From)
	}
	if warn.Len() != 0 {
		t.Fatalf("a 0600 file must not warn: %q", warn.String())
	}
}

func TestLoadCredentialWarnsOnReadableFile(t *testing.T) {
	path := writeKeyFile(t, testKey, 0o644)
	var warn bytes.Buffer
	got, err := LoadCredential(t.Context(), env(map[string]string{EnvAPIKeyFile: path}), nil, "", &warn)
	if err != nil {
		t.Fatal(err)
	}
	if got.Token != testKey {
		t.Fatalf("the file is still used: token %q", got.Token)
	}
	w := warn.String()
	for _, want := range []string{"readable by other users", "0644", "chmod 600 " + path} {
		if !strings.Contains(w, want) {
			t.Errorf("warning %q lacks %q", w, want)
		}
	}
	if strings.Contains(w, testKey) {
		t.Fatal("the warning holds the key")
	}
}

func TestLoadCredentialFileErrors(t *testing.T) {
	dir := t.TempDir()
	empty := writeKeyFile(t, "  \n", 0o600)
	tests := []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(dir, "nope"), EnvAPIKeyFile},
		{"empty file", empty, "is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadCredential(t.Context(), env(map[string]string{EnvAPIKeyFile: tt.path}), nil, "", nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
			if errors.Is(err, ErrNoCredential) {
				t.Fatal("a broken key file is not the same as no credential")
			}
		})
	}
}

func TestLoadCredentialFromStdin(t *testing.T) {
	got, err := LoadCredential(t.Context(), env(map[string]string{EnvAPIKey: "napi_envvalue00000000000000"}),
		strings.NewReader(testKey+"\n"), "-", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Token != testKey || got.From != "stdin" {
		t.Fatalf("got %+v; --api-key - must read stdin first", got)
	}
}

func TestLoadCredentialStdinErrors(t *testing.T) {
	tests := []struct {
		name  string
		stdin io.Reader
	}{
		{"empty stdin", strings.NewReader("")},
		{"blank line", strings.NewReader("\n")},
		{"no stdin", nil},
		{"key not on the first line", strings.NewReader("   \n" + testKey)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := LoadCredential(t.Context(), env(nil), tt.stdin, "-", nil); err == nil {
				t.Fatal("want an error when stdin holds no key")
			}
		})
	}
}

func TestLoadCredentialRefusesPlainFlagValue(t *testing.T) {
	_, err := LoadCredential(t.Context(), env(map[string]string{EnvAPIKey: testKey}), nil, "napi_onthecommandline0000", nil)
	if err == nil {
		t.Fatal("a key given on the command line must be refused")
	}
	if !strings.Contains(err.Error(), "'-'") || strings.Contains(err.Error(), "napi_onthecommandline") {
		t.Fatalf("err = %q: want advice to use '-' and no echo of the value", err)
	}
}

func TestLoadCredentialNothingSet(t *testing.T) {
	_, err := LoadCredential(t.Context(), env(map[string]string{EnvAPIKey: "   "}), nil, "", nil)
	if !errors.Is(err, ErrNoCredential) {
		t.Fatalf("err = %v, want ErrNoCredential", err)
	}
	for _, want := range []string{"NEON_API_KEY", "NEON_API_KEY_FILE", "Neon Console"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not mention %q", err, want)
		}
	}
}

func TestAPIHost(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{"default", "", neonapi.DefaultBaseURL},
		{"blank is default", "  ", neonapi.DefaultBaseURL},
		{"override", "http://127.0.0.1:8080/api/v2", "http://127.0.0.1:8080/api/v2"},
		{"override trimmed", " https://example.test/api/v2\n", "https://example.test/api/v2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := APIHost(env(map[string]string{EnvAPIHost: tt.value})); got != tt.want {
				t.Fatalf("APIHost = %q, want %q", got, tt.want)
			}
		})
	}
}
