package clideliver

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/destination/githubtest"
	"github.com/neonkeys/neonkeys/e2e/internal/harness"
)

// TestRotateDeliversToThreeDestinations is the "done when": with a
// config of three destinations, `neonkeys rotate ID --yes` puts the new
// token in the GitHub secret, the .env file and the program's stdin,
// revokes the old key, and prints names and fingerprints only.
func TestRotateDeliversToThreeDestinations(t *testing.T) {
	w := newWorld(t)
	w.writeConfig("")
	r := w.run("rotate", id(w.Fx.ProjectKeyID), "--yes")
	harness.WantCode(t, r, 0)
	token := w.githubValue()
	if !strings.HasPrefix(token, "napi_") || w.dotenvValue() != token || w.recorded() != token {
		t.Fatal("the GitHub secret, the .env and the program's stdin do not hold one new token")
	}
	if !w.works(token) || w.oldLive() {
		t.Errorf("new token works: %v, old key live: %v; want true, false", w.works(token), w.oldLive())
	}
	fp := "napi_…" + token[len(token)-4:]
	for _, want := range []string{"shop-ci", "shop-env", "vault-ci", fp} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.Stdout)
		}
	}
	harness.WantStderr(t, r, fp, "the old key "+id(w.Fx.ProjectKeyID)+" is revoked")
}

// TestRotateFailuresOnTheBinary: each way a delivery fails, and what is
// left: which keys are live, whether a rescue file holds the token, and
// the exit code.
func TestRotateFailuresOnTheBinary(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(t *testing.T, w *world)
		to         []string
		code       int
		oldLive    bool
		minted     int
		newLive    int
		rescue     bool
		stderr     []string
		dotenvKept bool
	}{
		{name: "GitHub 403 on preflight: nothing minted", code: 1, oldLive: true, dotenvKept: true,
			setup: func(t *testing.T, w *world) {
				w.gh.AddFault(githubtest.Fault{Method: http.MethodGet, PathSuffix: "/public-key", Status: 403, Body: `{"message":"Resource not accessible by integration"}`})
			},
			stderr: []string{"shop-ci", "GitHub answered 403", "nothing was created"}},
		{name: "a command exiting 1 first: the new key withdrawn", code: 1, oldLive: true, minted: 1, dotenvKept: true,
			to:     []string{"broken-cmd", "shop-env"},
			stderr: []string{"exited with status 1", "was revoked again"}},
		// A program stopped by its timeout may have stored the token, so the
		// rotation goes on to the next destination, and keeps both keys.
		{name: "a command timeout: both keys live, rescue", code: 1, oldLive: true, minted: 1, newLive: 1, rescue: true,
			to:     []string{"slow-cmd", "shop-env"},
			stderr: []string{"did not finish within 300ms", "both the new key"}},
		{name: "a .env whose folder is a file: nothing minted", code: 1, oldLive: true,
			setup: func(t *testing.T, w *world) {
				dir := filepath.Dir(w.dotenv)
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(dir, []byte("not a folder"), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			stderr: []string{"shop-env", "nothing was created"}},
		{name: "a symlinked .env: nothing minted", code: 1, oldLive: true,
			setup: func(t *testing.T, w *world) {
				real := filepath.Join(w.home, "real.env")
				if err := os.Rename(w.dotenv, real); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(real, w.dotenv); err != nil {
					t.Fatal(err)
				}
			},
			stderr: []string{"shop-env", "symlink", "nothing was created"}},
		{name: "a .env in a read-only folder: nothing minted", code: 1, oldLive: true, dotenvKept: true,
			setup: func(t *testing.T, w *world) {
				if os.Geteuid() == 0 {
					t.Skip("root writes into a read-only folder; the folder-is-a-file case covers root")
				}
				dir := filepath.Dir(w.dotenv)
				if err := os.Chmod(dir, 0o500); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
			},
			stderr: []string{"shop-env", "nothing was created"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.writeConfig(`  broken-cmd:
    command: {argv: [sh, -c, 'cat >/dev/null; echo "vault: permission denied" >&2; exit 1']}
  slow-cmd:
    command: {argv: [sh, -c, 'sleep 30'], timeout: 300ms}
`)
			if tt.setup != nil {
				tt.setup(t, w)
			}
			args := []string{"rotate", id(w.Fx.ProjectKeyID), "--yes"}
			for _, n := range tt.to {
				args = append(args, "--to", n)
			}
			r := w.run(args...)
			harness.WantCode(t, r, tt.code)
			harness.WantStderr(t, r, tt.stderr...)
			if w.oldLive() != tt.oldLive {
				t.Errorf("old key live: %v, want %v", w.oldLive(), tt.oldLive)
			}
			if all, live := w.minted(); all != tt.minted || live != tt.newLive {
				t.Errorf("%d keys minted, %d live; want %d, %d", all, live, tt.minted, tt.newLive)
			}
			if files := w.rescueFiles(); (len(files) == 1) != tt.rescue {
				t.Errorf("rescue files: %v, want one: %v", files, tt.rescue)
			}
			if tt.dotenvKept && w.dotenvValue() != oldDotenvValue {
				t.Error("the .env changed")
			}
			if n := w.gh.Count(http.MethodPut); n != 0 {
				t.Errorf("%d GitHub secrets written", n)
			}
		})
	}
}

// TestRotateFailsOnTheSecondOfThreeThenNextStepsFinish: GitHub answers 500
// to the second of three deliveries. Both keys stay live, the token waits in
// a 0600 rescue file, and the printed next steps, run once GitHub works
// again, leave every destination with the new token and the old key revoked.
func TestRotateFailsOnTheSecondOfThreeThenNextStepsFinish(t *testing.T) {
	w := newWorld(t)
	w.writeConfig("")
	// The first PUT only: the fault is gone when the next step runs.
	w.gh.AddFault(githubtest.Fault{Method: http.MethodPut, PathSuffix: "/NEON_API_KEY", Nth: 1, Status: 500, Body: `{"message":"it was ` + githubtest.Value + `"}`})
	r := w.run("rotate", id(w.Fx.ProjectKeyID), "--yes", "--to", "vault-ci", "--to", "shop-ci", "--to", "shop-env")
	harness.WantCode(t, r, 1)
	all, live := w.minted()
	if !w.oldLive() || all != 1 || live != 1 {
		t.Fatalf("old key live %v, %d minted, %d live; want both keys live", w.oldLive(), all, live)
	}
	files := w.rescueFiles()
	if len(files) != 1 {
		t.Fatalf("rescue files: %v", files)
	}
	info, err := os.Stat(files[0])
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("rescue file mode %v (%v), want 0600", info.Mode(), err)
	}
	rescued, _ := os.ReadFile(files[0])
	if strings.TrimSpace(string(rescued)) != w.recorded() || w.dotenvValue() != w.recorded() || w.githubValue() != "" {
		t.Fatal("want the token in the rescue file, vault-ci and shop-env, and not in shop-ci")
	}
	steps := nextSteps(r.Stderr)
	if len(steps) != 3 || !strings.Contains(steps[0], "neonkeys deliver --token-file "+files[0]+" --to shop-ci") ||
		!strings.Contains(steps[1], "neonkeys revoke "+id(w.Fx.ProjectKeyID)) || !strings.Contains(steps[2], "rm "+files[0]) {
		t.Fatalf("next steps:\n%s", strings.Join(steps, "\n"))
	}
	for i, step := range steps[:2] {
		_, cmdline, _ := strings.Cut(step, ": ")
		args := strings.Fields(cmdline)[1:]
		if i == 1 {
			args = append(args, "--yes") // no terminal here to type the name at
		}
		harness.WantCode(t, w.run(args...), 0)
	}
	token := w.recorded()
	if w.githubValue() != token || w.dotenvValue() != token || w.oldLive() || !w.works(token) {
		t.Error("after the next steps, not every destination holds the working new token, or the old key is live")
	}
}

