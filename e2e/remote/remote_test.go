package remote

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// TestServesWithTheRequestsKey: the binary serves the tools over HTTP with
// each request's own key, and never with the key of its environment; no key
// reaches its log.
func TestServesWithTheRequestsKey(t *testing.T) {
	fake := neontest.New(t)
	fx := fake.Seed()
	// NEON_API_KEY in the server's environment must not serve remote callers.
	in := start(t, fake, []string{"NEON_API_KEY=" + fx.AdminToken})
	member := connect(t, in.url, fx.MemberToken)
	if got := text(call(t, member, "list_api_keys", `{}`)); !strings.Contains(got, "workstation") || strings.Contains(got, "laptop") {
		t.Fatalf("the member's list = %q: want the member's key only", got)
	}
	anonymous := connect(t, in.url, "")
	if res := call(t, anonymous, "list_api_keys", `{}`); !res.IsError || !strings.Contains(text(res), "Authorization header") {
		t.Fatalf("without a key: %q, want how to connect", text(res))
	}
	if err := in.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, in.stderr.String())
	}
	for _, tok := range []string{fx.AdminToken, fx.MemberToken} {
		if strings.Contains(in.stderr.String(), tok) {
			t.Fatalf("a key reached the server's log:\n%s", in.stderr.String())
		}
	}
	if !strings.Contains(in.stderr.String(), `"credential":"header"`) {
		t.Fatalf("no access log line for the call:\n%s", in.stderr.String())
	}
}

// TestSIGTERMLetsCallsFinish: SIGTERM during a call: the call gets its
// answer, then the process exits 0.
func TestSIGTERMLetsCallsFinish(t *testing.T) {
	fake := neontest.New(t)
	fx := fake.Seed()
	fake.Inject(neontest.Fault{Method: "GET", Path: "/api_keys", Delay: time.Second})
	in := start(t, fake, nil)
	c := connect(t, in.url, fx.AdminToken)
	// The call runs in a goroutine, which must not t.Fatal: its outcome
	// comes back on a channel, so a failed call fails the test.
	type outcome struct {
		res *mcp.CallToolResult
		err error
	}
	answers := make(chan outcome, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		req := mcp.CallToolRequest{}
		req.Params.Name = "list_api_keys"
		res, err := c.CallTool(ctx, req)
		answers <- outcome{res, err}
	}()
	harness.WaitFor(t, "the call to reach Neon", func() bool { return len(fake.Requests()) > 0 })
	stopped := make(chan error, 1)
	go func() { stopped <- in.stop(t) }()
	if got := <-answers; got.err != nil || !strings.Contains(text(got.res), "laptop") {
		t.Fatalf("the call in flight at SIGTERM got %v, %v", got.res, got.err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, in.stderr.String())
	}
}

// TestRefusesUnsafeSetups: plain HTTP beyond loopback, and a seal key file
// others can read, stop the server before it listens (exit 2).
func TestRefusesUnsafeSetups(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open.key")
	if err := os.WriteFile(open, make([]byte, 32), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(open, 0o644)
	keyFile := filepath.Join(dir, "neon.key")
	if err := os.WriteFile(keyFile, []byte("napi_serverfilekey0123456789abcdefghijklmnopqrstu\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
		env  []string
	}{
		{"plain HTTP on every interface", []string{"--http", "0.0.0.0:0"}, "not a loopback address", nil},
		{"seal key readable by others", []string{"--http", "127.0.0.1:0", "--seal-key-file", open}, "chmod 600", nil},
		{"server credential without a key file", []string{"--http", "127.0.0.1:0", "--server-credential"}, "NEON_API_KEY_FILE", nil},
		{"a certificate without its key", []string{"--http", "0.0.0.0:0", "--tls-cert", open}, "go together", nil},
		{"a secrets folder", []string{"--http", "127.0.0.1:0", "--secrets-dir", dir}, "does not apply to --http", nil},
		// NEON_API_KEY would win over the file, so the file rule would not hold.
		{"server credential with NEON_API_KEY set too", []string{"--http", "127.0.0.1:0", "--server-credential"}, "NEON_API_KEY unset",
			[]string{"NEON_API_KEY_FILE=" + keyFile, "NEON_API_KEY=napi_fromtheenvironment0123456789abcdefghijklmn"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(harness.Binary(t), append([]string{"mcp"}, tt.args...)...)
			cmd.Env = harness.Env(append([]string{"HOME=" + t.TempDir()}, tt.env...)...)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), tt.want) {
				t.Fatalf("exit %v, output %q; want exit 2 saying %q", err, out, tt.want)
			}
		})
	}
}

