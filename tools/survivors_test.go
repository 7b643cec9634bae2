package tools_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
	"github.com/neonkeys/neonkeys/server"
)

// newEnvOwnAPIRedactor is newEnv with an API client that masks with a
// redactor of its own: the server's redactor (which knows the credential)
// learns a minted token only from the middleware.
func newEnvOwnAPIRedactor(t *testing.T) *env {
	t.Helper()
	fake := neontest.New(t)
	fx := fake.Seed()
	e := &env{t: t, fake: fake, fx: fx, token: fx.AdminToken, red: secret.NewRedactor(fx.AdminToken), stderr: &syncBuffer{}}
	api, err := neonapi.New(neonapi.Options{Token: e.token, BaseURL: fake.URL(), Redactor: secret.NewRedactor(), HTTPClient: fake.Client(),
		Retry: &neonapi.RetryPolicy{}})
	if err != nil {
		t.Fatal(err)
	}
	e.opts = server.Options{Version: "test", Keys: keys.New(api, nil), Redactor: e.red, Log: e.stderr, NoElicit: true}
	if e.mcp, err = server.New(e.opts); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestMintedTokenMaskedInLaterAnswersAndLog: once a create answer handed a
// new token over, the token is masked wherever it shows up again: in a
// later answer and in the server log. The echo is 64 characters of the
// token (the most a key name holds), without its napi_ prefix, so only the
// redactor's knowledge of this exact token can mask it, not its shape.
//
// The API client registers every token it decodes with its own redactor,
// which in the product is the process-wide one: here it gets another, so
// only the middleware can teach the server's redactor the token.
//
// Two echoes: the client sends it back (as a key name, echoed by the
// preview), which reaches the answer only through the middleware's
// redactor; and the API lists it (as a key name), which the API client
// masks too, on its own.
func TestMintedTokenMaskedInLaterAnswersAndLog(t *testing.T) {
	cases := []struct {
		name string
		echo func(e *env, piece string) (tool, args string)
	}{
		{"the client sends it back", func(e *env, piece string) (string, string) {
			return "create_project_scoped_key", fmt.Sprintf(`{"project_id":%q,"key_name":%q}`, e.fx.OrgProject.ID, piece)
		}},
		{"the API echoes it", func(e *env, piece string) (string, string) {
			e.fake.AddPersonalKey(e.fx.Admin.ID, piece)
			return "list_api_keys", `{}`
		}},
	}
	for _, tc := range cases {
		for _, secretsDir := range []bool{false, true} {
			name := tc.name
			if secretsDir {
				// The token goes to a file: the middleware never sees it, so
				// only the file writer can teach the redactor.
				name += " (secrets dir)"
			}
			t.Run(name, func(t *testing.T) {
				e := newEnvOwnAPIRedactor(t)
				if secretsDir {
					e.opts.SecretsDir = t.TempDir()
					var err error
					if e.mcp, err = server.New(e.opts); err != nil {
						t.Fatal(err)
					}
				}
				c := e.client()
				res := e.call(c, "create_project_scoped_key", fmt.Sprintf(`{"project_id":%q,"key_name":"ci-fresh","confirm":true}`, e.fx.OrgProject.ID))
				token, _ := structuredMap(t, res)["key"].(string)
				if file, _ := structuredMap(t, res)["token_file"].(string); secretsDir && file != "" {
					b, err := os.ReadFile(file)
					if err != nil {
						t.Fatal(err)
					}
					token = strings.TrimSpace(string(b))
				}
				if res.IsError || !strings.HasPrefix(token, "napi_") || len(token) < 5+keys.MaxNameLen {
					t.Fatalf("the create answer does not hand over a token: %s", text(res))
				}
				piece := token[5 : 5+keys.MaxNameLen]
				tool, args := tc.echo(e, piece)
				later := e.call(c, tool, args)
				b, err := json.Marshal(later)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(b), piece) {
					t.Errorf("a later %s answer shows the delivered token: %s", tool, b)
				}
				if !strings.Contains(string(b), "[REDACTED]") {
					t.Errorf("the echo did not reach the %s answer (nothing masked): %s", tool, b)
				}
				if strings.Contains(e.stderr.String(), piece) {
					t.Errorf("the server log shows the delivered token:\n%s", e.stderr)
				}
			})
		}
	}
}
