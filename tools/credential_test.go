package tools_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/server"
)

// useCredential rebuilds e's server with token as its credential.
func useCredential(t *testing.T, e *env, token string) {
	t.Helper()
	api, err := neonapi.New(neonapi.Options{Token: token, BaseURL: e.fake.URL(), Redactor: e.red, HTTPClient: e.fake.Client(),
		Retry: &neonapi.RetryPolicy{}})
	if err != nil {
		t.Fatal(err)
	}
	e.token = token
	e.opts.Keys = keys.New(api, nil)
	if e.mcp, err = server.New(e.opts); err != nil {
		t.Fatal(err)
	}
}

// An organization key as the server's credential: the tools act on its
// organization without org_id and say so; another org_id is refused
// clearly; a rotation is refused before anything changes.
func TestToolsOrganizationKeyCredential(t *testing.T) {
	e := newEnv(t)
	other := e.fake.AddOrg("Other", e.fx.Member.ID)
	useCredential(t, e, e.fx.OrgKeyToken)
	c := e.client()
	tests := []struct {
		name, tool, args string
		wantError        bool
		want             []string
	}{
		{"list", "list_api_keys", `{}`, false, []string{"2 organization keys matched in organization " + e.fx.Org.ID, "no org_id needed", "shop-deploy"}},
		{"revoke preview", "revoke_api_key", fmt.Sprintf(`{"key_id":%d}`, e.fx.ProjectKeyID), true,
			[]string{"(project " + e.fx.OrgProject.ID + " in organization " + e.fx.Org.ID + ")", "looked for in its own organization", "confirm: true"}},
		{"revoke in another org", "revoke_api_key", fmt.Sprintf(`{"key_id":%d,"org_id":%q}`, e.fx.ProjectKeyID, other.ID), true,
			[]string{"organization API key of " + e.fx.Org.ID, "not those of " + other.ID}},
		{"rotate", "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.fx.ProjectKeyID), true,
			[]string{"only a personal key", "cannot create the replacement"}},
		{"revoke", "revoke_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.fx.ProjectKeyID), false, []string{"Revoked key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.call(c, tt.tool, tt.args)
			got := text(res)
			if res.IsError != tt.wantError {
				t.Fatalf("isError %v, want %v: %s", res.IsError, tt.wantError, got)
			}
			for _, want := range tt.want {
				if !strings.Contains(got, want) {
					t.Errorf("answer lacks %q:\n%s", want, got)
				}
			}
			// "(404" and not "404": the fixture's random ids may hold 404.
			if strings.Contains(got, "(404") {
				t.Errorf("answer shows Neon's bare refusal:\n%s", got)
			}
		})
	}
	if n := len(e.mutations()); n != 1 || e.fake.TokenValid(e.fx.ProjectKeyToken) {
		t.Fatalf("%d mutations, want the one revoke of the project key", n)
	}
}

// Revoking or rotating the server's own key warns in the preview (which is
// also the elicitation message) and says afterwards what it means.
func TestToolsWarnBeforeRevokingTheirOwnKey(t *testing.T) {
	tests := []struct {
		name, tool string
		own        bool
		wantWarn   string
	}{
		{"revoke own", "revoke_api_key", true, "WARNING: this is the key neonkeys is using: after the revoke, neonkeys itself stops working"},
		{"rotate own", "rotate_api_key", true, "WARNING: this is the key neonkeys is using: after the rotation, neonkeys itself stops working"},
		{"revoke another", "revoke_api_key", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client()
			id := e.fx.AdminKeyID
			if !tt.own {
				_, id = e.fake.AddPersonalKey(e.fx.Admin.ID, "spare")
			}
			preview := text(e.call(c, tt.tool, fmt.Sprintf(`{"key_id":%d}`, id)))
			if tt.wantWarn == "" {
				if strings.Contains(preview, "WARNING") {
					t.Fatalf("a warning for another key: %s", preview)
				}
				return
			}
			if !strings.Contains(preview, tt.wantWarn) {
				t.Fatalf("preview lacks %q:\n%s", tt.wantWarn, preview)
			}
			done := e.call(c, tt.tool, fmt.Sprintf(`{"key_id":%d,"confirm":true}`, id))
			if done.IsError || !strings.Contains(text(done), "Note: neonkeys was using this key") {
				t.Fatalf("final answer lacks the note:\n%s", text(done))
			}
		})
	}
}

// The human asked through elicitation reads the same warning before they
// agree to revoke the server's own key.
func TestElicitationWarnsAboutTheServersOwnKey(t *testing.T) {
	e := elicitEnv(t)
	h := &human{action: mcp.ElicitationResponseActionDecline}
	c := e.client(client.WithElicitationHandler(h))
	res := e.call(c, "revoke_api_key", fmt.Sprintf(`{"key_id":%d,"confirm":true}`, e.fx.AdminKeyID))
	asked := h.messages()
	if len(asked) != 1 || !strings.Contains(asked[0], "this is the key neonkeys is using: after the revoke, neonkeys itself stops working") {
		t.Fatalf("the human was asked %q, want the warning", asked)
	}
	if !res.IsError || len(e.mutations()) != 0 {
		t.Fatalf("declined, yet: %s (%d mutations)", text(res), len(e.mutations()))
	}
}
