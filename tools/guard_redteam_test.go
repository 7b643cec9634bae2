package tools_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestConfirmationRedTeam: a client that gets a sealed yes for one create
// and changes what it sends with the answer (the name's case or spaces,
// org_id added, another tool, a tampered state) is refused with no create
// sent; a key of the same name made meanwhile in another organization does
// not touch the world of the one asked about, so that yes still mints once.
func TestConfirmationRedTeam(t *testing.T) {
	const name = "ci-deploy"
	tests := []struct {
		name    string
		between func(e *env)                                       // runs after the question
		answer  func(e *env, state string) (tool, args, st string) // what the client sends back
		want    string                                             // "" for a key created
	}{
		{name: "name in another case",
			answer: func(e *env, st string) (string, string, string) {
				return "create_project_scoped_key", createArgs(e, "CI-deploy", false), st
			},
			want: "the confirmation was given for a different call"},
		{name: "name with a trailing space",
			answer: func(e *env, st string) (string, string, string) {
				return "create_project_scoped_key", createArgs(e, name+" ", false), st
			},
			want: "the confirmation was given for a different call"},
		{name: "org_id given at the answer only",
			answer: func(e *env, st string) (string, string, string) {
				return "create_project_scoped_key", createArgs(e, name, true), st
			},
			want: "the confirmation was given for a different call"},
		{name: "create's state answered to rotate",
			answer: func(e *env, st string) (string, string, string) {
				return "rotate_api_key", fmt.Sprintf(`{"key_id":%d,"new_key_name":%q,"confirm":true}`, e.fx.ProjectKeyID, name), st
			},
			want: "Not rotated: the confirmation state is invalid"},
		{name: "state tampered",
			answer: func(e *env, st string) (string, string, string) {
				b := []byte(st)
				b[len(b)/2] ^= 1
				return "create_project_scoped_key", createArgs(e, name, false), string(b)
			},
			want: "the confirmation state is invalid"},
		{name: "same name made meanwhile in another organization",
			between: func(e *env) {
				other := e.fake.AddOrg("Other", e.fx.Admin.ID)
				e.fake.AddOrgKey(other.ID, name, "")
			},
			answer: func(e *env, st string) (string, string, string) {
				return "create_project_scoped_key", createArgs(e, name, false), st
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sharedSealKey(t))
			state := ask(t, e.mcp, "create_project_scoped_key", createArgs(e, name, false))
			if tt.between != nil {
				tt.between(e)
			}
			tool, args, st := tt.answer(e, state)
			res := callOn(t, e.mcp, tool, args, st, accept())
			creates := 0
			if tt.want == "" {
				creates = 1
				if res.IsError {
					t.Fatalf("answer = %q, want a key created", text(res))
				}
			} else if !res.IsError || !strings.Contains(text(res), tt.want) {
				t.Fatalf("answer = %q, want a refusal saying %q", text(res), tt.want)
			}
			if n := len(e.mutations()); n != creates {
				t.Errorf("%d mutations sent to Neon, want %d", n, creates)
			}
		})
	}
}

// createArgs are the arguments of a confirmed create of name in the org
// project, with its org_id spelled out when withOrg.
func createArgs(e *env, name string, withOrg bool) string {
	if withOrg {
		return fmt.Sprintf(`{"project_id":%q,"org_id":%q,"key_name":%q,"confirm":true}`, e.fx.OrgProject.ID, e.fx.Org.ID, name)
	}
	return fmt.Sprintf(`{"project_id":%q,"key_name":%q,"confirm":true}`, e.fx.OrgProject.ID, name)
}
