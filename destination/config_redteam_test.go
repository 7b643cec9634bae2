package destination

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadChmodHintIsSafeToPaste: the refusal of a group-writable config
// says "run chmod go-w <file>"; NEONKEYS_CONFIG may name a path with a
// blank and shell syntax, and the pasted command must fix that file and run
// nothing the path spells.
func TestLoadChmodHintIsSafeToPaste(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my conf $(touch pwned)")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte("destinations:\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		t.Fatal(err)
	}
	_, err := Load(func(k string) string { return map[string]string{EnvConfig: path}[k] })
	_, hint, ok := strings.Cut(errText(err), "; run ")
	if !ok {
		t.Fatalf("Load: %v; want a refusal with the chmod to run", err)
	}
	work := t.TempDir()
	cmd := exec.Command("sh", "-c", hint)
	cmd.Dir = work
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("pasting %q: %v: %s", hint, err, b)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("after pasting %q the config's mode is %v (%v), want 0640", hint, info.Mode().Perm(), err)
	}
	if _, err := os.Stat(filepath.Join(work, "pwned")); err == nil {
		t.Errorf("pasting %q ran the command its path spells", hint)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
