package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
)

func TestCLIRotateScopes(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	// The admin's own credential is rotated last: after that it is revoked.
	tests := []struct {
		name        string
		id          int64
		oldToken    string
		wantOrg     string
		wantProject string
	}{
		{"project-scoped", fx.ProjectKeyID, fx.ProjectKeyToken, fx.Org.ID, fx.OrgProject.ID},
		{"org-wide", fx.OrgKeyID, fx.OrgKeyToken, fx.Org.ID, ""},
		{"personal", fx.AdminKeyID, fx.AdminToken, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, runOpts{env: env}, "rotate", strconv.FormatInt(tt.id, 10), "--yes")
			wantCode(t, r, 0)
			tok := tokenIn(t, r.stdout)
			if !srv.TokenValid(tok) {
				t.Error("the new token does not authenticate")
			}
			if srv.TokenValid(tt.oldToken) {
				t.Error("the old token still authenticates")
			}
			live := srv.LiveKeys()
			k := live[len(live)-1]
			if k.OrgID != tt.wantOrg || k.ProjectID != tt.wantProject {
				t.Errorf("replacement has org %q project %q, want %q %q", k.OrgID, k.ProjectID, tt.wantOrg, tt.wantProject)
			}
			if !strings.Contains(k.Name, "-rotated-") {
				t.Errorf("replacement name %q lacks -rotated-", k.Name)
			}
			noSecrets(t, "stderr", r.stderr, tok, tt.oldToken)
			if !strings.Contains(r.stderr, "Store this key now") {
				t.Errorf("stderr lacks the store warning:\n%s", r.stderr)
			}
			// --yes asks nothing, so the preview asks no question.
			if !strings.HasPrefix(r.stderr, "Rotating:\n") || strings.Contains(r.stderr, "?") {
				t.Errorf("the preview should say Rotating:, asking nothing:\n%s", r.stderr)
			}
		})
	}
}

func TestCLIRotateRevokeFails(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	srv.Inject(neontest.Fault{Method: http.MethodDelete, Status: 500, Message: "database is down"})
	id := strconv.FormatInt(fx.OrgKeyID, 10)
	r := runCLI(t, runOpts{env: env}, "rotate", id, "--yes", "--name", "ci-v2")
	wantCode(t, r, 1)
	tok := tokenIn(t, r.stdout)
	if !srv.TokenValid(tok) {
		t.Error("the delivered token does not authenticate")
	}
	if !srv.TokenValid(fx.OrgKeyToken) {
		t.Error("the old key was revoked although the fake failed the DELETE")
	}
	for _, want := range []string{"revoking the old key " + id + " failed", "neonkeys revoke " + id + " --org-id " + fx.Org.ID} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestCLIRotateOut(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	path := filepath.Join(t.TempDir(), "ci.token")
	r := runCLI(t, runOpts{env: env}, "rotate", strconv.FormatInt(fx.OrgKeyID, 10), "--yes", "--out", path, "-o", "json")
	wantCode(t, r, 0)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(string(data))
	var out rotatedOut
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out.NewKey.Token != "" || out.NewKey.Fingerprint != secret.Fingerprint(tok) || out.OldKey.ID != fx.OrgKeyID || !srv.TokenValid(tok) {
		t.Errorf("unexpected answer %+v", out)
	}
	noSecrets(t, "stdout", r.stdout, tok)

	// An existing --out file: nothing is minted, nothing revoked.
	before := len(srv.Mutations())
	r = runCLI(t, runOpts{env: env}, "rotate", strconv.FormatInt(fx.ProjectKeyID, 10), "--yes", "--out", path)
	wantCode(t, r, 2)
	if n := len(srv.Mutations()) - before; n != 0 {
		t.Errorf("%d mutating requests, want 0", n)
	}
}

func TestCLIRotateRefusedWithoutTerminal(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	r := runCLI(t, runOpts{env: env}, "rotate", strconv.FormatInt(fx.OrgKeyID, 10))
	wantCode(t, r, 2)
	if len(srv.Mutations()) != 0 {
		t.Errorf("mutations after a refused rotate: %d", len(srv.Mutations()))
	}
	if !strings.Contains(r.stderr, "refusing to rotate") || !strings.Contains(r.stderr, "stdin and stderr must both be one") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	if !strings.HasPrefix(r.stderr, "Would rotate:\n") {
		t.Errorf("the preview heading:\n%s", r.stderr)
	}
}

func TestCLIRotatePromptThenRotate(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	r := runCLI(t, runOpts{env: env, interactive: true, stdin: strings.NewReader("laptop\n")},
		"rotate", strconv.FormatInt(fx.ProjectKeyID, 10))
	wantCode(t, r, 2) // "laptop" is not the name, then end of input
	if len(srv.Mutations()) != 0 {
		t.Fatal("a rotate with a wrong name changed something")
	}
	r = runCLI(t, runOpts{env: env, interactive: true, stdin: strings.NewReader("shop-deploy\n")},
		"rotate", strconv.FormatInt(fx.ProjectKeyID, 10))
	wantCode(t, r, 0)
	if srv.TokenValid(fx.ProjectKeyToken) || !srv.TokenValid(tokenIn(t, r.stdout)) {
		t.Error("the rotation did not happen")
	}
}

// TestCLIRotateInterruptedAfterCreate: Ctrl-C while the old key is being
// revoked still leaves the new token delivered, and says the old key lives.
func TestCLIRotateInterruptedAfterCreate(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	srv.Inject(neontest.Fault{Method: http.MethodDelete, Hang: true})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan result, 1)
	go func() {
		done <- runCLI(t, runOpts{env: env, ctx: ctx}, "rotate", strconv.FormatInt(fx.OrgKeyID, 10), "--yes")
	}()
	deadline := time.Now().Add(10 * time.Second)
	for mutations(srv, http.MethodDelete) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("rotate did not end after cancel")
	}
	wantCode(t, r, 1)
	if tok := tokenIn(t, r.stdout); !srv.TokenValid(tok) {
		t.Error("the delivered token does not authenticate")
	}
	if !strings.Contains(r.stderr, "is still live") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}

// TestCLIDeliverFileRace: when the --out file appears after the check, the
// new key is revoked again instead of leaving a live key nobody holds.
func TestCLIDeliverFileRace(t *testing.T) {
	srv, _, env := fakeEnv(t)
	var stdout, stderr strings.Builder
	a := newApp(env2(env, &stdout, &stderr))
	a.output, a.timeout = outTable, time.Minute
	svc, err := a.service(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "raced.token")
	d := &delivery{a: a, outPath: path}
	var created *keys.Created
	_, err = svc.CreateAndDeliver(t.Context(), keys.CreateRequest{Name: "raced"}, func(c *keys.Created) error {
		created = c
		if err := os.WriteFile(path, []byte("someone else's\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return d.deliver(c)
	})
	err = a.apiErr(keys.OpCreate, err)
	var ex *exitError
	if !errors.As(err, &ex) || ex.code != ExitFailed || !strings.Contains(ex.msg, "revoked at once") {
		t.Fatalf("deliver = %v, want exit 1 saying the key was revoked at once", err)
	}
	if srv.TokenValid(created.Token) {
		t.Error("the undelivered key is still live")
	}
	if stdout.Len() != 0 || strings.Contains(ex.msg, created.Token) {
		t.Error("the undelivered token was shown")
	}
}

func env2(vars map[string]string, stdout, stderr io.Writer) env {
	return env{io: IO{Stdin: strings.NewReader(""), Stdout: stdout, Stderr: stderr}, getenv: func(k string) string { return vars[k] }}
}
