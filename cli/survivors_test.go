package cli

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/neonapi/neontest"
)

// legacyCredential has the shape of Neon's older API keys: no napi_
// prefix, so no shape rule of the redactor can know it; only the redactor
// that holds the credential can mask it.
const legacyCredential = "k7q2m9x4v8c1z6b3n5w0j2h8g4f6d1s3a9p7o5i2u8y4t6r1e3w9q0l5k2j7h4g1"

// TestStderrNeverShowsTheCredential: nothing neonkeys writes on stderr
// holds the credential it runs with, nor a run of 16 of its characters,
// when the credential has no secret shape (a legacy key) or the text holds
// only a piece of it (no napi_ prefix). Each case also checks that the text
// did reach stderr, masked, so it cannot pass on a message never written.
func TestStderrNeverShowsTheCredential(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the credential, what must not reach stderr, and
		// the command line.
		setup    func(t *testing.T, srv *neontest.Server, fx *neontest.Fixture) (cred string, secrets, args []string)
		wantCode int
		wantErr  string // what stderr says, the secret masked
	}{
		{
			// neonapi and the CLI's error path mask it before the stderr
			// writer does: a guard of the whole chain.
			name: "Neon's error quotes a legacy credential",
			setup: func(t *testing.T, srv *neontest.Server, _ *neontest.Fixture) (string, []string, []string) {
				piece := legacyCredential[10:30]
				srv.Inject(neontest.Fault{Method: http.MethodGet, Status: http.StatusBadRequest,
					Message: "key " + legacyCredential + " is not valid (starts " + piece + ")"})
				return legacyCredential, []string{legacyCredential, piece}, []string{"list"}
			},
			wantCode: 1,
			wantErr:  "key [REDACTED] is not valid (starts [REDACTED])",
		},
		{
			// The new name is the user's text, printed after the
			// credential was loaded: only the stderr writer can mask it.
			name: "a rotation preview names the new key with a piece of the credential",
			setup: func(t *testing.T, _ *neontest.Server, fx *neontest.Fixture) (string, []string, []string) {
				piece := fx.AdminToken[len("napi_"):][:20]
				return fx.AdminToken, []string{piece},
					[]string{"rotate", strconv.FormatInt(fx.OrgKeyID, 10), "--name", "ci-" + piece}
			},
			wantCode: 2, // not a terminal and no --yes: refused after the preview
			// Not the closing quote: when the credential's next characters
			// happen to match the text that follows (` w…`), the redactor
			// masks those too, as it should.
			wantErr: `A new key "ci-[REDACTED]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fx, env := fakeEnv(t)
			cred, secrets, args := tt.setup(t, srv, fx)
			env["NEON_API_KEY"] = cred
			r := runCLI(t, runOpts{env: env}, args...)
			wantCode(t, r, tt.wantCode)
			if !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("stderr does not say %q:\n%s", tt.wantErr, r.stderr)
			}
			for _, s := range secrets {
				if strings.Contains(r.stderr, s) {
					t.Errorf("stderr shows %q, of the credential:\n%s", s, r.stderr)
				}
			}
		})
	}
}

// TestMistypedIDNeverEchoesAKey: a key pasted into --org-id or --project-id
// is refused before the credential is loaded, so no redactor knows it yet:
// the error must not quote it, while a short typo is still quoted back.
func TestMistypedIDNeverEchoesAKey(t *testing.T) {
	_, _, env := fakeEnv(t)
	legacy := strings.Repeat("q7Zk", 16) // a prefix-less 64-character key
	for _, flag := range []string{"--org-id", "--project-id"} {
		r := runCLI(t, runOpts{env: env}, "list", flag, legacy)
		if r.code != 2 || strings.Contains(r.stderr, legacy[:16]) || !strings.Contains(r.stderr, "not a Neon id") {
			t.Errorf("list %s <key>: exit %d, stderr %q; want exit 2 without the value", flag, r.code, r.stderr)
		}
	}
	r := runCLI(t, runOpts{env: env}, "list", "--org-id", "Org_X")
	if r.code != 2 || !strings.Contains(r.stderr, `"Org_X"`) {
		t.Errorf("list --org-id Org_X: exit %d, stderr %q; want the typo quoted back", r.code, r.stderr)
	}
}
