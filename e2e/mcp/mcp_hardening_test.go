package mcp

import (
	"bytes"
	"context"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// TestMCPHardeningCancelledCreate: the client cancels a create while Neon
// has stored the key and not answered (notifications/cancelled), then
// leaves. The server looks for the key by its name and revokes it before it
// exits, since nobody will ever receive its token.
func TestMCPHardeningCancelledCreate(t *testing.T) {
	bin := harness.Binary(t)
	w := harness.NewCLIWorld(t, bin)
	w.Srv.Inject(neontest.Fault{Method: http.MethodPost, Hang: true, Processed: true})
	ctx, cancel := context.WithTimeout(t.Context(), harness.CLITimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "mcp")
	cmd.Env = w.Env()
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
		w.Fx.OrgProject.ID + `","key_name":"cancelled-in-mcp","confirm":true}}}`)
	// The fake logs the POST as it arrives and stores the key a moment
	// later, before it hangs: wait for the key itself, not the log.
	for len(testkit.LiveNamed(w.Srv, "cancelled-in-mcp")) != 1 {
		if ctx.Err() != nil {
			t.Fatalf("the create never stored the key (%d mutation(s) logged)\nstderr:\n%s", len(w.Srv.Mutations()), stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2,"reason":"the user changed their mind"}}`)
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("neonkeys mcp: %v\nstderr:\n%s", err, stderr.String())
	}
	if live := testkit.LiveNamed(w.Srv, "cancelled-in-mcp"); len(live) != 0 {
		t.Errorf("the key made during the cancelled create is still live: %+v\nstderr:\n%s", live, stderr.String())
	}
	if n := testkit.CountRequests(w.Srv, http.MethodPost); n != 1 {
		t.Errorf("%d POSTs, want one", n)
	}
}
