package destination

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCommandExitZeroWithAChildHoldingItsOutput: a program that stores the
// token, exits 0 and leaves a background child holding its output (an
// agent it started) delivered the token: exit 0 means delivered. It was
// reported uncertain (both keys kept, a rescue file written) and the child
// left running; now it is delivered, and the child is ended with the
// program's process group.
func TestCommandExitZeroWithAChildHoldingItsOutput(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	prog := recorder(t, dir, "sleep 600 &\necho $! > "+pidFile+"\nexit 0")
	d := mustOpen(t, testEnv(t, nil), commandConfig([]string{prog, dir}, ""), "cmd")[0]
	detail, err := d.Deliver(t.Context(), testToken)
	if err != nil {
		t.Fatalf("deliver: %v; want delivered (the program exited 0)", err)
	}
	if !strings.Contains(detail, "exited 0") {
		t.Errorf("detail %q", detail)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	proc := filepath.Join("/proc", strings.TrimSpace(string(b)))
	if _, err := os.Stat("/proc/self"); err != nil {
		t.Skip("no /proc to check the child")
	}
	// The kill is sent before Deliver returns; the child's exit is then a
	// matter of the kernel reaping it. Wait for it, generously.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if st, err := os.ReadFile(filepath.Join(proc, "stat")); err != nil || strings.Contains(string(st), ") Z ") {
			return // gone, or a zombie waiting for init: ended
		}
	}
	t.Error("the program's background child is still running")
}
