package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// TestCLIHardeningEmptyPath: `--out "$OUT"` with OUT unset, or `--out=`,
// must not fall back to printing the token on stdout (into a CI log). An
// empty --out or --secrets-dir is a usage error before anything is minted.
func TestCLIHardeningEmptyPath(t *testing.T) {
	bin := buildNeonkeys(t)
	w := cliNewWorld(t, bin)
	rotateID := strconv.FormatInt(w.fx.OrgKeyID, 10)
	tests := []struct {
		name string
		args []string
		flag string
	}{
		{"create --out=", []string{"create", "--name", "empty-out", "--out="}, "--out"},
		{"create --out empty", []string{"create", "--name", "empty-out", "--out", ""}, "--out"},
		{"create -o json --out=", []string{"create", "--name", "empty-out", "-o", "json", "--out="}, "--out"},
		{"rotate --out empty", []string{"rotate", rotateID, "--org-id", w.fx.Org.ID, "--out", "", "--yes"}, "--out"},
		{"mcp --secrets-dir=", []string{"mcp", "--secrets-dir="}, "--secrets-dir"},
		{"mcp --secrets-dir empty", []string{"mcp", "--secrets-dir", ""}, "--secrets-dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := len(w.srv.LiveKeys())
			mutations := len(w.srv.Mutations())
			r := w.run(t, "", w.env(), tt.args...)
			cliWantCode(t, r, 2)
			cliWantStderr(t, r, tt.flag+" is empty")
			if r.stdout != "" {
				t.Errorf("stdout is not empty: %q", r.stdout)
			}
			if n := len(w.srv.Mutations()) - mutations; n != 0 {
				t.Errorf("%d mutating requests reached the API, want 0", n)
			}
			if n := len(w.srv.LiveKeys()); n != live {
				t.Errorf("%d live keys after the refusal, want %d", n, live)
			}
			if strings.Contains(r.stderr, "napi_") {
				t.Errorf("stderr holds a token:\n%s", r.stderr)
			}
		})
	}
}

// TestCLIHardeningKeyFileNotRegular: NEON_API_KEY_FILE naming a named pipe
// blocked for ever (Ctrl-C and SIGTERM ignored), and /dev/stdin in
// `neonkeys mcp` swallowed the client's initialize line as the key and sent
// it as the Bearer value. Only a regular file is a key file.
func TestCLIHardeningKeyFileNotRegular(t *testing.T) {
	bin := buildNeonkeys(t)
	w := cliNewWorld(t, bin)
	fifo := filepath.Join(t.TempDir(), "key.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	noKey := []string{"PATH=" + os.Getenv("PATH"), "NEON_API_HOST=" + w.srv.URL()}

	t.Run("named pipe", func(t *testing.T) {
		r := w.run(t, "", append(noKey, "NEON_API_KEY_FILE="+fifo), "list")
		cliWantCode(t, r, 2)
		cliWantStderr(t, r, fifo+" is a named pipe, not a regular file")
		if n := len(w.srv.Requests()); n != 0 {
			t.Errorf("%d requests reached the API without a credential", n)
		}
	})
	t.Run("mcp with /dev/stdin", func(t *testing.T) {
		in := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}` + "\n" +
			`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n" +
			`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_api_keys","arguments":{}}}` + "\n"
		r := w.run(t, in, append(noKey, "NEON_API_KEY_FILE=/dev/stdin"), "mcp")
		cliWantCode(t, r, 0)
		answers := map[string]map[string]any{}
		for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
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
			t.Fatalf("initialize was not answered (the key read swallowed it?):\n%s", r.stdout)
		}
		call := answers["2"]
		text, _ := json.Marshal(call["content"])
		if call["isError"] != true || !strings.Contains(string(text), "is a named pipe, not a regular file") {
			t.Errorf("list_api_keys answered %v, want a tool error naming the named pipe", call)
		}
		if n := len(w.srv.Requests()); n != 0 {
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
	bin := buildNeonkeys(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			w := cliNewWorld(t, bin)
			w.srv.Inject(neontest.Fault{Method: http.MethodPost, Hang: true, Processed: true})
			ctx, cancel := context.WithTimeout(t.Context(), cliTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "create", "--name", "signalled")
			cmd.Env = w.env()
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			for len(w.srv.Mutations()) == 0 {
				if ctx.Err() != nil {
					t.Fatal("the create POST never reached the API")
				}
				time.Sleep(5 * time.Millisecond)
			}
			if len(liveNamed(w, "signalled")) != 1 {
				t.Fatal("the fault did not store the key before hanging")
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
				t.Fatalf("exit: %v, want code 1\nstderr:\n%s", err, stderr.String())
			}
			r := cliResult{code: 1, stdout: stdout.String(), stderr: stderr.String()}
			cliWantStderr(t, r, `a key named "signalled" was created as the request was interrupted (cancelled before Neon answered)`, "was revoked at once")
			if r.stdout != "" {
				t.Errorf("stdout: %q, want nothing", r.stdout)
			}
			if live := liveNamed(w, "signalled"); len(live) != 0 {
				t.Errorf("the key made during the interrupted create is still live: %+v", live)
			}
		})
	}
}

// liveNamed returns the fake's live keys named name.
func liveNamed(w *cliWorld, name string) []neontest.KeyInfo {
	var out []neontest.KeyInfo
	for _, k := range w.srv.LiveKeys() {
		if k.Name == name {
			out = append(out, k)
		}
	}
	return out
}

// TestMCPHardeningCancelledCreate: the client cancels a create while Neon
// has stored the key and not answered (notifications/cancelled), then
// leaves. The server looks for the key by its name and revokes it before it
// exits, since nobody will ever receive its token.
func TestMCPHardeningCancelledCreate(t *testing.T) {
	bin := buildNeonkeys(t)
	w := cliNewWorld(t, bin)
	w.srv.Inject(neontest.Fault{Method: http.MethodPost, Hang: true, Processed: true})
	ctx, cancel := context.WithTimeout(t.Context(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "mcp")
	cmd.Env = w.env()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	send := func(line string) {
		t.Helper()
		if _, err := stdin.Write([]byte(line + "\n")); err != nil {
			t.Fatal(err)
		}
	}
	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}`)
	send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"create_project_scoped_key","arguments":{"project_id":"` +
		w.fx.OrgProject.ID + `","key_name":"cancelled-in-mcp","confirm":true}}}`)
	for len(w.srv.Mutations()) == 0 {
		if ctx.Err() != nil {
			t.Fatalf("the create POST never reached the API\nstderr:\n%s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(liveNamed(w, "cancelled-in-mcp")) != 1 {
		t.Fatal("the fault did not store the key before hanging")
	}
	send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2,"reason":"the user changed their mind"}}`)
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("neonkeys mcp: %v\nstderr:\n%s", err, stderr.String())
	}
	if live := liveNamed(w, "cancelled-in-mcp"); len(live) != 0 {
		t.Errorf("the key made during the cancelled create is still live: %+v\nstderr:\n%s", live, stderr.String())
	}
	if n := cliCount(w.srv, http.MethodPost); n != 1 {
		t.Errorf("%d POSTs, want one", n)
	}
}
