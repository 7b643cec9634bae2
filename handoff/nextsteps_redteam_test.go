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
	"github.com/neonkeys/neonkeys/handoff"
	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
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

// TestRevokeCommandIsSafeToPaste: the organization id in a printed revoke
// comes from the API; pasted into a shell, a hostile one must reach
// neonkeys as one argument and run nothing.
func TestRevokeCommandIsSafeToPaste(t *testing.T) {
	dir := t.TempDir()
	orgID := "org-x $(touch pwned) ; touch pwned2"
	cmd := handoff.RevokeCommand(keys.Key{APIKey: neonapi.APIKey{ID: 42}, OrgID: orgID})
	// A stand-in neonkeys that prints its arguments one per line.
	script := `neonkeys() { printf '%s\n' "$@"; }; ` + cmd
	sh := exec.Command("sh", "-c", script)
	sh.Dir = dir
	out, err := sh.Output()
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	if got, want := string(out), "revoke\n42\n--org-id\n"+orgID+"\n"; got != want {
		t.Errorf("pasted %q gave arguments %q, want %q", cmd, got, want)
	}
	for _, f := range []string{"pwned", "pwned2"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("pasting ran a command (%s exists)", f)
		}
	}
}
