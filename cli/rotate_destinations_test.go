package cli

import (
	"context"
	"encoding/json"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/destination/githubtest"
)

// TestRotateDeliversToTheDestinationsThatHoldTheKey is the issue's "done
// when": a rotation without --to finds the three destinations that hold
// the key, writes the new token to the GitHub secret, the .env file and
// the command's stdin, revokes the old key, and prints names and
// fingerprints only.
func TestRotateDeliversToTheDestinationsThatHoldTheKey(t *testing.T) {
	w := newDestWorld(t)
	w.writeConfig(w.threeDestinations())
	r := w.run("rotate", id(w.fx.ProjectKeyID), "--yes")
	wantCode(t, r, 0)
	token := w.githubValue()
	if !strings.HasPrefix(token, "napi_") || w.dotenvValue() != token || w.recorded() != token {
		t.Fatalf("the destinations differ: github %q…, .env %q…, stdin %q…", prefix(token), prefix(w.dotenvValue()), prefix(w.recorded()))
	}
	if !w.works(token) {
		t.Error("the delivered token does not authenticate")
	}
	if w.live(w.fx.ProjectKeyID) {
		t.Error("the old key is still live")
	}
	noTokenIn(t, r, token, w.fx.ProjectKeyToken)
	for _, want := range []string{"shop-ci", "shop-env", "vault-ci", "delivered", "napi_…" + token[len(token)-4:]} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "the old key "+id(w.fx.ProjectKeyID)+" is revoked") {
		t.Errorf("stderr lacks the summary:\n%s", r.stderr)
	}
	if env, _ := os.ReadFile(w.dotenv); !strings.Contains(string(env), "DATABASE_URL=postgres://x") {
		t.Errorf(".env lost its other lines:\n%s", env)
	}
}

