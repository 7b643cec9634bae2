package cli

import (
	"context"
	"encoding/json"
	"github.com/neonkeys/neonkeys/keys"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCLIRevokeYes(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	tests := []struct {
		name string
		id   int64
		args []string
	}{
		{"org key found without --org-id", fx.OrgKeyID, nil},
		{"project key with --org-id", fx.ProjectKeyID, []string{"--org-id", fx.Org.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"revoke", strconv.FormatInt(tt.id, 10), "--yes"}, tt.args...)
			r := runCLI(t, runOpts{env: env}, args...)
			wantCode(t, r, 0)
			if k, _ := srv.Key(tt.id); !k.Revoked {
				t.Error("the key is still live")
			}
			if !strings.Contains(r.stderr, "Revoked key "+strconv.FormatInt(tt.id, 10)) {
				t.Errorf("stderr does not confirm the revoke:\n%s", r.stderr)
			}
			// --yes asks nothing, so the preview asks no question.
			if !strings.HasPrefix(r.stderr, "Revoking:\n") || strings.Contains(r.stderr, "?") {
				t.Errorf("the preview should say Revoking:, asking nothing:\n%s", r.stderr)
			}
		})
	}
}

func TestCLIRevokeJSON(t *testing.T) {
	_, fx, env := fakeEnv(t)
	r := runCLI(t, runOpts{env: env}, "revoke", strconv.FormatInt(fx.ProjectKeyID, 10), "--yes", "-o", "json")
	wantCode(t, r, 0)
	var out keys.RevokedView
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	k := out.Key
	if k.ID != fx.ProjectKeyID || !out.Revoked || k.Name != "shop-deploy" || k.ProjectID != fx.OrgProject.ID || k.OrgID != fx.Org.ID ||
		k.Scope != keys.ScopeProject || k.CreatedBy.Name != "Ada Lovelace" {
		t.Errorf("unexpected answer %+v", out)
	}
}

func TestCLIRevokeRefusedWithoutTerminal(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	r := runCLI(t, runOpts{env: env}, "revoke", strconv.FormatInt(fx.OrgKeyID, 10))
	wantCode(t, r, 2)
	// Not "when stdin is not a terminal": stderr, where the prompt goes,
	// must be one too.
	if !strings.Contains(r.stderr, "without --yes when not run at a terminal (stdin and stderr must both be one)") {
		t.Errorf("stderr does not explain the refusal:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "Would revoke:") || strings.Contains(r.stderr, "?") {
		t.Errorf("the preview asks a question that is not asked:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "ci") || !strings.Contains(r.stderr, "never") {
		t.Errorf("stderr does not preview the key (name, last use):\n%s", r.stderr)
	}
	if n := mutations(srv, http.MethodDelete); n != 0 {
		t.Errorf("%d DELETEs, want 0", n)
	}
}

func TestCLIRevokeNotFound(t *testing.T) {
	srv, _, env := fakeEnv(t)
	r := runCLI(t, runOpts{env: env}, "revoke", "999", "--yes")
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "no key 999") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	if n := mutations(srv, http.MethodDelete); n != 0 {
		t.Errorf("%d DELETEs, want 0", n)
	}
}

// TestCLIConfirmPrompt drives the prompt as a person would, through buffers
// standing in for the terminal (the e2e tests use a real pseudo-terminal).
func TestCLIConfirmPrompt(t *testing.T) {
	tests := []struct {
		name       string
		input      string
		wantCode   int
		wantDelete int
		wantErr    string
		wantAsks   int
	}{
		{"right name", "ci\n", 0, 1, "", 1},
		{"wrong then right", "prod\nci\n", 0, 1, "That is not the key's name", 2},
		{"three wrong", "a\nb\nc\nci\n", 2, 0, "nothing was changed", 3},
		{"end of input", "", 2, 0, "end of input", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx, env := fakeEnv(t)
			r := runCLI(t, runOpts{env: env, interactive: true, stdin: strings.NewReader(tt.input)},
				"revoke", strconv.FormatInt(fx.OrgKeyID, 10))
			wantCode(t, r, tt.wantCode)
			if n := mutations(srv, http.MethodDelete); n != tt.wantDelete {
				t.Errorf("%d DELETEs, want %d", n, tt.wantDelete)
			}
			if !strings.HasPrefix(r.stderr, "Revoke this key?\n") {
				t.Errorf("the preview does not ask:\n%s", r.stderr)
			}
			if got := strings.Count(r.stderr, "Type the key name to confirm"); got != tt.wantAsks {
				t.Errorf("asked %d times, want %d:\n%s", got, tt.wantAsks, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, r.stderr)
			}
		})
	}
}

func TestCLIConfirmInterrupted(t *testing.T) {
	srv, fx, env := fakeEnv(t)
	pipe, w := io.Pipe() // a terminal nobody types into
	defer w.Close()
	stdin := &readSignal{r: pipe, reading: make(chan struct{})}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan result, 1)
	go func() {
		done <- runCLI(t, runOpts{env: env, interactive: true, stdin: stdin, ctx: ctx}, "revoke", strconv.FormatInt(fx.OrgKeyID, 10))
	}()
	// Cancel once the prompt reads its answer: the preview is done, however
	// many requests it took.
	select {
	case <-stdin.reading:
	case r := <-done:
		t.Fatalf("revoke ended before it prompted: exit %d, stderr:\n%s", r.code, r.stderr)
	case <-time.After(30 * time.Second):
		t.Fatal("revoke never read its confirmation")
	}
	cancel()
	select {
	case r := <-done:
		wantCode(t, r, ExitUsage) // a refused confirmation, like any other
		if !strings.Contains(r.stderr, "interrupted: nothing was changed") {
			t.Errorf("stderr:\n%s", r.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the prompt did not end on cancel")
	}
	if n := mutations(srv, http.MethodDelete); n != 0 {
		t.Errorf("%d DELETEs, want 0", n)
	}
}

// readSignal closes reading on the first Read: the moment a prompt starts
// waiting for its answer.
type readSignal struct {
	r       io.Reader
	once    sync.Once
	reading chan struct{}
}

func (s *readSignal) Read(p []byte) (int, error) {
	s.once.Do(func() { close(s.reading) })
	return s.r.Read(p)
}