// TestRotateInterruptedBetweenDeliveries: Ctrl-C (SIGINT) while the first
// destination's program runs: the rotation stops, the .env is not written,
// both keys stay live, the token waits in the rescue file, exit 1.
func TestRotateInterruptedBetweenDeliveries(t *testing.T) {
	w := newWorld(t)
	ready := filepath.Join(w.home, "ready")
	w.writeConfig(`  waits:
    command: {argv: [sh, -c, 'cat > "$1"; : > "$2"; sleep 30', sh, ` + w.stdinFile + `, ` + ready + `]}
`)
	ctx, cancel := context.WithTimeout(t.Context(), harness.CLITimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.Bin, "rotate", id(w.Fx.ProjectKeyID), "--yes", "--to", "waits", "--to", "shop-env")
	cmd.Env = w.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForFile(t, ready)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit %v, want code 1\nstderr:\n%s", err, stderr.String())
	}
	r := harness.CLIResult{Code: 1, Stdout: stdout.String(), Stderr: stderr.String()}
	noToken(t, r)
	harness.WantStderr(t, r, "Interrupted", "waits (command): uncertain", "neonkeys deliver --token-file")
	all, live := w.minted()
	if !w.oldLive() || all != 1 || live != 1 {
		t.Errorf("old key live %v, %d minted, %d live; want both keys live", w.oldLive(), all, live)
	}
	files := w.rescueFiles()
	if len(files) != 1 {
		t.Fatalf("rescue files: %v", files)
	}
	if data, _ := os.ReadFile(files[0]); strings.TrimSpace(string(data)) != w.recorded() {
		t.Error("the rescue file does not hold the token the program received")
	}
	if w.dotenvValue() != oldDotenvValue {
		t.Error("the .env was written after the interruption")
	}
}

// waitForFile waits until path exists: the program signals it is running.
// The bound only keeps a broken test from hanging.
func waitForFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(harness.CLITimeout)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", path)
}