// TestRotateWithDestinationsBranches drives each way a rotation with
// destinations can end, and checks what a person finds afterwards: which
// keys work, which destinations changed, the rescue file, the exit code.
func TestRotateWithDestinationsBranches(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		setup    func(w *destWorld)
		code     int
		oldLive  bool
		newLive  int // live keys minted
		minted   int // keys minted
		rescue   bool
		inStderr []string
		check    func(t *testing.T, w *destWorld, r result)
	}{
		{name: "GitHub 403 on preflight mints nothing", code: 1, oldLive: true,
			setup: func(w *destWorld) {
				w.gh.AddFault(githubtest.Fault{Method: http.MethodGet, PathSuffix: "/public-key", Status: 403, Body: `{"message":"Resource not accessible by integration"}`})
			},
			inStderr: []string{"shop-ci", "GitHub answered 403", "nothing was created"}},
		{name: "first delivery fails: the new key is withdrawn", code: 1, oldLive: true, minted: 1,
			args:     []string{"--to", "broken-cmd", "--to", "shop-env"},
			inStderr: []string{"broken-cmd", "exited with status 1", "vault: permission denied", "was revoked again"},
			check: func(t *testing.T, w *destWorld, r result) {
				if v := w.dotenvValue(); v != "napi_oldvalueoldvalueoldvalueoldvalue1234" {
					t.Errorf(".env changed after the first delivery failed: %q…", prefix(v))
				}
			}},
		{name: "first delivery fails and so does the withdrawal: not reported withdrawn", code: 1, oldLive: true, newLive: 1, minted: 1,
			args: []string{"--to", "broken-cmd", "-o", "json"},
			setup: func(w *destWorld) {
				w.srv.Inject(neontest.Fault{Method: http.MethodDelete, Path: "/organizations/", Status: 403, Count: 100})
			},
			inStderr: []string{"broken-cmd", "may still work"},
			check: func(t *testing.T, w *destWorld, r result) {
				var got struct {
					Withdrawn *bool `json:"new_key_withdrawn"`
				}
				if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Withdrawn == nil || *got.Withdrawn {
					t.Errorf("new_key_withdrawn = %v (%v), want false: the new key's revoke failed\n%s", got.Withdrawn, err, r.stdout)
				}
			}},
		{name: "GitHub 500 on the second of three: both keys live, rescue", code: 1, oldLive: true, newLive: 1, minted: 1, rescue: true,
			args: []string{"--to", "vault-ci", "--to", "shop-ci", "--to", "shop-env"},
			setup: func(w *destWorld) {
				w.gh.AddFault(githubtest.Fault{Method: http.MethodPut, PathSuffix: "/NEON_API_KEY", Status: 500, Body: `{"message":"boom ` + githubtest.Value + `"}`})
			},
			inStderr: []string{"both the new key", "neonkeys deliver --token-file", "--to shop-ci", "neonkeys revoke " + "<old>", "rm "},
			check: func(t *testing.T, w *destWorld, r result) {
				if w.recorded() == "" || w.dotenvValue() != w.recorded() {
					t.Error("vault-ci and shop-env should hold the new token")
				}
			}},
		{name: "a command timeout is uncertain: rescue", code: 1, oldLive: true, newLive: 1, minted: 1, rescue: true,
			args:     []string{"--to", "shop-env", "--to", "slow-cmd"},
			inStderr: []string{"slow-cmd", "did not finish within 300ms", "uncertain"}},
		{name: "a timeout as the only destination still keeps both keys", code: 1, oldLive: true, newLive: 1, minted: 1, rescue: true,
			args: []string{"--to", "slow-cmd"}, inStderr: []string{"may have stored the token"}},
		{name: "--keep-old keeps the old key and exits 0", code: 0, oldLive: true, newLive: 1, minted: 1,
			args: []string{"--keep-old"}, inStderr: []string{"is kept, as asked", "neonkeys revoke " + "<old>"}},
		{name: "a .env in a folder that is a file fails preflight", code: 1, oldLive: true,
			setup: func(w *destWorld) {
				if err := os.RemoveAll(filepath.Dir(w.dotenv)); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Dir(w.dotenv), []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			inStderr: []string{"shop-env", "nothing was created"}},
		{name: "--to and --out refused", code: 2, oldLive: true,
			args: []string{"--to", "shop-env", "--out", "x.key"}, inStderr: []string{"--out cannot be combined with destinations"}},
		{name: "--out next to holding destinations refused", code: 2, oldLive: true,
			args: []string{"--out", "x.key"}, inStderr: []string{"is held by the destinations shop-ci, shop-env, vault-ci"}},
		{name: "unknown destination", code: 2, oldLive: true,
			args: []string{"--to", "nope"}, inStderr: []string{`no destination "nope"`, "configured: broken-cmd, shop-ci"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newDestWorld(t)
			w.writeConfig(w.threeDestinations())
			t.Chdir(w.home)
			if tt.setup != nil {
				tt.setup(w)
			}
			r := w.run(append([]string{"rotate", id(w.fx.ProjectKeyID), "--yes"}, tt.args...)...)
			wantCode(t, r, tt.code)
			if got := w.live(w.fx.ProjectKeyID); got != tt.oldLive {
				t.Errorf("old key live: %v, want %v", got, tt.oldLive)
			}
			minted, live := 0, 0
			for _, k := range w.newKeys() {
				minted++
				if !k.Revoked {
					live++
				}
			}
			if minted != tt.minted || live != tt.newLive {
				t.Errorf("%d keys minted, %d live; want %d, %d", minted, live, tt.minted, tt.newLive)
			}
			files := w.rescueFiles()
			if (len(files) == 1) != tt.rescue {
				t.Errorf("rescue files %v, want one: %v", files, tt.rescue)
			}
			if tt.rescue && len(files) == 1 {
				info, err := os.Stat(files[0])
				if err != nil || info.Mode().Perm() != 0o600 {
					t.Errorf("rescue file mode %v (%v), want 0600", info.Mode(), err)
				}
			}
			stderr := strings.ReplaceAll(r.stderr, "neonkeys revoke "+id(w.fx.ProjectKeyID), "neonkeys revoke <old>")
			for _, want := range tt.inStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			noTokenIn(t, r, w.fx.ProjectKeyToken)
			if tt.check != nil {
				tt.check(t, w, r)
			}
		})
	}
}

