package cli

import (
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// TestAuditGapsInTheCLIsWords: why a place was not audited is said with
// the CLI's flags, not the MCP tool's argument names (the audit package
// words nothing of its own).
func TestAuditGapsInTheCLIsWords(t *testing.T) {
	srv, fx, env, _ := auditWorld(t)
	// Every try at the organization's keys hangs until the per-request
	// limit ends it.
	srv.Inject(neontest.Fault{Method: "GET", Path: "/organizations/" + fx.Org.ID + "/api_keys", Hang: true, Count: 20})
	r := runCLI(t, runOpts{env: env}, "audit", "--timeout", "500ms")
	wantCode(t, r, ExitOK) // no gate asked: a gap is said, not failed
	if !strings.Contains(r.stderr, "Not audited: the keys of organization "+fx.Org.ID) ||
		!strings.Contains(r.stderr, "raise the per-request limit with --timeout") {
		t.Errorf("stderr lacks the gap in the CLI's words:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "allow each request more time") || strings.Contains(r.stderr, "try again later") {
		t.Errorf("stderr words the gap for another face:\n%s", r.stderr)
	}
}
