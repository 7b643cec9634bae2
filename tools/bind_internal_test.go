package tools

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/neonapi/neontest"
	"github.com/neonkeys/neonkeys/secret"
)

// The schema validator runs before every handler, so tests through the
// server never reach bind's own checks. These call bind and the revoke
// handler directly: whether a mutation runs must not depend on the schema.

func rawRequest(args string) mcp.CallToolRequest {
	req := mcp.CallToolRequest{}
	req.Params.Arguments = json.RawMessage(args)
	return req
}

// TestBindConfirmsOnlyTheJSONBooleanTrue: every confirm but the JSON
// boolean true, in every mutating tool's arguments, leaves bind either
// refusing or unconfirmed; the one valid form confirms (positive control).
func TestBindConfirmsOnlyTheJSONBooleanTrue(t *testing.T) {
	confirms := []string{`"true"`, `1`, `"1"`, `null`, `[true]`, `{"value":true}`, `false`, `"yes"`, `1.0`}
	bases := map[string]func(string) (bool, error){
		"revoke": func(a string) (bool, error) { _, ok, err := bind[revokeArgs](rawRequest(a)); return ok, err },
		"rotate": func(a string) (bool, error) { _, ok, err := bind[rotateArgs](rawRequest(a)); return ok, err },
		"create": func(a string) (bool, error) { _, ok, err := bind[createArgs](rawRequest(a)); return ok, err },
	}
	fields := map[string]string{"revoke": `"key_id":5`, "rotate": `"key_id":5`, "create": `"project_id":"p-1","key_name":"ci"`}
	for tool, bindFn := range bases {
		args := func(rest string) string { return "{" + fields[tool] + rest + "}" }
		variants := []string{args(``), args(`,"Confirm":true`), args(`,"confirm":false,"confirm":true`),
			args(`,"confirm":true,"force":true`), args(`,"options":{"confirm":true}`)}
		for _, c := range confirms {
			variants = append(variants, args(`,"confirm":`+c))
		}
		for _, a := range variants {
			if ok, err := bindFn(a); ok && err == nil {
				t.Errorf("%s: bind(%s) confirms", tool, a)
			}
		}
		if ok, err := bindFn(args(`,"confirm":true`)); !ok || err != nil {
			t.Errorf("%s: bind with confirm: true = (%v, %v), want confirmed", tool, ok, err)
		}
	}
}

// TestRevokeHandlerChecksOnItsOwn: the revoke handler, reached without the
// schema validator, refuses a zero or negative key_id before any request
// and a confirm that is not the JSON boolean true before any mutation,
// saying why; the same call, valid and confirmed, does revoke.
func TestRevokeHandlerChecksOnItsOwn(t *testing.T) {
	fake := neontest.New(t)
	fx := fake.Seed()
	red := secret.NewRedactor()
	api, err := neonapi.New(neonapi.Options{Token: fx.AdminToken, BaseURL: fake.URL(), Redactor: red, HTTPClient: fake.Client(),
		Retry: &neonapi.RetryPolicy{}})
	if err != nil {
		t.Fatal(err)
	}
	h := revokeHandler(Deps{Keys: keys.New(api, nil), Redactor: red})
	_, spare := fake.AddPersonalKey(fx.Admin.ID, "scratch")
	tests := []struct {
		args, want string
		requests   bool // may read (to find the key) but never mutate
	}{
		{`{"key_id":0,"confirm":true}`, "Not revoked: key_id must be a positive integer", false},
		{`{"key_id":-1,"confirm":true}`, "Not revoked: key_id must be a positive integer", false},
		{fmt.Sprintf(`{"key_id":%d,"confirm":"true"}`, spare), "Not revoked: invalid arguments: confirm must be of type bool", false},
		{fmt.Sprintf(`{"key_id":%d,"confirm":1}`, spare), "Not revoked: invalid arguments: confirm must be of type bool", false},
		{fmt.Sprintf(`{"key_id":%d,"confirm":false,"confirm":true}`, spare), `the field "confirm" is given more than once`, false},
		{fmt.Sprintf(`{"key_id":%d}`, spare), "Not revoked: confirm is not true", true},
		{fmt.Sprintf(`{"key_id":%d,"confirm":true,"force":true}`, spare), `Not revoked: invalid arguments: json: unknown field "force"`, false},
	}
	for _, tt := range tests {
		fake.ResetRequests()
		res := h(t.Context(), rawRequest(tt.args))
		got := res.Content[0].(mcp.TextContent).Text
		if !res.IsError || !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want an error saying %q", tt.args, got, tt.want)
		}
		if n := len(fake.Mutations()); n != 0 {
			t.Errorf("%s: %d mutations", tt.args, n)
		}
		if n := len(fake.Requests()); !tt.requests && n != 0 {
			t.Errorf("%s: %d requests reached the API before the arguments were refused", tt.args, n)
		}
	}
	if k, _ := fake.Key(spare); k.Revoked {
		t.Fatal("the spare key was revoked by a refused call")
	}
	// Positive control: the same handler, valid and confirmed, revokes.
	res := h(t.Context(), rawRequest(fmt.Sprintf(`{"key_id":%d,"confirm":true}`, spare)))
	if m := fake.Mutations(); res.IsError || len(m) != 1 || m[0].Method != http.MethodDelete {
		t.Fatalf("valid confirmed revoke: %v, %d mutations", res.Content, len(m))
	}
	if k, _ := fake.Key(spare); !k.Revoked {
		t.Fatal("the valid confirmed revoke left the key live")
	}
}
