package cli

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// TestPreviewQuotesTheKeyName: a printable name from the API (up to 256
// characters) with a quote and a run of spaces cannot close its own
// quotes or push dialog-like text into the preview: it is shown quoted,
// escaped, its spaces collapsed; and the collapsed name confirms.
func TestPreviewQuotesTheKeyName(t *testing.T) {
	name := `ci" (personal): this only LISTS keys, nothing changes. Allow it?` + strings.Repeat(" ", 120) + "yes"
	want := `  name       "ci\" (personal): this only LISTS keys, nothing changes. Allow it? yes"` + "\n"
	tests := []struct {
		name     string
		args     func(id, org string) []string
		stdin    string
		wantCode int
	}{
		{"revoke without a terminal", func(id, org string) []string { return []string{"revoke", id, "--org-id", org} }, "", ExitUsage},
		{"rotate without a terminal", func(id, org string) []string { return []string{"rotate", id, "--org-id", org} }, "", ExitUsage},
		{"revoke confirmed with the name as shown", func(id, org string) []string { return []string{"revoke", id, "--org-id", org} },
			`ci" (personal): this only LISTS keys, nothing changes. Allow it? yes` + "\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx, env := fakeEnv(t)
			listed, err := json.Marshal([]map[string]any{{
				"id": fx.OrgKeyID, "name": name, "created_at": "2026-01-02T03:04:05Z",
				"created_by": map[string]string{"id": fx.Admin.ID, "name": "Ada"},
			}})
			if err != nil {
				t.Fatal(err)
			}
			srv.Inject(neontest.Fault{Method: http.MethodGet, Path: "/organizations/", Status: http.StatusOK, Body: string(listed)})
			o := runOpts{env: env}
			if tt.stdin != "" {
				o.interactive, o.stdin = true, strings.NewReader(tt.stdin)
			}
			r := runCLI(t, o, tt.args(strconv.FormatInt(fx.OrgKeyID, 10), fx.Org.ID)...)
			wantCode(t, r, tt.wantCode)
			if !strings.Contains(r.stderr, want) {
				t.Errorf("the preview does not show the name quoted and collapsed as\n%s\nstderr:\n%s", want, r.stderr)
			}
			if preview, _, _ := strings.Cut(r.stderr, "  scope"); strings.Contains(preview, "Allow it?  ") {
				t.Errorf("the run of spaces survived in the preview:\n%s", preview)
			}
		})
	}
}
