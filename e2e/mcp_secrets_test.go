package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/secret"
)

// TestMCPSecretsDirRotate: with --secrets-dir a rotation's new token goes
// to a 0600 file; stdout and stderr never carry it, only its path and
// fingerprint.
func TestMCPSecretsDirRotate(t *testing.T) {
	t.Parallel()
	w := mcpNewWorld(t)
	dir := t.TempDir()
	s := mcpStartRawReady(t, w, mcpRawOptions{args: []string{"--secrets-dir", dir}})

	res := s.callTool(t, "rotate_api_key", map[string]any{"key_id": w.spareID, "confirm": true})
	if res.IsError {
		t.Fatalf("rotate: %s", res.text())
	}
	_ = s.callTool(t, "list_api_keys", map[string]any{})

	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) != 1 {
		t.Fatalf("secrets dir holds %v (err %v), want one token file", files, err)
	}
	info, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("token file mode %04o, want 0600", perm)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(string(b))
	if !mcpTokenPattern.MatchString(tok) || !w.srv.TokenValid(tok) {
		t.Fatalf("the token file does not hold a valid new token")
	}
	if w.srv.TokenValid(w.spareToken) {
		t.Error("the old key is still valid after the rotation")
	}

	answer := res.text() + string(res.StructuredContent)
	if !strings.Contains(answer, filepath.Base(files[0])) {
		t.Errorf("the answer does not name the token file %s: %s", files[0], answer)
	}
	if fp := secret.Fingerprint(tok); !strings.Contains(answer, fp) {
		t.Errorf("the answer lacks the fingerprint %s: %s", fp, answer)
	}
	out, errOut := s.stdout.String(), s.stderr.String()
	for _, secretText := range []string{tok, w.fx.AdminToken, w.spareToken} {
		if strings.Contains(out, secretText) || strings.Contains(errOut, secretText) {
			t.Errorf("a token (…%s) reached stdout or stderr", secretText[len(secretText)-4:])
		}
	}
	if minted := w.mintedTokens(out + errOut); len(minted) > 0 {
		t.Errorf("%d token(s) reached stdout or stderr", len(minted))
	}
	w.assertMutations(t, 2)
	s.assertStdoutIsJSONRPC(t)
}

// TestMCPConcurrentListCalls: many calls in flight at once all complete
// (tool calls run on a worker pool and may be answered out of order).
func TestMCPConcurrentListCalls(t *testing.T) {
	t.Parallel()
	w := mcpNewWorld(t)
	w.srv.SetLatency(50 * time.Millisecond)
	s := mcpStartGo(t, w, nil)

	const calls = 40
	var wg sync.WaitGroup
	errs := make(chan string, calls)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := map[string]any{}
			if i%2 == 1 {
				args["org_id"] = w.fx.Org.ID
			}
			res, err := s.callErr("list_api_keys", args)
			switch {
			case err != nil:
				errs <- err.Error()
			case res.IsError:
				errs <- mcpText(res)
			default:
				var got struct {
					Total int `json:"total"`
				}
				b, _ := json.Marshal(res.StructuredContent)
				if err := json.Unmarshal(b, &got); err != nil || got.Total != 2 {
					errs <- fmt.Sprintf("answer %s, want total 2", b)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent list_api_keys: %s", e)
	}
	w.assertMutations(t, 0)
}
