package remote

import (
	"bufio"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// lockedBuffer collects a process's stderr.
type lockedBuffer = testkit.SyncBuffer

// instance is one neonkeys mcp --http process.
type instance struct {
	cmd    *exec.Cmd
	url    string // its /mcp endpoint
	stderr *lockedBuffer
	exited chan error
}

const servingPrefix = "neonkeys mcp: serving MCP at "

// start runs neonkeys mcp --http 127.0.0.1:0 with args against fake and
// waits until it says where it listens.
func start(t *testing.T, fake *neontest.Server, env []string, args ...string) *instance {
	t.Helper()
	return startBinary(t, harness.Binary(t), fake, env, args...)
}

// startBinary is start with the binary bin.
func startBinary(t *testing.T, bin string, fake *neontest.Server, env []string, args ...string) *instance {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"mcp", "--http", "127.0.0.1:0"}, args...)...)
	cmd.Env = harness.Env(append([]string{"NEON_API_HOST=" + fake.URL(), "HOME=" + t.TempDir()}, env...)...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in := &instance{cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			in.stderr.Write([]byte(line + "\n"))
			if url, ok := strings.CutPrefix(line, servingPrefix); ok {
				found <- url
			}
		}
		close(found)
		in.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-in.exited
	})
	select {
	case url, ok := <-found:
		if !ok {
			t.Fatalf("neonkeys mcp --http exited before serving:\n%s", in.stderr.String())
		}
		in.url = url
	case <-time.After(60 * time.Second): // a -race build on a loaded machine starts slowly
		t.Fatalf("neonkeys mcp --http did not say where it serves:\n%s", in.stderr.String())
	}
	return in
}

// stop sends SIGTERM and returns the exit error once the process ended.
func (in *instance) stop(t *testing.T) error {
	t.Helper()
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-in.exited:
		in.exited <- err // for Cleanup
		return err
	case <-time.After(60 * time.Second): // the promise is the shutdown grace (20 s); room for -race
		t.Fatal("neonkeys mcp --http did not exit after SIGTERM")
		return nil
	}
}

// connect returns an initialized MCP client of url sending the Neon key
// token as its bearer credential.
func connect(t *testing.T, url, token string, opts ...client.ClientOption) *client.Client {
	t.Helper()
	headers := map[string]string{}
	if token != "" {
		headers["Authorization"] = "Bearer " + token
	}
	tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPHeaders(headers))
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Initialize(ctx, mcp.InitializeRequest{}); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// call calls a tool with raw JSON arguments; a protocol error fails.
func call(t *testing.T, c *client.Client, tool, args string) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = tool
	req.Params.Arguments = json.RawMessage(args)
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("CallTool(%s, %s): %v", tool, args, err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// revokedSoon reports whether key id is revoked at fake, waiting for it.
func revokedSoon(fake *neontest.Server, id int64) bool {
	deadline := time.Now().Add(30 * time.Second) // generous for a -race build on a loaded machine
	for {
		if k, _ := fake.Key(id); k.Revoked {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
