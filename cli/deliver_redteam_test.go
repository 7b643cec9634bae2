package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDeliverNextStepIsSafeToPaste: a token file whose path holds a blank
// and shell syntax; the delivery fails, and the printed "neonkeys deliver
// --token-file …" step, pasted into a shell, must pass that path as one
// word and run nothing it spells. Unquoted, the paste ran $(touch pwned).
func TestDeliverNextStepIsSafeToPaste(t *testing.T) {
	w := newDestWorld(t)
	w.writeConfig(w.threeDestinations())
	dir := filepath.Join(w.home, "my dir $(touch pwned)")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "new.token")
	if err := os.WriteFile(file, []byte(w.fx.MemberToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, runOpts{env: w.env}, "deliver", "--token-file", file, "--to", "broken-cmd")
	wantCode(t, r, 1)
	var step string
	for _, line := range strings.Split(r.stderr, "\n") {
		if _, cmd, ok := strings.Cut(line, "then: "); ok {
			step = cmd
		}
	}
	if step == "" {
		t.Fatalf("no next step in:\n%s", r.stderr)
	}
	// The pasted step runs with printf standing in for neonkeys, so the
	// words the shell makes of it can be read back.
	work := t.TempDir()
	cmd := exec.Command("sh", "-c", `neonkeys() { printf '%s\n' "$@"; }; `+step)
	cmd.Dir = work
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pasting %q: %v", step, err)
	}
	if words := strings.Split(strings.TrimSpace(string(out)), "\n"); len(words) < 3 || words[2] != file {
		t.Errorf("pasting %q gave the words %q, want --token-file %q", step, words, file)
	}
	if _, err := os.Stat(filepath.Join(work, "pwned")); err == nil {
		t.Errorf("pasting %q ran the command its path spells", step)
	}
}

// TestDeliverRefusesAFIFOTokenFile: --token-file naming a named pipe is
// refused at once (exit 2), like a key file that is not regular; the open
// used to wait for a writer, forever.
func TestDeliverRefusesAFIFOTokenFile(t *testing.T) {
	w := newDestWorld(t)
	w.writeConfig(w.threeDestinations())
	fifo := filepath.Join(w.home, "token.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan result, 1)
	go func() {
		done <- runCLI(t, runOpts{env: w.env}, "deliver", "--token-file", fifo, "--to", "shop-env")
	}()
	select {
	case r := <-done:
		wantCode(t, r, 2)
		if !strings.Contains(r.stderr, "not a regular file") {
			t.Errorf("stderr lacks the reason:\n%s", r.stderr)
		}
	case <-time.After(30 * time.Second): // generous: the refusal is immediate; a hang never ends
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Close() // let the blocked open return, so the test ends
		}
		<-done
		t.Fatal("deliver waited on the named pipe instead of refusing it")
	}
}
