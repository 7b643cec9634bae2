package destination

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/destination/githubtest"
)

// TestGitHubPreflightRefusesAMalformedPublicKey: a public key the delivery
// cannot seal with (not base64, not 32 bytes) or a key_id with control
// characters must fail the preflight, before anything is minted; it used
// to pass, so the rotation minted a key and then failed to seal its token.
func TestGitHubPreflightRefusesAMalformedPublicKey(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(make([]byte, 32))
	cases := map[string]string{
		"not base64":       `{"key_id":"568250167242549743","key":"not base64!"}`,
		"31 bytes":         `{"key_id":"568250167242549743","key":"` + base64.StdEncoding.EncodeToString(make([]byte, 31)) + `"}`,
		"64 bytes":         `{"key_id":"568250167242549743","key":"` + base64.StdEncoding.EncodeToString(make([]byte, 64)) + `"}`,
		"key_id with ESC":  `{"key_id":"56825\u001b[2J0167","key":"` + good + `"}`,
		"key_id with line": `{"key_id":"56825\n0167","key":"` + good + `"}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			gh := githubtest.New(t, githubCred)
			gh.AddFault(githubtest.Fault{Method: "GET", PathSuffix: "/secrets/public-key", Status: 200, Body: body})
			d := mustOpen(t, testEnv(t, gh), githubConfig, "repo")[0]
			err := d.Preflight(t.Context())
			if err == nil || !strings.Contains(err.Error(), "public key of acme/shop") {
				t.Fatalf("preflight: %v; want a refusal naming the public key", err)
			}
			if strings.ContainsAny(err.Error(), "\x1b\n") {
				t.Errorf("the refusal quotes control characters: %q", err)
			}
		})
	}
}
