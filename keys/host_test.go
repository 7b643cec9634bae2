package keys_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
)

// A wrong NEON_API_HOST names the URL tried and the likely fix, and the
// sentence leaks neither the credential nor a password in the address.
func TestExplainWrongAPIHost(t *testing.T) {
	fake := neontest.New(t)
	fx := fake.Seed()
	notNeon := httptest.NewServer(http.NotFoundHandler()) // "404 page not found", text/plain
	t.Cleanup(notNeon.Close)
	fakeRoot := strings.TrimSuffix(fake.URL(), neontest.BasePath)
	tests := []struct {
		name, base, wantURL, want string
	}{
		{"missing /api/v2", fakeRoot, fakeRoot + "/api_keys", "the address lacks /api/v2"},
		{"missing /api/v2, with a password", strings.Replace(fakeRoot, "http://", "http://ada:hunter2pw@", 1), fakeRoot + "/api_keys", "the address lacks /api/v2"},
		{"not Neon", notNeon.URL + "/api/v2", notNeon.URL + "/api/v2/api_keys", "does not look like Neon's API"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, err := neonapi.New(neonapi.Options{Token: fx.AdminToken, BaseURL: tt.base, Redactor: secret.NewRedactor(),
				Retry: &neonapi.RetryPolicy{MaxRetries: 0, BaseDelay: time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = keys.New(api, nil).List(context.Background(), keys.ListOptions{})
			got := keys.Explain(keys.OpList, err, keys.Words{OrgID: "--org-id"})
			for _, want := range []string{"404 Not Found", "at " + tt.wantURL + ":", tt.want, "NEON_API_HOST", neonapi.DefaultBaseURL} {
				if !strings.Contains(got, want) {
					t.Errorf("explanation lacks %q:\n%s", want, got)
				}
			}
			for _, secret := range []string{fx.AdminToken, "hunter2pw"} {
				if strings.Contains(got, secret) {
					t.Errorf("explanation leaks %q:\n%s", secret, got)
				}
			}
		})
	}
	// Neon's own 404s keep their meaning.
	api, err := neonapi.New(neonapi.Options{Token: fx.AdminToken, BaseURL: fake.URL(), Redactor: secret.NewRedactor()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = api.GetProject(context.Background(), "no-such-project")
	if got := keys.Explain(keys.OpList, err, keys.Words{OrgID: "--org-id"}); strings.Contains(got, "NEON_API_HOST") {
		t.Errorf("a missing project is explained as a wrong host: %s", got)
	}
}
