package handoff_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/destination"
	"github.com/neonkeys/neonkeys/destination/githubtest"
)

// TestNextStepsAreSafeToPaste: the rescue file lives under XDG_STATE_HOME,
// which may hold a blank or shell syntax. Pasted into a shell, the printed
// "rm <rescue file>" must remove that file and nothing else, and run
// nothing the path spells; unquoted it removed two other paths and ran
// $(...).
func TestNextStepsAreSafeToPaste(t *testing.T) {
	w := newWorld(t)
	w.mkShop()
	work := t.TempDir()
	w.vars["XDG_STATE_HOME"] = filepath.Join(w.home, "my state $(touch pwned) 'x'")
	w.gh.AddFault(githubtest.Fault{Method: http.MethodPut, PathSuffix: "/NEON_API_KEY", Status: http.StatusInternalServerError, Body: `{"message":"boom"}`})
	out, err := w.runner().Run(context.Background(), w.rotatePlan(w.open(threeDests, "shop-env", "shop-ci", "shop-file")))
	if err != nil {
		t.Fatal(err)
	}
	if out.Next != destination.Rescue || out.RescuePath == "" {
		t.Fatalf("outcome %+v, want a rescue file", out)
	}
	var rm string
	for _, s := range out.NextSteps() {
		if _, cmd, ok := strings.Cut(s, "delete the rescue file: "); ok {
			rm = cmd
		}
	}
	if rm == "" {
		t.Fatalf("no rm step in %q", out.NextSteps())
	}
	cmd := exec.Command("sh", "-c", rm)
	cmd.Dir = work
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("pasting %q: %v: %s", rm, err, b)
	}
	if _, err := os.Stat(out.RescuePath); err == nil {
		t.Errorf("pasting %q left the rescue file", rm)
	}
	if _, err := os.Stat(filepath.Join(work, "pwned")); err == nil {
		t.Errorf("pasting %q ran the command its path spells", rm)
	}
}
