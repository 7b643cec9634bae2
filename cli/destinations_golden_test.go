package cli

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/neonkeys/neonkeys/destination/githubtest"
)

// TestGoldenDestinations pins the -o json answers of the commands with
// destinations (README.md documents them): a rotation that left a rescue
// file, a create delivered everywhere, deliver, and destinations --check.
// go test ./cli/ -run TestGoldenDestinations -update rewrites them.
func TestGoldenDestinations(t *testing.T) {
	w := newDestWorld(t, fixedClock())
	w.writeConfig(w.threeDestinations())
	rescue := filepath.Join(w.home, "given.token")
	if err := os.WriteFile(rescue, []byte(w.fx.MemberToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	forbidden := func() {
		w.gh.AddFault(githubtest.Fault{Method: http.MethodGet, PathSuffix: "/public-key", Status: 403, Body: `{"message":"Resource not accessible by integration"}`})
	}
	tests := []struct {
		golden string
		code   int
		setup  func()
		args   []string
	}{
		{"destinations_rotate_rescue", 1, func() {
			w.gh.AddFault(githubtest.Fault{Method: http.MethodPut, PathSuffix: "/NEON_API_KEY", Nth: 1, Status: 500})
		}, []string{"rotate", id(w.fx.ProjectKeyID), "--name", "shop-deploy-2", "--yes", "--to", "vault-ci", "--to", "shop-ci", "--to", "shop-env", "-o", "json"}},
		{"destinations_create", 0, nil,
			[]string{"create", "--name", "shop-ci-2", "--project-id", w.fx.OrgProject.ID, "--to", "shop-ci", "--yes", "-o", "json"}},
		{"destinations_deliver", 0, nil, []string{"deliver", "--token-file", rescue, "--to", "shop-env", "--to", "vault-ci", "-o", "json"}},
		{"destinations_list_check", 1, forbidden, []string{"destinations", "--check", "-o", "json"}},
		{"destinations_list_check_yaml", 1, forbidden, []string{"destinations", "--check", "-o", "yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			r := w.run(tt.args...)
			wantCode(t, r, tt.code)
			checkGolden(t, tt.golden, stable(r.stdout, w.fx, w.home))
		})
	}
}