// TestRotateRescueNextStepsFinishTheJob runs the next steps a partial
// rotation prints, as a person would: deliver the rescue file to the
// destination that failed, revoke the old key; then every destination
// holds the new token and only the new key works.
func TestRotateRescueNextStepsFinishTheJob(t *testing.T) {
	w := newDestWorld(t)
	w.writeConfig(w.threeDestinations())
	w.gh.AddFault(githubtest.Fault{Method: http.MethodPut, PathSuffix: "/NEON_API_KEY", Nth: 1, Status: 500})
	r := w.run("rotate", id(w.fx.ProjectKeyID), "--yes", "--to", "vault-ci", "--to", "shop-ci", "--to", "shop-env")
	wantCode(t, r, 1)
	steps := nextSteps(r.stderr)
	if len(steps) != 3 {
		t.Fatalf("want 3 next steps (deliver, revoke, rm), got %q", steps)
	}
	for _, step := range steps[:2] {
		_, cmdline, _ := strings.Cut(step, ": ")
		args := strings.Fields(cmdline)
		if len(args) < 2 || args[0] != "neonkeys" {
			t.Fatalf("not a neonkeys command: %q", step)
		}
		// At a terminal, as a person runs them: revoke asks for the name.
		rr := runCLI(t, runOpts{env: w.env, interactive: true, stdin: strings.NewReader("shop-deploy\n")}, args[1:]...)
		wantCode(t, rr, 0)
		noTokenIn(t, rr, w.fx.ProjectKeyToken)
	}
	token := w.githubValue()
	if token == "" || token != w.recorded() || token != w.dotenvValue() {
		t.Fatal("after the next steps, the destinations do not hold one token")
	}
	if w.live(w.fx.ProjectKeyID) || !w.works(token) {
		t.Errorf("old key live %v, new token works %v; want false, true", w.live(w.fx.ProjectKeyID), w.works(token))
	}
}

// nextSteps are the lines under "Next steps:" on stderr.
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

// TestRotateWithoutDestinationsIsUnchanged: a key no destination holds is
// rotated as before: the token on stdout, the old key revoked.
func TestRotateWithoutDestinationsIsUnchanged(t *testing.T) {
	w := newDestWorld(t)
	w.writeConfig(w.threeDestinations())
	r := w.run("rotate", id(w.fx.OrgKeyID), "--yes")
	wantCode(t, r, 0)
	if !strings.HasPrefix(r.stdout, "napi_") || !strings.Contains(r.stderr, storeWarning) {
		t.Errorf("want the token on stdout:\nstdout %q\nstderr %s", prefix(r.stdout), r.stderr)
	}
	if w.githubValue() != "" || w.recorded() != "" {
		t.Error("a destination that does not hold the key was written")
	}
}

