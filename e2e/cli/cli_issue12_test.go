package cli

import (
	"strconv"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/e2e/internal/harness"
	"github.com/neonkeys/neonkeys/internal/testkit"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// Issue 12, items 2, 4 and 5, on the built binary: an organization key as
// the credential, a warning before revoking the credential itself, and a
// wrong NEON_API_HOST.
func TestCLIIssue12(t *testing.T) {
	bin := harness.Binary(t)
	t.Run("organization key lists its organization", func(t *testing.T) {
		w := harness.NewCLIWorld(t, bin)
		r := w.Run(t, "", w.Env("NEON_API_KEY="+w.Fx.OrgKeyToken), "list")
		harness.WantCode(t, r, 0)
		harness.WantStderr(t, r, "organization API key", "keys of its organization "+w.Fx.Org.ID)
		if !strings.Contains(r.Stdout, "shop-deploy") || !strings.Contains(r.Stdout, "ci") {
			t.Fatalf("stdout lacks the organization's keys:\n%s", r.Stdout)
		}
	})
	t.Run("revoking the credential itself warns first", func(t *testing.T) {
		w := harness.NewCLIWorld(t, bin)
		r := w.Run(t, "", w.Env(), "revoke", strconv.FormatInt(w.Fx.AdminKeyID, 10), "--yes")
		harness.WantCode(t, r, 0)
		warn := strings.Index(r.Stderr, "Warning: this is the key neonkeys is using")
		done := strings.Index(r.Stderr, "Revoked key")
		if warn < 0 || done < 0 || warn > done {
			t.Fatalf("no warning before the revoke:\n%s", r.Stderr)
		}
		// As warned: the next command is refused.
		harness.WantCode(t, w.Run(t, "", w.Env(), "list"), 1)
	})
	t.Run("NEON_API_HOST without /api/v2", func(t *testing.T) {
		w := harness.NewCLIWorld(t, bin)
		root := strings.TrimSuffix(w.Srv.URL(), neontest.BasePath)
		r := w.Run(t, "", w.Env("NEON_API_HOST="+root), "list")
		harness.WantCode(t, r, 1)
		harness.WantStderr(t, r, root+"/api_keys:", "the address lacks /api/v2", "set NEON_API_HOST")
		testkit.NoSecrets(t, "stderr", r.Stderr, w.Fx.AdminToken)
	})
}
