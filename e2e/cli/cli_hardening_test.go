package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// TestCLIHardeningEmptyPath: `--out "$OUT"` with OUT unset, or `--out=`,
// must not fall back to printing the token on stdout (into a CI log). An
// empty --out or --secrets-dir is a usage error before anything is minted.
func TestCLIHardeningEmptyPath(t *testing.T) {
	bin := harness.Binary(t)
	w := harness.NewCLIWorld(t, bin)
	rotateID := strconv.FormatInt(w.Fx.OrgKeyID, 10)
	tests := []struct {
		name string
		args []string
		flag string
	}{
		{"create --out=", []string{"create", "--name", "empty-out", "--out="}, "--out"},
		{"create --out empty", []string{"create", "--name", "empty-out", "--out", ""}, "--out"},
		{"create -o json --out=", []string{"create", "--name", "empty-out", "-o", "json", "--out="}, "--out"},
		{"rotate --out empty", []string{"rotate", rotateID, "--org-id", w.Fx.Org.ID, "--out", "", "--yes"}, "--out"},
		{"mcp --secrets-dir=", []string{"mcp", "--secrets-dir="}, "--secrets-dir"},
		{"mcp --secrets-dir empty", []string{"mcp", "--secrets-dir", ""}, "--secrets-dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := len(w.Srv.LiveKeys())
			mutations := len(w.Srv.Mutations())
			r := w.Run(t, "", w.Env(), tt.args...)
			harness.WantCode(t, r, 2)
			harness.WantStderr(t, r, tt.flag+" is empty")
			if r.Stdout != "" {
				t.Errorf("stdout is not empty: %q", r.Stdout)
			}
			if n := len(w.Srv.Mutations()) - mutations; n != 0 {
				t.Errorf("%d mutating requests reached the API, want 0", n)
			}
			if n := len(w.Srv.LiveKeys()); n != live {
				t.Errorf("%d live keys after the refusal, want %d", n, live)
			}
			if strings.Contains(r.Stderr, "napi_") {
				t.Errorf("stderr holds a token:\n%s", r.Stderr)
			}
		})
	}
}

// TestCLIHardeningKeyFileNotRegular: NEON_API_KEY_FILE naming a named pipe
// blocked for ever (Ctrl-C and SIGTERM ignored), and /dev/stdin in
// `neonkeys mcp` swallowed the client's initialize line as the key and sent
// it as the Bearer value. Only a regular file is a key file.
func TestCLIHardeningKeyFileNotRegular(t *testing.T) {
	bin := harness.Binary(t)
	w := harness.NewCLIWorld(t, bin)
	fifo := filepath.Join(t.TempDir(), "key.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	noKey := harness.Env("NEON_API_HOST=" + w.Srv.URL())

	t.Run("named pipe", func(t *testing.T) {
		r := w.Run(t, "", append(noKey, "NEON_API_KEY_FILE="+fifo), "list")
		harness.WantCode(t, r, 2)
		harness.WantStderr(t, r, fifo+" is a named pipe, not a regular file")
		if n := len(w.Srv.Requests()); n != 0 {
			t.Errorf("%d requests reached the API without a credential", n)
		}
	})
	t.Run("mcp with /dev/stdin", func(t *testing.T) {
		in := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}` + "\n" +
			`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n" +
			`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_api_keys","arguments":{}}}` + "\n"
		r := w.Run(t, in, append(noKey, "NEON_API_KEY_FILE=/dev/stdin"), "mcp")
		harness.WantCode(t, r, 0)
		answers := map[string]map[string]any{}
		for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
			var msg struct {
				ID     json.RawMessage `json:"id"`
				Result map[string]any  `json:"result"`
			}
			if err := json.Unmarshal([]byte(line), &msg); err != nil {
				t.Fatalf("stdout line is not JSON-RPC: %q", line)
			}
			answers[string(msg.ID)] = msg.Result
		}
		if _, ok := answers["1"]["serverInfo"]; !ok {
			t.Fatalf("initialize was not answered (the key read swallowed it?):\n%s", r.Stdout)
		}
		call := answers["2"]
		text, _ := json.Marshal(call["content"])
		if call["isError"] != true || !strings.Contains(string(text), "is a named pipe, not a regular file") {
			t.Errorf("list_api_keys answered %v, want a tool error naming the named pipe", call)
		}
		if n := len(w.Srv.Requests()); n != 0 {
			t.Errorf("%d requests reached the API (the initialize line sent as the Bearer value?)", n)
		}
	})
}

// TestCLIHardeningSignalDuringCreate: SIGTERM (or Ctrl-C) while the create
// POST is in flight, after Neon stored the key, left a live key nobody
// held. The CLI now finds the key by its name, revokes it, says so, and
// exits 1 (the API call did not complete: exit 2 would claim a refusal
// before anything happened).
func TestCLIHardeningSignalDuringCreate(t *testing.T) {
	bin := harness.Binary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			w := harness.NewCLIWorld(t, bin)
			w.Srv.Inject(neontest.Fault{Method: http.MethodPost, Hang: true, Processed: true})
			ctx, cancel := context.WithTimeout(t.Context(), harness.CLITimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "create", "--name", "signalled")
			cmd.Env = w.Env()
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// The fake logs the POST as it arrives and stores the key a moment
			// later: wait for the key itself, the state the signal must meet.
			for len(testkit.LiveNamed(w.Srv, "signalled")) == 0 {
				if ctx.Err() != nil {
					t.Fatal("the create POST never stored its key")
				}
				time.Sleep(5 * time.Millisecond)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
				t.Fatalf("exit: %v, want code 1\nstderr:\n%s", err, stderr.String())
			}
			r := harness.CLIResult{Code: 1, Stdout: stdout.String(), Stderr: stderr.String()}
			harness.WantStderr(t, r, `a key named "signalled" was created as the request was interrupted (cancelled before Neon answered)`, "was revoked at once")
			if r.Stdout != "" {
				t.Errorf("stdout: %q, want nothing", r.Stdout)
			}
			if live := testkit.LiveNamed(w.Srv, "signalled"); len(live) != 0 {
				t.Errorf("the key made during the interrupted create is still live: %+v", live)
			}
		})
	}
}
