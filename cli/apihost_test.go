package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// A wrong NEON_API_HOST: the error names the URL tried and the likely fix.
func TestCLIWrongAPIHost(t *testing.T) {
	notNeon := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notNeon.Close)
	tests := []struct {
		name string
		host func(srv *neontest.Server) string
		want []string
	}{
		{"missing /api/v2", func(srv *neontest.Server) string { return strings.TrimSuffix(srv.URL(), neontest.BasePath) },
			[]string{"/api_keys:", "the address lacks /api/v2", "set NEON_API_HOST to Neon's API"}},
		{"not Neon", func(*neontest.Server) string { return notNeon.URL + "/api/v2" },
			[]string{notNeon.URL + "/api/v2/api_keys:", "does not look like Neon's API"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx, env := fakeEnv(t)
			env["NEON_API_HOST"] = tt.host(srv)
			r := runCLI(t, runOpts{env: env}, "list")
			wantCode(t, r, 1)
			for _, want := range tt.want {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			noSecrets(t, "stderr", r.stderr, fx.AdminToken)
		})
	}
}