// TestRotatePreviewNamesEveryDestinationBeforeThePrompt: at a terminal,
// the preview names each destination and what it overwrites, and the
// prompt names them again; preflight ran before (a failing one is never
// asked about). Typing a wrong name changes nothing.
func TestRotatePreviewNamesEveryDestinationBeforeThePrompt(t *testing.T) {
	w := newDestWorld(t)
	w.writeConfig(w.threeDestinations())
	r := runCLI(t, runOpts{env: w.env, interactive: true, stdin: strings.NewReader("no\nno\nno\n")}, "rotate", id(w.fx.ProjectKeyID))
	wantCode(t, r, 2)
	prompt := strings.Index(r.stderr, "Type the key name to confirm writing the new token to shop-ci, shop-env and vault-ci: ")
	if prompt < 0 {
		t.Fatalf("no prompt naming the destinations:\n%s", r.stderr)
	}
	for _, want := range []string{
		"shop-ci   github   GitHub Actions secret NEON_API_KEY of acme/shop (its value replaced)",
		"shop-env  dotenv   NEON_API_KEY in " + w.dotenv + " (its value replaced, other lines kept)",
		"vault-ci  command  the program sh -c",
	} {
		if i := strings.Index(r.stderr, want); i < 0 || i > prompt {
			t.Errorf("the preview lacks %q before the prompt:\n%s", want, r.stderr)
		}
	}
	if n := mutations(w.srv, http.MethodPost); n != 0 || w.gh.Count(http.MethodGet) != 1 || w.gh.Count(http.MethodPut) != 0 {
		t.Errorf("%d creates, %d GitHub reads, %d writes; want 0, 1 (the preflight), 0", n, w.gh.Count(http.MethodGet), w.gh.Count(http.MethodPut))
	}
	// The key's name typed: the rotation goes ahead.
	r = runCLI(t, runOpts{env: w.env, interactive: true, stdin: strings.NewReader("shop-deploy\n")}, "rotate", id(w.fx.ProjectKeyID))
	wantCode(t, r, 0)
	if w.live(w.fx.ProjectKeyID) || w.githubValue() == "" {
		t.Error("the confirmed rotation did not happen")
	}
}

// TestRotateKeepOldWithoutDestinations: --keep-old without destinations
// prints the token and leaves the old key live, with the revoke command.
func TestRotateKeepOldWithoutDestinations(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	r := runCLI(t, runOpts{env: env}, "rotate", id(fx.OrgKeyID), "--yes", "--keep-old")
	wantCode(t, r, 0)
	if k, _ := srv.Key(fx.OrgKeyID); k.Revoked {
		t.Error("the old key was revoked")
	}
	want := "neonkeys revoke " + id(fx.OrgKeyID) + " --org-id " + fx.Org.ID
	if !strings.HasPrefix(r.stdout, "napi_") || !strings.Contains(r.stderr, want) {
		t.Errorf("want the token on stdout and %q on stderr:\n%s", want, r.stderr)
	}
}

func prefix(s string) string {
	if len(s) > 9 {
		return s[:9]
	}
	return s
}

// TestRotateInterruptedWhileDelivering: Ctrl-C while the first
// destination's program runs stops the rotation: the .env is not written,
// both keys stay live, the token waits in the rescue file, exit 1.
func TestRotateInterruptedWhileDelivering(t *testing.T) {
	w := newDestWorld(t)
	ready := filepath.Join(w.home, "ready")
	w.writeConfig(w.threeDestinations() + "  waits:\n    command: {argv: [sh, -c, 'cat > \"$1\"; : > \"$2\"; sleep 30', sh, " + w.stdinFile + ", " + ready + "]}\n")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan result, 1)
	go func() {
		done <- runCLI(t, runOpts{env: w.env, ctx: ctx}, "rotate", id(w.fx.ProjectKeyID), "--yes", "--to", "waits", "--to", "shop-env")
	}()
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("the rotation ended before the program was ready: %d\n%s", r.code, r.stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	r := <-done
	wantCode(t, r, 1)
	noTokenIn(t, r, w.recorded())
	if !strings.Contains(r.stderr, "Interrupted") || !w.live(w.fx.ProjectKeyID) || len(w.rescueFiles()) != 1 {
		t.Errorf("old key live %v, rescue files %v; stderr:\n%s", w.live(w.fx.ProjectKeyID), w.rescueFiles(), r.stderr)
	}
	if keys := w.newKeys(); len(keys) != 1 || keys[0].Revoked {
		t.Errorf("the new key should be live: %+v", keys)
	}
	if w.dotenvValue() != "napi_oldvalueoldvalueoldvalueoldvalue1234" {
		t.Error("the .env was written after the interruption")
	}
}
