package e2e

import (
	"strconv"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// Issue 12, items 2, 4 and 5, on the built binary: an organization key as
// the credential, a warning before revoking the credential itself, and a
// wrong NEON_API_HOST.
func TestCLIIssue12(t *testing.T) {
	bin := buildNeonkeys(t)
	t.Run("organization key lists its organization", func(t *testing.T) {
		w := cliNewWorld(t, bin)
		r := w.run(t, "", w.env("NEON_API_KEY="+w.fx.OrgKeyToken), "list")
		cliWantCode(t, r, 0)
		cliWantStderr(t, r, "organization API key", "keys of its organization "+w.fx.Org.ID)
		if !strings.Contains(r.stdout, "shop-deploy") || !strings.Contains(r.stdout, "ci") {
			t.Fatalf("stdout lacks the organization's keys:\n%s", r.stdout)
		}
	})
	t.Run("revoking the credential itself warns first", func(t *testing.T) {
		w := cliNewWorld(t, bin)
		r := w.run(t, "", w.env(), "revoke", strconv.FormatInt(w.fx.AdminKeyID, 10), "--yes")
		cliWantCode(t, r, 0)
		warn := strings.Index(r.stderr, "Warning: this is the key neonkeys is using")
		done := strings.Index(r.stderr, "Revoked key")
		if warn < 0 || done < 0 || warn > done {
			t.Fatalf("no warning before the revoke:\n%s", r.stderr)
		}
		// As warned: the next command is refused.
		cliWantCode(t, w.run(t, "", w.env(), "list"), 1)
	})
	t.Run("NEON_API_HOST without /api/v2", func(t *testing.T) {
		w := cliNewWorld(t, bin)
		root := strings.TrimSuffix(w.srv.URL(), neontest.BasePath)
		r := w.run(t, "", w.env("NEON_API_HOST="+root), "list")
		cliWantCode(t, r, 1)
		cliWantStderr(t, r, root+"/api_keys:", "the address lacks /api/v2", "set NEON_API_HOST")
		cliNoSecret(t, "stderr", r.stderr, w.fx.AdminToken)
	})
}