// startSharingSealKey starts n instances against fake that share one
// --seal-key-file, and returns their base URLs (without /mcp).
func startSharingSealKey(t *testing.T, fake *neontest.Server, n int) []*url.URL {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "seal.key")
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		t.Fatal(err)
	}
	var backends []*url.URL
	for range n {
		in := start(t, fake, nil, "--seal-key-file", keyFile)
		u, _ := url.Parse(strings.TrimSuffix(in.url, "/mcp"))
		backends = append(backends, u)
	}
	return backends
}

// TestThreeInstancesRotate: three processes sharing --seal-key-file behind
// a round-robin proxy; a rotate with the person's yes through elicitation
// runs its preview, its question and the answer on three different
// processes, and rotates the key once.
func TestThreeInstancesRotate(t *testing.T) {
	fake := neontest.New(t)
	fx := fake.Seed()
	backends := startSharingSealKey(t, fake, 3)
	var next, rotateCalls atomic.Int64
	served := make([]atomic.Int64, 3) // rotate calls per instance
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := (next.Add(1) - 1) % 3
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte(`"tools/call"`)) && bytes.Contains(body, []byte("rotate_api_key")) {
			rotateCalls.Add(1)
			served[i].Add(1)
		}
		target := backends[i]
		(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }}).ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	person := &yes{}
	c := connect(t, proxy.URL+"/mcp", fx.AdminToken, client.WithElicitationHandler(person))
	args := fmt.Sprintf(`"key_id":%d,"org_id":%q`, fx.OrgKeyID, fx.Org.ID)
	if got := text(call(t, c, "rotate_api_key", "{"+args+"}")); !strings.Contains(got, "confirm is not true") {
		t.Fatalf("preview = %q", got)
	}
	res := call(t, c, "rotate_api_key", "{"+args+`,"confirm":true}`)
	// The old key is revoked once the answer was written: moments after
	// the client read it.
	revoked := revokedSoon(fake, fx.OrgKeyID)
	if res.IsError || !revoked || person.asked.Load() != 1 {
		t.Fatalf("rotated: old revoked %v, person asked %d times; answer %q", revoked, person.asked.Load(), text(res))
	}
	if n := len(fake.LiveKeys()); n != 4 { // the fixture's four, one replaced
		t.Fatalf("%d live keys, want 4", n)
	}
	if rotateCalls.Load() != 3 || served[0].Load() != 1 || served[1].Load() != 1 || served[2].Load() != 1 {
		t.Fatalf("tools/call per instance: %d %d %d, want one each", served[0].Load(), served[1].Load(), served[2].Load())
	}
}

// yes accepts every confirmation.
type yes struct{ asked atomic.Int64 }

func (y *yes) Elicit(_ context.Context, _ mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	y.asked.Add(1)
	res := &mcp.ElicitationResult{}
	res.Action = mcp.ElicitationResponseActionAccept
	res.Content = map[string]any{"confirm": true}
	return res, nil
}

// TestAddressForms: --http=ADDR and --http ADDR name the address; a bare
// port (":0") listens on loopback, not on every interface.
func TestAddressForms(t *testing.T) {
	fake := neontest.New(t)
	fake.Seed()
	for _, args := range [][]string{{"--http=127.0.0.1:0"}, {"--http", "127.0.0.1:0"}, {"--http", ":0"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cmd := exec.Command(harness.Binary(t), append([]string{"mcp"}, args...)...)
			cmd.Env = harness.Env("NEON_API_HOST="+fake.URL(), "HOME="+t.TempDir())
			stderr := &lockedBuffer{}
			cmd.Stderr = stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
			deadline := time.Now().Add(60 * time.Second) // a -race build on a loaded machine starts slowly
			for !strings.Contains(stderr.String(), servingPrefix) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if !strings.Contains(stderr.String(), servingPrefix+"http://127.0.0.1:") {
				t.Fatalf("stderr = %q, want it to serve on 127.0.0.1", stderr.String())
			}
		})
	}
}

// TestServerInfoIsTheStampedVersion: a release build's remote mode
// announces the version `neonkeys version` prints, as stdio does (it said
// "dev"). The binary is stamped as .goreleaser.yaml stamps it.
func TestServerInfoIsTheStampedVersion(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "neonkeys")
	build := exec.Command("go", "build", "-o", bin,
		"-ldflags", "-X github.com/neonkeys/neonkeys/internal/buildinfo.version=v9.8.7", ".")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimPrefix(strings.TrimSpace(string(out)), "neonkeys ")
	if !strings.Contains(want, "v9.8.7") {
		t.Fatalf("neonkeys version = %q: the stamp did not take", out)
	}
	fake := neontest.New(t)
	fake.Seed()
	in := startBinary(t, bin, fake, nil)
	c := connect(t, in.url, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.Initialize(ctx, mcp.InitializeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.ServerInfo.Version; got != want {
		t.Fatalf("serverInfo.version = %q, want %q (what neonkeys version prints)", got, want)
	}
}
