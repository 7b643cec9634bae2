package tools_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/neonapi"
	"github.com/neonkeys/neonkeys/server"
)

// withCredential restarts e's server with token as its credential.
func (e *env) withCredential(token string) *env {
	e.t.Helper()
	api, err := neonapi.New(neonapi.Options{Token: token, BaseURL: e.fake.URL(), Redactor: e.red, HTTPClient: e.fake.Client(),
		Retry: &neonapi.RetryPolicy{}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.token, e.opts.Keys = token, keys.New(api, nil)
	if e.mcp, err = server.New(e.opts); err != nil {
		e.t.Fatal(err)
	}
	return e
}

// TestAnswersUseArticlesAndPluralsRight: what a user reads is English:
// "An organization key", "1 project", never "A organization" or "1 projects".
func TestAnswersUseArticlesAndPluralsRight(t *testing.T) {
	orgEnv := newEnv(t)
	orgEnv.withCredential(orgEnv.fx.OrgKeyToken)
	e := newEnv(t)
	tests := []struct {
		name      string
		env       *env
		tool      string
		args      string
		want      []string
		forbidden []string
	}{
		{"whoami, organization key", orgEnv, "whoami", `{}`,
			[]string{"An organization key", "it sees 1 organization."}, []string{"A organization", "1 organizations"}},
		{"whoami, personal key", e, "whoami", `{}`,
			[]string{"A personal key", "it sees 1 organization."}, []string{"1 organizations"}},
		{"list_projects, one project", e, "list_projects", fmt.Sprintf(`{"org_id":%q}`, e.fx.Org.ID),
			[]string{"1 project"}, []string{"1 projects"}},
		{"list_api_keys, one key", e, "list_api_keys", fmt.Sprintf(`{"project_id":%q}`, e.fx.OrgProject.ID),
			[]string{"1 organization key matched"}, []string{"1 organization keys"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := text(tt.env.call(tt.env.client(), tt.tool, tt.args))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("answer lacks %q:\n%s", w, got)
				}
			}
			for _, f := range tt.forbidden {
				if strings.Contains(got, f) {
					t.Errorf("answer says %q:\n%s", f, got)
				}
			}
		})
	}
}

// TestAnswersNameAScopeOnceWithoutNesting: a project key's scope reads
// "project p in organization o", the organization named once per answer,
// and never as "(project p (organization o))".
func TestAnswersNameAScopeOnceWithoutNesting(t *testing.T) {
	e := newEnv(t)
	orgKey := newEnv(t)
	orgKey.withCredential(orgKey.fx.OrgKeyToken)
	full := func(e *env) string {
		return "(project " + e.fx.OrgProject.ID + " in organization " + e.fx.Org.ID + ")"
	}
	tests := []struct {
		name, tool, args, want string
		env                    *env
	}{
		{"revoke", "revoke_api_key", fmt.Sprintf(`{"key_id":%d}`, e.fx.ProjectKeyID), full(e), e},
		{"rotate", "rotate_api_key", fmt.Sprintf(`{"key_id":%d}`, e.fx.ProjectKeyID), full(e), e},
		{"create", "create_project_scoped_key", fmt.Sprintf(`{"project_id":%q,"key_name":"deploy"}`, e.fx.OrgProject.ID),
			"scoped to project " + e.fx.OrgProject.ID + " in organization " + e.fx.Org.ID, e},
		// A list names the organization in its first line, then each key's
		// scope within it.
		{"list", "list_api_keys", fmt.Sprintf(`{"org_id":%q}`, e.fx.Org.ID), "(project " + e.fx.OrgProject.ID + ")", e},
		// With an organization key as the credential, the preview also says
		// where the key was looked for, without naming the organization again.
		{"revoke with an organization key", "revoke_api_key", fmt.Sprintf(`{"key_id":%d}`, orgKey.fx.ProjectKeyID), full(orgKey), orgKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := text(tt.env.call(tt.env.client(), tt.tool, tt.args))
			if n := strings.Count(got, tt.env.fx.Org.ID); n != 1 || !strings.Contains(got, tt.want) {
				t.Errorf("the answer names the organization %d times, want once, and should hold %q:\n%s", n, tt.want, got)
			}
			if strings.Contains(got, "))") {
				t.Errorf("nested scope in:\n%s", got)
			}
			if m := tt.env.mutations(); len(m) != 0 {
				t.Fatalf("previews changed something: %v", m)
			}
		})
	}
}
